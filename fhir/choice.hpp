// Choice elements ("[x]") of FHIR R4 resources: Observation.value[x] (also of a component) and
// the time of an event (effective[x], onset[x], performed[x], occurrence[x]).
//
// Contract: never throws; reads what is there and says which element it read, so the caller
// can name it in a diagnostic. An element of the wrong JSON type, or holding an invalid date,
// is reported as present but mistyped / invalid rather than guessed at. Unknown elements are
// ignored. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fhir/datatypes.hpp"
#include "fhir/datetime.hpp"
#include "fhir/json.hpp"

namespace ibd::fhir {

// SampledData is recognised but not read: its samples are a data stream this service has no
// use for, and the caller reports it as unsupported.
struct SampledData {};

// The R4 Observation.value[x] types, in the order of the specification. The numbering matches
// the alternatives of ObservationValue::value.
enum class ValueType {
  kNone,
  kQuantity,
  kCodeableConcept,
  kString,
  kBoolean,
  kInteger,
  kRange,
  kRatio,
  kSampledData,
  kTime,
  kDateTime,
  kPeriod,
};

using ValueVariant = std::variant<std::monostate, Quantity, CodeableConcept, std::string, bool,
                                  std::int64_t, Range, Ratio, SampledData, Time, DateTime, Period>;

struct ObservationValue {
  // The value read; monostate when there is none, when `element` is mistyped, or when more
  // than one value[x] is present (then no value is trusted).
  ValueVariant value;
  std::string element;  // the value[x] element found: "valueQuantity"; "" when none
  ValueType declared = ValueType::kNone;  // the type `element` declares, even when mistyped
  // `element` is there but not a valid value of its type (e.g. valueQuantity without a numeric
  // value, valueInteger 1.5, valueDateTime "yesterday").
  bool mistyped = false;
  std::vector<std::string> extra;  // further value[x] elements: two values are invalid FHIR

  ValueType type() const { return static_cast<ValueType>(value.index()); }
  bool has_value() const { return value.index() != 0; }
  bool ambiguous() const { return !extra.empty(); }
  template <class T>
  const T* get() const {
    return std::get_if<T>(&value);
  }
};

// Observation.value[x] or Observation.component.value[x] of `json`.
ObservationValue read_observation_value(const Json& observation_or_component);

// "valueQuantity" for kQuantity, ...; "" for kNone.
std::string_view value_element(ValueType type);
// "Quantity", "CodeableConcept", "string", "boolean", ... as FHIR names the type; "" for kNone.
std::string_view value_type_name(ValueType type);

// The time of an event from `<prefix>DateTime`, `<prefix>Instant` or `<prefix>Period`, the
// first present in that order (two are invalid FHIR; the others are ignored).
struct EffectiveTime {
  std::string prefix;            // "effective"
  std::string element;           // "effectiveDateTime", ... ; "" when none of the three is there
  std::optional<DateTime> date;  // the dateTime or instant, or the period's start
  std::optional<DateTime> end;   // the period's end
  // `element` is there but holds no valid date: a mistyped element, an unparseable date, or
  // a period whose start or end is present and invalid.
  bool invalid = false;

  bool present() const { return !element.empty(); }
  // Where the date is missing or bad, for a diagnostic: "effective[x]" when there is no
  // element, "effectivePeriod.start" for a period without a valid start,
  // "effectivePeriod.end" for one whose end alone is invalid, else the element.
  std::string path() const;
};
EffectiveTime read_effective(const Json& resource, std::string_view prefix = "effective");

}  // namespace ibd::fhir
