#include "mapping/rules/rules.hpp"

namespace ibd::mapping {

Advice make_advice(const RuleMeta& meta, const RuleSet& rules, Severity severity) {
  Advice a;
  a.rule_id = meta.id;
  a.rule_version = meta.version;
  a.rule_set_version = rules.version;
  a.severity = severity;
  a.source = meta.source;
  a.override_reasons = meta.override_reasons;
  a.override_reason_system = rules.override_reason_system;
  return a;
}

std::vector<const Therapy*> current_therapies(const IbdModel& model, fhir::TimePoint now) {
  std::vector<const Therapy*> out;
  for (const Therapy& t : model.therapies)
    if (t.current_at(now)) out.push_back(&t);
  return out;
}

std::vector<const Therapy*> proposals(const RuleInput& in) {
  const std::vector<const Therapy*> drafts = in.model.proposed_therapies();
  if (in.context.hook == "order-sign") return drafts;
  if (in.context.hook != "order-select") return {};
  std::vector<const Therapy*> selected;
  for (const Therapy* t : drafts)
    if (t->selected) selected.push_back(t);
  return selected.empty() ? drafts : selected;
}

bool is_escalation(const Therapy& t, const RuleSet& rules, bool iv_steroid_counts) {
  if (rules.is_advanced(t.drug_class) || t.drug_class == "calcineurin-inhibitor") return true;
  return iv_steroid_counts && t.drug_class == "systemic-corticosteroid" && t.intravenous;
}

RuleTrace start_trace(const RuleMeta& meta, const HookContext& context) {
  RuleTrace trace{meta.id, meta.runs_on(context.hook), false, ""};
  if (!trace.ran) trace.why = meta.enabled ? "not run on " + context.hook : "disabled in config";
  return trace;
}

}  // namespace ibd::mapping
