// tdm-interpret: a trough level (with antibodies where needed) in the window while on the
// drug says what to do next. clinical-rules.md §3; AGA TDM guideline (Feuerstein 2017).
//   low level, antibodies absent   -> optimise the dose
//   low level, antibodies present  -> switch within class, add an immunomodulator
//   adequate level, active disease -> mechanistic failure; switch out of class (said here
//                                     only while CMV is not yet excluded: once it is,
//                                     refractory-escalation speaks)
// A low level with no antibody result is tdm-reactive's (it asks for the antibodies).
#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping::rules {
namespace {

// What an antibody result says: the lab's interpretation or qualitative value, else unknown
// (antibody assays differ: a number alone is not read against a made-up threshold).
Positivity read_antibody(const Measurement& m) { return positivity(m); }

}  // namespace

void tdm_interpret(const RuleInput& in, Evaluation& out) {
  const TdmInterpretConfig& cfg = in.rules.tdm_interpret;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const auto courses = current_courses(in, in.rules.tdm_reactive.drug_classes,
                                       in.rules.tdm_reactive.course_gap_days);
  if (courses.empty()) {
    trace.why = "not currently on a drug monitored by trough level";
    out.trace.push_back(trace);
    return;
  }
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  const int cmv_window = in.rules.cmv_exclusion.tissue_window_days;
  const Measurement* cmv_tissue =
      latest_in_window(in.model, "cmv-tissue", cmv_window, in.now, std::nullopt, false);
  const bool cmv_excluded =
      cmv_tissue != nullptr && positivity(*cmv_tissue) == Positivity::kNegative;
  std::vector<std::string> why_not;
  for (const auto& [drug_name, course] : courses) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || drug->level_concept.empty() || !course.first->start) continue;
    const fhir::TimePoint since = course.first->start->start;
    const Measurement* level =
        latest_in_window(in.model, drug->level_concept, cfg.window_days, in.now, since, false);
    if (level == nullptr) {
      why_not.push_back(drug_name + ": no trough level in " + std::to_string(cfg.window_days) +
                        " days");
      continue;
    }
    const Measurement* antibody = drug->antibody_concept.empty()
                                      ? nullptr
                                      : latest_in_window(in.model, drug->antibody_concept,
                                                         cfg.window_days, in.now, since, false);
    const LevelReading reading = read_level(*level, *drug);
    const Positivity ab = antibody ? read_antibody(*antibody) : Positivity::kUnknown;
    const LabDef* level_lab = in.rules.lab(drug->level_concept);
    const std::string target = drug->level_target
                                   ? format_number(*drug->level_target) + " " +
                                         display_unit(level_lab ? level_lab->unit : "")
                                   : "";

    Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
    const std::string level_words = "the latest " + drug_name + " trough, " + describe(*level);
    if (reading == LevelReading::kLow && antibody != nullptr && ab == Positivity::kNegative) {
      a.summary = "Low " + drug_name +
                  " level without antibodies: optimise the dose (shorter interval or higher dose)";
      a.reasoning.push_back("**Low level, no antibodies:** " + level_words +
                            ", is below the target" + (target.empty() ? "" : " of " + target) +
                            ", and antibodies were not detected (" + describe(*antibody) +
                            "). The drug is cleared too fast for the dose given.");
      a.reasoning.push_back(
          "**Next step:** shorten the dosing interval or raise the dose, then recheck the trough "
          "level. Switching drug is not needed for this.");
    } else if (reading == LevelReading::kLow && antibody != nullptr &&
               ab == Positivity::kPositive) {
      a.summary =
          "Low " + drug_name +
          " level with anti-drug antibodies: switch within class and add an immunomodulator";
      a.reasoning.push_back("**Low level, antibodies present:** " + level_words +
                            ", is below the target" + (target.empty() ? "" : " of " + target) +
                            ", and anti-drug antibodies were found (" + describe(*antibody) +
                            "). Immunogenicity explains the loss of response.");
      a.reasoning.push_back(
          "**Next step:** switch to another drug of the same class and add an immunomodulator "
          "(thiopurine or methotrexate) to lower the risk of antibodies again. Raising the dose "
          "rarely overcomes high-titre antibodies.");
    } else if (reading == LevelReading::kAdequate &&
               inflammation.state == InflammationState::kActive && !cmv_excluded) {
      a.summary = "Active disease despite an adequate " + drug_name +
                  " level: mechanistic failure, switch out of class";
      a.reasoning.push_back(
          "**Adequate level, active disease:** " + level_words + ", reaches the target" +
          (target.empty() ? "" : " of " + target) +
          ", yet inflammation is objectively active: " + inflammation.explanation + ".");
      a.reasoning.push_back(
          "**Next step:** the drug is present but not working (mechanistic failure): switch to a "
          "drug with another mechanism rather than raising the dose. Rule out CMV colitis on "
          "biopsy first if the patient is immunosuppressed and it has not been excluded.");
    } else {
      std::string reason = drug_name + ": ";
      if (reading == LevelReading::kUnknown)
        reason += "the level cannot be compared with the target";
      else if (reading == LevelReading::kAdequate && cmv_excluded)
        reason += "adequate level with CMV excluded (refractory-escalation's case)";
      else if (reading == LevelReading::kAdequate)
        reason += "adequate level without objective active inflammation";
      else if (antibody == nullptr)
        reason += "low level with no antibody result (tdm-reactive asks for it)";
      else
        reason += "low level with an antibody result that cannot be read as present or absent";
      why_not.push_back(reason);
      continue;
    }
    a.evidence.push_back(evidence_row(*level));
    if (antibody != nullptr) a.evidence.push_back(evidence_row(*antibody));
    for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
    for (const Therapy* t : course.records) a.evidence.push_back(evidence_row(*t, in.now));
    a.ignored = ignored_lines(in.model);
    out.advice.push_back(std::move(a));
    trace.fired = true;
  }
  if (trace.fired) {
    trace.why = "a trough level in the window says what to do next";
  } else {
    for (const auto& r : why_not) trace.why += (trace.why.empty() ? "" : "; ") + r;
    if (trace.why.empty()) trace.why = "no interpretable level";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
