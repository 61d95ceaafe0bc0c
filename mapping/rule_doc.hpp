// The clinician-readable rules page (docs/rules.md), generated from the running rule set:
// thresholds, windows, hooks, versions, sources, override reasons, the CPIC table, drugs,
// labs and value sets all come from the configuration, and each rule's plain-words
// description lives here beside the rules, so the page cannot drift from what runs.
// Pure; thread-safe.
#pragma once

#include <string>

#include "mapping/rule_set.hpp"
#include "mapping/terminology.hpp"

namespace ibd::mapping {

std::string rules_markdown(const RuleSet& rules, const Terminology& terminology);

}  // namespace ibd::mapping
