#include "server/auth/authenticator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>

#include "server/auth/jwt.hpp"
#include "server/http_framing.hpp"
#include "server/log_limit.hpp"

namespace ibd::server::auth {
namespace {

std::string inline_source(const std::string& iss) { return "inline:" + iss; }

// Client-controlled text for a log line: printable ASCII only, bounded, so no one can forge
// lines or flood the log.
std::string printable(std::string_view text, std::size_t max = 80) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bearer_token(const Request& request) {
  const std::string* header = request.header("Authorization");
  if (header == nullptr || header->size() < 7) return {};
  std::string scheme = header->substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer ") return {};
  std::string token = header->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

}  // namespace

Response unauthorized() {
  Response r = Response::error(ErrorKind::kUnauthorized, "authentication required");
  r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"ibd-cds\""});
  return r;
}

fhir::client::OriginPolicy jwks_policy(const config::AuthSection& config) {
  fhir::client::OriginPolicy policy;
  policy.allow_loopback = config.allow_loopback_jwks;
  auto add = [&](const std::string& url) {
    if (auto t = fhir::client::parse_url_target(url)) policy.allowed.push_back(t->first.origin);
  };
  for (const config::TrustedClient& c : config.clients) {
    if (!c.jwks_url.empty()) add(c.jwks_url);
    for (const std::string& u : c.jku_allowed) add(u);
  }
  return policy;
}

Authenticator::Authenticator(config::AuthSection config,
                             std::shared_ptr<fhir::client::FhirClient> fetcher)
    : config_(std::move(config)), fetcher_(std::move(fetcher)) {}

std::expected<std::shared_ptr<Authenticator>, std::string> Authenticator::create(
    config::AuthSection config, std::shared_ptr<fhir::client::FhirClient> fetcher) {
  std::shared_ptr<Authenticator> a(new Authenticator(std::move(config), std::move(fetcher)));
  for (const config::TrustedClient& c : a->config_.clients) {
    if (!c.jwks) continue;
    auto parsed = parse_jwks(*c.jwks);
    if (!parsed) return std::unexpected("client " + c.iss + ": " + parsed.error());
    for (const std::string& why : parsed->skipped)
      spdlog::warn("auth: client {}: JWKS {}", c.iss, why);
    if (parsed->keys.empty()) return std::unexpected("client " + c.iss + ": no usable key");
    KeySet set;
    set.keys = std::move(parsed->keys);
    set.ever_fetched = true;
    a->key_sets_[inline_source(c.iss)] = std::move(set);
  }
  return a;
}

boost::asio::awaitable<void> Authenticator::prefetch_keys() {
  for (const config::TrustedClient& c : config_.clients)
    if (!c.jwks_url.empty()) co_await refresh(c.jwks_url, false);
}

std::chrono::seconds Authenticator::lifetime(const std::string& cache_control) const {
  // Cache-Control: max-age=N (RFC 9111 §5.2.2.1); no-store / no-cache / none: the minimum.
  std::int64_t seconds = config_.jwks_cache_min.count();
  std::string lower;
  for (char c : cache_control)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (const auto at = lower.find("max-age="); at != std::string::npos &&
                                              lower.find("no-store") == std::string::npos &&
                                              lower.find("no-cache") == std::string::npos) {
    const char* begin = lower.data() + at + 8;
    const char* end = lower.data() + lower.size();
    if (begin < end && *begin == '"') ++begin;
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc{} && ptr != begin) seconds = value;
  }
  seconds = std::clamp<std::int64_t>(seconds, config_.jwks_cache_min.count(),
                                     config_.jwks_cache_max.count());
  return std::chrono::seconds(seconds);
}

boost::asio::awaitable<bool> Authenticator::refresh(const std::string& url, bool force_if_stale) {
  {
    std::lock_guard lock(mutex_);
    KeySet& set = key_sets_[url];
    set.from_url = true;
    const auto now = std::chrono::steady_clock::now();
    // Rate limit: an unknown kid may not make us fetch more often than the interval. A set
    // that never loaded (its server was not up at start-up) is fetched again on demand.
    const bool never_loaded = set.loaded == std::chrono::steady_clock::time_point{};
    const auto interval = never_loaded
                              ? std::chrono::steady_clock::duration::zero()
                              : std::chrono::steady_clock::duration(config_.jwks_refresh_interval);
    if (set.ever_fetched && (!force_if_stale || now - set.fetched < interval)) co_return false;
    set.fetched = now;
    set.ever_fetched = true;
  }
  co_return co_await fetch_now(url);
}

boost::asio::awaitable<bool> Authenticator::fetch_now(const std::string& url) {
  {
    std::lock_guard lock(mutex_);
    KeySet& set = key_sets_[url];
    set.from_url = true;
    set.fetched = std::chrono::steady_clock::now();
    set.ever_fetched = true;
  }
  auto document = co_await fetcher_->fetch_document_with_headers(url);
  if (!document) {
    spdlog::warn("auth: cannot fetch the JWKS at {}: {}", url, document.error());
    co_return false;
  }
  auto parsed = parse_jwks(document->json);
  if (!parsed) {
    spdlog::warn("auth: the JWKS at {} is unusable: {}", url, parsed.error());
    co_return false;
  }
  for (const std::string& why : parsed->skipped) spdlog::warn("auth: JWKS {}: {}", url, why);
  const auto life = lifetime(document->cache_control);
  std::lock_guard lock(mutex_);
  KeySet& set = key_sets_[url];
  auto kids = [](const std::vector<Jwk>& keys) {
    std::string out;
    for (const Jwk& k : keys) out += k.kid + "\n";
    return out;
  };
  const bool changed = kids(set.keys) != kids(parsed->keys) ||
                       set.expires - set.loaded != std::chrono::steady_clock::duration(life) ||
                       set.loaded == std::chrono::steady_clock::time_point{};
  set.keys = std::move(parsed->keys);
  set.loaded = std::chrono::steady_clock::now();
  set.expires = set.loaded + life;
  // Said once per change (keys or lifetime), not at every refresh.
  if (changed)
    spdlog::info("auth: JWKS {}: {} key(s), trusted for {}s", url, set.keys.size(), life.count());
  co_return true;
}

boost::asio::awaitable<void> Authenticator::refresh_loop() {
  namespace asio = boost::asio;
  co_await prefetch_keys();
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  for (;;) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
      co_return;  // the server is stopping
    // Every URL set is refreshed once half its lifetime is over (or, after a failure, at
    // most once per refresh interval); wake for the earliest such moment.
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> due;
    auto next =
        now + std::chrono::seconds(std::max<std::int64_t>(1, config_.jwks_cache_min.count()));
    {
      std::lock_guard lock(mutex_);
      for (const auto& [url, set] : key_sets_) {
        if (!set.from_url) continue;
        using Duration = std::chrono::steady_clock::duration;
        std::chrono::steady_clock::time_point when;
        if (set.loaded == std::chrono::steady_clock::time_point{}) {
          when = set.fetched + config_.jwks_refresh_interval;  // never loaded: retry slowly
        } else {
          const Duration life = set.expires - set.loaded;
          when = set.loaded + life / 2;
          // The last attempt failed: try again, a little before the keys expire.
          if (set.fetched > set.loaded)
            when = set.fetched +
                   std::max<Duration>(std::chrono::seconds(1),
                                      std::min<Duration>(config_.jwks_refresh_interval, life / 4));
        }
        if (when <= now)
          due.push_back(url);
        else
          next = std::min(next, when);
      }
    }
    for (const std::string& url : due) co_await fetch_now(url);
    if (!due.empty()) continue;
    timer.expires_at(next);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: the server is stopping
  }
}

std::optional<Jwk> Authenticator::find_key(const std::string& source,
                                           const std::string& kid) const {
  std::lock_guard lock(mutex_);
  auto it = key_sets_.find(source);
  if (it == key_sets_.end()) return std::nullopt;
  // Keys from a URL are trusted for their lifetime only.
  if (it->second.from_url && std::chrono::steady_clock::now() >= it->second.expires)
    return std::nullopt;
  for (const Jwk& k : it->second.keys)
    if (k.kid == kid) return k;
  return std::nullopt;
}

bool Authenticator::remember_jti(const std::string& iss, const std::string& jti, std::int64_t exp,
                                 std::int64_t now) {
  std::lock_guard lock(mutex_);
  // Forget what has expired (the skew included): such a token is refused by exp anyway.
  const std::int64_t horizon = now - config_.clock_skew.count();
  std::erase_if(jtis_, [&](const auto& entry) { return entry.second < horizon; });
  return jtis_.emplace(iss + "\n" + jti, exp).second;
}

std::size_t Authenticator::remembered_jtis() const {
  std::lock_guard lock(mutex_);
  return jtis_.size();
}

boost::asio::awaitable<std::expected<Caller, Response>> Authenticator::authenticate(
    const Request& request) {
  // `reason` is a fixed text (the rate limit's key); `detail` may hold bounded client text.
  auto refuse = [&](const std::string& reason,
                    const std::string& detail = "") -> std::expected<Caller, Response> {
    std::uint64_t suppressed = 0;
    if (LogLimiter::shared().allow(request.remote, reason, suppressed))
      spdlog::info("auth: {} {} refused: {}{}{}", printable(request.method, 16),
                   framing::loggable_path(request.target), reason, detail,
                   LogLimiter::suffix(suppressed));
    return std::unexpected(unauthorized());
  };
  const std::string token = bearer_token(request);
  if (token.empty()) co_return refuse("no Bearer token");
  auto jwt = parse_jwt(token);
  if (!jwt) co_return refuse(jwt.error());
  const auto client =
      std::find_if(config_.clients.begin(), config_.clients.end(),
                   [&](const config::TrustedClient& c) { return c.iss == jwt->iss; });
  if (client == config_.clients.end()) co_return refuse("unknown issuer");

  // The configured keys first: the inline / file JWKS, then the client's JWKS URL.
  std::optional<Jwk> key = find_key(inline_source(client->iss), jwt->kid);
  if (!key && !client->jwks_url.empty()) key = find_key(client->jwks_url, jwt->kid);
  // Then the token's jku, only when it is on the client's allow-list (otherwise ignored:
  // nothing is fetched for it).
  if (!key && !jwt->jku.empty()) {
    const bool allowed = std::find(client->jku_allowed.begin(), client->jku_allowed.end(),
                                   jwt->jku) != client->jku_allowed.end();
    if (allowed) {
      key = find_key(jwt->jku, jwt->kid);
      if (!key) {
        const bool fetched = co_await refresh(jwt->jku, true);
        key = find_key(jwt->jku, jwt->kid);
        if (!key && !fetched) {
          std::uint64_t suppressed = 0;
          if (LogLimiter::shared().allow(request.remote, "jku fetch failed", suppressed))
            spdlog::warn(
                "auth: the allowed jku of {} gave no key; falling back to the "
                "configured keys{}",
                printable(jwt->iss), LogLimiter::suffix(suppressed));
        }
      }
    } else {
      std::uint64_t suppressed = 0;
      if (LogLimiter::shared().allow(request.remote, "jku ignored", suppressed))
        spdlog::info(
            "auth: {} {}: jku is not on the allow-list of {}: ignored (nothing "
            "fetched){}",
            printable(request.method, 16), framing::loggable_path(request.target),
            printable(jwt->iss), LogLimiter::suffix(suppressed));
    }
  }
  // An unknown kid may mean the client rotated its keys: re-fetch its JWKS URL (rate-limited).
  if (!key && !client->jwks_url.empty()) {
    co_await refresh(client->jwks_url, true);
    key = find_key(client->jwks_url, jwt->kid);
  }
  if (!key)
    co_return refuse("no key with kid", " " + printable(jwt->kid) + " for " + printable(jwt->iss));
  // Claims first: cpp-jwt reads exp itself, and an absurd value there is undefined behaviour
  // in its JSON library; check_claims refuses it before cpp-jwt sees the token.
  const std::int64_t now = unix_now();
  ClaimRules rules{config_.external_url + request.path, now, config_.clock_skew,
                   config_.max_token_lifetime};
  auto claims = check_claims(*jwt, rules);
  if (!claims) co_return refuse(claims.error());
  if (auto ok = verify_signature(*jwt, *key, config_.clock_skew); !ok) co_return refuse(ok.error());
  if (!remember_jti(claims->iss, claims->jti, claims->exp, now)) co_return refuse("jti replayed");
  if (!client->tenants.empty() && std::find(client->tenants.begin(), client->tenants.end(),
                                            claims->tenant) == client->tenants.end()) {
    std::uint64_t suppressed = 0;
    if (LogLimiter::shared().allow(request.remote, "tenant not allowed", suppressed))
      spdlog::info("auth: {} {} forbidden: tenant not allowed for {}{}",
                   printable(request.method, 16), framing::loggable_path(request.target),
                   printable(claims->iss), LogLimiter::suffix(suppressed));
    co_return std::unexpected(
        Response::error(ErrorKind::kForbidden, "this client may not act for that tenant"));
  }
  Caller caller;
  caller.iss = claims->iss;
  caller.tenant = claims->tenant;
  caller.jti = claims->jti;
  caller.sub = claims->sub;
  caller.authenticated = true;
  for (const auto& origin : client->fhir_servers) caller.fhir_servers.push_back(origin.to_string());
  co_return caller;
}

}  // namespace ibd::server::auth
