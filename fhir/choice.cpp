#include "fhir/choice.hpp"

#include <array>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ibd::fhir {
namespace {

struct ValueElement {
  ValueType type;
  std::string_view element;
  std::string_view type_name;
};

constexpr std::array<ValueElement, 12> kValueElements{{
    {ValueType::kNone, "", ""},
    {ValueType::kQuantity, "valueQuantity", "Quantity"},
    {ValueType::kCodeableConcept, "valueCodeableConcept", "CodeableConcept"},
    {ValueType::kString, "valueString", "string"},
    {ValueType::kBoolean, "valueBoolean", "boolean"},
    {ValueType::kInteger, "valueInteger", "integer"},
    {ValueType::kRange, "valueRange", "Range"},
    {ValueType::kRatio, "valueRatio", "Ratio"},
    {ValueType::kSampledData, "valueSampledData", "SampledData"},
    {ValueType::kTime, "valueTime", "time"},
    {ValueType::kDateTime, "valueDateTime", "dateTime"},
    {ValueType::kPeriod, "valuePeriod", "Period"},
}};
static_assert(std::variant_size_v<ValueVariant> == kValueElements.size());
template <ValueType type, class T>
constexpr bool kHolds =
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(type), ValueVariant>, T>;
static_assert(kHolds<ValueType::kQuantity, Quantity> && kHolds<ValueType::kString, std::string> &&
              kHolds<ValueType::kInteger, std::int64_t> && kHolds<ValueType::kTime, Time> &&
              kHolds<ValueType::kPeriod, Period>);

// The value of one element of a known type; monostate when it is not a valid value of it.
ValueVariant read_as(ValueType type, const Json& v) {
  switch (type) {
    case ValueType::kQuantity:
      if (auto q = read_quantity(v)) return *q;
      break;
    case ValueType::kCodeableConcept:
      if (v.is_object()) return read_codeable_concept(v);
      break;
    case ValueType::kString:
      if (const std::string* s = v.as_string()) return *s;
      break;
    case ValueType::kBoolean:
      if (auto b = v.as_bool()) return *b;
      break;
    case ValueType::kInteger:
      if (auto i = v.as_int()) return *i;
      break;
    case ValueType::kRange:
      if (auto r = read_range(v)) return *r;
      break;
    case ValueType::kRatio:
      if (auto r = read_ratio(v)) return *r;
      break;
    case ValueType::kSampledData:
      if (v.is_object()) return SampledData{};
      break;
    case ValueType::kTime:
      if (const std::string* s = v.as_string())
        if (auto t = parse_time(*s)) return *t;
      break;
    case ValueType::kDateTime:
      if (const std::string* s = v.as_string())
        if (auto d = parse_date_time(*s)) return *d;
      break;
    case ValueType::kPeriod:
      if (auto p = read_period(v)) return *p;
      break;
    case ValueType::kNone:
      break;
  }
  return std::monostate{};
}

// A date element of a Period: absent (nullopt, true), valid (date, true), or present and not a
// valid date (nullopt, false).
std::pair<std::optional<DateTime>, bool> period_date(const Json& period, std::string_view key) {
  const Json* v = period.find(key);
  if (v == nullptr || v->is_null()) return {std::nullopt, true};
  const std::string* s = v->as_string();
  auto date = s ? parse_date_time(*s) : std::nullopt;
  return {date, date.has_value()};
}

}  // namespace

std::string_view value_element(ValueType type) {
  return kValueElements[static_cast<std::size_t>(type)].element;
}

std::string_view value_type_name(ValueType type) {
  return kValueElements[static_cast<std::size_t>(type)].type_name;
}

ObservationValue read_observation_value(const Json& json) {
  ObservationValue out;
  const Json* found = nullptr;
  for (const ValueElement& e : kValueElements) {
    if (e.type == ValueType::kNone) continue;
    const Json* v = json.find(e.element);
    if (v == nullptr || v->is_null()) continue;  // JSON null is no value in FHIR
    if (found == nullptr) {
      found = v;
      out.element = std::string(e.element);
      out.declared = e.type;
    } else {
      out.extra.emplace_back(e.element);
    }
  }
  if (found == nullptr || out.ambiguous()) return out;
  out.value = read_as(out.declared, *found);
  out.mistyped = !out.has_value();
  return out;
}

std::string EffectiveTime::path() const {
  if (element.empty()) return prefix + "[x]";
  if (element.ends_with("Period")) {
    if (!date) return element + ".start";
    if (invalid) return element + ".end";
  }
  return element;
}

EffectiveTime read_effective(const Json& resource, std::string_view prefix) {
  EffectiveTime out;
  out.prefix = std::string(prefix);
  for (std::string_view suffix : {"DateTime", "Instant", "Period"}) {
    std::string element = out.prefix + std::string(suffix);
    const Json* v = resource.find(element);
    if (v == nullptr || v->is_null()) continue;
    out.element = std::move(element);
    if (suffix != "Period") {
      const std::string* s = v->as_string();
      out.date = s ? parse_date_time(*s) : std::nullopt;
      out.invalid = !out.date;
    } else if (v->is_object()) {
      bool start_ok = false, end_ok = false;
      std::tie(out.date, start_ok) = period_date(*v, "start");
      std::tie(out.end, end_ok) = period_date(*v, "end");
      out.invalid = !start_ok || !end_ok;
    } else {
      out.invalid = true;
    }
    break;
  }
  return out;
}

}  // namespace ibd::fhir
