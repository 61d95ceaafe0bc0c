#include "fhir/choice.hpp"

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

ObservationValue value_of(const std::string& member) {
  return read_observation_value(json(R"({"resourceType":"Observation","status":"final",)" + member +
                                     R"(,"extension":[{"url":"x","valueString":"y"}]})"));
}

TEST(ObservationValue, ReadsEveryR4Type) {
  struct Case {
    std::string member;
    ValueType type;
  };
  const Case cases[] = {
      {R"("valueQuantity":{"value":4.20,"unit":"mg/L"})", ValueType::kQuantity},
      {R"("valueCodeableConcept":{"text":"Detected"})", ValueType::kCodeableConcept},
      {R"("valueString":"<0.4")", ValueType::kString},
      {R"("valueBoolean":false)", ValueType::kBoolean},
      {R"("valueInteger":-3)", ValueType::kInteger},
      {R"("valueRange":{"high":{"value":5}})", ValueType::kRange},
      {R"("valueRatio":{"numerator":{"value":1},"denominator":{"value":64}})", ValueType::kRatio},
      {R"("valueSampledData":{"origin":{"value":0},"period":10,"dimensions":1,"data":"1 2"})",
       ValueType::kSampledData},
      {R"("valueTime":"08:30:00")", ValueType::kTime},
      {R"("valueDateTime":"2024-05-01T08:30:00-04:00")", ValueType::kDateTime},
      {R"("valuePeriod":{"start":"2024-05-01"})", ValueType::kPeriod},
  };
  for (const Case& c : cases) {
    const ObservationValue v = value_of(c.member);
    EXPECT_EQ(v.type(), c.type) << c.member;
    EXPECT_EQ(v.declared, c.type) << c.member;
    EXPECT_EQ(v.element, value_element(c.type)) << c.member;
    EXPECT_TRUE(v.has_value()) << c.member;
    EXPECT_FALSE(v.mistyped) << c.member;
    EXPECT_FALSE(v.ambiguous()) << c.member;
  }
  EXPECT_EQ(value_of(R"("valueQuantity":{"value":4.20})").get<Quantity>()->value_text, "4.20");
  EXPECT_EQ(*value_of(R"("valueInteger":-3)").get<std::int64_t>(), -3);
  EXPECT_EQ(*value_of(R"("valueBoolean":false)").get<bool>(), false);
  EXPECT_EQ(format_instant(
                value_of(R"("valueDateTime":"2024-05-01T08:30:00-04:00")").get<DateTime>()->start),
            "2024-05-01T12:30:00Z");
  EXPECT_EQ(value_type_name(ValueType::kRange), "Range");
  EXPECT_EQ(value_element(ValueType::kNone), "");
}

TEST(ObservationValue, MistypedIsReportedNotGuessed) {
  for (const char* member :
       {R"("valueQuantity":{"value":"12","unit":"mg/L"})", R"("valueQuantity":12)",
        R"("valueCodeableConcept":"Detected")", R"("valueString":12)", R"("valueBoolean":"true")",
        R"("valueInteger":1.5)", R"("valueInteger":"7")", R"("valueRange":[1,2])",
        R"("valueRatio":"1:64")", R"("valueSampledData":"1 2 3")", R"("valueTime":"8:30")",
        R"("valueDateTime":"yesterday")", R"("valuePeriod":"2024")"}) {
    const ObservationValue v = value_of(member);
    EXPECT_TRUE(v.mistyped) << member;
    EXPECT_FALSE(v.has_value()) << member;
    EXPECT_FALSE(v.element.empty()) << member;
    EXPECT_NE(v.declared, ValueType::kNone) << member;
  }
}

TEST(ObservationValue, TwoValuesAreAmbiguous) {
  const ObservationValue v = value_of(R"("valueString":"12","valueQuantity":{"value":12})");
  EXPECT_TRUE(v.ambiguous());
  EXPECT_FALSE(v.has_value());
  EXPECT_EQ(v.element, "valueQuantity");  // the specification's order, not the document's
  ASSERT_EQ(v.extra.size(), 1u);
  EXPECT_EQ(v.extra[0], "valueString");
}

TEST(ObservationValue, NoneAndNullAndComponents) {
  const ObservationValue none = value_of(R"("dataAbsentReason":{"text":"haemolysed"})");
  EXPECT_EQ(none.type(), ValueType::kNone);
  EXPECT_TRUE(none.element.empty());
  EXPECT_FALSE(none.mistyped);
  EXPECT_TRUE(value_of(R"("valueString":null)").element.empty());
  EXPECT_TRUE(value_of(R"("valueDecimal":3.2)").element.empty());  // not an R4 value[x]
  for (const char* not_object : {"null", "[]", "\"x\"", "3"})
    EXPECT_FALSE(read_observation_value(json(not_object)).has_value());
  const Json component = json(R"({"code":{"text":"gene"},"valueCodeableConcept":{"text":"TPMT"}})");
  EXPECT_EQ(read_observation_value(component).get<CodeableConcept>()->text, "TPMT");
}

TEST(Effective, EveryFormAndItsElement) {
  auto dt = read_effective(json(R"({"effectiveDateTime":"2024-03"})"));
  EXPECT_EQ(dt.element, "effectiveDateTime");
  ASSERT_TRUE(dt.date);
  EXPECT_EQ(dt.date->precision, DatePrecision::kMonth);
  EXPECT_FALSE(dt.invalid);
  auto instant = read_effective(json(R"({"effectiveInstant":"2024-03-01T23:30:00-05:00"})"));
  EXPECT_EQ(instant.element, "effectiveInstant");
  EXPECT_EQ(format_instant(instant.date->start), "2024-03-02T04:30:00Z");
  auto period =
      read_effective(json(R"({"effectivePeriod":{"start":"2024-01-01","end":"2024-06"}})"));
  EXPECT_EQ(period.element, "effectivePeriod");
  EXPECT_EQ(format_date(period.date->start), "2024-01-01");
  ASSERT_TRUE(period.end);
  EXPECT_EQ(period.end->precision, DatePrecision::kMonth);
  auto onset = read_effective(json(R"({"onsetDateTime":"2015"})"), "onset");
  EXPECT_EQ(onset.element, "onsetDateTime");
  EXPECT_EQ(onset.path(), "onsetDateTime");
  auto performed =
      read_effective(json(R"({"performedPeriod":{"start":"2019-07-04"}})"), "performed");
  EXPECT_EQ(performed.path(), "performedPeriod");
  EXPECT_TRUE(performed.date);
}

TEST(Effective, MissingAndInvalidNameThePath) {
  auto none = read_effective(json(R"({"issued":"2024-01-01T00:00:00Z"})"));
  EXPECT_FALSE(none.present());
  EXPECT_FALSE(none.date);
  EXPECT_EQ(none.path(), "effective[x]");
  auto bad = read_effective(json(R"({"effectiveDateTime":"2024-02-30"})"));
  EXPECT_TRUE(bad.invalid);
  EXPECT_EQ(bad.path(), "effectiveDateTime");
  auto no_zone = read_effective(json(R"({"effectiveDateTime":"2024-02-01T10:00:00"})"));
  EXPECT_TRUE(no_zone.invalid);  // R4: a time needs a zone
  auto mistyped = read_effective(json(R"({"effectiveDateTime":20240201})"));
  EXPECT_TRUE(mistyped.invalid);
  auto no_start = read_effective(json(R"({"effectivePeriod":{"end":"2024-01-01"}})"));
  EXPECT_FALSE(no_start.date);
  EXPECT_FALSE(no_start.invalid);
  EXPECT_EQ(no_start.path(), "effectivePeriod.start");
  auto bad_end = read_effective(json(R"({"effectivePeriod":{"start":"2024-01-01","end":"soon"}})"));
  EXPECT_TRUE(bad_end.date);
  EXPECT_TRUE(bad_end.invalid);
  EXPECT_EQ(bad_end.path(), "effectivePeriod.end");
  auto period_array = read_effective(json(R"({"effectivePeriod":[[["2024"]]]})"));
  EXPECT_TRUE(period_array.invalid);
  EXPECT_EQ(period_array.path(), "effectivePeriod.start");
  EXPECT_FALSE(read_effective(json("[]")).present());
}

}  // namespace
}  // namespace ibd::fhir
