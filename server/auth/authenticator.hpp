// Authenticates CDS clients by their JWT (CDS Hooks 2.0 "Trusting CDS Clients").
//
// For each request: the Bearer token is parsed (jwt.hpp); the client is found by `iss`; the
// key by `kid`, first among the client's configured keys (its JWKS file or inline JWKS, and
// its JWKS URL), then — only when none has that kid — from the token's `jku` when that URL is
// on the client's allow-list. A jku off the allow-list is ignored: never fetched, and no
// reason to refuse a token whose kid is configured. A failed jku fetch falls back to the
// configured keys (logged). The key's algorithm must be the token's. Then aud must hold
// the exact external URL of the endpoint called, exp/iat/nbf/lifetime are checked with the
// configured skew, and a jti seen before from the same issuer is refused until it expires.
//
// Keys fetched from a URL (jwks_url, an allowed jku) live for the response's Cache-Control
// max-age bounded by auth.jwks_cache_min_s / jwks_cache_max_s: after that they are no longer
// trusted until a fetch succeeds again, so a key removed upstream stops working within that
// lifetime. refresh_loop() fetches every jwks_url at start-up and refreshes each set in the
// background when half its lifetime is over. An unknown kid re-fetches at most once per
// jwks_refresh_min_interval_s.
//
// 401 (with WWW-Authenticate, and no reason in the body) for every bad token; 403 for a good
// token whose tenant is not allowed. The reason goes to the log, never the token; repeated
// refusal lines per address and reason are rate-limited (LogLimiter).
// Thread-safe: key sets and the jti cache are guarded; one instance serves the server.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fhir/client/client.hpp"
#include "server/auth/jwk.hpp"
#include "server/config.hpp"
#include "server/http_types.hpp"

namespace ibd::server::auth {

class Authenticator {
 public:
  // `fetcher` fetches JWKS URLs; its origin policy must admit the configured jwks/jku URLs.
  static std::expected<std::shared_ptr<Authenticator>, std::string> create(
      config::AuthSection config, std::shared_ptr<fhir::client::FhirClient> fetcher);

  // Fetches every configured JWKS URL once (failures are logged; retried on demand).
  boost::asio::awaitable<void> prefetch_keys();
  // prefetch_keys(), then refreshes URL key sets in the background until cancelled (run it
  // with a cancellation slot; HttpServerOptions::background does).
  boost::asio::awaitable<void> refresh_loop();

  // The caller, or the response to send instead (401 / 403).
  boost::asio::awaitable<std::expected<Caller, Response>> authenticate(const Request& request);

  std::size_t remembered_jtis() const;

 private:
  struct KeySet {
    std::vector<Jwk> keys;
    std::chrono::steady_clock::time_point fetched{};  // last attempt (rate limit)
    bool ever_fetched = false;
    bool from_url = false;
    std::chrono::steady_clock::time_point loaded{};   // last successful fetch
    std::chrono::steady_clock::time_point expires{};  // keys untrusted from then on
  };
  Authenticator(config::AuthSection config, std::shared_ptr<fhir::client::FhirClient> fetcher);
  boost::asio::awaitable<bool> refresh(const std::string& url, bool force_if_stale);
  boost::asio::awaitable<bool> fetch_now(const std::string& url);
  std::chrono::seconds lifetime(const std::string& cache_control) const;
  std::optional<Jwk> find_key(const std::string& source, const std::string& kid) const;
  bool remember_jti(const std::string& iss, const std::string& jti, std::int64_t exp,
                    std::int64_t now);

  config::AuthSection config_;
  std::shared_ptr<fhir::client::FhirClient> fetcher_;
  mutable std::mutex mutex_;
  std::map<std::string, KeySet> key_sets_;    // by source: "inline:<iss>" or a URL
  std::map<std::string, std::int64_t> jtis_;  // "iss\njti" -> exp
};

// The 401 answer: WWW-Authenticate Bearer, a body that gives no reason.
Response unauthorized();
// An OriginPolicy admitting exactly the configured JWKS and jku URLs' origins.
fhir::client::OriginPolicy jwks_policy(const config::AuthSection& config);

}  // namespace ibd::server::auth
