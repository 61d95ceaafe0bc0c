// FHIR R4 date, dateTime and instant values with their precision.
//
// A value is stored as the first second it covers (UTC) plus its precision: "2024" is
// 2024-01-01T00:00:00Z with year precision. A dateTime without a time zone can only be a date
// in R4 (times need a zone); a date has no zone and is taken as UTC midnight, which is
// what day-level windows (90 days, 14 weeks) need.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ibd::fhir {

using TimePoint = std::chrono::sys_seconds;

enum class DatePrecision { kYear, kMonth, kDay, kSecond };

struct DateTime {
  TimePoint start{};  // first instant covered, UTC
  DatePrecision precision = DatePrecision::kDay;
  std::string text;  // as written in the resource

  std::chrono::sys_days day() const { return std::chrono::floor<std::chrono::days>(start); }
  // The last second the value covers: "2026" -> 2026-12-31T23:59:59Z.
  TimePoint latest() const;
  friend bool operator<(const DateTime& a, const DateTime& b) { return a.start < b.start; }
};

// Parses YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm).
// Returns nullopt for anything else (including impossible dates like 2023-02-30).
std::optional<DateTime> parse_date_time(std::string_view text);

// "2026-11-22T10:00:00Z" for a time point (seconds precision, UTC).
std::string format_instant(TimePoint t);
// "2026-11-22" for the day of a time point (UTC).
std::string format_date(TimePoint t);

// Whole days from a to b (negative when b is earlier), counted on UTC calendar days.
long days_between(TimePoint a, TimePoint b);

}  // namespace ibd::fhir

#include "fhir/json.hpp"

namespace ibd::fhir {

// Moves every full date or dateTime string in `json` (YYYY-MM-DD, with or without a time)
// by `days`, keeping its precision; dateTimes come back in UTC. Year and year-month strings
// are left alone (they are indistinguishable from codes such as "1256"). Used to replay a
// recorded scenario as if it happened today. Returns how many values moved.
std::size_t shift_dates(Json& json, long days);

}  // namespace ibd::fhir
