#include "conformance/session.hpp"

#include <algorithm>

namespace ibd::conformance {
namespace {

using fhir::Json;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Session::Session(Options options)
    : options_(std::move(options)),
      http_(HttpClient::Options{options_.timeout, options_.verify_tls, options_.ca_file}) {
  options_.base = trim_slash(options_.base);
  options_.audience = trim_slash(options_.audience.empty() ? options_.base : options_.audience);
}

std::optional<std::string> Session::set_up() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  auto loaded = load_fixtures(options_.fixtures_dir, today);
  if (!loaded) return loaded.error();
  fixtures_ = std::move(*loaded);
  store_ = std::make_shared<FhirStore>(fixtures_);
  auto fhir = FhirFixtureServer::start(store_, options_.fhir_port);
  if (!fhir) return fhir.error();
  fhir_ = std::move(*fhir);
  fhir_token_ = "conformance-" + random_uuid();
  if (!options_.auth) return std::nullopt;

  auto trusted =
      SigningKey::generate(options_.alg, "cds-conformance-" + random_uuid().substr(0, 8));
  if (!trusted) return trusted.error();
  // The attacker's key has the same kid: only where a key comes from may decide.
  auto attacker = SigningKey::generate(options_.alg, trusted->kid());
  if (!attacker) return attacker.error();
  auto id = std::make_unique<ClientIdentity>(ClientIdentity{*trusted, *attacker, nullptr});
  const std::string good = jwks_of(id->trusted).dump();
  const std::string bad = jwks_of(id->attacker).dump();
  auto server = LoopbackServer::start(options_.jwks_port, [good, bad](const LoopbackRequest& r) {
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path == "/jwks.json") return LoopbackResponse{200, "application/json", good};
    if (path == "/attacker-jwks.json") return LoopbackResponse{200, "application/json", bad};
    return LoopbackResponse{404, "application/json", "{\"error\":\"not found\"}"};
  });
  if (!server) return "JWKS server: " + server.error();
  id->jwks_server = std::move(*server);
  identity_ = std::move(id);
  return std::nullopt;
}

bool Session::enabled(std::string_view name) const {
  for (const std::string& s : options_.skip) {
    if (s == name) return false;
    if (const CheckDef* c = find_check(name); c && c->family == s) return false;
  }
  return true;
}

void Session::note_disabled() {
  for (const CheckDef& c : all_checks())
    if (!enabled(c.id)) rec_.disable(c.id, "skipped: --skip");
}

Json Session::claims(const std::string& suffix) const {
  const std::int64_t now = now_s();
  Json c = Json::object()
               .set("iss", Json::string(options_.issuer))
               .set("sub", Json::string("cds-conformance"))
               .set("aud", Json::string(options_.audience + suffix))
               .set("iat", Json::number(now))
               .set("exp", Json::number(now + 240))
               .set("jti", Json::string(random_uuid()));
  if (!options_.tenant.empty()) c.set("tenant", Json::string(options_.tenant));
  return c;
}

Json Session::jose_header(const SigningKey& key) const {
  return Json::object()
      .set("alg", Json::string(key.alg()))
      .set("typ", Json::string("JWT"))
      .set("kid", Json::string(key.kid()));
}

std::string Session::good_token(const std::string& suffix) const {
  if (!identity_) return {};
  return identity_->trusted.sign(jose_header(identity_->trusted), claims(suffix));
}

HttpResponse Session::call(const std::string& method, const std::string& suffix,
                           const std::string& body, Headers headers, bool send_token) {
  const bool has_auth = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    std::string n = h.first;
    std::transform(n.begin(), n.end(), n.begin(), ::tolower);
    return n == "authorization";
  });
  if (send_token && identity_ && !has_auth)
    headers.emplace_back("Authorization", "Bearer " + good_token(suffix));
  const auto url = parse_url(options_.base + suffix);
  if (!url) {
    HttpResponse r;
    r.error = "the base URL is not an absolute http(s) URL";
    return r;
  }
  if (options_.verbose) std::fprintf(stderr, "-> %s %s\n", method.c_str(), suffix.c_str());
  HttpResponse r = http_.request(method, *url, url->path, body, headers);
  if (options_.verbose)
    std::fprintf(stderr, "<- %d %s (%.0f ms)\n", r.status, r.error.c_str(), r.ms);
  return r;
}

std::optional<Json> Session::json_body(const HttpResponse& r, const std::string& where) {
  const std::string type = r.header("content-type");
  auto parsed = fhir::parse_json(r.body, {.max_depth = 256});
  if (!parsed) {
    rec_.fail("json.content-type",
              where + ": the body is not JSON (" + parsed.error().to_string() + ")");
    return std::nullopt;
  }
  rec_.expect("json.content-type",
              type.starts_with("application/json") || type.starts_with("application/fhir+json"),
              where + ": Content-Type is \"" + type + "\", not application/json");
  return std::move(*parsed);
}

std::map<std::string, std::string> Session::rendered_queries(const ServiceInfo& service,
                                                             const FixturePatient& patient) const {
  std::map<std::string, std::string> out;
  const auto context = hook_context(patient, service.hook);
  if (!context) return out;
  for (const auto& [key, query] : service.prefetch)
    if (auto rendered = render_prefetch(query, *context)) out[key] = normalise_query(*rendered);
  return out;
}

std::optional<Json> Session::hook_request(const ServiceInfo& service, const FixturePatient& patient,
                                          const std::map<std::string, KeyMode>& modes,
                                          const std::string& fhir_base) {
  auto context = hook_context(patient, service.hook);
  if (!context) return std::nullopt;
  Json request = Json::object()
                     .set("hook", Json::string(service.hook))
                     .set("hookInstance", Json::string(random_uuid()));
  if (!fhir_base.empty()) {
    request.set("fhirServer", Json::string(fhir_base));
    request.set("fhirAuthorization", Json::object()
                                         .set("access_token", Json::string(fhir_token_))
                                         .set("token_type", Json::string("Bearer"))
                                         .set("expires_in", Json::number(std::int64_t{300}))
                                         .set("scope", Json::string("patient/*.read"))
                                         .set("subject", Json::string("cds-service"))
                                         .set("patient", Json::string(patient.patient_id())));
  }
  request.set("context", *context);
  Json prefetch = Json::object();
  for (const auto& [key, query] : service.prefetch) {
    const auto mode = modes.contains(key) ? modes.at(key) : KeyMode::kProvide;
    if (mode == KeyMode::kAbsent) continue;
    if (mode == KeyMode::kNull) {
      prefetch.set(key, Json());
      continue;
    }
    if (mode == KeyMode::kOperationOutcome) {
      prefetch.set(key, operation_outcome("timeout", "the EHR could not prefetch this in time"));
      continue;
    }
    auto rendered = render_prefetch(query, *context);
    if (!rendered) continue;  // a client cannot satisfy it: it leaves the key out
    const FhirAnswer a = store_->answer(*rendered, fhir_->base());
    prefetch.set(key, a.status == 200 ? a.body : Json());  // a read of nothing: null
  }
  if (!prefetch.as_object()->empty()) request.set("prefetch", std::move(prefetch));
  return request;
}

}  // namespace ibd::conformance
