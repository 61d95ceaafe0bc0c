// Family: hook calls and status codes. Every advertised service is called once per fixture
// patient that fits its hook, with complete prefetch (and fhirServer, so a service that
// fetches what it was already sent is seen); every answer goes through the card rules.
#include <set>

#include "conformance/card_rules.hpp"
#include "conformance/session.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, 160);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s.empty() ? "" : ": " + s + (body.size() > 160 ? "…" : "");
}

bool is_4xx(int status) { return status >= 400 && status < 500; }

void check_icons(Session& s) {
  std::set<std::string> seen(s.icons.begin(), s.icons.end());
  if (seen.empty()) {
    s.rec().skip("cards.source-icon", "no card has a source.icon");
    return;
  }
  HttpClient client(
      HttpClient::Options{s.options().timeout, s.options().verify_tls, s.options().ca_file});
  int fetched = 0;
  for (const std::string& icon : seen) {
    if (++fetched > 3) break;
    if (!icon.starts_with("http")) {
      s.rec().skip("cards.source-icon", icon.substr(0, 40) + ": not fetched (not http)");
      continue;
    }
    const HttpResponse r = client.request("GET", icon);
    if (r.status != 200) {
      s.rec().fail("cards.source-icon",
                   icon + " answered " + std::to_string(r.status) + " " + r.error);
      continue;
    }
    const auto [w, h] = png_size(r.body);
    s.rec().expect("cards.source-icon", w == 100 && h == 100,
                   icon + (w == 0 ? " is not a PNG image"
                                  : " is " + std::to_string(w) + "x" + std::to_string(h)));
  }
}

void check_bad_requests(Session& s) {
  const ServiceInfo& svc = s.services.front();
  const std::string suffix = "/cds-services/" + svc.id;
  Recorder& rec = s.rec();
  const HttpResponse garbage = s.call("POST", suffix, "{\"hook\": \"" + svc.hook + "\", ");
  rec.expect("request.malformed", is_4xx(garbage.status),
             "a body that is not JSON answered " + std::to_string(garbage.status));
  const Json partial = Json::object().set("hook", Json::string(svc.hook));
  const HttpResponse incomplete = s.call("POST", suffix, partial.dump());
  rec.expect("request.malformed", is_4xx(incomplete.status),
             "a request with no hookInstance and no context answered " +
                 std::to_string(incomplete.status));

  const FixturePatient* patient = nullptr;
  for (const FixturePatient& p : s.fixtures())
    if (hook_context(p, svc.hook)) {
      patient = &p;
      break;
    }
  if (patient == nullptr) return;
  const auto request = s.hook_request(svc, *patient, {}, "");
  const HttpResponse unknown =
      s.call("POST", "/cds-services/cds-conformance-no-such-service", request->dump());
  rec.expect("request.unknown-service", unknown.status == 404,
             "an unknown service id answered " + std::to_string(unknown.status));
}

}  // namespace

void run_hook_calls(Session& s) {
  Recorder& rec = s.rec();
  for (const ServiceInfo& svc : s.services) {
    const std::string suffix = "/cds-services/" + svc.id;
    const auto fetchable = [&](const FixturePatient& p) { return s.rendered_queries(svc, p); };
    bool called = false;
    for (const FixturePatient& patient : s.fixtures()) {
      const auto request = s.hook_request(svc, patient, {}, s.fhir().base());
      if (!request) continue;
      called = true;
      const std::string where = svc.id + "/" + patient.name;
      s.fhir().take_log();
      const HttpResponse r = s.call("POST", suffix, request->dump());
      if (r.status != 200) {
        rec.fail("request.endpoint",
                 where + ": answered " +
                     (r.status == 0 ? "nothing (" + r.error + ")" : std::to_string(r.status)) +
                     excerpt(r.body));
        continue;
      }
      rec.pass("request.endpoint");
      rec.expect("request.latency", r.ms <= 500,
                 where + ": answered in " + std::to_string(static_cast<int>(r.ms)) + " ms");
      const auto log = s.fhir().take_log();
      if (!svc.prefetch.empty()) {
        std::set<std::string> provided;
        for (const auto& [key, q] : fetchable(patient)) provided.insert(q);
        std::string refetched;
        for (const LoggedQuery& q : log)
          if (provided.contains(q.query)) refetched += (refetched.empty() ? "" : ", ") + q.query;
        rec.expect("prefetch.full-no-fetch", refetched.empty(),
                   where + ": fetched what it was sent: " + refetched);
      }
      const auto body = s.json_body(r, where);
      if (!body) continue;
      check_json_elements(*body, where, rec);
      check_hook_answer(*body, where, patient.patient_id(), rec, s.icons);
      for (const Json& card : body->items_at("cards")) s.cards.push_back({svc.id, suffix, card});
      if (!patient.expect_guidance) {
        const Json* cards = body->find("cards");
        const bool empty = cards && cards->is_array() && cards->items().empty();
        rec.expect("request.no-guidance", empty,
                   where + ": a patient with nothing to say about drew " +
                       std::to_string(cards && cards->is_array() ? cards->items().size() : 0) +
                       " card(s) (expected 200 with \"cards\": [])");
      }
    }
    if (!called)
      rec.skip("request.endpoint", svc.id + ": no fixture patient fits hook " + svc.hook);
  }
  if (!rec.evaluated("request.no-guidance"))
    rec.skip("request.no-guidance",
             "not evaluated: no quiet fixture patient fits an advertised hook, or its call failed");
  if (!s.services.empty()) check_bad_requests(s);
  check_icons(s);
  for (const char* id : {"cards.uuid", "cards.summary", "cards.detail", "cards.indicator",
                         "cards.source", "cards.source-drilldown", "cards.override-reasons",
                         "suggestions.shape", "suggestions.selection-behavior", "actions.shape",
                         "actions.resource", "links.shape", "links.type", "links.app-context",
                         "request.system-actions", "json.extensions", "json.extension-names"})
    rec.skip(id, "not evaluated: no successful answer held the element this checks");
}

}  // namespace ibd::conformance
