// tdm-reactive: active inflammation on a monitored biologic past induction, and no trough
// level (or a low level with no antibody result) in the window: measure before changing
// therapy. clinical-rules.md §3; AGA TDM guideline (Feuerstein 2017).
#include <algorithm>
#include <map>

#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping::rules {
namespace {

fhir::CodeableConcept lab_order_code(const LabDef& lab, std::string text) {
  fhir::CodeableConcept code;
  if (lab.order_code) code.codings.push_back(*lab.order_code);
  code.text = std::move(text);
  return code;
}

}  // namespace

void tdm_reactive(const RuleInput& in, Evaluation& out) {
  const TdmReactiveConfig& cfg = in.rules.tdm_reactive;
  RuleTrace trace{cfg.meta.id, cfg.meta.runs_on(in.context.hook), false, ""};
  if (!trace.ran) {
    trace.why = cfg.meta.enabled ? "not run on " + in.context.hook : "disabled in config";
    out.trace.push_back(trace);
    return;
  }
  const Diagnosis* diagnosis = in.model.primary_diagnosis();
  if (diagnosis == nullptr) {
    trace.why = "no confirmed IBD diagnosis on record";
    out.trace.push_back(trace);
    return;
  }
  const std::map<std::string, Course> courses = monitored_courses(in);
  if (courses.empty()) {
    trace.why = "not currently on a drug monitored by trough level";
    out.trace.push_back(trace);
    return;
  }
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  if (inflammation.state != InflammationState::kActive) {
    trace.why = "no objective active inflammation: " + inflammation.explanation;
    out.trace.push_back(trace);
    return;
  }
  std::vector<std::string> reasons_not;
  for (const auto& [drug_name, course] : courses) {
    const Therapy& first = *course.first;
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr) continue;
    if (!first.start) {
      reasons_not.push_back(drug_name +
                            ": start date unknown, cannot tell whether induction is over");
      continue;
    }
    // An imprecise start ("2026") counts from its latest possible day: never claim
    // "past induction" on a guess.
    if (first.start->latest() > in.now) {
      reasons_not.push_back(drug_name + ": start date '" + first.start->text +
                            "' too imprecise to tell whether induction is over");
      continue;
    }
    const long weeks = fhir::days_between(first.start->latest(), in.now) / 7;
    if (weeks < cfg.induction_weeks) {
      reasons_not.push_back(drug_name + ": at most " + std::to_string(weeks) +
                            " weeks on the drug, still in induction (< " +
                            std::to_string(cfg.induction_weeks) + ")");
      continue;
    }
    const CourseTdm levels = course_tdm(in, course, *drug, cfg.level_window_days);
    const Measurement* level = levels.level;
    const Measurement* antibody = levels.antibody;
    const LevelReading reading = levels.reading;
    if (level != nullptr && reading == LevelReading::kAdequate) {
      reasons_not.push_back(drug_name + ": an adequate trough level is on record (" +
                            fhir::format_date(level->effective.start) + ")");
      continue;
    }
    if (level != nullptr && reading == LevelReading::kUnknown) {
      reasons_not.push_back(drug_name + ": a trough level is on record (" +
                            fhir::format_date(level->effective.start) +
                            ") that cannot be compared with the target");
      continue;
    }
    if (level != nullptr && antibody != nullptr) {
      reasons_not.push_back(drug_name + ": a low level and antibodies are on record");
      continue;
    }

    const LabDef* level_lab = in.rules.lab(drug->level_concept);
    const LabDef* antibody_lab = in.rules.lab(drug->antibody_concept);
    const bool need_level = level == nullptr && level_lab != nullptr;
    const bool need_antibody = antibody == nullptr && antibody_lab != nullptr;
    Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
    const std::string window = std::to_string(cfg.level_window_days);
    const std::string target = drug->level_target
                                   ? format_number(*drug->level_target) + " " +
                                         display_unit(level_lab ? level_lab->unit : "")
                                   : "";
    if (level == nullptr) {
      a.summary = "Active " + diagnosis->display + " on " + drug_name + " (" +
                  std::to_string(weeks) + " wk): check trough level" +
                  (need_antibody ? " and anti-drug antibodies" : "") + " before changing therapy";
    } else {
      const std::string shown = level->value ? level->comparator + format_number(*level->value) +
                                                   " " + display_unit(level->unit)
                                             : utf8_prefix(level->value_text, 24);
      a.summary = "Low " + drug_name + " level (" + shown +
                  ") with active disease: measure anti-drug antibodies";
    }
    a.reasoning.push_back("**Active inflammation, objectively:** " + inflammation.explanation +
                          ".");
    a.reasoning.push_back("**On " + drug_name + " past induction:** since " +
                          escape_markdown(first.start->text) + ", " + std::to_string(weeks) +
                          " weeks (induction counted as " + std::to_string(cfg.induction_weeks) +
                          " weeks).");
    if (level == nullptr) {
      a.reasoning.push_back(
          "**No drug level:** no " + drug_name + " trough level in the last " + window +
          " days, so it is not known whether the drug failed or was under-dosed." +
          (antibody ? " An anti-drug antibody result is on record (" + describe(*antibody) +
                          "); it is read together with the level."
                    : ""));
    } else {
      a.reasoning.push_back(
          "**Low level, antibodies unknown:** the latest trough, " + describe(*level) +
          ", is below the target" + (target.empty() ? "" : " of " + target) +
          ", and there is no anti-drug antibody result in the last " + window + " days.");
    }
    a.reasoning.push_back(
        "**What the result will decide:** low level without antibodies → optimise the dose "
        "(shorten "
        "the interval or raise the dose); low level with high antibodies → switch within the class "
        "and add an immunomodulator; adequate level" +
        (target.empty() ? std::string() : " (≥ " + target + ")") +
        " → mechanistic failure: switch out of class. Escalating without a level risks giving more "
        "of a drug that is not working.");
    for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
    if (level != nullptr) a.evidence.push_back(evidence_row(*level));
    if (antibody != nullptr) a.evidence.push_back(evidence_row(*antibody));
    for (const Therapy* t : course.records) a.evidence.push_back(evidence_row(*t, in.now));
    a.ignored = ignored_lines(in.model);

    std::vector<std::string> reason_refs;
    for (const Measurement* m : inflammation.evidence) reason_refs.push_back(m->source.reference());
    Suggestion s;
    s.label = need_level ? "Order " + drug_name + " trough level" +
                               (need_antibody ? " and anti-drug antibodies" : "")
                         : "Order antibodies to " + drug_name;
    if (need_level) {
      ProposedOrder o;
      o.code = lab_order_code(*level_lab, drug_name + " trough level");
      o.category = "laboratory";
      o.reasons = reason_refs;
      o.note = "Trough: draw just before the next scheduled dose.";
      s.orders.push_back(std::move(o));
    }
    if (need_antibody) {
      ProposedOrder o;
      o.code = lab_order_code(*antibody_lab, "Antibodies to " + drug_name);
      o.category = "laboratory";
      o.reasons = reason_refs;
      if (level != nullptr) o.reasons.push_back(level->source.reference());
      o.note = need_level ? "Draw with the trough sample."
                          : "Draw at trough, just before the next dose.";
      s.orders.push_back(std::move(o));
    }
    if (!s.orders.empty()) a.suggestions.push_back(std::move(s));
    out.advice.push_back(std::move(a));
    trace.fired = true;
  }
  if (!trace.fired) {
    for (const auto& r : reasons_not) trace.why += (trace.why.empty() ? "" : "; ") + r;
  } else {
    trace.why =
        "active inflammation on a monitored drug past induction without a usable "
        "level/antibody pair";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
