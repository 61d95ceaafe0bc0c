// Internal to mapping/: the rule functions evaluate() calls, one file each. A rule appends
// its trace line and, when it fires, its Advice.
#pragma once

#include <optional>
#include <string>

#include "mapping/evaluate.hpp"

namespace ibd::mapping {

struct RuleInput {
  const IbdModel& model;
  const HookContext& context;
  const RuleSet& rules;
  fhir::TimePoint now;
};

// The newest result of `concept_id` no older than window_days (and not before not_before);
// with need_value, the newest one that has a numeric value.
const Measurement* latest_in_window(const IbdModel& model, const std::string& concept_id,
                                    int window_days, fhir::TimePoint now,
                                    std::optional<fhir::TimePoint> not_before, bool need_value);

// Starts an Advice carrying the rule's identity, source and override reasons.
Advice make_advice(const RuleMeta& meta, const RuleSet& rules, Severity severity);

namespace rules {
void tdm_reactive(const RuleInput& in, Evaluation& out);
void data_incomplete(const RuleInput& in, Evaluation& out);
}  // namespace rules

}  // namespace ibd::mapping
