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
  // For an assay reported as a number without the lab's interpretation (anti-drug
  // antibodies): a result at or above this counts as positive. Per assay; unset = not read.
  std::optional<double> positive_at;
};

struct DiseaseDef {
  std::string name;  // "crohns-disease", "ulcerative-colitis", "ibd-unclassified"
  std::string valueset;
  std::string display;  // "Crohn's disease"
};

// A procedure the model recognises (done, or proposed in a draft order).
struct ProcedureDef {
  std::string kind;  // "ipaa", "colectomy", "endoscopy", "rbc-transfusion"
  std::string valueset;
  std::string display;
};

// An order a card can propose: coded, with text for people.
struct OrderDef {
  fhir::Coding code;
  std::string text;
  std::string category;  // "laboratory" or "procedure"
};

// One cell of the CPIC thiopurine table (clinical-rules.md §4).
struct CpicRow {
  std::string
      tpmt;  // "normal", "intermediate", "poor" ("possible-intermediate" reads as intermediate)
  std::string nudt15;
  std::string severity;  // "info", "warning", "critical"
  std::string advice;    // what to do, in plain words
  bool avoid = false;    // use a non-thiopurine: a draft thiopurine order should be removed
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
  double calprotectin_active = 250;   // µg/g, at or above = active
  double calprotectin_normal = 50;    // µg/g, below = not active; between = indeterminate
  double crp_active = 10;             // mg/L, above = active
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

struct CmvExclusionConfig {
  RuleMeta meta;
  int tissue_window_days = 30;                  // a CMV tissue test this recent excludes CMV
  std::vector<std::string> escalation_classes;  // proposing these is an escalation
  bool iv_steroid_is_escalation = true;
  std::vector<OrderDef> orders;  // flexible sigmoidoscopy with biopsy; CMV IHC
};

struct CmvPositiveConfig {
  RuleMeta meta;
  int window_days = 30;
};

struct TdmInterpretConfig {
  RuleMeta meta;
  int window_days = 90;
};

struct ThiopurinePgxConfig {
  RuleMeta meta;
  std::vector<CpicRow> cpic;
  std::vector<std::string> tpmt_no_function;    // "*2", "*3A", "*3B", "*3C", "*4"
  std::vector<std::string> nudt15_no_function;  // "*2", "*3", "*9"
  std::vector<OrderDef> genotype_orders;        // TPMT + NUDT15 genotyping
  int transfusion_window_days = 90;             // TPMT activity invalid this soon after RBCs
};

struct VeoIbdConfig {
  RuleMeta meta;
  double onset_years = 6;        // very-early-onset below this age at onset
  double infantile_years = 2;    // infantile-onset below this
  std::vector<OrderDef> orders;  // immunology screen, gene panel / exome
};

struct MonogenicDefectConfig {
  RuleMeta meta;
  std::vector<std::string> genes;           // HGNC symbols
  std::vector<std::string> critical_genes;  // IL10, IL10RA, IL10RB: evaluate for HSCT
};

struct RefractoryEscalationConfig {
  RuleMeta meta;
  int failed_mechanisms = 2;  // advanced mechanisms failed = difficult-to-treat
};

struct EscalationUnprovenConfig {
  RuleMeta meta;
};

struct PreAdvancedScreeningConfig {
  RuleMeta meta;
  int window_days = 365;
  std::vector<OrderDef> orders;  // IGRA, HBsAg, anti-HBc
};

struct HlaDqa105Config {
  RuleMeta meta;
  std::string allele_prefix = "HLA-DQA1*05";
  double hazard_ratio =
      1.9;  // anti-drug antibodies, carriers vs non-carriers (PANTS), for the card
};

struct IpaaInCrohnsConfig {
  RuleMeta meta;
};

struct RuleSet {
  std::string version;                 // rule-set version, in every card and discovery
  std::string override_reason_system;  // Coding.system of override reasons
  std::vector<DrugDef> drugs;
  std::vector<LabDef> labs;                  // matched in this order: first match wins
  std::vector<DiseaseDef> diseases;          // IBD, most specific first
  std::vector<DiseaseDef> other_conditions;  // other diagnoses rules use ("cmv-colitis")
  InflammationConfig inflammation;
  TdmReactiveConfig tdm_reactive;
  DataIncompleteConfig data_incomplete;
  CmvExclusionConfig cmv_exclusion;
  CmvPositiveConfig cmv_positive;
  TdmInterpretConfig tdm_interpret;
  ThiopurinePgxConfig thiopurine_pgx;
  VeoIbdConfig veo_ibd;
  MonogenicDefectConfig monogenic_defect;
  RefractoryEscalationConfig refractory_escalation;
  EscalationUnprovenConfig escalation_unproven;
  PreAdvancedScreeningConfig pre_advanced_screening;
  HlaDqa105Config hla_dqa1_05;
  IpaaInCrohnsConfig ipaa_in_crohns;

  std::vector<ProcedureDef> procedures;
  // Drug classes that are "advanced therapy" (biologic, JAK, S1P) and that suppress immunity.
  std::vector<std::string> advanced_classes;
  std::vector<std::string> immunosuppressive_classes;
  bool is_advanced(const std::string& drug_class) const;
  bool is_immunosuppressive(const std::string& drug_class) const;

  const DrugDef* drug(const std::string& name) const;
  const LabDef* lab(const std::string& concept_id) const;
};

}  // namespace ibd::mapping
