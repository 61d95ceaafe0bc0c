// The IBD model: one clinical picture of the patient built from FHIR resources.
//
// Every fact keeps its provenance (resource type and id, the prefetch key it came under) and
// the value as recorded next to the value as converted. What the mapper could not use is kept
// as a Diagnostic with the element path and a reason, so a card can say what it ignored.
// build_model() is pure: no clock, no I/O; same input, same model. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/datetime.hpp"
#include "mapping/patient_data.hpp"
#include "mapping/rule_set.hpp"
#include "mapping/terminology.hpp"

namespace ibd::mapping {

struct Provenance {
  std::string resource_type;
  std::string id;
  std::string key;  // prefetch key
  std::string reference() const { return resource_type + "/" + id; }
};

struct Measurement {
  std::string concept_id;  // LabDef::concept_id
  std::string label;       // test name as recorded (or the lab's display)
  fhir::DateTime effective;
  std::string value_text;       // as recorded: "1.8"
  std::string unit_text;        // as recorded: "mg/dL"
  std::string comparator;       // "<", ">", ... or ""
  std::optional<double> value;  // converted to `unit`; nullopt for qualitative results
  std::string unit;             // LabDef::unit
  std::string qualitative;      // valueString / valueCodeableConcept label, e.g. "Detected"
  std::string interpretation;   // first interpretation code, e.g. "POS", "H"
  std::string status;           // Observation.status
  // The lab's referenceRange.high converted to `unit` (CRP's upper limit of normal), if given.
  std::optional<double> reference_high;
  Provenance source;
  bool preliminary() const { return status == "preliminary"; }
};

// What a qualitative result says: read from the interpretation (POS/NEG/DET/ND/A/N/IND), a
// coded or text value ("positive", "detected", "reactive" / "negative", "not detected",
// "non-reactive" / "indeterminate", "equivocal"), in that order.
enum class Positivity { kUnknown, kNegative, kPositive, kIndeterminate };
Positivity positivity(const Measurement& m);

// A genomic result (HL7 Genomics Reporting IG STU1-STU3 shapes, clinical-rules.md §5).
struct GeneResult {
  std::string gene;       // HGNC symbol: "TPMT", "NUDT15", "HLA-DQA1", "IL10RA"
  std::string genotype;   // diplotype "*1/*3A" or an HLA GL string; "" when only a phenotype
  std::string phenotype;  // "normal", "intermediate", "possible-intermediate", "poor", "rapid",
                          // "ultrarapid", "indeterminate"; "" when none
  bool phenotype_from_lab = false;  // reported by the lab (preferred over one derived here)
  bool pathogenic = false;          // a variant classified pathogenic or likely pathogenic
  std::string variant;              // the variant as reported (HGVS or name)
  // "homozygous", "heterozygous", "hemizygous", "compound-heterozygous"; "" when not reported.
  std::string zygosity;
  // An implication naming no gene, still waiting for the result it was derived from
  // ("Observation/g1"); rules never use a result whose gene is empty.
  std::vector<std::string> awaiting;
  std::string label;                // the result's name as recorded
  fhir::DateTime effective;
  Provenance source;
};

// A procedure done, or proposed in a draft ServiceRequest of the hook context.
struct ProcedureFact {
  std::string kind;  // ProcedureDef::kind
  std::string label;
  std::string status;  // Procedure.status or ServiceRequest.status
  std::optional<fhir::DateTime> performed;
  bool proposed = false;  // a draft order from the hook context
  bool selected = false;  // order-select: named in context.selections
  Provenance source;
};

// How a drug is given (dosage.route coding, else the dosage text, else Medication.form).
enum class Route {
  kUnknown,
  kOral,
  kIntravenous,
  kSubcutaneous,
  kIntramuscular,
  kRectal,
  kTopical,
  kOphthalmic,
  kInhaled,
  kIntraArticular
};
const char* to_string(Route route);  // "oral", "IV", "SC", ... "unknown"

// Why a therapy stopped (statusReason coding or text; clinical-rules.md §2).
enum class StopReason {
  kNone,  // not stopped, or no statusReason at all on a record that did not stop
  kNonResponse,
  kLossOfResponse,
  kIntolerance,  // intolerance or adverse event
  kRemission,    // remission / elective
  kPregnancy,
  kCost,
  kPatientChoice,
  kUnknown  // stopped, reason not recorded or not recognised
};
const char* to_string(StopReason reason);

// The dose as far as it can be read: coded doseAndRate.doseQuantity with timing, else the
// dosage text ("40 mg daily", "5 mg/kg every 8 weeks").
struct Dose {
  std::optional<double> per_dose_mg;    // one administration, in mg
  std::optional<double> per_dose_mg_kg; // one administration in mg/kg (infliximab "5 mg/kg")
  std::optional<double> daily_mg;       // mg per day, when the timing says how often
  std::optional<double> interval_days;  // days between administrations (q8w -> 56)
  std::string text;                     // dosage text / dose as recorded, for cards
  bool known() const { return per_dose_mg || per_dose_mg_kg || daily_mg; }
};

struct Therapy {
  std::string drug;        // DrugDef::name
  std::string drug_class;  // DrugDef::drug_class
  std::string label;       // as recorded: "Inflectra 100 MG Injection"
  std::string status;      // MedicationStatement / MedicationRequest status
  std::optional<fhir::DateTime> start;
  std::optional<fhir::DateTime> end;
  bool proposed = false;     // a draft order from the hook context, not current therapy
  bool selected = false;     // order-select: named in context.selections
  bool intravenous = false;  // a route says intravenous (IV steroids are an escalation)
  Route route = Route::kUnknown;
  Dose dose;
  StopReason stop_reason = StopReason::kNone;
  std::string stop_reason_text;  // statusReason as recorded
  std::string reason_text;       // reasonCode / reason text ("premedication", "asthma")
  bool do_not_perform = false;   // MedicationRequest.doNotPerform
  std::optional<fhir::DateTime> recorded;  // authoredOn / dateAsserted
  Provenance source;
  // Systemic by route: oral, IV, SC, IM (an unknown route counts as systemic for a systemic
  // class); rectal, topical, ophthalmic, inhaled and intra-articular are local.
  bool systemic() const;
  bool current() const;                        // the status says the patient is on it
  bool current_at(fhir::TimePoint now) const;  // ... and it has not ended by `now`
};

struct Diagnosis {
  std::string disease;  // DiseaseDef::name
  std::string display;  // DiseaseDef::display
  std::string label;    // as recorded
  std::optional<fhir::DateTime> onset;
  Provenance source;
  std::optional<fhir::DateTime> recorded;  // Condition.recordedDate
  std::string clinical_status;             // "active", "resolved", ... ("" when absent)
  std::vector<fhir::Coding> codes;         // the codes as recorded (ICD-10-CM subcodes matter)
};

// A DiagnosticReport: pathology (CMV IHC / tissue PCR in the conclusion) or genomics.
struct ReportFact {
  std::string kind;  // "pathology", "genomics", "other"
  std::string label;
  std::string status;
  fhir::DateTime effective;
  std::string conclusion;                      // conclusion text as recorded
  std::vector<fhir::Coding> conclusion_codes;  // conclusionCode
  std::vector<std::string> genes_studied;      // genomics: HGNC symbols named as studied
  Provenance source;
};

struct Diagnostic {
  Provenance source;
  std::string path;            // "Observation.valueQuantity.unit"
  std::string reason;          // "unit 'mmol/L' cannot be converted to mg/L"
  bool other_patient = false;  // refused as another patient's: never shown by reference
};

struct IbdModel {
  std::string patient_id;
  std::optional<fhir::DateTime> birth_date;
  std::string sex;
  std::vector<Diagnosis> diagnoses;   // IBD diagnoses, most specific first
  std::vector<Diagnosis> conditions;  // other conditions the rules use (CMV colitis)
  std::vector<Therapy> therapies;
  std::vector<Measurement> measurements;  // newest first
  std::vector<GeneResult> genes;          // newest first
  std::vector<ProcedureFact> procedures;  // done and proposed
  std::vector<ReportFact> reports;        // DiagnosticReports, newest first
  std::vector<Diagnostic> diagnostics;    // what was ignored, and why
  std::vector<MissingSource> missing;     // sources that could not be read
  std::vector<std::string> selections;    // order-select: context.selections

  // The disease the model settles on: Crohn's over UC over IBD-U when several are coded.
  const Diagnosis* primary_diagnosis() const;
  // Draft orders of the hook context (proposed therapies).
  std::vector<const Therapy*> proposed_therapies() const;
};

IbdModel build_model(const PatientData& data, const Terminology& terminology, const RuleSet& rules);

}  // namespace ibd::mapping
