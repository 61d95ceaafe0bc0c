#include "conformance/fhir_server.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace ibd::conformance {
namespace {

using fhir::Json;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const auto next = s.find(sep, at);
    out.push_back(s.substr(at, next - at));
    if (next == std::string::npos) break;
    at = next + 1;
  }
  return out;
}

struct Query {
  std::string type, id;                                     // id set: a read
  std::vector<std::pair<std::string, std::string>> params;  // decoded
};

Query parse_query(const std::string& relative) {
  Query q;
  const auto mark = relative.find('?');
  std::string path = relative.substr(0, mark);
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  const auto slash = path.find('/');
  q.type = path.substr(0, slash);
  if (slash != std::string::npos) q.id = url_decode(path.substr(slash + 1));
  if (mark != std::string::npos) {
    for (const std::string& part : split(relative.substr(mark + 1), '&')) {
      if (part.empty()) continue;
      const auto eq = part.find('=');
      q.params.emplace_back(url_decode(part.substr(0, eq)),
                            eq == std::string::npos ? "" : url_decode(part.substr(eq + 1)));
    }
  }
  return q;
}

// Does any coding of `cc` (a CodeableConcept, or an array of them) match `token`
// ("code" or "system|code")?
bool concept_matches(const Json* cc, const std::string& token) {
  if (cc == nullptr) return false;
  if (const Json::Array* many = cc->as_array()) {
    for (const Json& c : *many)
      if (concept_matches(&c, token)) return true;
    return false;
  }
  const auto bar = token.find('|');
  const std::string system = bar == std::string::npos ? "" : token.substr(0, bar);
  const std::string code = bar == std::string::npos ? token : token.substr(bar + 1);
  for (const Json& coding : cc->items_at("coding")) {
    const std::string* c = coding.string_at("code");
    const std::string* s = coding.string_at("system");
    if (c && *c == code && (bar == std::string::npos || (s && *s == system))) return true;
  }
  return false;
}

bool references_patient(const Json& r, const std::string& value) {
  const std::string wanted = value.find('/') == std::string::npos ? "Patient/" + value : value;
  for (const char* field : {"subject", "patient"}) {
    if (const Json* ref = r.find(field))
      if (const std::string* s = ref->string_at("reference"); s && *s == wanted) return true;
  }
  return false;
}

bool matches(const Json& r, const std::string& name, const std::string& value) {
  const std::vector<std::string> any = split(value, ',');
  const auto one_of = [&](auto&& test) { return std::any_of(any.begin(), any.end(), test); };
  if (name == "patient" || name == "subject")
    return one_of([&](const std::string& v) { return references_patient(r, v); });
  if (name == "_id")
    return one_of(
        [&](const std::string& v) { return r.string_at("id") && *r.string_at("id") == v; });
  if (name == "category" || name == "code")
    return one_of([&](const std::string& v) { return concept_matches(r.find(name), v); });
  if (name == "clinical-status")
    return one_of(
        [&](const std::string& v) { return concept_matches(r.find("clinicalStatus"), v); });
  if (name == "status" || name == "intent")
    return one_of(
        [&](const std::string& v) { return r.string_at(name) && *r.string_at(name) == v; });
  return true;  // not understood: ignored
}

}  // namespace

Json operation_outcome(const std::string& code, const std::string& text) {
  return Json::object()
      .set("resourceType", Json::string("OperationOutcome"))
      .set("issue", Json::array({Json::object()
                                     .set("severity", Json::string("error"))
                                     .set("code", Json::string(code))
                                     .set("diagnostics", Json::string(text))}));
}

std::string normalise_query(const std::string& relative) {
  Query q = parse_query(relative);
  std::string out = q.type;
  if (!q.id.empty()) out += "/" + q.id;
  std::sort(q.params.begin(), q.params.end());
  for (std::size_t i = 0; i < q.params.size(); ++i)
    out += (i == 0 ? "?" : "&") + q.params[i].first + "=" + q.params[i].second;
  return out;
}

FhirStore::FhirStore(const std::vector<FixturePatient>& patients) {
  for (const FixturePatient& p : patients)
    resources_.insert(resources_.end(), p.resources.begin(), p.resources.end());
}

FhirAnswer FhirStore::answer(const std::string& relative, const std::string& base) const {
  const Query q = parse_query(relative);
  const auto type_is = [&](const Json& r) {
    return r.string_at("resourceType") && *r.string_at("resourceType") == q.type;
  };
  if (!q.id.empty()) {
    for (const Json& r : resources_)
      if (type_is(r) && r.string_at("id") && *r.string_at("id") == q.id) return {200, r};
    return {404, operation_outcome("not-found", q.type + "/" + q.id + " is not known")};
  }
  Json entries = Json::array();
  for (const Json& r : resources_) {
    if (!type_is(r)) continue;
    bool ok = true;
    for (const auto& [name, value] : q.params) ok = ok && matches(r, name, value);
    if (!ok) continue;
    entries.push(Json::object()
                     .set("fullUrl", Json::string(base + "/" + q.type + "/" + *r.string_at("id")))
                     .set("resource", r)
                     .set("search", Json::object().set("mode", Json::string("match"))));
  }
  const auto total = static_cast<std::int64_t>(entries.as_array()->size());
  Json bundle =
      Json::object()
          .set("resourceType", Json::string("Bundle"))
          .set("type", Json::string("searchset"))
          .set("total", Json::number(total))
          .set("link", Json::array({Json::object()
                                        .set("relation", Json::string("self"))
                                        .set("url", Json::string(base + "/" + relative))}));
  if (total > 0) bundle.set("entry", std::move(entries));
  return {200, std::move(bundle)};
}

std::expected<std::unique_ptr<FhirFixtureServer>, std::string> FhirFixtureServer::start(
    std::shared_ptr<const FhirStore> store, std::uint16_t port) {
  std::unique_ptr<FhirFixtureServer> s(new FhirFixtureServer());
  s->store_ = std::move(store);
  FhirFixtureServer* raw = s.get();
  auto server =
      LoopbackServer::start(port, [raw](const LoopbackRequest& r) { return raw->handle(r); });
  if (!server) return std::unexpected("fixture FHIR server: " + server.error());
  s->server_ = std::move(*server);
  return s;
}

std::string FhirFixtureServer::base() const { return server_->base_url() + "/fhir"; }
std::string FhirFixtureServer::down_base() const { return server_->base_url() + "/down/fhir"; }

std::vector<LoggedQuery> FhirFixtureServer::take_log() {
  std::lock_guard lock(mutex_);
  return std::exchange(log_, {});
}

LoopbackResponse FhirFixtureServer::handle(const LoopbackRequest& request) {
  constexpr const char* kFhirJson = "application/fhir+json";
  const bool down = request.target.starts_with("/down/fhir/");
  const std::string prefix = down ? "/down/fhir/" : "/fhir/";
  if (!request.target.starts_with(prefix))
    return {404, kFhirJson, operation_outcome("not-found", "not a FHIR path").dump()};
  const std::string relative = request.target.substr(prefix.size());
  {
    std::lock_guard lock(mutex_);
    log_.push_back({down, normalise_query(relative), request.header("authorization")});
  }
  if (request.method != "GET")
    return {405, kFhirJson, operation_outcome("not-supported", "read and search only").dump()};
  if (down)
    return {500, kFhirJson, operation_outcome("exception", "this server is failing").dump()};
  const FhirAnswer a = store_->answer(relative, base());
  return {a.status, kFhirJson, a.body.dump()};
}

}  // namespace ibd::conformance
