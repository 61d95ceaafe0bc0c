// The rules: IbdModel + hook context + now -> Advice. Pure: the clock and the configuration
// come in as arguments; no I/O. Every rule reports whether it fired and why (the trace), which
// `ibd-cds evaluate --explain` prints and the tests read.
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "fhir/datetime.hpp"
#include "mapping/advice.hpp"
#include "mapping/model.hpp"
#include "mapping/rule_set.hpp"

namespace ibd::mapping {

struct HookContext {
  std::string hook;  // "patient-view", "order-select", "order-sign"
};

struct RuleTrace {
  std::string rule_id;
  bool ran = false;  // false when the rule is disabled or not for this hook
  bool fired = false;
  std::string why;  // one line: why it fired or did not
};

struct Evaluation {
  std::vector<Advice> advice;
  std::vector<RuleTrace> trace;
};

Evaluation evaluate(const IbdModel& model, const HookContext& context, const RuleSet& rules,
                    fhir::TimePoint now);

// --- shared by the rules (mapping/rules/*.cpp) ---

enum class Tri { kNo, kYes, kUnknown };

// Does the result reach `threshold` (strict: exceed it)? A comparator narrows what is known:
// "<300" is below 250 only as far as "<" allows, so against 250 it is kUnknown, against 300
// kNo; ">1800" against 250 is kYes. Requires m.value.
Tri reaches(const Measurement& m, double threshold, bool strict);

enum class InflammationState { kActive, kIndeterminate, kInactive, kUnknown };

struct InflammationAssessment {
  InflammationState state = InflammationState::kUnknown;
  std::vector<const Measurement*> evidence;  // the latest marker of each kind in its window
  std::string explanation;  // "Fecal calprotectin 480 µg/g on 2026-05-20 (at or above 250)"
};

// Objective inflammation from calprotectin, CRP (else hs-CRP), the Mayo endoscopic subscore
// and SES-CD, each the newest numeric result in its window (clinical-rules.md §2).
InflammationAssessment assess_inflammation(const IbdModel& model, const InflammationConfig& config,
                                           fhir::TimePoint now);

// Evidence table rows and the "ignored" list for a card. Text that came from FHIR data is
// markdown-escaped here; another patient's resources are counted, never named.
EvidenceRow evidence_row(const Measurement& m);
EvidenceRow evidence_row(const Therapy& t, fhir::TimePoint now);
EvidenceRow evidence_row(const Diagnosis& d);
EvidenceRow evidence_row(const GeneResult& g);
EvidenceRow evidence_row(const ProcedureFact& p);
// "possible-intermediate" -> "possible intermediate".
std::string phenotype_words(const std::string& phenotype);
std::vector<std::string> ignored_lines(const IbdModel& model);
std::string format_number(double value);  // "18", "0.5", "12.25", "1.2e+15"
// "CRP 18 mg/L on 2026-05-20", with "(preliminary)" when it is; markdown-escaped.
std::string describe(const Measurement& m);
// At most `max_bytes` of `text`, never cutting a UTF-8 sequence in half.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);
// Escapes markdown so EHR-supplied text shows as text: no links, images, emphasis or HTML.
std::string escape_markdown(std::string_view text);

}  // namespace ibd::mapping
