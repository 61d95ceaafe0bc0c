#include "conformance/checks.hpp"

#include <stdexcept>

namespace ibd::conformance {
namespace {

constexpr std::size_t kMaxMessages = 5;

const std::vector<CheckDef>& registry() {
  static const std::vector<CheckDef> kChecks{
      // ---- transport and JSON (every answer) ----
      {"transport.https",
       "transport",
       Level::kShall,
       {2, 168},
       "the service is reached over HTTPS (plain HTTP is accepted on loopback only, as a "
       "test set-up)"},
      {"json.content-type",
       "json",
       Level::kShall,
       {1},
       "every answer with a body (discovery, hook calls) is JSON: application/json and parses"},
      {"json.no-null",
       "json",
       Level::kShall,
       {3},
       "no JSON element of discovery or a hook answer is null, an empty string or an empty "
       "object/array (cards: [] excepted)"},
      {"json.extensions",
       "json",
       Level::kShall,
       {214},
       "every `extension` element is a JSON object"},
      {"json.extension-names",
       "json",
       Level::kShould,
       {215},
       "extension property names are globally unique (reverse-domain notation: hold a dot)"},

      // ---- discovery ----
      {"discovery.status",
       "discovery",
       Level::kShall,
       {4, 5, 13},
       "GET {base}/cds-services answers 200"},
      {"discovery.services",
       "discovery",
       Level::kShall,
       {6},
       "the discovery answer is an object holding a `services` array"},
      {"discovery.required-fields",
       "discovery",
       Level::kShall,
       {7, 9, 10},
       "each service has a `hook`, `id` and `description` string (id usable as a path segment)"},
      {"discovery.title", "discovery", Level::kShould, {8}, "each service has a `title` string"},
      {"discovery.prefetch-shape",
       "discovery",
       Level::kShall,
       {29, 36},
       "`prefetch`, when present, is an object mapping each key to a query string"},
      {"discovery.prefetch-tokens",
       "discovery",
       Level::kShall,
       {55, 56, 57, 59},
       "prefetch tokens are delimited by {{ }} and name a root-level primitive context field of "
       "the hook as context.<field>, or userPractitionerId / userPractitionerRoleId / "
       "userPatientId / userRelatedPersonId"},
      {"discovery.prefetch-queries",
       "discovery",
       Level::kShould,
       {58},
       "prefetch queries stay within the recommended FHIR subset (read; search by reference, "
       "token = or :in, dates with eq/lt/gt/ge/le, _count, _sort)"},

      // ---- hook calls and status codes ----
      {"request.endpoint",
       "request",
       Level::kShall,
       {16, 74},
       "POST {base}/cds-services/{id} with a valid request for the service's hook answers 200"},
      {"request.cards-array",
       "request",
       Level::kShall,
       {74},
       "a 200 answer is an object holding a `cards` array"},
      {"request.system-actions",
       "request",
       Level::kShall,
       {75},
       "`systemActions`, when present, is an array of Action objects"},
      {"request.no-guidance",
       "request",
       Level::kShould,
       {77},
       "a patient the service has nothing to say about gets 200 with an empty cards array"},
      {"request.latency",
       "request",
       Level::kShould,
       {27},
       "hook calls with complete prefetch are answered within 500 ms"},
      {"request.malformed",
       "request",
       Level::kMay,
       {14, 76},
       "a body that is not JSON, or a request without hook/hookInstance/context, is refused with "
       "a 4xx"},
      {"request.unknown-service",
       "request",
       Level::kMay,
       {14, 76},
       "a call to a service id that discovery does not list answers 404"},

      // ---- cards ----
      {"cards.uuid",
       "cards",
       Level::kShall,
       {80},
       "a card's `uuid`, when present, is a string, unique among the cards of an answer"},
      {"cards.summary",
       "cards",
       Level::kShall,
       {83},
       "`summary` is a string of fewer than 140 characters"},
      {"cards.detail",
       "cards",
       Level::kShall,
       {85},
       "`detail`, when present, is a (GitHub-flavoured Markdown) string"},
      {"cards.indicator",
       "cards",
       Level::kShall,
       {87, 88, 89},
       "`indicator` is present and one of info, warning, critical"},
      {"cards.source",
       "cards",
       Level::kShall,
       {90, 105, 107, 111, 115, 220},
       "`source` is an object with a `label` string; its `url` and `icon`, when present, are "
       "absolute URLs; its `topic`, when present, a Coding"},
      {"cards.source-drilldown",
       "cards",
       Level::kShould,
       {109},
       "`source.url` is not a drill-down into this patient (it does not carry the patient id)"},
      {"cards.source-icon", "cards", Level::kShould, {112}, "`source.icon` is a 100x100 PNG image"},
      {"cards.override-reasons",
       "cards",
       Level::kShall,
       {98, 100, 136, 216, 217, 218, 219},
       "`overrideReasons`, when present, is an array of Codings each with `system`, `code` and a "
       "human-readable `display` string"},

      // ---- suggestions and actions ----
      {"suggestions.shape",
       "suggestions",
       Level::kShall,
       {92, 117, 119, 121},
       "`suggestions` is an array of objects with a `label` string, and a `uuid` string and an "
       "`isRecommended` boolean when present"},
      {"suggestions.selection-behavior",
       "suggestions",
       Level::kShall,
       {93, 95, 96},
       "a card with suggestions has `selectionBehavior` at-most-one or any"},
      {"actions.shape",
       "suggestions",
       Level::kShall,
       {124, 127, 128},
       "`actions` is an array; each action has `type` create, update or delete and a "
       "`description` string"},
      {"actions.resource",
       "suggestions",
       Level::kShall,
       {130, 131, 132, 133, 134, 135},
       "create and update actions carry a FHIR resource (update: the whole resource, with its "
       "id); delete actions carry a `resourceId` string and no string `resource`"},

      // ---- links ----
      {"links.shape",
       "links",
       Level::kShall,
       {103, 138, 139, 141},
       "`links` is an array of objects with `label`, `url` (absolute) and `type` strings"},
      {"links.type", "links", Level::kShall, {142}, "a link's `type` is absolute or smart"},
      {"links.app-context",
       "links",
       Level::kShall,
       {144, 146, 147},
       "`appContext` is a string, and only on smart links"},

      // ---- prefetch and fetching from fhirServer ----
      {"prefetch.full-no-fetch",
       "prefetch",
       Level::kShould,
       {28},
       "with every prefetch key sent, the service makes no FHIR query for those data"},
      {"prefetch.missing-fetched",
       "prefetch",
       Level::kShould,
       {34},
       "prefetch keys left out are fetched from fhirServer with their rendered query"},
      {"prefetch.null-not-fetched",
       "prefetch",
       Level::kShall,
       {53},
       "a prefetch key sent as null (\"no data\") is not fetched"},
      {"prefetch.access-token",
       "prefetch",
       Level::kShall,
       {61},
       "every FHIR call carries fhirAuthorization.access_token as a Bearer token"},
      {"prefetch.same-cards",
       "prefetch",
       Level::kShould,
       {34},
       "the cards are the same whether the data was prefetched or fetched"},
      {"prefetch.operation-outcome",
       "prefetch",
       Level::kShould,
       {52},
       "a prefetch key holding an OperationOutcome is not taken as data: it is fetched again"},

      // ---- 412 ----
      {"precondition.no-data",
       "precondition",
       Level::kShall,
       {54},
       "with no prefetch and no fhirServer, the service answers 412"},
      {"precondition.fhir-unavailable",
       "precondition",
       Level::kShall,
       {54},
       "with no prefetch and a fhirServer that fails every call, the service answers 412"},

      // ---- authentication ----
      {"auth.valid-token",
       "auth",
       Level::kShall,
       {176, 199},
       "calls carrying the harness's signed JWT (no jku: keys shared out of band) are accepted"},
      {"auth.recommended-alg",
       "auth",
       Level::kShould,
       {205},
       "a token signed with ES384, a recommended algorithm, is accepted"},
      {"auth.required",
       "auth",
       Level::kShould,
       {177},
       "a call without a token is refused with 401"},
      {"auth.alg-none", "auth", Level::kShall, {201}, "an unsigned token (alg none) is refused"},
      {"auth.symmetric",
       "auth",
       Level::kShall,
       {203},
       "a token signed with a symmetric algorithm (HS256) is refused"},
      {"auth.bad-signature",
       "auth",
       Level::kShall,
       {176},
       "a token whose signature does not verify is refused"},
      {"auth.expired", "auth", Level::kShall, {176}, "an expired token is refused"},
      {"auth.audience",
       "auth",
       Level::kShall,
       {176},
       "a token whose aud is another endpoint is refused"},
      {"auth.unknown-issuer",
       "auth",
       Level::kShould,
       {195},
       "a token from an issuer the service does not trust is refused"},
      {"auth.untrusted-jku",
       "auth",
       Level::kShould,
       {195},
       "a token naming a jku URL not on the allow-list is refused"},
      {"auth.replay",
       "auth",
       Level::kMay,
       {192},
       "a token whose jti was already used is refused (replay)"},

      // ---- CORS ----
      {"cors.preflight",
       "cors",
       Level::kShall,
       {208},
       "an OPTIONS preflight from the origin is answered 2xx with Access-Control-Allow-Origin, "
       "-Allow-Methods (the method asked) and -Allow-Headers (Authorization, Content-Type)"},
      {"cors.actual",
       "cors",
       Level::kShall,
       {208},
       "a discovery or hook call with an Origin header carries Access-Control-Allow-Origin"},
      {"cors.credentials",
       "cors",
       Level::kShall,
       {208},
       "Access-Control-Allow-Origin \"*\" is never combined with Allow-Credentials: true"},

      // ---- feedback ----
      {"feedback.accepted",
       "feedback",
       Level::kShall,
       {148},
       "POST {base}/cds-services/{id}/feedback with an accepted outcome (and an accepted "
       "suggestion) for a card the service sent answers 2xx"},
      {"feedback.overridden",
       "feedback",
       Level::kShall,
       {148},
       "feedback with an overridden outcome and one of the card's override reasons answers 2xx"},
      {"feedback.malformed",
       "feedback",
       Level::kMay,
       {148},
       "a feedback body without a feedback array, or with an unknown outcome, is refused with "
       "a 4xx"},
  };
  return kChecks;
}

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::kShall:
      return "SHALL";
    case Level::kShould:
      return "SHOULD";
    case Level::kMay:
      return "MAY";
  }
  return "?";
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "FAIL";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kSkip:
      return "skip";
  }
  return "?";
}

std::span<const CheckDef> all_checks() { return registry(); }

const CheckDef* find_check(std::string_view id) {
  for (const CheckDef& c : registry())
    if (c.id == id) return &c;
  return nullptr;
}

std::string requirement_label(int id) { return "cds-hooks_2.0#" + std::to_string(id); }

Recorder::Tally& Recorder::tally(std::string_view id) {
  if (find_check(id) == nullptr) throw std::logic_error("unregistered check " + std::string(id));
  auto it = tallies_.find(id);
  if (it == tallies_.end()) it = tallies_.emplace(std::string(id), Tally{}).first;
  return it->second;
}

void Recorder::disable(std::string_view id, const std::string& why) {
  Tally& t = tally(id);
  t.disabled = true;
  t.passes = t.failures = 0;
  t.failures_seen.clear();
  t.notes.clear();
  t.skips = {why};
}

void Recorder::pass(std::string_view id, const std::string& note) {
  Tally& t = tally(id);
  if (t.disabled) return;
  ++t.passes;
  if (!note.empty() && t.notes.size() < kMaxMessages) t.notes.push_back(note);
}

void Recorder::fail(std::string_view id, const std::string& why) {
  Tally& t = tally(id);
  if (t.disabled) return;
  ++t.failures;
  if (t.failures_seen.size() < kMaxMessages) t.failures_seen.push_back(why);
}

void Recorder::skip(std::string_view id, const std::string& why) {
  Tally& t = tally(id);
  if (!t.disabled && t.skips.size() < kMaxMessages) t.skips.push_back(why);
}

void Recorder::expect(std::string_view id, bool ok, const std::string& why_not) {
  if (ok) {
    pass(id);
  } else {
    fail(id, why_not);
  }
}

bool Recorder::evaluated(std::string_view id) const {
  const auto it = tallies_.find(id);
  return it != tallies_.end() && (it->second.passes + it->second.failures) > 0;
}

std::vector<CheckResult> Recorder::results(bool strict) const {
  std::vector<CheckResult> out;
  for (const CheckDef& def : registry()) {
    CheckResult r;
    r.def = &def;
    const auto it = tallies_.find(def.id);
    if (it == tallies_.end()) {
      r.messages.push_back("not reached");
      out.push_back(std::move(r));
      continue;
    }
    const Tally& t = it->second;
    r.passes = t.passes;
    r.failures = t.failures;
    if (t.failures > 0) {
      r.outcome = def.level == Level::kShall || strict ? Outcome::kFail : Outcome::kWarn;
      r.messages = t.failures_seen;
      if (t.failures > static_cast<int>(t.failures_seen.size()))
        r.messages.push_back("… " + std::to_string(t.failures - t.failures_seen.size()) + " more");
    } else if (t.passes > 0) {
      r.outcome = Outcome::kPass;
      r.messages = t.notes;
    } else {
      r.outcome = Outcome::kSkip;
      r.messages = t.skips.empty() ? std::vector<std::string>{"not reached"} : t.skips;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ibd::conformance
