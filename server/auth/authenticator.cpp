#include "server/auth/authenticator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/auth/jwt.hpp"
#include "server/http_framing.hpp"

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

boost::asio::awaitable<bool> Authenticator::refresh(const std::string& url, bool force_if_stale) {
  {
    std::lock_guard lock(mutex_);
    KeySet& set = key_sets_[url];
    const auto now = std::chrono::steady_clock::now();
    // Rate limit: an unknown kid may not make us fetch more often than the interval.
    if (set.ever_fetched && (!force_if_stale || now - set.fetched < config_.jwks_refresh_interval))
      co_return false;
    set.fetched = now;
    set.ever_fetched = true;
  }
  auto document = co_await fetcher_->fetch_document(url);
  if (!document) {
    spdlog::warn("auth: cannot fetch the JWKS at {}: {}", url, document.error());
    co_return false;
  }
  auto parsed = parse_jwks(*document);
  if (!parsed) {
    spdlog::warn("auth: the JWKS at {} is unusable: {}", url, parsed.error());
    co_return false;
  }
  for (const std::string& why : parsed->skipped) spdlog::warn("auth: JWKS {}: {}", url, why);
  std::lock_guard lock(mutex_);
  key_sets_[url].keys = std::move(parsed->keys);
  co_return true;
}

std::optional<Jwk> Authenticator::find_key(const std::string& source,
                                           const std::string& kid) const {
  std::lock_guard lock(mutex_);
  auto it = key_sets_.find(source);
  if (it == key_sets_.end()) return std::nullopt;
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
  auto refuse = [&](const std::string& why) -> std::expected<Caller, Response> {
    spdlog::info("auth: {} {} refused: {}", printable(request.method, 16),
                 framing::loggable_path(request.target), why);
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

  std::string source;
  if (!jwt->jku.empty()) {
    if (std::find(client->jku_allowed.begin(), client->jku_allowed.end(), jwt->jku) ==
        client->jku_allowed.end())
      co_return refuse("jku is not on the client's allow-list (nothing fetched)");
    source = jwt->jku;
  } else if (!client->jwks_url.empty()) {
    source = client->jwks_url;
  } else {
    source = inline_source(client->iss);
  }
  std::optional<Jwk> key = find_key(source, jwt->kid);
  if (!key && source != inline_source(client->iss)) {
    co_await refresh(source, true);
    key = find_key(source, jwt->kid);
  }
  if (!key) co_return refuse("no key with kid " + printable(jwt->kid) + " for " + printable(jwt->iss));
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
    spdlog::info("auth: {} {} forbidden: tenant not allowed for {}", printable(request.method, 16),
                 framing::loggable_path(request.target), printable(claims->iss));
    co_return std::unexpected(
        Response::error(ErrorKind::kForbidden, "this client may not act for that tenant"));
  }
  Caller caller;
  caller.iss = claims->iss;
  caller.tenant = claims->tenant;
  caller.jti = claims->jti;
  caller.authenticated = true;
  for (const auto& origin : client->fhir_servers) caller.fhir_servers.push_back(origin.to_string());
  co_return caller;
}

}  // namespace ibd::server::auth
