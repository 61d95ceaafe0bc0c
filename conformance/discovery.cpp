// Families: transport and discovery (GET {base}/cds-services and the prefetch templates).
#include <algorithm>
#include <cctype>
#include <set>

#include "conformance/card_rules.hpp"
#include "conformance/session.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

bool url_safe_segment(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '~';
  });
}

// #55-#57, #59: the tokens of one template; "" when fine.
std::string token_problem(const std::string& query, const std::string& hook) {
  const std::vector<std::string> fields = primitive_context_fields(hook);
  std::size_t at = 0;
  while (true) {
    const auto open = query.find("{{", at);
    const auto stray_close = query.find("}}", at);
    if (open == std::string::npos) {
      if (stray_close != std::string::npos) return "\"}}\" without an opening \"{{\"";
      if (query.find('{', at) != std::string::npos || query.find('}', at) != std::string::npos)
        return "a brace that does not delimit a {{token}}";
      return {};
    }
    if (stray_close < open) return "\"}}\" without an opening \"{{\"";
    if (query.substr(at, open - at).find_first_of("{}") != std::string::npos)
      return "a brace that does not delimit a {{token}}";
    const auto close = query.find("}}", open + 2);
    if (close == std::string::npos) return "\"{{\" without a closing \"}}\"";
    const std::string token = query.substr(open + 2, close - open - 2);
    static const std::set<std::string> kUser{"userPractitionerId", "userPractitionerRoleId",
                                             "userPatientId", "userRelatedPersonId"};
    if (!kUser.contains(token)) {
      if (!token.starts_with("context."))
        return "{{" + token + "}} is neither context.<field> nor a user identifier";
      const std::string field = token.substr(8);
      if (field.empty() || field.find_first_of(".[ ") != std::string::npos)
        return "{{" + token + "}} is not a root-level context field";
      if (!fields.empty() && std::find(fields.begin(), fields.end(), field) == fields.end())
        return "{{" + token + "}} is not a root-level primitive context field of " + hook;
    }
    at = close + 2;
  }
}

// #58: the recommended FHIR subset for prefetch queries; "" when within it.
std::string query_problem(const std::string& query) {
  const auto mark = query.find('?');
  const std::string path = query.substr(0, mark);
  const auto slash = path.find('/');
  if (path.empty() || !std::isupper(static_cast<unsigned char>(path[0])))
    return "\"" + path + "\" is not a resource type";
  if (slash != std::string::npos) {
    if (mark != std::string::npos || path.find('/', slash + 1) != std::string::npos)
      return "\"" + query + "\" is neither a plain read nor a type-level search";
    return {};
  }
  if (mark == std::string::npos) return {};
  std::size_t at = mark + 1;
  while (at <= query.size()) {
    auto amp = query.find('&', at);
    if (amp == std::string::npos) amp = query.size();
    const std::string part = query.substr(at, amp - at);
    at = amp + 1;
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const std::string name = part.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
    const auto colon = name.find(':');
    const std::string base = name.substr(0, colon);
    if (colon != std::string::npos && name.substr(colon + 1) != "in")
      return "modifier :" + name.substr(colon + 1) + " (only :in is recommended)";
    if (base.find('.') != std::string::npos) return "chained parameter " + base;
    if (base.starts_with("_") && base != "_count" && base != "_sort" && base != "_id")
      return "parameter " + base + " (of the _ parameters only _count and _sort are recommended)";
    if (value.size() > 2 && std::islower(static_cast<unsigned char>(value[0])) &&
        std::islower(static_cast<unsigned char>(value[1])) &&
        std::isdigit(static_cast<unsigned char>(value[2]))) {
      const std::string prefix = value.substr(0, 2);
      if (prefix != "eq" && prefix != "lt" && prefix != "gt" && prefix != "ge" && prefix != "le")
        return "date prefix " + prefix + " (eq, lt, gt, ge, le are recommended)";
    }
  }
  return {};
}

void check_service(Session& s, const Json& svc, std::size_t index, std::set<std::string>& ids) {
  Recorder& rec = s.rec();
  const std::string* id = svc.is_object() ? svc.string_at("id") : nullptr;
  const std::string where = "service " + (id ? "\"" + *id + "\"" : "#" + std::to_string(index));
  if (!svc.is_object()) {
    rec.fail("discovery.required-fields", where + " is not an object");
    return;
  }
  const std::string* hook = svc.string_at("hook");
  std::string problem;
  if (hook == nullptr || hook->empty())
    problem = "no `hook` string";
  else if (id == nullptr || !url_safe_segment(*id))
    problem = "no `id` string usable as {baseUrl}/cds-services/{id}";
  else if (!ids.insert(*id).second)
    problem = "id repeats another service's";
  else if (svc.string_at("description") == nullptr)
    problem = "no `description` string";
  rec.expect("discovery.required-fields", problem.empty(), where + ": " + problem);
  rec.expect("discovery.title", svc.string_at("title") != nullptr, where + ": no `title` string");
  if (hook == nullptr || id == nullptr || !problem.empty()) return;

  ServiceInfo info{*id, *hook, {}};
  if (const Json* prefetch = svc.find("prefetch")) {
    const Json::Object* o = prefetch->as_object();
    bool shape_ok = o != nullptr;
    if (o != nullptr) {
      for (const fhir::JsonMember& m : *o) {
        const std::string* q = m.value.as_string();
        if (q == nullptr || q->empty()) {
          shape_ok = false;
          rec.fail("discovery.prefetch-shape",
                   where + ": prefetch key \"" + m.key + "\" has no query string");
          continue;
        }
        info.prefetch.emplace_back(m.key, *q);
        const std::string tokens = token_problem(*q, *hook);
        rec.expect("discovery.prefetch-tokens", tokens.empty(),
                   where + " prefetch \"" + m.key + "\": " + tokens);
        const std::string subset = query_problem(*q);
        rec.expect("discovery.prefetch-queries", subset.empty(),
                   where + " prefetch \"" + m.key + "\": " + subset);
      }
    } else {
      rec.fail("discovery.prefetch-shape", where + ": `prefetch` is not an object");
    }
    if (shape_ok) rec.pass("discovery.prefetch-shape");
  } else {
    rec.skip("discovery.prefetch-shape", where + " declares no prefetch");
  }
  if (!is_known_hook(*hook))
    rec.skip("request.endpoint", where + ": hook " + *hook +
                                     " is unknown to the harness: generic "
                                     "context (userId, patientId, encounterId) used");
  s.services.push_back(std::move(info));
}

}  // namespace

void run_transport(Session& s) {
  const auto url = parse_url(s.options().base);
  if (!url) {
    s.rec().fail("transport.https", "the base URL is not an absolute http(s) URL");
    return;
  }
  if (url->scheme == "https") {
    // The scheme is not enough: the TLS handshake (and certificate check) must succeed.
    const HttpResponse r = s.call("GET", "/cds-services");
    s.rec().expect("transport.https", r.status != 0, "no answer over HTTPS: " + r.error);
  } else if (is_loopback(url->host)) {
    s.rec().skip("transport.https",
                 "plain HTTP on loopback (a test set-up): TLS is not testable here");
  } else {
    s.rec().fail("transport.https", "the service is reached over plain HTTP at " + url->origin());
  }
}

void run_discovery(Session& s) {
  Recorder& rec = s.rec();
  const HttpResponse r = s.call("GET", "/cds-services");
  if (r.status != 200) {
    std::string why =
        r.status == 0 ? "no answer: " + r.error : "answered " + std::to_string(r.status);
    if ((r.status == 401 || r.status == 403) && !s.options().auth)
      why +=
          " (the service wants a client token: run with --auth and make it trust the "
          "harness's issuer)";
    rec.fail("discovery.status", "GET /cds-services " + why);
    return;
  }
  rec.pass("discovery.status");
  const auto body = s.json_body(r, "discovery");
  if (!body) return;
  check_json_elements(*body, "discovery", rec);
  const Json* services = body->is_object() ? body->find("services") : nullptr;
  if (services == nullptr || !services->is_array()) {
    rec.fail("discovery.services", "the discovery answer has no `services` array");
    return;
  }
  rec.pass("discovery.services");
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const Json& svc : services->items()) check_service(s, svc, ++i, ids);
  if (s.services.empty())
    rec.skip("request.endpoint", "discovery lists no service the harness can call");
}

}  // namespace ibd::conformance
