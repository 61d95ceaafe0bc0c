#include "fhir/datatypes.hpp"

#include <algorithm>
#include <cmath>

namespace ibd::fhir {
namespace {

std::string string_or_empty(const Json& json, std::string_view key) {
  const std::string* s = json.string_at(key);
  return s ? *s : std::string();
}

std::optional<DateTime> date_at(const Json& json, std::string_view key) {
  const std::string* s = json.string_at(key);
  return s ? parse_date_time(*s) : std::nullopt;
}

std::optional<Quantity> quantity_at(const Json& json, std::string_view key) {
  const Json* q = json.find(key);
  return q ? read_quantity(*q) : std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string CodeableConcept::label() const {
  if (!text.empty()) return text;
  for (const Coding& c : codings)
    if (!c.display.empty()) return c.display;
  for (const Coding& c : codings)
    if (!c.code.empty()) return c.system.empty() ? c.code : c.system + "|" + c.code;
  return {};
}

bool Reference::absolute() const {
  return url.starts_with("http://") || url.starts_with("https://") || url.starts_with("urn:");
}

Coding read_coding(const Json& json) {
  return Coding{string_or_empty(json, "system"), string_or_empty(json, "code"),
                string_or_empty(json, "display")};
}

CodeableConcept read_codeable_concept(const Json& json) {
  CodeableConcept out;
  if (!json.is_object()) return out;
  out.text = string_or_empty(json, "text");
  for (const Json& c : json.items_at("coding"))
    if (c.is_object()) out.codings.push_back(read_coding(c));
  return out;
}

std::optional<Quantity> read_quantity(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  const Json* value = json.find("value");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  Quantity q;
  q.value_text = *value->as_number_text();
  q.value = value->as_double();
  q.comparator = string_or_empty(json, "comparator");
  q.unit = string_or_empty(json, "unit");
  q.system = string_or_empty(json, "system");
  q.code = string_or_empty(json, "code");
  return q;
}

std::optional<Reference> parse_reference(std::string_view ref) {
  if (ref.empty()) return std::nullopt;
  Reference out;
  out.url = std::string(ref);
  if (ref.front() == '#') {
    if (ref.size() == 1) return std::nullopt;
    out.id = std::string(ref.substr(1));
    out.contained = true;
    return out;
  }
  if (ref.starts_with("urn:uuid:") || ref.starts_with("urn:oid:")) {
    if (ref.size() == ref.find(':', 4) + 1) return std::nullopt;  // nothing after the prefix
    return out;
  }
  if (ref.find('?') != std::string_view::npos) return std::nullopt;  // a conditional reference
  // Drop a version suffix, then take the last two segments.
  if (auto h = ref.find("/_history/"); h != std::string_view::npos) {
    out.version = std::string(ref.substr(h + 10));
    ref = ref.substr(0, h);
  }
  const auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) return std::nullopt;
  std::string_view id = ref.substr(slash + 1);
  std::string_view head = ref.substr(0, slash);
  const auto prev = head.rfind('/');
  std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
  if (type.empty() || !(type.front() >= 'A' && type.front() <= 'Z')) return std::nullopt;
  out.type = std::string(type);
  out.id = std::string(id);
  return out;
}

std::optional<Reference> read_reference(const Json& json) {
  const std::string* ref = json.string_at("reference");
  if (ref == nullptr) return std::nullopt;
  return parse_reference(*ref);
}

std::optional<Period> read_period(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  return Period{date_at(json, "start"), date_at(json, "end")};
}

std::optional<Identifier> read_identifier(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  Identifier out;
  out.use = string_or_empty(json, "use");
  if (const Json* type = json.find("type")) out.type = read_codeable_concept(*type);
  out.system = string_or_empty(json, "system");
  out.value = string_or_empty(json, "value");
  return out;
}

std::vector<Identifier> read_identifiers(const Json& resource) {
  std::vector<Identifier> out;
  for (const Json& i : resource.items_at("identifier"))
    if (auto id = read_identifier(i)) out.push_back(std::move(*id));
  return out;
}

std::optional<Range> read_range(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  return Range{quantity_at(json, "low"), quantity_at(json, "high")};
}

std::optional<Ratio> read_ratio(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  return Ratio{quantity_at(json, "numerator"), quantity_at(json, "denominator")};
}

std::optional<Time> parse_time(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  for (std::size_t i : {0, 1, 3, 4, 6, 7})
    if (!is_digit(s[i])) return std::nullopt;
  const int hh = (s[0] - '0') * 10 + (s[1] - '0');
  const int mm = (s[3] - '0') * 10 + (s[4] - '0');
  const int ss = (s[6] - '0') * 10 + (s[7] - '0');
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  if (s.size() > 8) {
    if (s[8] != '.' || s.size() == 9) return std::nullopt;
    for (std::size_t i = 9; i < s.size(); ++i)
      if (!is_digit(s[i])) return std::nullopt;
  }
  return Time{std::string(s), std::chrono::seconds{hh * 3600 + mm * 60 + std::min(ss, 59)}};
}

std::optional<DateTime> date_at_age(const DateTime& birth, const Quantity& age) {
  using namespace std::chrono;
  if (!age.value || !std::isfinite(*age.value) || *age.value < 0 || *age.value >= 150 * 366)
    return std::nullopt;
  const std::string unit = !age.code.empty() ? age.code : age.unit;
  const double v = *age.value;
  const year_month_day born{birth.day()};
  sys_days at;
  if (unit == "a" || unit == "year" || unit == "years" || unit == "yr") {
    year_month_day ymd = born + years{static_cast<int>(v)};
    if (!ymd.ok()) ymd = ymd.year() / ymd.month() / last;  // born on 29 February
    at = sys_days{ymd};
  } else if (unit == "mo" || unit == "month" || unit == "months") {
    year_month_day ymd = born + months{static_cast<int>(v)};
    if (!ymd.ok()) ymd = ymd.year() / ymd.month() / last;
    at = sys_days{ymd};
  } else if (unit == "wk" || unit == "week" || unit == "weeks") {
    at = birth.day() + days{static_cast<int>(v * 7)};
  } else if (unit == "d" || unit == "day" || unit == "days") {
    at = birth.day() + days{static_cast<int>(v)};
  } else {
    return std::nullopt;
  }
  DateTime out = birth;
  out.start = at;
  out.precision = DatePrecision::kDay;
  out.text = "age " + age.value_text + " " + unit;
  return out;
}

}  // namespace ibd::fhir
