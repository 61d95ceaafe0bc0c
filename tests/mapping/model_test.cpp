#include "mapping/model.hpp"

#include <gtest/gtest.h>

#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using namespace ibd::testing;

class ModelTest : public ::testing::Test {
 protected:
  IbdModel build(std::vector<fhir::Json> resources) {
    return build_model(patient_data(std::move(resources)), terminology_, rules_);
  }
  bool ignored(const IbdModel& m, const std::string& ref, const std::string& reason_part) {
    for (const auto& d : m.diagnostics)
      if (d.source.reference() == ref && d.reason.find(reason_part) != std::string::npos)
        return true;
    return false;
  }
  Terminology terminology_ = test_terminology();
  RuleSet rules_ = test_rules();
};

TEST_F(ModelTest, ReadsPatientDiagnosisTherapyAndLabs) {
  auto m = build({crohns(), medication_statement("m1", "191831", "infliximab", "2025-10-01"),
                  observation("o1", "38445-3", "480", "ug/g", "2026-05-20"),
                  observation("o2", "1988-5", "1.8", "mg/dL", "2026-05-21")});
  EXPECT_EQ(m.sex, "female");
  ASSERT_TRUE(m.birth_date);
  ASSERT_NE(m.primary_diagnosis(), nullptr);
  EXPECT_EQ(m.primary_diagnosis()->disease, "crohns-disease");
  ASSERT_EQ(m.therapies.size(), 1u);
  EXPECT_EQ(m.therapies[0].drug, "infliximab");
  EXPECT_EQ(m.therapies[0].drug_class, "anti-tnf");
  EXPECT_TRUE(m.therapies[0].current());
  ASSERT_EQ(m.measurements.size(), 2u);
  EXPECT_EQ(m.measurements[0].concept_id, "crp");  // newest first
  EXPECT_DOUBLE_EQ(*m.measurements[0].value, 18.0);
  EXPECT_EQ(m.measurements[0].value_text, "1.8");
  EXPECT_EQ(m.measurements[0].unit_text, "mg/dL");
  EXPECT_EQ(m.measurements[0].source.reference(), "Observation/o2");
  EXPECT_TRUE(m.diagnostics.empty());
}

TEST_F(ModelTest, KeepsDecimalTextAsRecorded) {
  auto m = build({observation("o1", "1988-5", "1.50", "mg/dL", "2026-05-21")});
  ASSERT_EQ(m.measurements.size(), 1u);
  EXPECT_EQ(m.measurements[0].value_text, "1.50");
  EXPECT_DOUBLE_EQ(*m.measurements[0].value, 15.0);
}

TEST_F(ModelTest, StatusesThatNeverCount) {
  auto m =
      build({observation("o1", "38445-3", "900", "ug/g", "2026-05-20", "entered-in-error"),
             observation("o2", "38445-3", "900", "ug/g", "2026-05-20", "cancelled"),
             observation("o3", "38445-3", "900", "ug/g", "2026-05-20", "registered"),
             medication_statement("m1", "191831", "infliximab", "2025-10-01", "entered-in-error"),
             medication_statement("m2", "191831", "infliximab", "2025-10-01", "not-taken")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_TRUE(m.therapies.empty());
  EXPECT_TRUE(ignored(m, "Observation/o1", "entered-in-error"));
  EXPECT_TRUE(ignored(m, "Observation/o2", "cancelled"));
  EXPECT_TRUE(ignored(m, "Observation/o3", "registered"));
  EXPECT_TRUE(ignored(m, "MedicationStatement/m1", "entered-in-error"));
  EXPECT_TRUE(ignored(m, "MedicationStatement/m2", "not-taken"));
}

TEST_F(ModelTest, StoppedTherapyIsPastNotCurrent) {
  auto m = build({medication_statement("m1", "191831", "infliximab", "2024-01-01", "stopped")});
  ASSERT_EQ(m.therapies.size(), 1u);
  EXPECT_FALSE(m.therapies[0].current());
}

TEST_F(ModelTest, RefusesAnotherPatientsData) {
  auto m =
      build({observation("o1", "38445-3", "900", "ug/g", "2026-05-20", "final", "someone-else")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_TRUE(ignored(m, "Observation/o1", "another patient"));
}

TEST_F(ModelTest, UnconvertibleUnitIsADiagnosticNotAWrongNumber) {
  auto m = build({observation("o1", "1988-5", "5", "mmol/L", "2026-05-20")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_TRUE(ignored(m, "Observation/o1", "mmol/L"));
}

TEST_F(ModelTest, MissingDateIsADiagnostic) {
  auto o = observation("o1", "1988-5", "5", "mg/L", "2026-05-20");
  o.erase("effectiveDateTime");
  auto m = build({o});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_TRUE(ignored(m, "Observation/o1", "no valid date"));
}

TEST_F(ModelTest, SameResourceUnderTwoKeysCountsOnce) {
  auto data = patient_data({observation("o1", "1988-5", "25", "mg/L", "2026-05-20")});
  data.resources.push_back({"other-key", observation("o1", "1988-5", "25", "mg/L", "2026-05-20")});
  auto m = build_model(data, terminology_, rules_);
  EXPECT_EQ(m.measurements.size(), 1u);
}

TEST_F(ModelTest, AnAmendedVersionSupersedesTheOriginal) {
  auto original = observation("o1", "1988-5", "25", "mg/L", "2026-05-20");
  original.set("meta", parse(R"({"versionId":"1"})"));
  auto amended = observation("o1", "1988-5", "2.5", "mg/L", "2026-05-20", "amended");
  amended.set("meta", parse(R"({"versionId":"2"})"));
  auto data = patient_data({amended});
  data.resources.insert(data.resources.begin() + 1, {"observations", original});  // original first
  auto m = build_model(data, terminology_, rules_);
  ASSERT_EQ(m.measurements.size(), 1u);
  EXPECT_EQ(m.measurements[0].value_text, "2.5");
  EXPECT_EQ(m.measurements[0].status, "amended");
}

TEST_F(ModelTest, MedicationReferenceToContainedMedication) {
  auto ms = parse(R"({"resourceType":"MedicationStatement","id":"m1","status":"active",
    "contained":[{"resourceType":"Medication","id":"med","code":{"text":"Inflectra 100 mg"}}],
    "medicationReference":{"reference":"#med"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-01-01"})");
  auto m = build({ms});
  ASSERT_EQ(m.therapies.size(), 1u);
  EXPECT_EQ(m.therapies[0].drug, "infliximab");
  EXPECT_EQ(m.therapies[0].label, "Inflectra 100 mg");
}

TEST_F(ModelTest, UcAndCrohnsPrefersCrohns) {
  auto uc = parse(
      R"({"resourceType":"Condition","id":"c2","code":{"coding":[{"system":"http://snomed.info/sct","code":"64766004"}]},"subject":{"reference":"Patient/p1"}})");
  auto m = build({uc, crohns()});
  ASSERT_EQ(m.diagnoses.size(), 2u);
  EXPECT_EQ(m.primary_diagnosis()->disease, "crohns-disease");
}

TEST_F(ModelTest, OnsetAgeBecomesADate) {
  auto c = parse(R"({"resourceType":"Condition","id":"c1","code":{"text":"Crohn disease"},
    "subject":{"reference":"Patient/p1"},"onsetAge":{"value":4,"unit":"years","system":"http://unitsofmeasure.org","code":"a"}})");
  auto m = build({c});
  ASSERT_EQ(m.diagnoses.size(), 1u);
  ASSERT_TRUE(m.diagnoses[0].onset);
  EXPECT_EQ(fhir::format_date(m.diagnoses[0].onset->start), "1994-05-01");
}

}  // namespace
}  // namespace ibd::mapping
