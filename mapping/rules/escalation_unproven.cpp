// escalation-unproven: a new escalation is proposed (advanced therapy, calcineurin inhibitor,
// IV steroid) but refractoriness is not established — no objective inflammation in the
// window, or a biologic monitored by level with no level, or a low level that points to
// under-dosing — so confirm first. Lists which steps of clinical-rules.md §1 are missing.
// A re-order of a drug the patient already takes is not an escalation. clinical-rules.md §3.
#include <algorithm>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

ProposedOrder lab_order(const RuleSet& rules, const std::string& concept_id,
                        const std::string& text, const std::string& note) {
  OrderDef def;
  if (const LabDef* lab = rules.lab(concept_id); lab != nullptr && lab->order_code)
    def.code = *lab->order_code;
  def.text = text;
  def.category = "laboratory";
  return order_from(def, {}, note);
}

}  // namespace

void escalation_unproven(const RuleInput& in, Evaluation& out) {
  const EscalationUnprovenConfig& cfg = in.rules.escalation_unproven;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const std::vector<const Therapy*> escalations = new_escalations(in);
  if (escalations.empty()) {
    trace.why = "no new escalation proposed";
    out.trace.push_back(trace);
    return;
  }
  const bool iv_steroid = std::any_of(escalations.begin(), escalations.end(), [](const Therapy* t) {
    return t->drug_class == "systemic-corticosteroid";
  });
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  const TdmReactiveConfig& tdm = in.rules.tdm_reactive;
  std::vector<std::string> missing;
  std::vector<ProposedOrder> orders;
  if (inflammation.state != InflammationState::kActive) {
    missing.push_back(
        "**Objective inflammation:** " +
        std::string(inflammation.state == InflammationState::kUnknown ? "none measured: "
                                                                      : "not shown: ") +
        inflammation.explanation + ". Symptoms alone do not make disease refractory.");
    if (iv_steroid) {
      // Suspected acute severe colitis: CRP and stool infection tests, and do not delay.
      orders.push_back(lab_order(in.rules, "crp", "C-reactive protein",
                                 "Objective activity; do not delay treatment."));
    } else {
      orders.push_back(lab_order(in.rules, "calprotectin", "Fecal calprotectin",
                                 "Objective activity before escalation."));
      orders.push_back(lab_order(in.rules, "crp", "C-reactive protein",
                                 "Objective activity before escalation."));
    }
  }
  std::vector<const Measurement*> tdm_evidence;
  std::vector<const Therapy*> on_drugs;
  for (const auto& [drug_name, course] : monitored_courses(in)) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || drug->level_concept.empty() || !course.first->start) continue;
    const CourseTdm levels = course_tdm(in, course, *drug, tdm.level_window_days);
    const std::string window = std::to_string(tdm.level_window_days);
    if (levels.level == nullptr) {
      missing.push_back("**Drug level on " + drug_name + ":** no trough level in the last " +
                        window + " days, so under-dosing or antibodies have not been ruled out.");
      orders.push_back(lab_order(in.rules, drug->level_concept, drug_name + " trough level",
                                 "Trough: draw just before the next scheduled dose."));
      if (!drug->antibody_concept.empty())
        orders.push_back(lab_order(in.rules, drug->antibody_concept, "Antibodies to " + drug_name,
                                   "Draw with the trough sample."));
    } else if (levels.reading == LevelReading::kLow) {
      const Positivity ab =
          levels.antibody ? read_positivity(*levels.antibody, in.rules) : Positivity::kUnknown;
      if (levels.antibody == nullptr) {
        missing.push_back("**Antibodies to " + drug_name + ":** the level is low (" +
                          describe(*levels.level) +
                          ") and antibodies were not measured: under-dosing is not yet told from "
                          "immunogenicity.");
        if (!drug->antibody_concept.empty())
          orders.push_back(lab_order(in.rules, drug->antibody_concept, "Antibodies to " + drug_name,
                                     "Draw at trough, just before the next dose."));
      } else if (ab == Positivity::kNegative) {
        missing.push_back("**Dose optimisation of " + drug_name +
                          ":** the level is low without antibodies (" + describe(*levels.level) +
                          "): optimise the dose before calling it a failure.");
      }
      tdm_evidence.push_back(levels.level);
      if (levels.antibody != nullptr) tdm_evidence.push_back(levels.antibody);
    } else {
      continue;
    }
    on_drugs.push_back(course.first);
  }
  if (missing.empty()) {
    trace.why = "objective inflammation and drug monitoring support the escalation";
    out.trace.push_back(trace);
    return;
  }
  if (!immunosuppressants(in).empty() && cmv_tissue_status(in).status != CmvTissue::kNegative)
    missing.push_back("**CMV:** not excluded on colonic biopsy in the last " +
                      std::to_string(in.rules.cmv_exclusion.tissue_window_days) +
                      " days in an immunosuppressed patient.");

  const Therapy& first = *escalations.front();
  Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
  a.summary = "Escalation to " + first.drug + " before refractoriness is proven: " +
              (inflammation.state != InflammationState::kActive ? "no objective inflammation"
                                                                : "drug monitoring incomplete") +
              (missing.size() > 1 ? " and more" : "");
  a.reasoning.push_back(
      "**Proposed:** " + escape_markdown(first.label.empty() ? first.drug : first.label) +
      (escalations.size() > 1 ? " (and " + std::to_string(escalations.size() - 1) + " more)" : "") +
      ". Refractoriness is a finding: establish it before escalating. Missing:");
  for (const std::string& m : missing) a.reasoning.push_back("- " + m);
  a.reasoning.push_back(
      iv_steroid ? "For a suspected acute severe flare, also send stool for C. difficile and other "
                   "infections — and do not let the tests delay treatment."
                 : "TB and hepatitis B screening come before an advanced therapy (see that card if "
                   "it applies).");
  for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
  for (const Measurement* m : tdm_evidence) a.evidence.push_back(evidence_row(*m));
  for (const Therapy* t : on_drugs) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : escalations) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);
  if (!orders.empty()) {
    Suggestion s;
    s.label = "Order the missing tests";
    s.orders = std::move(orders);
    for (ProposedOrder& o : s.orders)
      for (const Measurement* m : inflammation.evidence) o.reasons.push_back(m->source.reference());
    a.suggestions.push_back(std::move(s));
  }
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = std::to_string(missing.size()) + " step(s) of establishing refractoriness missing";
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
