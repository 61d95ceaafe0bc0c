// Read-only views of the FHIR R4 datatypes the mapping needs, taken from parsed JSON.
//
// Lenient by design ("accept liberally"): unknown elements are ignored and a mistyped element
// reads as absent; the caller decides whether absence is a diagnostic. Nothing here throws.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::fhir {

struct Coding {
  std::string system;
  std::string code;
  std::string display;
};

struct CodeableConcept {
  std::vector<Coding> codings;
  std::string text;
  // text, else the first coding's display, else "system|code", else "".
  std::string label() const;
};

struct Quantity {
  std::string value_text;       // the decimal as written
  std::optional<double> value;  // nullopt when value_text is not a number
  std::string comparator;       // "<", "<=", ">=", ">" or ""
  std::string unit;             // human-readable unit as sent
  std::string system;
  std::string code;  // UCUM code when system is UCUM
};

struct Reference {
  std::string type;  // "Patient"; empty for a contained reference
  std::string id;    // "123"; the contained id without '#'
  bool contained = false;
};

Coding read_coding(const Json& json);
CodeableConcept read_codeable_concept(const Json& json);  // tolerant of a missing/mistyped value
std::optional<Quantity> read_quantity(const Json& json);
// Relative "Patient/1", absolute "https://x/fhir/Patient/1", versioned ".../_history/2",
// contained "#m1". nullopt when it is none of these.
std::optional<Reference> parse_reference(std::string_view reference);
std::optional<Reference> read_reference(const Json& json);  // from {"reference": "..."}

const std::string* resource_type(const Json& resource);
const std::string* resource_id(const Json& resource);

// The resources of a Bundle's entries (entry[].resource), in order; mistyped entries skipped.
std::vector<const Json*> bundle_resources(const Json& bundle);

// A one-issue OperationOutcome, e.g. ("error", "not-found", "Patient could not be read").
Json operation_outcome(std::string_view severity, std::string_view code,
                       std::string_view diagnostics);

inline constexpr std::string_view kUcum = "http://unitsofmeasure.org";

}  // namespace ibd::fhir
