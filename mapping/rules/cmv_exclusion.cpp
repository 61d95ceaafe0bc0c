// cmv-exclusion: a patient on immunosuppression with objectively active inflammation (or a new
// escalation of immunosuppression proposed in this hook call: re-ordering a drug the patient
// already takes is not one) and no CMV test on colonic tissue in the window. CMV colitis
// mimics a flare, and more immunosuppression on top of it can be catastrophic: biopsy the
// ulcer base for CMV immunohistochemistry / tissue PCR first.
// Critical in a steroid-refractory flare, where CMV reactivation is most common: active
// inflammation on a systemic corticosteroid given long enough to call the flare refractory
// (see kIvSteroidDays / kOralSteroidDays); a steroid started more recently, or with no start
// date, gives a warning. Only a negative tissue result in the window excludes CMV; an
// indeterminate or unreadable one does not (as refractory-escalation reads it).
// CMV found in tissue, or CMV colitis diagnosed, is cmv-positive's card; when cmv-positive is
// disabled or not run on this hook (or CMV was found outside its window), this rule says it
// itself, critical, rather than stay silent. An undated CMV colitis diagnosis is mentioned as
// "recorded without a date". CMV DNA in blood is shown, never used as the tissue test.
// clinical-rules.md §1 (step 2), §3; ECCO infections guideline (Kucharzik 2021).
#include <algorithm>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

// Defined in cmv_positive.cpp: CMV found within cmv-positive's window (positive tissue results,
// newest first, and dated CMV colitis diagnoses), so both rules agree on it.
void cmv_found_in_window(const RuleInput& in, std::vector<const Measurement*>& positives,
                         std::vector<const Diagnosis*>& diagnoses);

namespace {

constexpr const char* kTissue = "cmv-tissue";
constexpr const char* kBlood = "cmv-blood";
constexpr const char* kCmvColitis = "cmv-colitis";
constexpr const char* kSystemicSteroid = "systemic-corticosteroid";

// Steroid-refractory, by the conventional definitions (ECCO; Truelove and Witts severity,
// Oxford day-3 assessment in acute severe colitis): no response to an intravenous
// corticosteroid after at least 3 days, or to an oral corticosteroid after at least 2 weeks.
// ECCO's formal definition of steroid-refractory disease allows up to 4 weeks of prednisolone
// (up to 0.75 mg/kg/day); 2 weeks is the earliest point conventionally used, so the card turns
// critical early rather than late. Fixed definitions, not site settings.
constexpr long kIvSteroidDays = 3;
constexpr long kOralSteroidDays = 14;

std::string draft_list(const std::vector<const Therapy*>& drafts) {
  std::string out;
  for (const Therapy* t : drafts)
    out += (out.empty() ? "" : "; ") + escape_markdown(t->label.empty() ? t->drug : t->label) +
           (t->intravenous ? " (intravenous)" : "");
  return out;
}

std::string on_list(const std::vector<const Therapy*>& therapies) {
  std::string out;
  for (const Therapy* t : therapies)
    out += (out.empty() ? "" : "; ") + t->drug +
           (t->start ? " since " + escape_markdown(t->start->text) : "");
  return out;
}

// The newest CMV tissue result of any date (not dated in the future).
const Measurement* newest_tissue(const RuleInput& in) {
  for (const Measurement& m : in.model.measurements)
    if (m.concept_id == kTissue && fhir::days_between(m.effective.start, in.now) >= -1) return &m;
  return nullptr;
}

// One current systemic corticosteroid course and whether it makes the flare steroid-refractory.
struct SteroidCourse {
  const Therapy* first = nullptr;  // the record that starts the course
  bool intravenous = false;        // a current record of the course is given intravenously
  std::optional<long> days;        // since the course started; nullopt when the start is unknown
  bool refractory = false;
};

// Current systemic corticosteroid courses; re-issued orders that continue a course without a
// break count from the first one. An imprecise start ("2026-05") counts from its last day, so
// a course is only called long enough when it surely is.
std::vector<SteroidCourse> steroid_courses(const RuleInput& in) {
  std::vector<SteroidCourse> out;
  for (const auto& [drug, course] : current_courses(in, {kSystemicSteroid}, 1)) {
    SteroidCourse s;
    s.first = course.first;
    for (const Therapy* t : course.records)
      if (t->current_at(in.now) && t->intravenous) s.intravenous = true;
    if (course.first->start) s.days = fhir::days_between(course.first->start->latest(), in.now);
    s.refractory = s.days && *s.days >= (s.intravenous ? kIvSteroidDays : kOralSteroidDays);
    out.push_back(std::move(s));
  }
  return out;
}

std::string course_text(const SteroidCourse& s) {
  std::string out = s.first->drug + (s.intravenous ? " (intravenous)" : " (oral)");
  if (!s.first->start) return out + ", start not recorded";
  return out + " since " + escape_markdown(s.first->start->text) + " (" + std::to_string(*s.days) +
         (*s.days == 1 ? " day" : " days") + ")";
}

// CMV found (in tissue or as a diagnosis) and cmv-positive will not say so on this hook: this
// rule's critical card in its place. No biopsy is suggested: CMV is already found.
void cmv_found_card(const RuleInput& in, const std::vector<const Measurement*>& positives,
                    const std::vector<const Diagnosis*>& diagnosed,
                    const Measurement* newest_positive, Evaluation& out, RuleTrace& trace) {
  const CmvExclusionConfig& cfg = in.rules.cmv_exclusion;
  const std::vector<const Therapy*> suppressants = immunosuppressants(in);
  const std::vector<const Therapy*> escalations = new_escalations(in);
  std::vector<const Measurement*> found = positives;
  if (newest_positive != nullptr &&
      std::find(found.begin(), found.end(), newest_positive) == found.end())
    found.insert(found.begin(), newest_positive);

  Advice a = make_advice(cfg.meta, in.rules, Severity::kCritical);
  const std::string when = found.empty() ? fhir::format_date(diagnosed.front()->onset->start)
                                         : fhir::format_date(found.front()->effective.start);
  const std::string what =
      found.empty() ? "CMV colitis diagnosed on " + when : "CMV found in colonic tissue on " + when;
  a.summary = what + ": treat CMV before " +
              (escalations.empty() ? "escalating immunosuppression"
                                   : "starting " + drug_names(escalations));
  if (a.summary.size() >= 140) a.summary = what + ": treat CMV before adding immunosuppression";

  if (!found.empty()) {
    std::string text;
    for (const Measurement* m : found) text += (text.empty() ? "" : "; ") + describe(*m);
    a.reasoning.push_back("**CMV found in colonic tissue:** " + text + ".");
  }
  if (!diagnosed.empty()) {
    std::string dx;
    for (const Diagnosis* d : diagnosed)
      dx += (dx.empty() ? "" : "; ") + escape_markdown(d->label.empty() ? d->display : d->label) +
            " (onset " + fhir::format_date(d->onset->start) + ")";
    a.reasoning.push_back("**CMV colitis diagnosed:** " + dx + ".");
  }
  a.reasoning.push_back(
      "**CMV is not excluded, it is found:** treat CMV colitis (intravenous ganciclovir, then "
      "oral valganciclovir [M], dosed for renal function, with local or infectious-diseases "
      "advice) before adding or escalating immunosuppression.");
  if (!suppressants.empty())
    a.reasoning.push_back("**On immunosuppression:** " + on_list(suppressants) +
                          ". Review it with the team while CMV colitis is treated; do not "
                          "escalate it.");
  if (!escalations.empty())
    a.reasoning.push_back("**Escalation proposed:** " + draft_list(escalations) +
                          ". More immunosuppression on top of untreated CMV colitis risks "
                          "severe CMV disease.");

  for (const Measurement* m : found) a.evidence.push_back(evidence_row(*m));
  for (const Diagnosis* d : diagnosed) a.evidence.push_back(evidence_row(*d));
  for (const Therapy* t : suppressants) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : escalations) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);

  if (!escalations.empty()) a.suggestions.push_back(hold_until_cmv_treated(escalations));
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = what + "; cmv-positive " +
              (!in.rules.cmv_positive.meta.enabled ? std::string("is disabled")
               : !in.rules.cmv_positive.meta.runs_on(in.context.hook)
                   ? "does not run on " + in.context.hook
                   : std::string("window does not cover it"));
  out.trace.push_back(trace);
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

  // CMV already found: cmv-positive says what to do when it runs on this hook and its window
  // covers the finding; otherwise this rule says it.
  std::vector<const Measurement*> positives;
  std::vector<const Diagnosis*> diagnosed;
  cmv_found_in_window(in, positives, diagnosed);
  const CmvTissueStatus tissue = cmv_tissue_status(in);
  const Measurement* newest_positive =
      tissue.status == CmvTissue::kPositive ? tissue.latest : nullptr;
  if (!positives.empty() || !diagnosed.empty() || newest_positive != nullptr) {
    const bool cmv_positive_says = in.rules.cmv_positive.meta.runs_on(in.context.hook) &&
                                   (!positives.empty() || !diagnosed.empty());
    if (cmv_positive_says)
      return finish(positives.empty() ? "CMV colitis diagnosed on " +
                                            fhir::format_date(diagnosed.front()->onset->start) +
                                            ": cmv-positive's card"
                                      : "CMV found in tissue on " +
                                            fhir::format_date(positives.front()->effective.start) +
                                            ": cmv-positive's card");
    return cmv_found_card(in, positives, diagnosed, newest_positive, out, trace);
  }
  const Diagnosis* older_cmv_colitis = nullptr;  // dated outside the window, or undated
  for (const Diagnosis& d : in.model.conditions)
    if (d.disease == kCmvColitis && older_cmv_colitis == nullptr) older_cmv_colitis = &d;

  const std::vector<const Therapy*> suppressants = immunosuppressants(in);
  if (suppressants.empty()) return finish("not on immunosuppressive therapy");

  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  const bool active = inflammation.state == InflammationState::kActive;
  const std::vector<const Therapy*> escalations = new_escalations(in);
  if (!active && escalations.empty())
    return finish("no objective active inflammation (" + inflammation.explanation +
                  ") and no new escalation proposed");

  const std::string window = std::to_string(cfg.tissue_window_days);
  // A negative tissue result excludes CMV (a positive one was handled above). An
  // indeterminate or unreadable result excludes nothing: the card asks for a biopsy.
  if (tissue.status == CmvTissue::kNegative)
    return finish("negative CMV tissue test within " + window + " days (" +
                  fhir::format_date(tissue.latest->effective.start) + ")");
  const Measurement* unclear_tissue = tissue.latest;
  const Measurement* older_tissue = unclear_tissue == nullptr ? newest_tissue(in) : nullptr;
  const Measurement* blood =
      latest_in_window(in.model, kBlood, cfg.tissue_window_days, in.now, std::nullopt, false);

  const std::vector<SteroidCourse> steroids = steroid_courses(in);
  std::vector<const Therapy*> refractory_on;
  for (const SteroidCourse& s : steroids)
    if (s.refractory) refractory_on.push_back(s.first);
  const bool refractory = active && !refractory_on.empty();

  Advice a = make_advice(cfg.meta, in.rules, refractory ? Severity::kCritical : Severity::kWarning);
  const std::string action = "exclude CMV colitis (biopsy, CMV IHC) before ";
  const std::string before =
      escalations.empty() ? "escalating" : "starting " + drug_names(escalations);
  if (refractory) {
    a.summary = "Steroid-refractory flare on " + drug_names(refractory_on) + ": " + action + before;
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
  if (!escalations.empty())
    a.reasoning.push_back("**Escalation proposed:** " + draft_list(escalations) +
                          ". More immunosuppression is being added.");
  a.reasoning.push_back("**On immunosuppression:** " + on_list(suppressants) +
                        ". CMV colitis occurs in immunosuppressed patients and looks like a "
                        "flare.");
  const std::string definition =
      "steroid-refractory conventionally means no response to an intravenous corticosteroid "
      "after at least " +
      std::to_string(kIvSteroidDays) + " days or to an oral one after " +
      std::to_string(kOralSteroidDays / 7) + " weeks";
  if (refractory) {
    std::string courses;
    for (const SteroidCourse& s : steroids)
      if (s.refractory) courses += (courses.empty() ? "" : "; ") + course_text(s);
    a.reasoning.push_back("**Steroid-refractory flare:** the disease is active despite " + courses +
                          " (" + definition +
                          "). This is where CMV reactivation is most often found, and it must be "
                          "excluded before rescue therapy.");
  } else if (active && !steroids.empty()) {
    std::string courses;
    for (const SteroidCourse& s : steroids)
      courses += (courses.empty() ? "" : "; ") + course_text(s);
    a.reasoning.push_back("**Not (yet) called steroid-refractory:** " + courses + "; " +
                          definition +
                          ". If the flare does not respond, CMV becomes more likely still.");
  }
  std::string missing =
      unclear_tissue == nullptr
          ? "**No CMV test on colonic tissue in the last " + window + " days.**"
          : "**CMV not excluded on colonic tissue in the last " + window + " days.**";
  if (unclear_tissue != nullptr)
    missing += " The latest, " + describe(*unclear_tissue) +
               (positivity(*unclear_tissue) == Positivity::kIndeterminate
                    ? ", is indeterminate: it does not exclude CMV."
                    : ", cannot be read as negative: it does not exclude CMV.");
  else if (older_tissue != nullptr && positivity(*older_tissue) == Positivity::kPositive)
    missing += " The latest, " + describe(*older_tissue) + ", found CMV more than " + window +
               " days ago: was it treated? A new biopsy shows whether CMV persists.";
  else if (older_tissue != nullptr)
    missing += " The latest, " + describe(*older_tissue) + ", is too old to exclude CMV now.";
  if (older_cmv_colitis != nullptr) {
    const std::string label = escape_markdown(
        older_cmv_colitis->label.empty() ? older_cmv_colitis->display : older_cmv_colitis->label);
    if (older_cmv_colitis->onset)
      missing += " CMV colitis is on record (" + label + ", onset " +
                 fhir::format_date(older_cmv_colitis->onset->start) + "), not within the last " +
                 std::to_string(in.rules.cmv_positive.window_days) + " days: it may have recurred.";
    else
      missing += " CMV colitis is on record (" + label +
                 "), recorded without a date: it may be recent or may have recurred.";
  }
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
  for (const SteroidCourse& s : steroids)
    if (std::find(suppressants.begin(), suppressants.end(), s.first) == suppressants.end())
      a.evidence.push_back(evidence_row(*s.first, in.now));  // the course's earlier record
  for (const Therapy* t : escalations) a.evidence.push_back(evidence_row(*t, in.now));
  if (unclear_tissue != nullptr) a.evidence.push_back(evidence_row(*unclear_tissue));
  if (older_tissue != nullptr) a.evidence.push_back(evidence_row(*older_tissue));
  if (older_cmv_colitis != nullptr) a.evidence.push_back(evidence_row(*older_cmv_colitis));
  if (blood != nullptr) a.evidence.push_back(evidence_row(*blood));
  a.ignored = ignored_lines(in.model);

  if (!cfg.orders.empty()) {
    std::vector<std::string> reasons;
    for (const Measurement* m : inflammation.evidence) reasons.push_back(m->source.reference());
    Suggestion s;
    s.label = "Order sigmoidoscopy with ulcer-base biopsies for CMV IHC";
    for (const OrderDef& def : cfg.orders)
      s.orders.push_back(order_from(
          def, reasons,
          def.category == "procedure"
              ? "Exclude CMV colitis before escalating immunosuppression: biopsy the base of "
                "ulcers; routine histology alone can miss CMV."
              : "On the ulcer-base biopsies taken at endoscopy."));
    a.suggestions.push_back(std::move(s));
  }
  out.advice.push_back(std::move(a));
  trace.fired = true;
  finish(std::string(refractory ? "steroid-refractory flare" : "on immunosuppression") +
         (active ? " with active inflammation" : "") +
         (escalations.empty() ? "" : ", new escalation proposed") + ", no CMV tissue test in " +
         window + " days");
}

}  // namespace ibd::mapping::rules
