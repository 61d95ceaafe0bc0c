// Configuration: config/ibd-cds.yaml (server, profile, auth, CORS, FHIR client, cards,
// services), the rules file and the value sets it points to, parsed into typed structs.
//
// Strict: an unknown key, a missing required key or a bad value fails loading with
// "file:line:column: key.path: what is wrong". Relative paths in the file are relative to
// the file's own folder. Secrets never live in this file (only public keys and URLs do).
// load_config() reads files; everything it returns is immutable and thread-safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fhir/client/client.hpp"
#include "hooks/engine.hpp"

namespace ibd::config {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct ServerSection {
  ListenAddress listen;
  unsigned threads = 0;  // 0 = one per core
  std::size_t body_limit_bytes = 1024 * 1024;
  std::size_t header_limit_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds handshake_timeout{5'000};
  std::size_t max_connections = 1024;  // more are answered 503; 0 = no cap
  // TLS on the listener: both files, or neither (plain HTTP). client_ca_file turns on mutual
  // TLS: clients must present a certificate signed by that CA.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
};

// Fetching what the EHR did not prefetch (fhir_client: in the file).
struct FhirClientSection {
  bool enabled = true;
  fhir::client::ClientOptions options;  // allowed servers, loopback, limits, budget
};

// A CDS client this server trusts (CDS Hooks 2.0 JWT authentication).
struct TrustedClient {
  std::string iss;
  std::string jwks_url;                    // fetched at start and when a kid is unknown
  std::optional<fhir::Json> jwks;          // from jwks_file or inline jwks
  std::vector<std::string> jku_allowed;    // jku header URLs that may be used; none otherwise
  std::vector<std::string> tenants;        // allowed `tenant` claims; empty = any
  std::vector<fhir::client::Origin> fhir_servers;  // fhirServer origins this client may send
};

struct AuthSection {
  std::string external_url;  // what clients call, e.g. https://cds.example.org; aud = this + path
  std::chrono::seconds clock_skew{60};
  std::chrono::seconds max_token_lifetime{300};
  std::chrono::seconds jwks_refresh_interval{60};  // an unknown kid refreshes at most this often
  // A JWKS fetched from a URL is trusted for its Cache-Control max-age bounded by these (the
  // minimum when it sends none), refreshed in the background before then.
  std::chrono::seconds jwks_cache_min{60};
  std::chrono::seconds jwks_cache_max{3600};
  bool allow_loopback_jwks = false;                // tests: JWKS served on loopback
  std::vector<TrustedClient> clients;
};

struct CorsSection {
  std::vector<std::string> allowed_origins;  // normalised "https://sandbox.cds-hooks.org"
  bool any_origin = false;                   // "*": never with credentials
  std::chrono::seconds max_age{600};
};

// Where feedback, issued cards and the audit trail are kept (server/store).
struct StorageSection {
  std::string url;                      // "sqlite:/absolute/file.db" or "postgresql://..."
  std::filesystem::path password_file;  // PostgreSQL password, read at start; "" = none
  std::string password_env;             // or the environment variable holding it
  unsigned connections = 4;             // connection pool size
  std::chrono::milliseconds busy_timeout{5000};  // a write waits this long for a lock
};

// The audit trail (server/audit). The key that hashes patient ids is read from a file or the
// environment at start, never from this file.
struct AuditSection {
  std::filesystem::path key_file;  // "" = none named
  std::string key_env;             // "" = none named
  std::size_t queue_limit = 10000;  // records waiting to be written before new ones are lost
  // A hook response waits up to this long for its audit record to be on disk (0: never waits).
  std::chrono::milliseconds response_wait{100};
};

struct AppConfig {
  std::filesystem::path file;
  ServerSection server;
  // development: authentication off, loopback only, a loud warning. production (the
  // default): every discovery, service and feedback call needs a client's JWT.
  bool development = false;
  AuthSection auth;
  CorsSection cors;
  FhirClientSection fhir_client;
  StorageSection storage;
  AuditSection audit;
  std::string log_level = "info";
  std::shared_ptr<hooks::EngineConfig> engine;  // rules, terminology, catalog, card style
};

std::expected<AppConfig, std::string> load_config(const std::filesystem::path& file);

// "127.0.0.1:8080", "[::1]:0", "localhost:8080". The error says what is wrong.
std::expected<ListenAddress, std::string> parse_listen(const std::string& text);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace ibd::config
