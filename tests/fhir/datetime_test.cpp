#include "fhir/datetime.hpp"

#include <gtest/gtest.h>

namespace ibd::fhir {
namespace {

TEST(DateTime, ParsesEveryPrecision) {
  auto y = parse_date_time("2024");
  ASSERT_TRUE(y);
  EXPECT_EQ(y->precision, DatePrecision::kYear);
  EXPECT_EQ(format_instant(y->start), "2024-01-01T00:00:00Z");
  auto m = parse_date_time("2024-02");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->precision, DatePrecision::kMonth);
  EXPECT_EQ(format_date(m->start), "2024-02-01");
  auto d = parse_date_time("2024-02-29");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->precision, DatePrecision::kDay);
  EXPECT_EQ(d->text, "2024-02-29");
}

TEST(DateTime, TimeZonesNormaliseToUtc) {
  auto plus = parse_date_time("2024-02-29T23:30:00+01:00");
  ASSERT_TRUE(plus);
  EXPECT_EQ(format_instant(plus->start), "2024-02-29T22:30:00Z");
  auto minus = parse_date_time("2024-02-29T23:30:00-05:00");
  ASSERT_TRUE(minus);
  EXPECT_EQ(format_instant(minus->start), "2024-03-01T04:30:00Z");
  auto frac = parse_date_time("2024-02-29T23:30:00.123Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(format_instant(frac->start), "2024-02-29T23:30:00Z");
}

TEST(DateTime, RejectsInvalid) {
  for (const char* bad :
       {"", "24", "2023-02-29", "2024-13-01", "2024-1-01", "2024-01-01T10:00:00",
        "2024-01-01T25:00:00Z", "2024-01-01 10:00:00Z", "2024-01-01T10:00:00+1:00",
        "2024-01-01T10:00:00Zjunk", "abcd", "2024-01-01T10:00:00."}) {
    EXPECT_FALSE(parse_date_time(bad)) << bad;
  }
}

TEST(DateTime, DaysBetweenCountsCalendarDays) {
  auto a = parse_date_time("2026-03-03")->start;
  auto b = parse_date_time("2026-06-01T09:00:00Z")->start;
  EXPECT_EQ(days_between(a, b), 90);
  EXPECT_EQ(days_between(b, a), -90);
  auto late = parse_date_time("2026-05-31T23:59:59Z")->start;
  EXPECT_EQ(days_between(late, b), 1);
}

}  // namespace
}  // namespace ibd::fhir

namespace ibd::fhir {
namespace {

TEST(ShiftDates, MovesFullDatesAndDateTimesOnly) {
  auto json =
      parse_json(R"({"birthDate":"1994-03-12","effectiveDateTime":"2026-05-20T08:30:00+02:00",
    "code":"1256","year":"2015","month":"2015-06","list":[{"start":"2025-10-01"}],"n":5})");
  ASSERT_TRUE(json);
  EXPECT_EQ(shift_dates(*json, 10), 3u);
  EXPECT_EQ(*json->string_at("birthDate"), "1994-03-22");
  EXPECT_EQ(*json->string_at("effectiveDateTime"), "2026-05-30T06:30:00Z");
  EXPECT_EQ(*json->string_at("code"), "1256");
  EXPECT_EQ(*json->string_at("year"), "2015");
  EXPECT_EQ(*json->string_at("month"), "2015-06");
  EXPECT_EQ(*json->array_at("list")->front().string_at("start"), "2025-10-11");
}

}  // namespace
}  // namespace ibd::fhir

namespace ibd::fhir {
namespace {

TEST(DateTime, LatestCoversThePrecision) {
  EXPECT_EQ(format_instant(parse_date_time("2026")->latest()), "2026-12-31T23:59:59Z");
  EXPECT_EQ(format_instant(parse_date_time("2024-02")->latest()), "2024-02-29T23:59:59Z");
  EXPECT_EQ(format_instant(parse_date_time("2026-12")->latest()), "2026-12-31T23:59:59Z");
  EXPECT_EQ(format_instant(parse_date_time("2026-05-20")->latest()), "2026-05-20T23:59:59Z");
  EXPECT_EQ(format_instant(parse_date_time("2026-05-20T10:00:00Z")->latest()),
            "2026-05-20T10:00:00Z");
}

}  // namespace
}  // namespace ibd::fhir
