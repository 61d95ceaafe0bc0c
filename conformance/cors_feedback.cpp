// Families: CORS (browser-based CDS clients) and feedback.
#include <algorithm>
#include <cctype>
#include <ctime>

#include "conformance/session.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Does a comma-separated header list hold `item` (case-insensitive), or "*"?
bool lists(const std::string& header, const std::string& item, bool star_counts) {
  std::string h = lower(header);
  std::size_t at = 0;
  while (at <= h.size()) {
    auto comma = h.find(',', at);
    if (comma == std::string::npos) comma = h.size();
    std::string part = h.substr(at, comma - at);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (part == lower(item) || (star_counts && part == "*")) return true;
    at = comma + 1;
  }
  return false;
}

void check_credentials(Session& s, const HttpResponse& r, const std::string& where) {
  const std::string origin = r.header("access-control-allow-origin");
  if (origin.empty()) return;
  s.rec().expect("cors.credentials",
                 !(origin == "*" && lower(r.header("access-control-allow-credentials")) == "true"),
                 where + ": Access-Control-Allow-Origin * with Allow-Credentials: true");
}

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

void run_cors(Session& s) {
  Recorder& rec = s.rec();
  const std::string origin = s.options().origin;
  if (origin.empty()) {
    for (const char* id : {"cors.preflight", "cors.actual", "cors.credentials"})
      rec.skip(id, "CORS not tested: give --origin (an origin the service allows)");
    return;
  }
  std::vector<std::pair<std::string, std::string>> targets{{"GET", "/cds-services"}};
  if (!s.services.empty()) targets.emplace_back("POST", "/cds-services/" + s.services.front().id);
  for (const auto& [method, suffix] : targets) {
    const std::string where = "OPTIONS " + suffix;
    const HttpResponse r =
        s.call("OPTIONS", suffix, "",
               {{"Origin", origin},
                {"Access-Control-Request-Method", method},
                {"Access-Control-Request-Headers", "authorization, content-type"}},
               false);
    check_credentials(s, r, where);
    const std::string allow_origin = r.header("access-control-allow-origin");
    std::string problem;
    if (r.status < 200 || r.status > 299)
      problem = "answered " + std::to_string(r.status);
    else if (allow_origin != origin && allow_origin != "*")
      problem = "Access-Control-Allow-Origin is \"" + allow_origin + "\"";
    else if (!lists(r.header("access-control-allow-methods"), method, true))
      problem = "Access-Control-Allow-Methods does not allow " + method;
    // "*" does not cover Authorization (Fetch standard): it must be named.
    else if (!lists(r.header("access-control-allow-headers"), "authorization", false))
      problem = "Access-Control-Allow-Headers does not name Authorization";
    else if (!lists(r.header("access-control-allow-headers"), "content-type", true))
      problem = "Access-Control-Allow-Headers does not allow Content-Type";
    rec.expect("cors.preflight", problem.empty(), where + " from " + origin + ": " + problem);
  }
  const HttpResponse actual = s.call("GET", "/cds-services", "", {{"Origin", origin}});
  check_credentials(s, actual, "GET /cds-services");
  const std::string allow = actual.header("access-control-allow-origin");
  rec.expect("cors.actual", allow == origin || allow == "*",
             "GET /cds-services from " + origin + " (" + std::to_string(actual.status) +
                 "): Access-Control-Allow-Origin is \"" + allow + "\"");
  if (!rec.evaluated("cors.credentials"))
    rec.skip("cors.credentials", "no answer carried Access-Control-Allow-Origin");
}

void run_feedback(Session& s) {
  Recorder& rec = s.rec();
  if (!s.options().feedback) {
    for (const char* id : {"feedback.accepted", "feedback.overridden", "feedback.malformed"})
      rec.skip(id, "feedback not tested (--no-feedback)");
    return;
  }
  const IssuedCard* with_suggestion = nullptr;
  const IssuedCard* with_reasons = nullptr;
  const IssuedCard* any = nullptr;
  for (const IssuedCard& c : s.cards) {
    if (c.card.string_at("uuid") == nullptr) continue;
    if (any == nullptr) any = &c;
    if (with_suggestion == nullptr)
      for (const Json& sug : c.card.items_at("suggestions"))
        if (sug.string_at("uuid")) with_suggestion = &c;
    if (with_reasons == nullptr && !c.card.items_at("overrideReasons").empty()) with_reasons = &c;
  }
  if (any == nullptr) {
    for (const char* id : {"feedback.accepted", "feedback.overridden", "feedback.malformed"})
      rec.skip(id, "no card carried a uuid: feedback cannot name a card");
    return;
  }
  const auto post = [&](const IssuedCard& c, const Json& entry) {
    const Json body = Json::object().set("feedback", Json::array({entry}));
    return s.call("POST", c.suffix + "/feedback", body.dump());
  };
  const auto answer = [](const HttpResponse& r) {
    return r.status == 0
               ? "nothing (" + r.error + ")"
               : std::to_string(r.status) + (r.body.empty() ? "" : " " + r.body.substr(0, 200));
  };
  if (with_suggestion != nullptr) {
    const Json& card = with_suggestion->card;
    std::string suggestion;
    for (const Json& sug : card.items_at("suggestions"))
      if (const std::string* u = sug.string_at("uuid"); u && suggestion.empty()) suggestion = *u;
    const HttpResponse r =
        post(*with_suggestion,
             Json::object()
                 .set("card", Json::string(*card.string_at("uuid")))
                 .set("outcome", Json::string("accepted"))
                 .set("acceptedSuggestions",
                      Json::array({Json::object().set("id", Json::string(suggestion))}))
                 .set("outcomeTimestamp", Json::string(now_rfc3339())));
    rec.expect("feedback.accepted", r.status >= 200 && r.status < 300,
               with_suggestion->service + ": accepted feedback answered " + answer(r));
  } else {
    rec.skip("feedback.accepted", "no card had a suggestion with a uuid");
  }
  const IssuedCard& overridden = with_reasons != nullptr ? *with_reasons : *any;
  Json entry = Json::object()
                   .set("card", Json::string(*overridden.card.string_at("uuid")))
                   .set("outcome", Json::string("overridden"));
  if (with_reasons != nullptr) {
    const Json& reason = overridden.card.items_at("overrideReasons").front();
    entry.set("overrideReason", Json::object()
                                    .set("reason", reason)
                                    .set("userComment", Json::string("cds-conformance test")));
  }
  entry.set("outcomeTimestamp", Json::string(now_rfc3339()));
  const HttpResponse r = post(overridden, entry);
  rec.expect("feedback.overridden", r.status >= 200 && r.status < 300,
             overridden.service + ": overridden feedback answered " + answer(r));

  const HttpResponse empty = s.call("POST", any->suffix + "/feedback", "{}");
  rec.expect("feedback.malformed", empty.status >= 400 && empty.status < 500,
             "feedback {} answered " + std::to_string(empty.status));
  const HttpResponse bad_outcome =
      post(*any, Json::object()
                     .set("card", Json::string(*any->card.string_at("uuid")))
                     .set("outcome", Json::string("ignored-by-cds-conformance"))
                     .set("outcomeTimestamp", Json::string(now_rfc3339())));
  rec.expect("feedback.malformed", bad_outcome.status >= 400 && bad_outcome.status < 500,
             "feedback with an unknown outcome answered " + std::to_string(bad_outcome.status));
}

}  // namespace ibd::conformance
