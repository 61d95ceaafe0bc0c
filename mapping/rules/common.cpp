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

}  // namespace ibd::mapping
