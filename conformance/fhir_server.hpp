// The fixture FHIR server: the fixture patients' resources behind a small FHIR R4 REST
// surface on loopback, which logs every query so a check can tell what a service fetched.
//
//   GET /fhir/{type}/{id}          read (404 + OperationOutcome when absent)
//   GET /fhir/{type}?{params}      search: patient/subject (reference or id), _id, and token
//                                  params (category, code, status, intent, clinical-status) by
//                                  code or system|code with comma ORs; _count/_sort and other
//                                  params are ignored (the answer may hold more than a real
//                                  server would send, never less)
//   GET /down/fhir/...             500 + OperationOutcome for everything (a failing server)
//
// The same search runs in-process (answer()) to build complete prefetch from a service's
// templates, so prefetched data and fetched data are the same by construction.
// Thread safety: answer() is const; the log is guarded.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/fixtures.hpp"
#include "conformance/loopback_server.hpp"
#include "fhir/json.hpp"

namespace ibd::conformance {

struct FhirAnswer {
  int status = 200;
  fhir::Json body;
};

struct LoggedQuery {
  bool down = false;          // sent to the failing base
  std::string query;          // normalised, relative to the base: "Observation?a=1&b=2"
  std::string authorization;  // the Authorization header as sent
};

// "Observation?patient=1&category=a,b" with params sorted and values percent-decoded, so
// the same query written two ways compares equal.
std::string normalise_query(const std::string& relative);

class FhirStore {
 public:
  explicit FhirStore(const std::vector<FixturePatient>& patients);
  // `relative` is a read ("Patient/1") or a search ("Condition?patient=1"); `base` makes the
  // Bundle's fullUrls.
  FhirAnswer answer(const std::string& relative, const std::string& base) const;

 private:
  std::vector<fhir::Json> resources_;
};

class FhirFixtureServer {
 public:
  static std::expected<std::unique_ptr<FhirFixtureServer>, std::string> start(
      std::shared_ptr<const FhirStore> store, std::uint16_t port);

  std::string base() const;             // http://127.0.0.1:PORT/fhir
  std::string down_base() const;        // http://127.0.0.1:PORT/down/fhir
  std::vector<LoggedQuery> take_log();  // returns and clears

 private:
  FhirFixtureServer() = default;
  LoopbackResponse handle(const LoopbackRequest& request);

  std::shared_ptr<const FhirStore> store_;
  std::mutex mutex_;
  std::vector<LoggedQuery> log_;
  std::unique_ptr<LoopbackServer> server_;  // last: stopped before what its handler uses
};

fhir::Json operation_outcome(const std::string& code, const std::string& text);

}  // namespace ibd::conformance
