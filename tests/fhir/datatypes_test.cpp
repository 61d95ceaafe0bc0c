#include "fhir/datatypes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ibd::fhir {
namespace {

Json json(std::string_view text) {
  auto result = parse_json(text);
  EXPECT_TRUE(result.has_value()) << text;
  return result ? std::move(*result) : Json();
}

TEST(Coding, ReadsAndLabels) {
  const CodeableConcept cc = read_codeable_concept(json(
      R"({"coding":[{"system":"http://loinc.org","code":"1988-5","display":"CRP"},"junk",
        {"system":"s","code":"c"}],"text":"C-reactive protein","extension":[{"url":"x"}]})"));
  ASSERT_EQ(cc.codings.size(), 2u);
  EXPECT_EQ(cc.codings[0].code, "1988-5");
  EXPECT_EQ(cc.label(), "C-reactive protein");
  EXPECT_EQ(read_codeable_concept(json(R"({"coding":[{"system":"s","code":"c"}]})")).label(),
            "s|c");
  EXPECT_EQ(read_codeable_concept(json(R"({"coding":[{"code":"c","display":"D"}]})")).label(), "D");
}

TEST(Coding, MistypedReadsAsEmpty) {
  for (const char* text : {R"("CRP")", "42", "null", "[]", R"({"coding":{"code":"x"}})",
                           R"({"coding":[[["deep"]]],"text":7})"}) {
    const CodeableConcept cc = read_codeable_concept(json(text));
    EXPECT_TRUE(cc.codings.empty()) << text;
    EXPECT_TRUE(cc.text.empty()) << text;
  }
  const Coding c = read_coding(json(R"({"system":1,"code":["x"],"display":null})"));
  EXPECT_TRUE(c.system.empty() && c.code.empty() && c.display.empty());
}

TEST(Quantity, KeepsDecimalTextAndUcumCode) {
  auto q = read_quantity(json(
      R"({"value":1.50,"comparator":"<","unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"})"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->value_text, "1.50");
  EXPECT_DOUBLE_EQ(*q->value, 1.5);
  EXPECT_EQ(q->comparator, "<");
  EXPECT_EQ(q->system, kUcum);
  EXPECT_EQ(q->code, "mg/dL");
  EXPECT_FALSE(read_quantity(json(R"({"value":"1.5","unit":"mg/L"})")));
  EXPECT_FALSE(read_quantity(json(R"({"unit":"mg/L"})")));
  EXPECT_FALSE(read_quantity(json("1.5")));
}

TEST(Reference, RelativeAbsoluteVersionedContainedAndUrn) {
  auto rel = parse_reference("Patient/123");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->type, "Patient");
  EXPECT_EQ(rel->id, "123");
  EXPECT_FALSE(rel->absolute());
  auto abs = parse_reference("https://ehr.example.org/fhir/Medication/m-1/_history/3");
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->type, "Medication");
  EXPECT_EQ(abs->id, "m-1");
  EXPECT_EQ(abs->version, "3");
  EXPECT_TRUE(abs->absolute());
  EXPECT_EQ(abs->url, "https://ehr.example.org/fhir/Medication/m-1/_history/3");
  auto contained = parse_reference("#med");
  ASSERT_TRUE(contained);
  EXPECT_TRUE(contained->contained);
  EXPECT_EQ(contained->id, "med");
  EXPECT_TRUE(contained->type.empty());
  auto urn = parse_reference("urn:uuid:9d3f1a2e-0000-4000-8000-000000000001");
  ASSERT_TRUE(urn);
  EXPECT_TRUE(urn->type.empty());
  EXPECT_TRUE(urn->id.empty());
  EXPECT_TRUE(urn->absolute());
  EXPECT_TRUE(parse_reference("urn:oid:1.2.3"));
  for (const char* bad :
       {"", "#", "Patient", "/123", "Patient/", "patient/1", "urn:uuid:", "Patient?identifier=x|1"})
    EXPECT_FALSE(parse_reference(bad)) << bad;
  EXPECT_FALSE(read_reference(json(R"({"reference":7})")));
  EXPECT_FALSE(read_reference(json(R"("Patient/1")")));
  EXPECT_FALSE(read_reference(json(R"({"display":"Ada"})")));
}

TEST(Period, PartialDatesZonesAndMistypes) {
  auto p = read_period(json(R"({"start":"2024-02","end":"2024-03-01T10:00:00+02:00"})"));
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->start);
  EXPECT_EQ(p->start->precision, DatePrecision::kMonth);
  ASSERT_TRUE(p->end);
  EXPECT_EQ(format_instant(p->end->start), "2024-03-01T08:00:00Z");
  auto open = read_period(json(R"({"start":"2024"})"));
  ASSERT_TRUE(open);
  EXPECT_EQ(open->start->precision, DatePrecision::kYear);
  EXPECT_FALSE(open->end);
  auto bad = read_period(json(R"({"start":"yesterday","end":20240301})"));
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->start);
  EXPECT_FALSE(bad->end);
  EXPECT_FALSE(read_period(json(R"("2024-01-01")")));
}

TEST(Identifier, ReadsEveryPart) {
  auto ids = read_identifiers(json(R"({"identifier":[
      {"use":"official","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},
       "system":"urn:oid:1.2.3","value":"MRN-1"},"junk",{"value":"x","system":9}]})"));
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].use, "official");
  EXPECT_EQ(ids[0].type.codings.at(0).code, "MR");
  EXPECT_EQ(ids[0].system, "urn:oid:1.2.3");
  EXPECT_EQ(ids[0].value, "MRN-1");
  EXPECT_TRUE(ids[1].system.empty());
  EXPECT_TRUE(read_identifiers(json(R"({"identifier":{"value":"x"}})")).empty());
  EXPECT_FALSE(read_identifier(json("[]")));
}

TEST(RangeAndRatio, BoundsAreOptional) {
  auto r = read_range(json(R"({"low":{"value":2,"unit":"mg/L"},"high":{"value":"5"}})"));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->low);
  EXPECT_EQ(r->low->value_text, "2");
  EXPECT_FALSE(r->high);  // a string is not a decimal
  auto ratio = read_ratio(json(R"({"numerator":{"value":1},"denominator":{"value":128}})"));
  ASSERT_TRUE(ratio);
  EXPECT_EQ(ratio->denominator->value_text, "128");
  EXPECT_FALSE(read_range(json("[]")));
  EXPECT_FALSE(read_ratio(json("null")));
}

TEST(Time, ParsesTimesOfDay) {
  auto t = parse_time("13:05:09.25");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->since_midnight.count(), 13 * 3600 + 5 * 60 + 9);
  EXPECT_TRUE(parse_time("00:00:00"));
  for (const char* bad : {"", "13:05", "24:00:00", "13:60:00", "1:05:09", "13:05:09.", "13:05:09Z"})
    EXPECT_FALSE(parse_time(bad)) << bad;
}

TEST(Age, DateAtAgeOnTheCalendar) {
  const DateTime born = *parse_date_time("2020-02-29");
  auto at = [&](const char* quantity) {
    auto q = read_quantity(json(quantity));
    auto d = q ? date_at_age(born, *q) : std::nullopt;
    return d ? format_date(d->start) : std::string("none");
  };
  EXPECT_EQ(at(R"({"value":1,"code":"a"})"), "2021-02-28");
  EXPECT_EQ(at(R"({"value":4,"unit":"years"})"), "2024-02-29");
  EXPECT_EQ(at(R"({"value":1,"code":"mo"})"), "2020-03-29");
  EXPECT_EQ(at(R"({"value":2,"code":"wk"})"), "2020-03-14");
  EXPECT_EQ(at(R"({"value":1,"code":"d"})"), "2020-03-01");
  EXPECT_EQ(at(R"({"value":1,"code":"h"})"), "none");
  EXPECT_EQ(at(R"({"value":-1,"code":"a"})"), "none");
  EXPECT_EQ(at(R"({"value":1e300,"code":"a"})"), "none");
}

}  // namespace
}  // namespace ibd::fhir
