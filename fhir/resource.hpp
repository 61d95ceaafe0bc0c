// Resource-level helpers for FHIR R4 JSON: type and id, whose record a resource is (subject /
// patient), which of two versions is newer, and OperationOutcome (read and build). Includes
// the datatype and Bundle views, so one include gives the whole read-only FHIR surface.
//
// Contract: lenient by design ("accept liberally"): unknown elements are ignored and a
// mistyped element reads as absent; the caller decides whether absence is a diagnostic.
// Nothing here throws. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/bundle.hpp"
#include "fhir/datatypes.hpp"
#include "fhir/json.hpp"

namespace ibd::fhir {

const std::string* resource_type(const Json& resource);
const std::string* resource_id(const Json& resource);

// The element naming the patient a resource is about: `subject` (Condition, Observation,
// MedicationStatement, MedicationRequest, Procedure, ServiceRequest, DiagnosticReport, ...)
// or `patient` (AllergyIntolerance, Immunization, ...), whichever is present, `subject` first.
struct SubjectRef {
  std::string element;                 // "subject", "patient"; "" when the resource has neither
  std::optional<Reference> reference;  // nullopt when absent, mistyped or not a reference
};
SubjectRef subject_of(const Json& resource);

// Whether `a` is a later version of the same resource than `b`: by meta.versionId when both
// are integers, else by meta.lastUpdated, else neither is newer (false).
bool newer_version(const Json& a, const Json& b);

struct OutcomeIssue {
  std::string severity;  // "fatal", "error", "warning", "information"
  std::string code;      // "not-found", "processing", ...
  CodeableConcept details;
  std::string diagnostics;
  std::vector<std::string> expression;  // FHIRPath of the element at fault
};
// The issues of an OperationOutcome; empty when `json` is not one. Issues that are not
// objects are skipped.
std::vector<OutcomeIssue> read_operation_outcome(const Json& json);

// A one-issue OperationOutcome, e.g. ("error", "not-found", "Patient could not be read").
Json operation_outcome(std::string_view severity, std::string_view code,
                       std::string_view diagnostics);

}  // namespace ibd::fhir
