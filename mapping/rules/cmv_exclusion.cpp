// cmv-exclusion: a patient on immunosuppression with objectively active inflammation (or an
// escalation of immunosuppression proposed in this hook call) and no CMV test on colonic
// tissue in the window. CMV colitis mimics a flare, and more immunosuppression on top of it
// can be catastrophic: biopsy the ulcer base for CMV immunohistochemistry / tissue PCR first.
// Critical in a steroid-refractory flare (active inflammation on a systemic corticosteroid),
// where CMV reactivation is most common. Only a negative tissue result in the window excludes
// CMV; an indeterminate or unreadable one does not (as refractory-escalation reads it). CMV found
// in tissue, or CMV colitis diagnosed, within cmv-positive's window is left to cmv-positive. CMV
// DNA in blood is shown, never used as the tissue test. clinical-rules.md §1 (step 2), §3; ECCO
// infections guideline (Kucharzik 2021).
#include <algorithm>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

constexpr const char* kTissue = "cmv-tissue";
constexpr const char* kBlood = "cmv-blood";
constexpr const char* kCmvColitis = "cmv-colitis";
constexpr const char* kSystemicSteroid = "systemic-corticosteroid";

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// "a", "a and b", "a, b and c"; repeated names once.
std::string join_names(const std::vector<std::string>& names) {
  std::vector<std::string> unique;
  for (const std::string& n : names)
    if (!contains(unique, n)) unique.push_back(n);
  std::string out;
  for (std::size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) out += i + 1 == unique.size() ? " and " : ", ";
    out += unique[i];
  }
  return out;
}

template <typename T>
std::string drug_names(const std::vector<const T*>& therapies) {
  std::vector<std::string> names;
  for (const T* t : therapies) names.push_back(t->drug);
  return join_names(names);
}

// Escalation as this rule is configured: an intravenous systemic corticosteroid (when so
// configured), else a class of escalation_classes; the shared definition when none is listed.
bool escalates(const Therapy& t, const RuleSet& rules, const CmvExclusionConfig& cfg) {
  if (cfg.iv_steroid_is_escalation && t.drug_class == kSystemicSteroid && t.intravenous)
    return true;
  if (!cfg.escalation_classes.empty()) return contains(cfg.escalation_classes, t.drug_class);
  return is_escalation(t, rules, cfg.iv_steroid_is_escalation);
}

bool dated_within(fhir::TimePoint when, int window_days, fhir::TimePoint now) {
  const long age = fhir::days_between(when, now);
  return age >= -1 && age <= window_days;
}

// A positive CMV tissue result within cmv-positive's window: that rule's card, not this one.
const Measurement* recent_positive_tissue(const RuleInput& in) {
  for (const Measurement& m : in.model.measurements)
    if (m.concept_id == kTissue && positivity(m) == Positivity::kPositive &&
        dated_within(m.effective.start, in.rules.cmv_positive.window_days, in.now))
      return &m;
  return nullptr;
}

// The newest CMV tissue result of any date (not dated in the future).
const Measurement* newest_tissue(const RuleInput& in) {
  for (const Measurement& m : in.model.measurements)
    if (m.concept_id == kTissue && fhir::days_between(m.effective.start, in.now) >= -1) return &m;
  return nullptr;
}

ProposedOrder order_from(const OrderDef& def, const std::vector<std::string>& reasons) {
  ProposedOrder o;
  o.code.codings.push_back(def.code);
  o.code.text = def.text;
  o.category = def.category;
  o.reasons = reasons;
  o.note = def.category == "procedure"
               ? "Exclude CMV colitis before escalating immunosuppression: biopsy the base of "
                 "ulcers; routine histology alone can miss CMV."
               : "On the ulcer-base biopsies taken at endoscopy.";
  return o;
}

}  // namespace

void cmv_exclusion(const RuleInput& in, Evaluation& out) {
  const CmvExclusionConfig& cfg = in.rules.cmv_exclusion;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto finish = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const Diagnosis* diagnosis = in.model.primary_diagnosis();
  if (diagnosis == nullptr) return finish("no confirmed IBD diagnosis on record");

  // CMV already found: cmv-positive says what to do.
  if (const Measurement* m = recent_positive_tissue(in))
    return finish("CMV found in tissue on " + fhir::format_date(m->effective.start) +
                  ": cmv-positive's card");
  const Diagnosis* older_cmv_colitis = nullptr;
  for (const Diagnosis& d : in.model.conditions) {
    if (d.disease != kCmvColitis) continue;
    if (d.onset && dated_within(d.onset->start, in.rules.cmv_positive.window_days, in.now))
      return finish("CMV colitis diagnosed on " + fhir::format_date(d.onset->start) +
                    ": cmv-positive's card");
    if (older_cmv_colitis == nullptr) older_cmv_colitis = &d;
  }

  std::vector<const Therapy*> suppressants;
  std::vector<const Therapy*> steroids;
  for (const Therapy* t : current_therapies(in.model, in.now)) {
    if (!in.rules.is_immunosuppressive(t->drug_class)) continue;
    suppressants.push_back(t);
    if (t->drug_class == kSystemicSteroid) steroids.push_back(t);
  }
  if (suppressants.empty()) return finish("not on immunosuppressive therapy");

  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  const bool active = inflammation.state == InflammationState::kActive;
  std::vector<const Therapy*> escalations;
  for (const Therapy* t : proposals(in))
    if (escalates(*t, in.rules, cfg)) escalations.push_back(t);
  if (!active && escalations.empty())
    return finish("no objective active inflammation (" + inflammation.explanation +
                  ") and no escalation proposed");

  const std::string window = std::to_string(cfg.tissue_window_days);
  const Measurement* tissue =
      latest_in_window(in.model, kTissue, cfg.tissue_window_days, in.now, std::nullopt, false);
  // A negative tissue result excludes CMV; a positive one is CMV found (cmv-positive's, or a
  // case for the team when its window is shorter). An indeterminate or unreadable result
  // excludes nothing: the card asks for a biopsy all the same.
  const Positivity tissue_reading = tissue ? positivity(*tissue) : Positivity::kUnknown;
  if (tissue != nullptr &&
      (tissue_reading == Positivity::kNegative || tissue_reading == Positivity::kPositive))
    return finish(std::string(tissue_reading == Positivity::kNegative ? "negative" : "positive") +
                  " CMV tissue test within " + window + " days (" +
                  fhir::format_date(tissue->effective.start) + ")");
  const Measurement* older_tissue = tissue == nullptr ? newest_tissue(in) : nullptr;
  const Measurement* blood =
      latest_in_window(in.model, kBlood, cfg.tissue_window_days, in.now, std::nullopt, false);

  const bool refractory = active && !steroids.empty();
  Advice a = make_advice(cfg.meta, in.rules, refractory ? Severity::kCritical : Severity::kWarning);
  const std::string action = "exclude CMV colitis (biopsy, CMV IHC) before ";
  const std::string before =
      escalations.empty() ? "escalating" : "starting " + drug_names(escalations);
  if (refractory) {
    a.summary = "Steroid-refractory flare on " + drug_names(steroids) + ": " + action + before;
  } else if (!escalations.empty()) {
    a.summary = "On " + drug_names(suppressants) + ": " + action + before;
  } else {
    a.summary =
        "Active " + diagnosis->display + " on " + drug_names(suppressants) + ": " + action + before;
  }
  if (a.summary.size() >= 140)
    a.summary =
        "Exclude CMV colitis by biopsy (CMV IHC / tissue PCR) before escalating "
        "immunosuppression";

  if (active)
    a.reasoning.push_back("**Active inflammation, objectively:** " + inflammation.explanation +
                          ".");
  else
    a.reasoning.push_back("**Objective inflammation not shown** (" + inflammation.explanation +
                          "), but an escalation is proposed: exclude CMV before adding "
                          "immunosuppression all the same.");
  if (!escalations.empty()) {
    std::string drafts;
    for (const Therapy* t : escalations)
      drafts += (drafts.empty() ? "" : "; ") +
                escape_markdown(t->label.empty() ? t->drug : t->label) +
                (t->intravenous ? " (intravenous)" : "");
    a.reasoning.push_back("**Escalation proposed:** " + drafts +
                          ". More immunosuppression is being added.");
  }
  std::string on;
  for (const Therapy* t : suppressants)
    on += (on.empty() ? "" : "; ") + t->drug +
          (t->start ? " since " + escape_markdown(t->start->text) : "");
  a.reasoning.push_back("**On immunosuppression:** " + on +
                        ". CMV colitis occurs in immunosuppressed patients and looks like a "
                        "flare.");
  if (refractory)
    a.reasoning.push_back(
        "**Steroid-refractory flare:** the disease is active despite " + drug_names(steroids) +
        ". This is where CMV reactivation is most often found, and it must be excluded before "
        "rescue therapy.");
  std::string missing =
      tissue == nullptr ? "**No CMV test on colonic tissue in the last " + window + " days.**"
                        : "**CMV not excluded on colonic tissue in the last " + window + " days.**";
  if (tissue != nullptr)
    missing += " The latest, " + describe(*tissue) +
               (tissue_reading == Positivity::kIndeterminate
                    ? ", is indeterminate: it does not exclude CMV."
                    : ", cannot be read as negative: it does not exclude CMV.");
  else if (older_tissue != nullptr && positivity(*older_tissue) == Positivity::kPositive)
    missing += " The latest, " + describe(*older_tissue) + ", found CMV more than " + window +
               " days ago: was it treated? A new biopsy shows whether CMV persists.";
  else if (older_tissue != nullptr)
    missing += " The latest, " + describe(*older_tissue) + ", is too old to exclude CMV now.";
  if (older_cmv_colitis != nullptr)
    missing +=
        " CMV colitis is on record (" +
        escape_markdown(older_cmv_colitis->label.empty() ? older_cmv_colitis->display
                                                         : older_cmv_colitis->label) +
        (older_cmv_colitis->onset ? ", onset " + fhir::format_date(older_cmv_colitis->onset->start)
                                  : ", no onset date") +
        "), not within the last " + std::to_string(in.rules.cmv_positive.window_days) +
        " days: it may have recurred.";
  a.reasoning.push_back(missing);
  a.reasoning.push_back(
      "**What to do:** flexible sigmoidoscopy with biopsies from the base of ulcers, sent for "
      "CMV immunohistochemistry (or tissue PCR), before adding or escalating "
      "immunosuppression. If CMV is found, treat it first.");
  a.reasoning.push_back(
      "**CMV DNA in blood is supportive only:** " +
      (blood != nullptr ? describe(*blood) + " is on record, but a" : std::string("a")) +
      " positive blood test does not diagnose CMV colitis and a negative one does not exclude "
      "it; only a tissue result does.");

  for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
  for (const Therapy* t : suppressants) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : escalations) a.evidence.push_back(evidence_row(*t, in.now));
  if (tissue != nullptr) a.evidence.push_back(evidence_row(*tissue));
  if (older_tissue != nullptr) a.evidence.push_back(evidence_row(*older_tissue));
  if (older_cmv_colitis != nullptr) a.evidence.push_back(evidence_row(*older_cmv_colitis));
  if (blood != nullptr) a.evidence.push_back(evidence_row(*blood));
  a.ignored = ignored_lines(in.model);

  if (!cfg.orders.empty()) {
    std::vector<std::string> reasons;
    for (const Measurement* m : inflammation.evidence) reasons.push_back(m->source.reference());
    Suggestion s;
    s.label = "Order sigmoidoscopy with ulcer-base biopsies for CMV IHC";
    for (const OrderDef& def : cfg.orders) s.orders.push_back(order_from(def, reasons));
    a.suggestions.push_back(std::move(s));
  }
  out.advice.push_back(std::move(a));
  trace.fired = true;
  finish(std::string(refractory ? "steroid-refractory flare" : "on immunosuppression") +
         (active ? " with active inflammation" : "") +
         (escalations.empty() ? "" : ", escalation proposed") + ", no CMV tissue test in " +
         window + " days");
}

}  // namespace ibd::mapping::rules
