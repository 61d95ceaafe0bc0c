// cmv-positive: CMV found in colonic tissue (IHC / tissue PCR read as positive) or CMV colitis
// diagnosed (a Condition with an onset) within the window: treat CMV colitis (ganciclovir,
// then valganciclovir [M]). On order hooks, proposed immunosuppression gets an explicit "do not
// add immunosuppression now" and a suggestion to remove the draft: a new escalation
// (new_escalations(): re-ordering a drug the patient already takes is not one), or an
// immunosuppressive drug the patient is not on. CMV DNA in blood is supportive only: shown
// when present, never enough on its own. An undated CMV colitis diagnosis cannot be placed in
// the window and is left to cmv-exclusion. What "CMV found" means is defined once here
// (cmv_found_in_window) and shared with cmv-exclusion, which speaks for this rule when it is
// disabled or not run on the hook. clinical-rules.md §3; ECCO infections guideline
// (Kucharzik 2021).
#include <algorithm>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

constexpr const char* kTissue = "cmv-tissue";
constexpr const char* kBlood = "cmv-blood";
constexpr const char* kCmvColitis = "cmv-colitis";

bool dated_within(fhir::TimePoint when, int window_days, fhir::TimePoint now) {
  const long age = fhir::days_between(when, now);
  return age >= -1 && age <= window_days;
}

std::string condition_text(const Diagnosis& d) {
  return escape_markdown(d.label.empty() ? d.display : d.label) + " (onset " +
         fhir::format_date(d.onset->start) + ")";
}

}  // namespace

// Shared with cmv_exclusion.cpp, which declares it again (no header of its own): CMV found
// within cmv-positive's window, i.e. the positive tissue results (newest first) and the CMV
// colitis diagnoses with an onset in the window.
void cmv_found_in_window(const RuleInput& in, std::vector<const Measurement*>& positives,
                         std::vector<const Diagnosis*>& diagnoses) {
  const int window = in.rules.cmv_positive.window_days;
  for (const Measurement& m : in.model.measurements)
    if (m.concept_id == kTissue && positivity(m) == Positivity::kPositive &&
        dated_within(m.effective.start, window, in.now))
      positives.push_back(&m);
  for (const Diagnosis& d : in.model.conditions)
    if (d.disease == kCmvColitis && d.onset && dated_within(d.onset->start, window, in.now))
      diagnoses.push_back(&d);
}

void cmv_positive(const RuleInput& in, Evaluation& out) {
  const CmvPositiveConfig& cfg = in.rules.cmv_positive;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const std::string window = std::to_string(cfg.window_days);

  std::vector<const Measurement*> positives;
  std::vector<const Diagnosis*> diagnoses;
  cmv_found_in_window(in, positives, diagnoses);
  if (positives.empty() && diagnoses.empty()) {
    const bool undated =
        std::any_of(in.model.conditions.begin(), in.model.conditions.end(),
                    [](const Diagnosis& d) { return d.disease == kCmvColitis && !d.onset; });
    trace.why = "no positive CMV tissue result and no CMV colitis diagnosis in " + window +
                " days" + (undated ? " (an undated CMV colitis diagnosis cannot be placed)" : "");
    out.trace.push_back(trace);
    return;
  }
  // A negative tissue result newer than the newest positive: said, not trusted to cancel it
  // (CMV in the colon is patchy).
  const Measurement* later_negative = nullptr;
  if (!positives.empty()) {
    for (const Measurement& m : in.model.measurements) {  // newest first
      if (&m == positives.front()) break;
      if (m.concept_id == kTissue && positivity(m) == Positivity::kNegative &&
          dated_within(m.effective.start, cfg.window_days, in.now)) {
        later_negative = &m;
        break;
      }
    }
  }

  const std::vector<const Therapy*> suppressants = immunosuppressants(in);
  // Adding immunosuppression: a new escalation, or an immunosuppressive drug the patient is
  // not on. Re-ordering what the patient already takes adds nothing.
  const std::vector<const Therapy*> escalations = new_escalations(in);
  std::vector<const Therapy*> added;
  for (const Therapy* t : proposals(in)) {
    const bool escalation =
        std::find(escalations.begin(), escalations.end(), t) != escalations.end();
    const bool new_drug = in.rules.is_immunosuppressive(t->drug_class) &&
                          std::none_of(suppressants.begin(), suppressants.end(),
                                       [&](const Therapy* c) { return c->drug == t->drug; });
    if (escalation || new_drug) added.push_back(t);
  }
  const Measurement* blood =
      latest_in_window(in.model, kBlood, cfg.window_days, in.now, std::nullopt, false);

  Advice a = make_advice(cfg.meta, in.rules, Severity::kCritical);
  const std::string what = positives.empty() ? "CMV colitis diagnosed" : "CMV in colonic tissue";
  if (!added.empty()) {
    a.summary = what + ": treat CMV first; do not start " + drug_names(added) + " now";
    if (a.summary.size() >= 140)
      a.summary = what + ": treat CMV first; do not add immunosuppression now";
  } else {
    a.summary = what + ": treat CMV colitis (ganciclovir, then valganciclovir)";
  }

  if (!positives.empty()) {
    std::string found;
    for (const Measurement* m : positives) found += (found.empty() ? "" : "; ") + describe(*m);
    a.reasoning.push_back("**CMV found in colonic tissue:** " + found + ".");
  }
  if (later_negative != nullptr)
    a.reasoning.push_back("A later tissue result, " + describe(*later_negative) +
                          ", was negative. CMV in the colon is patchy: the positive result "
                          "stands unless pathology revises it.");
  if (!diagnoses.empty()) {
    std::string dx;
    for (const Diagnosis* d : diagnoses) dx += (dx.empty() ? "" : "; ") + condition_text(*d);
    a.reasoning.push_back("**CMV colitis diagnosed:** " + dx + ".");
  }
  a.reasoning.push_back(
      "**Treat CMV colitis:** intravenous ganciclovir, then oral valganciclovir to complete the "
      "course [M]; dose for renal function and follow local or infectious-diseases advice for "
      "the duration.");
  if (!suppressants.empty()) {
    std::string on;
    for (const Therapy* t : suppressants)
      on += (on.empty() ? "" : "; ") + t->drug +
            (t->start ? " since " + escape_markdown(t->start->text) : "");
    a.reasoning.push_back("**On immunosuppression:** " + on +
                          ". Review it with the team while CMV colitis is treated (taper "
                          "corticosteroids where possible); do not escalate it.");
  }
  if (!added.empty()) {
    std::string drafts;
    for (const Therapy* t : added)
      drafts += (drafts.empty() ? "" : "; ") +
                escape_markdown(t->label.empty() ? t->drug : t->label) +
                (t->intravenous ? " (intravenous)" : "");
    a.reasoning.push_back(
        "**Do not add immunosuppression now:** " + drafts +
        " is proposed. More immunosuppression on top of untreated CMV colitis risks severe "
        "CMV disease. Treat CMV first, then reassess the IBD before deciding on " +
        drug_names(added) + ".");
  }
  if (blood != nullptr)
    a.reasoning.push_back("**CMV DNA in blood:** " + describe(*blood) +
                          ". Supportive only: the tissue result decides.");

  for (const Measurement* m : positives) a.evidence.push_back(evidence_row(*m));
  if (later_negative != nullptr) a.evidence.push_back(evidence_row(*later_negative));
  for (const Diagnosis* d : diagnoses) a.evidence.push_back(evidence_row(*d));
  if (blood != nullptr) a.evidence.push_back(evidence_row(*blood));
  for (const Therapy* t : suppressants) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : added) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);

  if (!added.empty()) a.suggestions.push_back(hold_until_cmv_treated(added));
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = (positives.empty() ? "CMV colitis diagnosed" : "CMV positive in tissue") +
              std::string(" within ") + window + " days" +
              (added.empty() ? "" : "; immunosuppression proposed");
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
