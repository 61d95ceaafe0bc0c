// One harness run against one service: the options, the fixtures and the harness's own
// loopback servers, what discovery advertised, what the service answered so far (cards for
// feedback, icons), and the Recorder every check family writes to.
//
// Families run in order (discovery first: the others work from what it advertised) and
// each one reads and extends the Session. Thread safety: one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/checks.hpp"
#include "conformance/fhir_server.hpp"
#include "conformance/fixtures.hpp"
#include "conformance/http_client.hpp"
#include "conformance/jwt.hpp"
#include "conformance/loopback_server.hpp"

namespace ibd::conformance {

struct Options {
  std::string base;      // the service's base URL: discovery is base + "/cds-services"
  std::string audience;  // what a token's aud is built from (default: base)
  bool auth = false;
  std::string issuer = "https://cds-conformance.invalid";
  std::string alg = "ES384";
  std::string tenant;
  std::uint16_t jwks_port = 0;
  std::uint16_t fhir_port = 0;
  std::string origin;  // CORS origin; "" = no CORS checks
  bool feedback = true;
  bool strict = false;
  std::string fixtures_dir;
  std::vector<std::string> skip;  // families or check ids
  std::chrono::milliseconds timeout{10000};
  bool verify_tls = true;
  std::string ca_file;
  bool verbose = false;
};

struct ServiceInfo {
  std::string id, hook;
  std::vector<std::pair<std::string, std::string>> prefetch;  // key -> template, in order
};

enum class KeyMode { kProvide, kAbsent, kNull, kOperationOutcome };

// The harness as a CDS client: a signing key the service trusts (served as a JWKS on
// loopback), and an attacker key served beside it that nobody should trust.
struct ClientIdentity {
  SigningKey trusted;
  SigningKey attacker;
  std::unique_ptr<LoopbackServer> jwks_server;
  std::string jwks_url() const { return jwks_server->base_url() + "/jwks.json"; }
  std::string attacker_jwks_url() const { return jwks_server->base_url() + "/attacker-jwks.json"; }
};

struct IssuedCard {
  std::string service;
  std::string suffix;  // the service's path, "/cds-services/{id}"
  fhir::Json card;
};

class Session {
 public:
  explicit Session(Options options);
  // Loads the fixtures and starts the fixture FHIR server (and the JWKS server with --auth).
  // The error says what could not be set up (a harness fault, not the service's).
  std::optional<std::string> set_up();

  const Options& options() const { return options_; }
  Recorder& rec() { return rec_; }
  const std::vector<FixturePatient>& fixtures() const { return fixtures_; }
  FhirFixtureServer& fhir() { return *fhir_; }
  ClientIdentity* identity() { return identity_.get(); }
  const std::string& fhir_access_token() const { return fhir_token_; }

  bool enabled(std::string_view family_or_check) const;
  // Checks skipped by --skip (by id or family) report skip, whatever their family finds.
  void note_disabled();

  // The claims of a token the service should accept for `suffix` ("/cds-services/x").
  fhir::Json claims(const std::string& suffix) const;
  fhir::Json jose_header(const SigningKey& key) const;
  std::string good_token(const std::string& suffix) const;

  // A request to base + suffix; with --auth a fresh good token is added unless `token` is
  // given ("" = no Authorization header at all when `send_token` is false).
  HttpResponse call(const std::string& method, const std::string& suffix,
                    const std::string& body = "", Headers headers = {}, bool send_token = true);

  // A hook request for `service` from `patient` (nullopt when the fixture cannot serve the
  // hook). Keys not in `modes` are provided. With `fhir_base` non-empty, fhirServer and
  // fhirAuthorization are set.
  std::optional<fhir::Json> hook_request(const ServiceInfo& service, const FixturePatient& patient,
                                         const std::map<std::string, KeyMode>& modes,
                                         const std::string& fhir_base);
  // The rendered (normalised) query of each prefetch key for this patient and hook.
  std::map<std::string, std::string> rendered_queries(const ServiceInfo& service,
                                                      const FixturePatient& patient) const;

  std::vector<ServiceInfo> services;
  std::vector<IssuedCard> cards;
  std::vector<std::string> icons;

  // Parses a JSON answer body, recording json.content-type; nullopt when it is not JSON.
  std::optional<fhir::Json> json_body(const HttpResponse& r, const std::string& where);

 private:
  Options options_;
  Recorder rec_;
  HttpClient http_;
  std::vector<FixturePatient> fixtures_;
  std::shared_ptr<FhirStore> store_;
  std::unique_ptr<FhirFixtureServer> fhir_;
  std::unique_ptr<ClientIdentity> identity_;
  std::string fhir_token_;
};

// The families, in the order they run.
void run_transport(Session& s);
void run_discovery(Session& s);
void run_hook_calls(Session& s);
void run_prefetch(Session& s);
void run_precondition(Session& s);
void run_auth(Session& s);
void run_cors(Session& s);
void run_feedback(Session& s);

}  // namespace ibd::conformance
