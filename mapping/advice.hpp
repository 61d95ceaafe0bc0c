// Advice: what a rule concluded, free of any protocol. Cards (hooks/), the SMART page and the
// audit record are renderings of the same Advice.
// Plain data.
#pragma once

#include <string>
#include <vector>

#include "fhir/resource.hpp"
#include "mapping/model.hpp"
#include "mapping/rule_set.hpp"

namespace ibd::mapping {

enum class Severity { kInfo, kWarning, kCritical };
const char* to_string(Severity severity);  // "info", "warning", "critical"

// One row of the evidence table.
struct EvidenceRow {
  std::string date;       // "2026-05-20"
  std::string test;       // "Calprotectin [Mass/mass] in Stool"
  std::string recorded;   // "1.8 mg/dL"
  std::string converted;  // "18 mg/L" or "" when not converted
  std::string source;     // "Observation/crp-1"
};

// An order the clinician can accept with one click (rendered as a draft ServiceRequest).
struct ProposedOrder {
  fhir::CodeableConcept code;
  std::string category;              // "laboratory" or "procedure"
  std::vector<std::string> reasons;  // references of the evidence, "Observation/cal-1"
  std::string note;                  // instructions, e.g. "Draw just before the next dose."
};

// A draft order of the hook context the clinician may drop with one click.
struct Removal {
  std::string reference;    // "MedicationRequest/draft-1"
  std::string description;  // "Remove the draft azathioprine order"
};

struct Suggestion {
  std::string label;
  bool recommended = true;
  std::vector<ProposedOrder> orders;  // rendered as create actions
  std::vector<Removal> removals;      // rendered as delete actions
};

struct Advice {
  std::string rule_id;
  std::string rule_version;
  std::string rule_set_version;
  Severity severity = Severity::kInfo;
  std::string summary;                 // < 140 characters
  std::vector<std::string> reasoning;  // paragraphs, plain words, markdown allowed
  std::vector<EvidenceRow> evidence;
  std::vector<std::string> ignored;  // "Observation/x: status entered-in-error"
  std::vector<Suggestion> suggestions;
  SourceRef source;
  std::vector<OverrideReasonDef> override_reasons;
  std::string override_reason_system;
};

}  // namespace ibd::mapping
