// The clinical configuration the rules run on: drugs, labs, diseases, thresholds, windows and
// per-rule metadata. Loaded from config/rules.yaml by the config loader (server/config.cpp);
// mapping/ never reads files. Every number a clinician might tune lives here, not in code.
// Plain data; safe to share read-only across threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/resource.hpp"

namespace ibd::mapping {

struct DrugDef {
  std::string name;           // "infliximab"
  std::string drug_class;     // "anti-tnf", "thiopurine", ...
  std::string valueset;       // ValueSet id that recognises the drug (ingredient, products, text)
  std::string level_concept;  // lab concept_id id of its trough level ("" when none)
  std::string antibody_concept;        // lab concept_id id of its anti-drug antibodies
  std::optional<double> level_target;  // adequate trough, in the level lab's unit
};

struct LabDef {
  std::string concept_id;  // "calprotectin", "crp", "infliximab-level", ...
  std::string valueset;    // ValueSet id
  std::string unit;        // canonical UCUM unit the value is converted to; "" = qualitative
  std::string display;     // name for cards when the record has none
  std::optional<fhir::Coding> order_code;  // how to order it; default: the value set's first code
};

struct DiseaseDef {
  std::string name;  // "crohns-disease", "ulcerative-colitis", "ibd-unclassified"
  std::string valueset;
  std::string display;  // "Crohn's disease"
};

struct SourceRef {
  std::string label;
  std::string url;
  fhir::Coding topic;
};

struct OverrideReasonDef {
  std::string code;
  std::string display;
};

struct RuleMeta {
  std::string id;
  std::string version;
  bool enabled = true;
  std::vector<std::string> hooks;
  SourceRef source;
  std::vector<OverrideReasonDef> override_reasons;
  bool runs_on(const std::string& hook) const;
};

struct InflammationConfig {
  double calprotectin_active = 250;  // µg/g, at or above = active
  double calprotectin_normal = 50;   // µg/g, below = not active; between = indeterminate
  double crp_active = 10;            // mg/L, above = active
  double mayo_endoscopic_active = 2;  // Mayo endoscopic subscore, at or above = active
  double ses_cd_active = 7;           // SES-CD, at or above = active
  int marker_window_days = 90;
  int crp_window_days = 30;
};

struct TdmReactiveConfig {
  RuleMeta meta;
  int induction_weeks = 14;
  int level_window_days = 90;
  int course_gap_days = 120;              // records of one drug this close together are one course
  std::vector<std::string> drug_classes;  // classes monitored by trough level
};

struct DataIncompleteConfig {
  RuleMeta meta;
};

struct RuleSet {
  std::string version;                 // rule-set version, in every card and discovery
  std::string override_reason_system;  // Coding.system of override reasons
  std::vector<DrugDef> drugs;
  std::vector<LabDef> labs;  // matched in this order: first match wins
  std::vector<DiseaseDef> diseases;
  InflammationConfig inflammation;
  TdmReactiveConfig tdm_reactive;
  DataIncompleteConfig data_incomplete;

  const DrugDef* drug(const std::string& name) const;
  const LabDef* lab(const std::string& concept_id) const;
};

}  // namespace ibd::mapping
