#include "mapping/terminology.hpp"

#include <gtest/gtest.h>

#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using testing::parse;

fhir::CodeableConcept concept_of(const std::string& json) {
  return fhir::read_codeable_concept(parse(json));
}

TEST(Terminology, MatchesByCode) {
  auto t = testing::test_terminology();
  EXPECT_EQ(
      t.match("cd",
              concept_of(R"({"coding":[{"system":"http://snomed.info/sct","code":"34000006"}]})")),
      MatchKind::kCode);
  EXPECT_EQ(
      t.match("cd", concept_of(R"({"coding":[{"system":"http://loinc.org","code":"34000006"}]})")),
      MatchKind::kNone);  // same code, other system
}

TEST(Terminology, Icd10FilterMatchesSubcodes) {
  auto t = testing::test_terminology();
  EXPECT_EQ(
      t.match(
          "cd",
          concept_of(
              R"({"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"K50.012"}]})")),
      MatchKind::kCode);
  EXPECT_EQ(
      t.match("cd",
              concept_of(
                  R"({"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"K51.0"}]})")),
      MatchKind::kNone);
}

TEST(Terminology, MatchesByNormalisedText) {
  auto t = testing::test_terminology();
  EXPECT_EQ(t.match("cd", concept_of(R"({"text":"Crohn's disease of ileum"})")), MatchKind::kText);
  EXPECT_EQ(t.match("cd", concept_of(R"({"text":"CROHN DISEASE, COLONIC"})")), MatchKind::kText);
  EXPECT_EQ(
      t.match(
          "ifx",
          concept_of(
              R"({"coding":[{"system":"urn:local","code":"9","display":"Infliximab-dyyb 100 MG Injection"}]})")),
      MatchKind::kText);
  EXPECT_EQ(t.match("ifx", concept_of(R"({"text":"REMICADE 100 mg vial"})")), MatchKind::kText);
  EXPECT_EQ(t.match("ifx", concept_of(R"({"text":"rituximab"})")), MatchKind::kNone);
  // Whole words only: "crohnsoid" is not "crohns".
  EXPECT_EQ(t.match("cd", concept_of(R"({"text":"crohnsoid disease"})")), MatchKind::kNone);
}

TEST(Terminology, TextMatchSystemNeverMatchesByCode) {
  auto t = testing::test_terminology();
  EXPECT_EQ(t.match("ifx-ab",
                    concept_of(R"({"coding":[{"system":"urn:ibd-cds:text-match","code":"t"}]})")),
            MatchKind::kNone);
  EXPECT_EQ(t.match("ifx-ab", concept_of(R"({"text":"Antibodies to Infliximab"})")),
            MatchKind::kText);
}

TEST(Terminology, RefusesMalformedValueSets) {
  EXPECT_FALSE(Terminology::from_valuesets({parse(R"({"resourceType":"CodeSystem","id":"x"})")}));
  EXPECT_FALSE(Terminology::from_valuesets(
      {parse(R"({"resourceType":"ValueSet","compose":{"include":[]}})")}));
  EXPECT_FALSE(Terminology::from_valuesets({parse(R"({"resourceType":"ValueSet","id":"x"})")}));
  EXPECT_FALSE(Terminology::from_valuesets({parse(
      R"({"resourceType":"ValueSet","id":"x","compose":{"include":[{"system":"s","filter":[{"property":"concept","op":"regex","value":"."}]}]}})")}));
  EXPECT_FALSE(Terminology::from_valuesets({parse(
      R"({"resourceType":"ValueSet","id":"x","compose":{"include":[{"system":"s"}],"exclude":[]}})")}));
  auto twice = Terminology::from_valuesets(
      {parse(R"({"resourceType":"ValueSet","id":"x","compose":{"include":[]}})"),
       parse(R"({"resourceType":"ValueSet","id":"x","compose":{"include":[]}})")});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().find("twice"), std::string::npos);
}

TEST(Terminology, NormaliseWords) {
  EXPECT_EQ(normalise_words("Crohn's Disease (K50.9)"),
            (std::vector<std::string>{"crohns", "disease", "k50", "9"}));
}

}  // namespace
}  // namespace ibd::mapping
