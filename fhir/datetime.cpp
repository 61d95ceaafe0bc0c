#include "fhir/datetime.hpp"

#include <charconv>
#include <cstdio>

namespace ibd::fhir {
namespace {

// Reads exactly `n` digits at `pos`; nullopt when they are not all digits.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

std::optional<std::chrono::sys_days> make_day(int y, int m, int d) {
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(m)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

}  // namespace

TimePoint DateTime::latest() const {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(start)};
  switch (precision) {
    case DatePrecision::kYear:
      return TimePoint{sys_days{(ymd.year() + years{1}) / January / 1}} - seconds{1};
    case DatePrecision::kMonth:
      return TimePoint{sys_days{(ymd.year() / ymd.month() + months{1}) / 1}} - seconds{1};
    case DatePrecision::kDay:
      return start + days{1} - seconds{1};
    case DatePrecision::kSecond:
      return start;
  }
  return start;
}

std::optional<DateTime> parse_date_time(std::string_view s) {
  using namespace std::chrono;
  DateTime out;
  out.text = std::string(s);
  auto year = digits(s, 0, 4);
  if (!year || *year < 1) return std::nullopt;
  if (s.size() == 4) {
    out.start = sys_days{std::chrono::year{*year} / January / 1};
    out.precision = DatePrecision::kYear;
    return out;
  }
  if (s.size() < 7 || s[4] != '-') return std::nullopt;
  auto month = digits(s, 5, 2);
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  if (s.size() == 7) {
    out.start = *make_day(*year, *month, 1);
    out.precision = DatePrecision::kMonth;
    return out;
  }
  if (s.size() < 10 || s[7] != '-') return std::nullopt;
  auto dayv = digits(s, 8, 2);
  if (!dayv) return std::nullopt;
  auto date = make_day(*year, *month, *dayv);
  if (!date) return std::nullopt;
  if (s.size() == 10) {
    out.start = *date;
    out.precision = DatePrecision::kDay;
    return out;
  }
  // Time part: Thh:mm:ss[.fraction] then a zone, which R4 requires with a time.
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  auto hh = digits(s, 11, 2), mm = digits(s, 14, 2), ss = digits(s, 17, 2);
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    std::size_t begin = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == begin) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  seconds offset{0};
  if (s[pos] == 'Z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (pos + 6 != s.size() || s[pos + 3] != ':') return std::nullopt;
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || *oh > 14 || *om > 59) return std::nullopt;
    offset = hours{*oh} + minutes{*om};
    if (s[pos] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  // A leap second is read as the last second of the minute.
  out.start = TimePoint{*date} + hours{*hh} + minutes{*mm} + seconds{std::min(*ss, 59)} - offset;
  out.precision = DatePrecision::kSecond;
  return out;
}

std::string format_instant(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string format_date(TimePoint t) { return format_instant(t).substr(0, 10); }

long days_between(TimePoint a, TimePoint b) {
  using namespace std::chrono;
  return static_cast<long>((floor<days>(b) - floor<days>(a)).count());
}

}  // namespace ibd::fhir

namespace ibd::fhir {

std::size_t shift_dates(Json& json, long days) {
  std::size_t moved = 0;
  if (Json::Array* items = json.as_array()) {
    for (Json& item : *items) moved += shift_dates(item, days);
    return moved;
  }
  if (Json::Object* members = json.as_object()) {
    for (JsonMember& m : *members) moved += shift_dates(m.value, days);
    return moved;
  }
  const std::string* s = json.as_string();
  if (s == nullptr || s->size() < 10) return 0;
  auto dt = parse_date_time(*s);
  if (!dt || dt->precision < DatePrecision::kDay) return 0;
  const TimePoint moved_to = dt->start + std::chrono::days{days};
  json = Json::string(dt->precision == DatePrecision::kDay ? format_date(moved_to)
                                                           : format_instant(moved_to));
  return 1;
}

}  // namespace ibd::fhir
