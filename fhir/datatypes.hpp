// Read-only views of the FHIR R4 general-purpose datatypes, taken from parsed JSON: Coding,
// CodeableConcept, Quantity (and Age), Reference, Period, Identifier, Range, Ratio, time.
//
// Contract: lenient by design ("accept liberally"). Unknown elements and `extension` are
// ignored; an element of the wrong JSON type, or a date that does not parse, reads as absent.
// The caller decides whether absence is a diagnostic. Nothing here throws on any input.
// Views copy what they read (strings, dates); none keeps a pointer into the JSON.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/datetime.hpp"
#include "fhir/json.hpp"

namespace ibd::fhir {

inline constexpr std::string_view kUcum = "http://unitsofmeasure.org";

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
  std::string type;  // "Patient"; empty for a contained or a urn: reference
  std::string id;    // "123"; the contained id without '#'; empty for a urn: reference
  bool contained = false;
  std::string url;  // the reference as written: "Patient/1", "https://x/Patient/1", "urn:uuid:…"
  std::string version;  // "2" from ".../_history/2"; "" when not versioned
  // A full URL ("http://", "https://") or a urn (urn:uuid:, urn:oid:): a Bundle's fullUrl.
  bool absolute() const;
};

struct Period {
  std::optional<DateTime> start;  // absent when missing or not a valid dateTime
  std::optional<DateTime> end;
};

struct Identifier {
  std::string use;  // "usual", "official", "temp", "secondary", "old", or ""
  CodeableConcept type;
  std::string system;
  std::string value;
};

struct Range {
  std::optional<Quantity> low;  // absent when missing or without a numeric value
  std::optional<Quantity> high;
};

struct Ratio {
  std::optional<Quantity> numerator;
  std::optional<Quantity> denominator;
};

// An R4 `time`: "hh:mm:ss" with optional fraction; a time of day, no zone.
struct Time {
  std::string text;
  std::chrono::seconds since_midnight{0};
};

Coding read_coding(const Json& json);
CodeableConcept read_codeable_concept(const Json& json);  // empty when missing or mistyped
// nullopt when `json` is not an object or `value` is not a JSON number.
std::optional<Quantity> read_quantity(const Json& json);
// Relative "Patient/1", absolute "https://x/fhir/Patient/1", versioned ".../_history/2",
// contained "#m1", or a bundle-local "urn:uuid:…" / "urn:oid:…" (type and id empty).
// nullopt when it is none of these (e.g. a conditional "Patient?identifier=…").
std::optional<Reference> parse_reference(std::string_view reference);
std::optional<Reference> read_reference(const Json& json);  // from {"reference": "..."}
std::optional<Period> read_period(const Json& json);        // nullopt when not an object
std::optional<Identifier> read_identifier(const Json& json);
// A resource's `identifier` array; items that are not objects are skipped.
std::vector<Identifier> read_identifiers(const Json& resource);
std::optional<Range> read_range(const Json& json);
std::optional<Ratio> read_ratio(const Json& json);
// "hh:mm:ss" or "hh:mm:ss.fff"; nullopt for anything else.
std::optional<Time> parse_time(std::string_view text);

// The date an Age (a Quantity in UCUM a, mo, wk or d, or those words) falls on after `birth`:
// whole years and months are added on the calendar (29 February -> end of the month), weeks
// and days as days. Day precision; text "age <value> <unit>". nullopt for another unit or a
// negative or implausible (150 years or more) age.
std::optional<DateTime> date_at_age(const DateTime& birth, const Quantity& age);

}  // namespace ibd::fhir
