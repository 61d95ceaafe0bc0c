// refractory-escalation: refractoriness is established — active inflammation despite an
// adequate level on the current drug, or after >= failed_mechanisms advanced mechanisms
// (difficult-to-treat IBD, IOIBD 2023) — and, in an immunosuppressed patient, CMV has been
// excluded: advise switching mechanism or dual targeted therapy. clinical-rules.md §1, §3.
//
// A current drug counts as failing only when its level is adequate (a low level is
// under-dosing or antibodies: tdm-interpret's case), or, for a drug not monitored by level,
// when its course is past induction. Stopped advanced therapies count as failed.
#include <set>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void refractory_escalation(const RuleInput& in, Evaluation& out) {
  const RefractoryEscalationConfig& cfg = in.rules.refractory_escalation;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto done = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) return done(trace.why);
  const Diagnosis* diagnosis = in.model.primary_diagnosis();
  if (diagnosis == nullptr) return done("no confirmed IBD diagnosis on record");
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  if (inflammation.state != InflammationState::kActive)
    return done("no objective active inflammation: " + inflammation.explanation);
  const CmvTissueStatus cmv = cmv_tissue_status(in);
  if (!immunosuppressants(in).empty() && cmv.status != CmvTissue::kNegative)
    return done("CMV not excluded by a negative tissue test in " +
                std::to_string(in.rules.cmv_exclusion.tissue_window_days) +
                " days (cmv-exclusion's case)");

  const TdmReactiveConfig& tdm = in.rules.tdm_reactive;
  const Measurement* adequate = nullptr;
  std::string adequate_drug;
  std::set<std::string> failed;
  std::vector<const Therapy*> failed_records;
  for (const auto& [drug_name, course] :
       current_courses(in, in.rules.advanced_classes, tdm.course_gap_days)) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || !course.first->start) continue;
    bool failing = false;
    if (!drug->level_concept.empty()) {
      const CourseTdm levels = course_tdm(in, course, *drug, tdm.level_window_days);
      if (levels.reading == LevelReading::kAdequate) {
        adequate = levels.level;
        adequate_drug = drug_name;
        failing = true;
      }
    } else {
      failing =
          fhir::days_between(course.first->start->latest(), in.now) / 7 >= tdm.induction_weeks;
    }
    if (failing) {
      failed.insert(drug->drug_class);
      failed_records.insert(failed_records.end(), course.records.begin(), course.records.end());
    }
  }
  for (const Therapy& t : in.model.therapies) {
    if (t.proposed || !in.rules.is_advanced(t.drug_class) || t.current_at(in.now)) continue;
    if (t.status != "stopped" && t.status != "completed" && !(t.status == "active" && t.end))
      continue;
    failed.insert(t.drug_class);
    failed_records.push_back(&t);
  }
  const bool difficult = static_cast<int>(failed.size()) >= cfg.failed_mechanisms;
  if (!difficult && adequate == nullptr)
    return done(std::to_string(failed.size()) + " advanced mechanism(s) failed (< " +
                std::to_string(cfg.failed_mechanisms) + ") and no adequate drug level on record");

  Advice a = make_advice(cfg.meta, in.rules, difficult ? Severity::kWarning : Severity::kInfo);
  a.reasoning.push_back("**Active inflammation, objectively:** " + inflammation.explanation + ".");
  if (cmv.latest != nullptr)
    a.reasoning.push_back("**CMV on biopsy:** " + describe(*cmv.latest) + ".");
  if (difficult) {
    std::vector<std::string> classes(failed.begin(), failed.end());
    a.summary = "Difficult-to-treat " + diagnosis->display + " (" + std::to_string(failed.size()) +
                " mechanisms failed): consider another mechanism or dual targeted therapy";
    a.reasoning.push_back(
        "**Difficult-to-treat:** advanced therapies of " + std::to_string(failed.size()) +
        " mechanisms (" + join_names(classes) +
        ") were stopped, or are failing with an adequate level or past induction. Stopped "
        "therapies are counted as failed; check the record if one was stopped for another "
        "reason.");
    a.reasoning.push_back(
        "**Options:** a mechanism not yet used, or dual targeted therapy (for example vedolizumab "
        "with "
        "ustekinumab; in refractory Crohn's disease a biologic with a JAK inhibitor — off-label, "
        "with a "
        "cumulative infection risk), and a surgical opinion. Discuss at the IBD multidisciplinary "
        "meeting.");
  } else {
    a.summary = "Active disease despite an adequate " + adequate_drug + " level: switch mechanism";
  }
  if (adequate != nullptr)
    a.reasoning.push_back(
        "**Adequate drug level:** " + describe(*adequate) +
        " reaches the target, so the drug is present but not working (mechanistic failure): "
        "switch to another mechanism rather than raising the dose.");
  for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
  if (cmv.latest != nullptr) a.evidence.push_back(evidence_row(*cmv.latest));
  if (adequate != nullptr) a.evidence.push_back(evidence_row(*adequate));
  for (const Therapy* t : failed_records) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  done(difficult ? "difficult-to-treat: " + std::to_string(failed.size()) + " mechanisms failed"
                 : "adequate level with active inflammation");
}

}  // namespace ibd::mapping::rules
