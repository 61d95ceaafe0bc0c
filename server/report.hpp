// The safety signal: per rule, how many cards were shown over a period and what clinicians
// did with them (accepted, overridden with which reasons, no feedback yet).
//
// The cohort is the cards issued in [from, to); a card's outcome is its latest feedback (by
// outcomeTimestamp), whenever it arrived. Override reasons are counted by coding; free-text
// comments are counted, never printed (they may hold anything). Read-only; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fhir/json.hpp"
#include "server/store/store.hpp"

namespace ibd::server {

struct RuleOutcomes {
  std::string rule_id;
  std::int64_t shown = 0;
  std::int64_t accepted = 0;
  std::int64_t overridden = 0;
  std::int64_t no_feedback = 0;
  std::map<std::string, std::int64_t> override_reasons;  // "code (display)" or "(none given)"
  std::int64_t comments = 0;  // overrides that carried a comment
};

struct SafetyReport {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::vector<RuleOutcomes> rules;  // by rule id
  RuleOutcomes total;               // rule_id "all rules"
};

store::Result<SafetyReport> build_report(store::Store& store, std::int64_t from_ms,
                                         std::int64_t to_ms);
std::string report_text(const SafetyReport& report);
fhir::Json report_json(const SafetyReport& report);

}  // namespace ibd::server
