// refractory-escalation: refractoriness is established — active inflammation despite an
// adequate level on the current drug, or after >= failed_mechanisms advanced mechanisms
// (difficult-to-treat IBD, IOIBD 2023) — and CMV has been excluded: advise switching
// mechanism or dual targeted therapy. clinical-rules.md §1, §3.
#include <set>

#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

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
  const Measurement* cmv =
      latest_in_window(in.model, "cmv-tissue", in.rules.cmv_exclusion.tissue_window_days, in.now,
                       std::nullopt, false);
  if (cmv == nullptr || positivity(*cmv) != Positivity::kNegative)
    return done("CMV not excluded by a negative tissue test in " +
                std::to_string(in.rules.cmv_exclusion.tissue_window_days) +
                " days (cmv-exclusion's case)");

  // (a) an adequate level on a current monitored drug.
  const TdmReactiveConfig& tdm = in.rules.tdm_reactive;
  const Measurement* adequate = nullptr;
  std::string adequate_drug;
  for (const auto& [drug_name, course] :
       current_courses(in, tdm.drug_classes, tdm.course_gap_days)) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || drug->level_concept.empty() || !course.first->start) continue;
    const Measurement* level =
        latest_in_window(in.model, drug->level_concept, tdm.level_window_days, in.now,
                         course.first->start->start, false);
    if (level != nullptr && read_level(*level, *drug) == LevelReading::kAdequate) {
      adequate = level;
      adequate_drug = drug_name;
    }
  }
  // (b) advanced mechanisms failed: classes stopped in the past, plus the current advanced
  // therapy when it is past induction and inflammation is active on it.
  std::set<std::string> failed;
  std::vector<const Therapy*> failed_records;
  for (const Therapy& t : in.model.therapies) {
    if (t.proposed || !in.rules.is_advanced(t.drug_class)) continue;
    const bool past = !t.current_at(in.now) && (t.status == "stopped" || t.status == "completed" ||
                                                (t.status == "active" && t.end));
    const bool failing_now =
        t.current_at(in.now) && t.start &&
        fhir::days_between(t.start->latest(), in.now) / 7 >= tdm.induction_weeks;
    if (past || failing_now) {
      failed.insert(t.drug_class);
      failed_records.push_back(&t);
    }
  }
  const bool difficult = static_cast<int>(failed.size()) >= cfg.failed_mechanisms;
  if (!difficult && adequate == nullptr)
    return done(std::to_string(failed.size()) + " advanced mechanism(s) failed (< " +
                std::to_string(cfg.failed_mechanisms) + ") and no adequate drug level on record");

  Advice a = make_advice(cfg.meta, in.rules, difficult ? Severity::kWarning : Severity::kInfo);
  a.reasoning.push_back("**Active inflammation, objectively:** " + inflammation.explanation + ".");
  a.reasoning.push_back("**CMV excluded:** " + describe(*cmv) + ".");
  if (difficult) {
    std::string classes;
    for (const std::string& c : failed) classes += (classes.empty() ? "" : ", ") + c;
    a.summary = "Difficult-to-treat " + diagnosis->display + " (" + std::to_string(failed.size()) +
                " mechanisms failed): consider another mechanism or dual targeted therapy";
    a.reasoning.push_back(
        "**Difficult-to-treat:** advanced therapies of " + std::to_string(failed.size()) +
        " mechanisms (" + classes +
        ") were stopped or are failing past induction. Stopped therapies are counted as "
        "failed; check the record if one was stopped for another reason.");
    a.reasoning.push_back(
        "**Options:** a mechanism not yet used, or dual targeted therapy (for example vedolizumab "
        "with "
        "ustekinumab; in refractory Crohn's disease a biologic with a JAK inhibitor — off-label, "
        "with a cumulative "
        "infection risk), and a surgical opinion. Discuss at the IBD multidisciplinary meeting.");
  } else {
    a.summary = "Active disease despite an adequate " + adequate_drug +
                " level, CMV excluded: switch mechanism";
  }
  if (adequate != nullptr)
    a.reasoning.push_back(
        "**Adequate drug level:** " + describe(*adequate) +
        " reaches the target, so the drug is present but not working (mechanistic failure): "
        "switch to another mechanism rather than raising the dose.");
  for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
  a.evidence.push_back(evidence_row(*cmv));
  if (adequate != nullptr) a.evidence.push_back(evidence_row(*adequate));
  for (const Therapy* t : failed_records) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  done(difficult ? "difficult-to-treat: " + std::to_string(failed.size()) +
                       " mechanisms failed, CMV excluded"
                 : "adequate level with active inflammation, CMV excluded");
}

}  // namespace ibd::mapping::rules
