// Families: prefetch (absent, null and OperationOutcome keys against the fixture FHIR server,
// which logs what the service fetched) and precondition (412 when data cannot be had).
#include <algorithm>
#include <set>

#include "conformance/session.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

// What a user sees of an answer: the sorted (indicator, summary) of its cards.
std::vector<std::string> card_faces(const Json& body) {
  std::vector<std::string> out;
  for (const Json& c : body.items_at("cards")) {
    const std::string* i = c.string_at("indicator");
    const std::string* s = c.string_at("summary");
    out.push_back((i ? *i : "?") + " | " + (s ? *s : "?"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : "; ") + x;
  return out.empty() ? "(no cards)" : out;
}

const FixturePatient* patient_for(Session& s, const ServiceInfo& svc) {
  const FixturePatient* fallback = nullptr;
  for (const FixturePatient& p : s.fixtures()) {
    if (!hook_context(p, svc.hook)) continue;
    if (p.expect_guidance) return &p;
    if (fallback == nullptr) fallback = &p;
  }
  return fallback;
}

std::string answer_text(const HttpResponse& r) {
  if (r.status == 0) return "no answer (" + r.error + ")";
  std::string s = "answered " + std::to_string(r.status);
  if (r.status == 403)
    s += " (does the service trust the fixture FHIR server? allow its origin, or pass "
         "--fhir-port to fix it)";
  return s;
}

struct Call {
  HttpResponse response;
  std::optional<Json> body;
  std::vector<LoggedQuery> log;
};

Call run(Session& s, const ServiceInfo& svc, const FixturePatient& p,
         const std::map<std::string, KeyMode>& modes, const std::string& fhir_base) {
  Call c;
  const auto request = s.hook_request(svc, p, modes, fhir_base);
  s.fhir().take_log();
  c.response = s.call("POST", "/cds-services/" + svc.id, request->dump());
  c.log = s.fhir().take_log();
  if (c.response.status == 200) {
    auto parsed = fhir::parse_json(c.response.body, {.max_depth = 256});
    if (parsed) c.body = std::move(*parsed);
  }
  return c;
}

bool fetched(const Call& c, const std::string& query) {
  return std::any_of(c.log.begin(), c.log.end(),
                     [&](const LoggedQuery& q) { return !q.down && q.query == query; });
}

void check_tokens(Session& s, const Call& c, const std::string& where) {
  const std::string expected = "Bearer " + s.fhir_access_token();
  for (const LoggedQuery& q : c.log)
    s.rec().expect("prefetch.access-token", q.authorization == expected,
                   where + ": " + q.query + " was fetched with " +
                       (q.authorization.empty() ? std::string("no Authorization header")
                                                : "another Authorization header"));
}

void prefetch_for(Session& s, const ServiceInfo& svc) {
  Recorder& rec = s.rec();
  const FixturePatient* p = patient_for(s, svc);
  if (p == nullptr) {
    rec.skip("prefetch.missing-fetched", svc.id + ": no fixture patient fits hook " + svc.hook);
    return;
  }
  const auto queries = s.rendered_queries(svc, *p);
  const std::string base = s.fhir().base();
  std::string patient_key;
  for (const auto& [key, q] : svc.prefetch)
    if (q.starts_with("Patient/") && patient_key.empty()) patient_key = key;

  const Call full = run(s, svc, *p, {}, "");
  if (!full.body) {
    rec.fail("prefetch.same-cards", svc.id + ": complete prefetch " + answer_text(full.response));
    return;
  }
  const auto reference = card_faces(*full.body);

  // (a) No prefetch at all: everything comes from fhirServer.
  std::map<std::string, KeyMode> absent;
  for (const auto& [key, q] : svc.prefetch) absent[key] = KeyMode::kAbsent;
  const Call none = run(s, svc, *p, absent, base);
  const std::string where_none = svc.id + " (no prefetch)";
  if (none.response.status != 200) {
    rec.fail("prefetch.missing-fetched", where_none + ": " + answer_text(none.response));
  } else {
    for (const auto& [key, q] : queries)
      rec.expect("prefetch.missing-fetched", fetched(none, q),
                 where_none + ": key \"" + key + "\" (" + q + ") was not fetched");
    check_tokens(s, none, where_none);
    if (none.body)
      rec.expect("prefetch.same-cards", card_faces(*none.body) == reference,
                 where_none + ": cards " + joined(card_faces(*none.body)) +
                     " differ from those with complete prefetch: " + joined(reference));
  }

  // (b) Every other key left out (the first, usually the patient, is sent): those, and only
  // those, are fetched.
  std::map<std::string, KeyMode> mixed;
  std::size_t i = 0;
  for (const auto& [key, q] : svc.prefetch)
    mixed[key] = i++ % 2 == 1 ? KeyMode::kAbsent : KeyMode::kProvide;
  const Call half = run(s, svc, *p, mixed, base);
  const std::string where_half = svc.id + " (half the keys left out)";
  if (half.response.status != 200) {
    rec.fail("prefetch.missing-fetched", where_half + ": " + answer_text(half.response));
  } else {
    for (const auto& [key, q] : queries) {
      if (mixed[key] == KeyMode::kAbsent) {
        rec.expect("prefetch.missing-fetched", fetched(half, q),
                   where_half + ": key \"" + key + "\" (" + q + ") was not fetched");
      } else {
        rec.expect("prefetch.full-no-fetch", !fetched(half, q),
                   where_half + ": key \"" + key + "\" was sent, and fetched again");
      }
    }
    check_tokens(s, half, where_half);
    if (half.body)
      rec.expect("prefetch.same-cards", card_faces(*half.body) == reference,
                 where_half + ": cards " + joined(card_faces(*half.body)) +
                     " differ from those with complete prefetch: " + joined(reference));
  }

  // (c) Keys sent as null mean "no data": nothing to fetch.
  std::map<std::string, KeyMode> nulls;
  for (const auto& [key, q] : svc.prefetch)
    if (key != patient_key || svc.prefetch.size() == 1) nulls[key] = KeyMode::kNull;
  const Call null_call = run(s, svc, *p, nulls, base);
  const std::string where_null = svc.id + " (keys sent as null)";
  if (null_call.response.status != 200 && null_call.response.status != 412) {
    rec.fail("request.endpoint", where_null + ": " + answer_text(null_call.response));
  }
  if (null_call.response.status != 0) {
    for (const auto& [key, mode] : nulls)
      if (queries.contains(key))
        rec.expect("prefetch.null-not-fetched", !fetched(null_call, queries.at(key)),
                   where_null + ": key \"" + key + "\" was null and was fetched anyway");
  }

  // (d) A key holding an OperationOutcome is the client's error report, not data.
  std::string oo_key;
  for (const auto& [key, q] : svc.prefetch)
    if (key != patient_key && oo_key.empty()) oo_key = key;
  if (oo_key.empty()) oo_key = svc.prefetch.front().first;
  const Call oo = run(s, svc, *p, {{oo_key, KeyMode::kOperationOutcome}}, base);
  const std::string where_oo = svc.id + " (key \"" + oo_key + "\" holds an OperationOutcome)";
  if (oo.response.status != 200) {
    rec.fail("prefetch.operation-outcome", where_oo + ": " + answer_text(oo.response));
  } else if (queries.contains(oo_key)) {
    rec.expect("prefetch.operation-outcome", fetched(oo, queries.at(oo_key)),
               where_oo + ": the key was not fetched again");
    check_tokens(s, oo, where_oo);
  } else {
    rec.skip("prefetch.operation-outcome", where_oo + ": its template cannot be rendered");
  }
}

}  // namespace

void run_prefetch(Session& s) {
  bool any = false;
  for (const ServiceInfo& svc : s.services) {
    if (svc.prefetch.empty()) continue;
    any = true;
    prefetch_for(s, svc);
  }
  for (const char* id :
       {"prefetch.full-no-fetch", "prefetch.missing-fetched", "prefetch.null-not-fetched",
        "prefetch.access-token", "prefetch.same-cards", "prefetch.operation-outcome"})
    s.rec().skip(id, any ? "not evaluated: the calls it needs did not succeed (or the service "
                           "fetched nothing)"
                         : "no advertised service declares prefetch templates");
}

void run_precondition(Session& s) {
  Recorder& rec = s.rec();
  for (const ServiceInfo& svc : s.services) {
    if (svc.prefetch.empty()) {
      rec.skip("precondition.no-data", svc.id + " declares no prefetch: it needs no data");
      continue;
    }
    const FixturePatient* p = patient_for(s, svc);
    if (p == nullptr) continue;
    std::map<std::string, KeyMode> absent;
    for (const auto& [key, q] : svc.prefetch) absent[key] = KeyMode::kAbsent;
    const Call nothing = run(s, svc, *p, absent, "");
    rec.expect(
        "precondition.no-data", nothing.response.status == 412,
        svc.id + ": no prefetch and no fhirServer " + answer_text(nothing.response) + ", not 412");
    const Call down = run(s, svc, *p, absent, s.fhir().down_base());
    rec.expect("precondition.fhir-unavailable", down.response.status == 412,
               svc.id + ": no prefetch and a failing fhirServer " + answer_text(down.response) +
                   ", not 412");
  }
}

}  // namespace ibd::conformance
