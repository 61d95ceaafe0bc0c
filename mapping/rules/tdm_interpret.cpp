// tdm-interpret: a trough level (with antibodies where needed) in the window while on the
// drug says what to do next. clinical-rules.md §3; AGA TDM guideline (Feuerstein 2017).
//   low level, antibodies absent   -> optimise the dose
//   low level, antibodies present  -> switch within class and add an immunomodulator (to
//                                     another mechanism when the class has no other drug)
//   low level, antibody result unreadable (a number with no interpretation and no configured
//                                     cut-off) -> warning: read it against the assay's cut-off
//   adequate level, active disease -> mechanistic failure; switch out of class (said here
//                                     only while CMV is not yet excluded in an immunosuppressed
//                                     patient: once it is, refractory-escalation speaks)
// A low level with no antibody result is tdm-reactive's (it asks for the antibodies).
#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping::rules {
namespace {

// Another drug of the same class is configured: "switch within class" is possible.
bool class_has_alternative(const RuleSet& rules, const DrugDef& drug) {
  for (const DrugDef& d : rules.drugs)
    if (d.drug_class == drug.drug_class && d.name != drug.name) return true;
  return false;
}

}  // namespace

void tdm_interpret(const RuleInput& in, Evaluation& out) {
  const TdmInterpretConfig& cfg = in.rules.tdm_interpret;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const auto courses = monitored_courses(in);
  if (courses.empty()) {
    trace.why = "not currently on a drug monitored by trough level";
    out.trace.push_back(trace);
    return;
  }
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  const bool cmv_settled =
      immunosuppressants(in).empty() || cmv_tissue_status(in).status == CmvTissue::kNegative;
  std::vector<std::string> why_not;
  for (const auto& [drug_name, course] : courses) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || drug->level_concept.empty()) continue;
    const CourseTdm tdm = course_tdm(in, course, *drug, cfg.window_days);
    if (tdm.level == nullptr) {
      why_not.push_back(drug_name + ": no trough level in " + std::to_string(cfg.window_days) +
                        " days");
      continue;
    }
    const Positivity ab =
        tdm.antibody ? read_positivity(*tdm.antibody, in.rules) : Positivity::kUnknown;
    const LabDef* level_lab = in.rules.lab(drug->level_concept);
    const std::string target = drug->level_target
                                   ? format_number(*drug->level_target) + " " +
                                         display_unit(level_lab ? level_lab->unit : "")
                                   : "";
    const std::string below = ", is below the target" + (target.empty() ? "" : " of " + target);
    const std::string level_words = "the latest " + drug_name + " trough, " + describe(*tdm.level);
    const bool low = tdm.reading == LevelReading::kLow;

    Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
    if (low && tdm.antibody != nullptr && ab == Positivity::kNegative) {
      a.summary = "Low " + drug_name +
                  " level without antibodies: optimise the dose (shorter interval or higher dose)";
      a.reasoning.push_back("**Low level, no antibodies:** " + level_words + below +
                            ", and antibodies were not detected (" + describe(*tdm.antibody) +
                            "). The drug is cleared too fast for the dose given.");
      a.reasoning.push_back(
          "**Next step:** shorten the dosing interval or raise the dose, then recheck the trough "
          "level. Switching drug is not needed for this.");
    } else if (low && tdm.antibody != nullptr && ab == Positivity::kPositive) {
      const bool within = class_has_alternative(in.rules, *drug);
      a.summary = "Low " + drug_name + " level with anti-drug antibodies: " +
                  (within ? "switch within class and add an immunomodulator"
                          : "switch to another mechanism");
      a.reasoning.push_back("**Low level, antibodies present:** " + level_words + below +
                            ", and anti-drug antibodies were found (" + describe(*tdm.antibody) +
                            "). Immunogenicity explains the loss of response.");
      a.reasoning.push_back(
          within ? "**Next step:** switch to another drug of the same class and add an "
                   "immunomodulator (thiopurine or methotrexate) to lower the risk of antibodies "
                   "again. Raising the dose rarely overcomes high-titre antibodies."
                 : "**Next step:** there is no other drug of this class to switch to: change to "
                   "another mechanism. Raising the dose rarely overcomes high-titre antibodies.");
    } else if (low && tdm.antibody != nullptr) {
      a.summary =
          "Low " + drug_name +
          " level; the antibody result cannot be read: check it against the assay's cut-off";
      a.reasoning.push_back("**Low level:** " + level_words + below + ".");
      a.reasoning.push_back(
          "**Antibody result unreadable:** " + describe(*tdm.antibody) +
          " came without the laboratory's interpretation, and no cut-off is configured for this "
          "assay. Antibodies absent → optimise the dose; antibodies high → switch and add an "
          "immunomodulator.");
    } else if (tdm.reading == LevelReading::kAdequate &&
               inflammation.state == InflammationState::kActive && !cmv_settled) {
      a.summary = "Active disease despite an adequate " + drug_name +
                  " level: mechanistic failure, switch out of class";
      a.reasoning.push_back(
          "**Adequate level, active disease:** " + level_words + ", reaches the target" +
          (target.empty() ? "" : " of " + target) +
          ", yet inflammation is objectively active: " + inflammation.explanation + ".");
      a.reasoning.push_back(
          "**Next step:** the drug is present but not working (mechanistic failure): switch to a "
          "drug with another mechanism rather than raising the dose — after ruling out CMV colitis "
          "on biopsy, since the patient is immunosuppressed and it has not been excluded.");
    } else {
      std::string reason = drug_name + ": ";
      if (tdm.reading == LevelReading::kUnknown) {
        reason += "the level cannot be compared with the target";
      } else if (tdm.reading == LevelReading::kAdequate && cmv_settled) {
        reason +=
            "adequate level with CMV settled (refractory-escalation's case when disease is active)";
      } else if (tdm.reading == LevelReading::kAdequate) {
        reason += "adequate level without objective active inflammation";
      } else {
        reason += "low level with no antibody result (tdm-reactive asks for it)";
      }
      why_not.push_back(reason);
      continue;
    }
    a.evidence.push_back(evidence_row(*tdm.level));
    if (tdm.antibody != nullptr) a.evidence.push_back(evidence_row(*tdm.antibody));
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
