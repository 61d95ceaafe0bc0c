// escalation-unproven: an escalation is proposed (advanced therapy, calcineurin inhibitor, IV
// steroid) but refractoriness is not established — no objective inflammation in the window,
// or a monitored biologic with no drug level — so confirm first. Lists which steps of
// clinical-rules.md §1 are missing. clinical-rules.md §3.
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

ProposedOrder lab_order(const RuleSet& rules, const std::string& concept_id,
                        const std::string& text, const std::string& note) {
  ProposedOrder o;
  if (const LabDef* lab = rules.lab(concept_id); lab != nullptr && lab->order_code)
    o.code.codings.push_back(*lab->order_code);
  o.code.text = text;
  o.category = "laboratory";
  o.note = note;
  return o;
}

}  // namespace

void escalation_unproven(const RuleInput& in, Evaluation& out) {
  const EscalationUnprovenConfig& cfg = in.rules.escalation_unproven;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  std::vector<const Therapy*> escalations;
  for (const Therapy* t : proposals(in))
    if (is_escalation(*t, in.rules, in.rules.cmv_exclusion.iv_steroid_is_escalation))
      escalations.push_back(t);
  if (escalations.empty()) {
    trace.why = "no escalation proposed";
    out.trace.push_back(trace);
    return;
  }
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
    orders.push_back(lab_order(in.rules, "calprotectin", "Fecal calprotectin",
                               "Objective activity before escalation."));
    orders.push_back(
        lab_order(in.rules, "crp", "C-reactive protein", "Objective activity before escalation."));
  }
  std::vector<const Therapy*> untested;
  for (const auto& [drug_name, course] :
       current_courses(in, tdm.drug_classes, tdm.course_gap_days)) {
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr || drug->level_concept.empty() || !course.first->start) continue;
    const Measurement* level =
        latest_in_window(in.model, drug->level_concept, tdm.level_window_days, in.now,
                         course.first->start->start, false);
    if (level != nullptr) continue;
    untested.push_back(course.first);
    missing.push_back("**Drug level on " + drug_name +
                      ":** no trough level or antibodies in the last " +
                      std::to_string(tdm.level_window_days) +
                      " days, so under-dosing or antibodies have not been ruled out.");
    orders.push_back(lab_order(in.rules, drug->level_concept, drug_name + " trough level",
                               "Trough: draw just before the next scheduled dose."));
    if (!drug->antibody_concept.empty())
      orders.push_back(lab_order(in.rules, drug->antibody_concept, "Antibodies to " + drug_name,
                                 "Draw with the trough sample."));
  }
  if (missing.empty()) {
    trace.why = "objective inflammation and drug levels are on record";
    out.trace.push_back(trace);
    return;
  }
  const Therapy& first = *escalations.front();
  Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
  a.summary = "Escalation to " + first.drug + " before refractoriness is proven: " +
              (inflammation.state != InflammationState::kActive ? "no objective inflammation"
                                                                : "no drug level") +
              (missing.size() > 1 ? " and more" : "");
  a.reasoning.push_back(
      "**Proposed:** " + escape_markdown(first.label.empty() ? first.drug : first.label) +
      (escalations.size() > 1 ? " (and " + std::to_string(escalations.size() - 1) + " more)" : "") +
      ". Refractoriness is a finding: establish it before escalating. Missing:");
  for (const std::string& m : missing) a.reasoning.push_back("- " + m);
  a.reasoning.push_back(
      "Also before an escalation: CMV excluded on biopsy in an immunosuppressed patient with a "
      "flare, and TB "
      "and hepatitis B screening (see those cards if they apply).");
  for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
  for (const Therapy* t : untested) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : escalations) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);
  Suggestion s;
  s.label = "Order the missing tests";
  s.orders = std::move(orders);
  for (ProposedOrder& o : s.orders)
    for (const Measurement* m : inflammation.evidence) o.reasons.push_back(m->source.reference());
  a.suggestions.push_back(std::move(s));
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = std::to_string(missing.size()) + " step(s) of establishing refractoriness missing";
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
