// The drug of a MedicationStatement, MedicationRequest, MedicationAdministration or
// MedicationDispense: its `medication[x]`, either a CodeableConcept or a reference to a
// Medication that is contained ("#id"), bundled (fullUrl, absolute or "urn:uuid:") or among
// the resources by "Medication/<id>".
//
// Contract: never throws; says which element it read and why it found no drug, so the caller
// can name the element in a diagnostic. Pure; thread-safe (the index is only read).
#pragma once

#include <string>
#include <string_view>

#include "fhir/datatypes.hpp"
#include "fhir/json.hpp"
#include "fhir/resource_index.hpp"

namespace ibd::fhir {

struct MedicationCode {
  enum class Problem {
    kNone,
    kMissing,        // no medication[x]
    kMistyped,       // medicationCodeableConcept / medicationReference of the wrong JSON type
    kNotFound,       // the reference resolves to nothing here, and it has no display
    kNotMedication,  // the reference resolves to another resource type (`target_type`)
    kNoCode,         // the Medication has no code, and the reference no display
  };
  std::string element;  // "medicationCodeableConcept", "medicationReference"; "" when neither
  // The concept: the CodeableConcept, else the Medication's code, else the reference's
  // display as text. Empty when `problem` is set.
  CodeableConcept code;
  const Json* medication = nullptr;  // the Medication referred to, when resolved (into the data)
  Problem problem = Problem::kNone;
  std::string target_type;  // kNotMedication: what the reference points to

  // The element at fault: `element`, or "medication[x]" when there is none.
  std::string path() const { return element.empty() ? "medication[x]" : element; }
  // Why there is no drug, in words ("the referenced Medication is not in the data"); "" for
  // kNone.
  std::string problem_text() const;
};

// `full_url` is the Bundle entry fullUrl of `resource`, when it came in a Bundle.
MedicationCode read_medication_code(const Json& resource, const ResourceIndex& index,
                                    std::string_view full_url = {});

}  // namespace ibd::fhir
