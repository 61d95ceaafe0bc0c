// The model over the fhir/ views: values the measurement cannot use, references to
// Medications in every form, another patient's records of every type, missing and invalid
// dates, and mistyped elements — each a Diagnostic naming the element, never a crash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mapping/model.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using ibd::testing::parse;
using ibd::testing::patient_data;

Terminology views_terminology() {
  std::vector<fhir::Json> sets;
  for (
      const char* s : {
          R"({"resourceType":"ValueSet","id":"cd","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"34000006","display":"Crohn's disease"}]}]}})",
          R"({"resourceType":"ValueSet","id":"crp","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"1988-5","display":"C reactive protein"}]}]}})",
          R"({"resourceType":"ValueSet","id":"mayo","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"mayo","display":"Mayo endoscopic subscore"}]}]}})",
          R"({"resourceType":"ValueSet","id":"ifx","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"191831","display":"infliximab","designation":[{"value":"Remicade"},{"value":"Inflectra"}]}]}]}})",
          R"({"resourceType":"ValueSet","id":"ipaa","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"787108001","display":"Ileal pouch anal anastomosis"}]}]}})",
      })
    sets.push_back(parse(s));
  return std::move(*Terminology::from_valuesets(sets));
}

RuleSet views_rules() {
  RuleSet r;
  r.diseases = {{"crohns-disease", "cd", "Crohn's disease"}};
  r.labs = {{"crp", "crp", "mg/L", "CRP", std::nullopt, std::nullopt},
            {"mayo-endoscopic", "mayo", "{score}", "Mayo endoscopic subscore", std::nullopt,
             std::nullopt}};
  r.drugs = {{"infliximab", "anti-tnf", "ifx", "", "", 5.0}};
  r.procedures = {{"ipaa", "ipaa", "IPAA"}};
  return r;
}

constexpr const char* kSubject = R"("subject":{"reference":"Patient/p1"})";

// A CRP Observation with the given value member(s), e.g. R"("valueBoolean":true)".
fhir::Json crp(const std::string& id, const std::string& value,
               const std::string& date = R"("effectiveDateTime":"2026-05-20")") {
  return parse(
      R"({"resourceType":"Observation","id":")" + id +
      R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1988-5"}]},)" +
      kSubject + (date.empty() ? "" : "," + date) + (value.empty() ? "" : "," + value) + "}");
}

fhir::Json statement(const std::string& id, const std::string& medication,
                     const std::string& extra = "") {
  return parse(R"({"resourceType":"MedicationStatement","id":")" + id + R"(","status":"active",)" +
               medication + "," + kSubject + R"(,"effectivePeriod":{"start":"2025-01-01"})" +
               extra + "}");
}

class ModelViewsTest : public ::testing::Test {
 protected:
  IbdModel build(std::vector<fhir::Json> resources) {
    return build_model(patient_data(std::move(resources)), terminology_, rules_);
  }
  IbdModel build(const PatientData& data) { return build_model(data, terminology_, rules_); }
  // The diagnostic of `ref` at `path` whose reason contains `part`; nullptr when none.
  static const Diagnostic* diagnostic(const IbdModel& m, const std::string& ref,
                                      const std::string& path, const std::string& part = "") {
    for (const Diagnostic& d : m.diagnostics)
      if (d.source.reference() == ref && d.path == path && d.reason.find(part) != std::string::npos)
        return &d;
    return nullptr;
  }
  static std::string all(const IbdModel& m) {
    std::string out;
    for (const Diagnostic& d : m.diagnostics)
      out += d.source.reference() + " " + d.path + ": " + d.reason + "\n";
    return out;
  }
  Terminology terminology_ = views_terminology();
  RuleSet rules_ = views_rules();
};

TEST_F(ModelViewsTest, UnusableValueTypesNameTheElement) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("valueBoolean":true)", "Observation.valueBoolean"},
      {R"("valueRatio":{"numerator":{"value":1},"denominator":{"value":2}})",
       "Observation.valueRatio"},
      {R"("valueSampledData":{"origin":{"value":0},"period":1,"dimensions":1,"data":"1"})",
       "Observation.valueSampledData"},
      {R"("valueTime":"10:00:00")", "Observation.valueTime"},
      {R"("valueDateTime":"2026-05-20")", "Observation.valueDateTime"},
      {R"("valuePeriod":{"start":"2026-05-20"})", "Observation.valuePeriod"},
  };
  for (const auto& [value, path] : cases) {
    const IbdModel m = build({crp("o1", value)});
    EXPECT_TRUE(m.measurements.empty()) << value;
    EXPECT_NE(diagnostic(m, "Observation/o1", path, "cannot be used as a CRP result"), nullptr)
        << value << "\n"
        << all(m);
  }
}

TEST_F(ModelViewsTest, TwoValuesAreADiagnostic) {
  const IbdModel m =
      build({crp("o1", R"("valueQuantity":{"value":5,"unit":"mg/L"},"valueString":"5 mg/L")")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_NE(diagnostic(m, "Observation/o1", "Observation.value[x]",
                       "two values (valueQuantity and valueString)"),
            nullptr)
      << all(m);
}

TEST_F(ModelViewsTest, MistypedValuesNameTheElement) {
  const IbdModel m = build({crp("o1", R"("valueQuantity":{"value":"12","unit":"mg/L"})"),
                            crp("o2", R"("valueInteger":1.5)"), crp("o3", R"("valueString":12)"),
                            crp("o4", R"("valueCodeableConcept":"positive")")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_NE(diagnostic(m, "Observation/o1", "Observation.valueQuantity.value", "no numeric"),
            nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o2", "Observation.valueInteger", "not a valid integer"),
            nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o3", "Observation.valueString", "not a valid string"),
            nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o4", "Observation.valueCodeableConcept"), nullptr) << all(m);
}

TEST_F(ModelViewsTest, OneSidedRangeIsItsBound) {
  const IbdModel m = build(
      {crp("o1",
           R"("valueRange":{"high":{"value":0.5,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}})"),
       crp("o2",
           R"("valueRange":{"low":{"value":0,"unit":"mg/L"},"high":{"value":3,"unit":"mg/L"}})",
           R"("effectiveDateTime":"2026-05-19")"),
       crp("o3", R"("valueRange":{"low":{"value":200,"unit":"mg/L"}})",
           R"("effectiveDateTime":"2026-05-18")")});
  ASSERT_EQ(m.measurements.size(), 3u) << all(m);
  EXPECT_EQ(m.measurements[0].comparator, "<=");
  EXPECT_EQ(m.measurements[0].value_text, "0.5");
  EXPECT_DOUBLE_EQ(*m.measurements[0].value, 5.0);  // mg/dL -> mg/L
  EXPECT_EQ(m.measurements[1].comparator, "<=");
  EXPECT_DOUBLE_EQ(*m.measurements[1].value, 3.0);
  EXPECT_EQ(m.measurements[2].comparator, ">=");
  EXPECT_DOUBLE_EQ(*m.measurements[2].value, 200.0);
  EXPECT_TRUE(m.diagnostics.empty()) << all(m);
}

TEST_F(ModelViewsTest, RangesThatAreNotAResult) {
  const IbdModel m = build(
      {crp("o1",
           R"("valueRange":{"low":{"value":2,"unit":"mg/L"},"high":{"value":5,"unit":"mg/L"}})"),
       crp("o2", R"("valueRange":{"low":{"value":"x"},"high":{"value":5,"unit":"mg/L"}})"),
       crp("o3", R"("valueRange":{})"),
       crp("o4", R"("valueRange":{"high":{"value":5,"unit":"mmol/L"}})")});
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_NE(diagnostic(m, "Observation/o1", "Observation.valueRange", "2 to 5"), nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o2", "Observation.valueRange", "bound"), nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o3", "Observation.valueRange"), nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o4", "Observation.valueRange.high.unit", "mmol/L"), nullptr)
      << all(m);
}

TEST_F(ModelViewsTest, ScoreFromIntegerQuantityOrRange) {
  auto mayo = [](const std::string& id, const std::string& value) {
    return parse(
        R"({"resourceType":"Observation","id":")" + id +
        R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"mayo"}]},)" +
        kSubject + R"(,"effectiveDateTime":"2026-05-20",)" + value + "}");
  };
  const IbdModel m = build({mayo("a", R"("valueInteger":2)"),
                            mayo("b", R"("valueQuantity":{"value":3,"unit":"{score}"})"),
                            mayo("c", R"("valueRange":{"high":{"value":1}})")});
  ASSERT_EQ(m.measurements.size(), 3u) << all(m);
  EXPECT_DOUBLE_EQ(*m.measurements[0].value, 2.0);
  EXPECT_EQ(m.measurements[0].value_text, "2");
  EXPECT_DOUBLE_EQ(*m.measurements[1].value, 3.0);
  EXPECT_EQ(m.measurements[2].comparator, "<=");
}

TEST_F(ModelViewsTest, MedicationReferenceInEveryForm) {
  // Contained, Medication/<id> among the resources, and a display when nothing resolves.
  const IbdModel m = build(
      {statement(
           "s1",
           R"("contained":[{"resourceType":"Medication","id":"m","code":{"text":"Inflectra 100 mg"}}],"medicationReference":{"reference":"#m"})"),
       parse(
           R"({"resourceType":"Medication","id":"med-2","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"191831"}]}})"),
       statement("s2", R"("medicationReference":{"reference":"Medication/med-2"})"),
       statement(
           "s3",
           R"("medicationReference":{"reference":"https://ehr.example.org/fhir/Medication/med-2"})"),
       statement("s4", R"("medicationReference":{"display":"Remicade"})")});
  ASSERT_EQ(m.therapies.size(), 4u) << all(m);
  for (const Therapy& t : m.therapies) EXPECT_EQ(t.drug, "infliximab") << t.source.reference();
  EXPECT_EQ(m.therapies[0].label, "Inflectra 100 mg");
  EXPECT_TRUE(m.diagnostics.empty()) << all(m);
}

TEST_F(ModelViewsTest, MedicationReferenceThroughBundleFullUrls) {
  // A Bundle passed whole: the model unpacks it and keeps the entries' fullUrls.
  PatientData data = patient_data({});
  data.resources.push_back(
      {"medications",
       parse(
           std::string(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"urn:uuid:6f1c2b4e-0000-4000-8000-000000000001",
     "resource":{"resourceType":"Medication","code":{"text":"Remicade 100 mg vial"}}},
    {"fullUrl":"https://ehr.example.org/fhir/Medication/abs",
     "resource":{"resourceType":"Medication","id":"abs","code":{"text":"Inflectra"}}},
    {"fullUrl":"urn:uuid:6f1c2b4e-0000-4000-8000-000000000002",
     "resource":{"resourceType":"MedicationRequest","id":"r1","status":"active","intent":"order",
       "authoredOn":"2025-02-01",)") +
           kSubject + R"(,
       "medicationReference":{"reference":"urn:uuid:6f1c2b4e-0000-4000-8000-000000000001"}}},
    {"fullUrl":"https://ehr.example.org/fhir/MedicationStatement/s1",
     "resource":)" +
           statement(
               "s1",
               R"("medicationReference":{"reference":"https://ehr.example.org/fhir/Medication/abs"})")
               .dump() +
           R"(},
    {"resource":)" +
           statement(
               "s2",
               R"("medicationReference":{"reference":"urn:uuid:6f1c2b4e-0000-4000-8000-00000000dead"})")
               .dump() +
           R"(}]})")});
  const IbdModel m = build(data);
  ASSERT_EQ(m.therapies.size(), 2u) << all(m);
  EXPECT_EQ(m.therapies[0].label, "Remicade 100 mg vial");
  EXPECT_EQ(m.therapies[1].label, "Inflectra");
  EXPECT_NE(diagnostic(m, "MedicationStatement/s2", "MedicationStatement.medicationReference",
                       "not in the data"),
            nullptr)
      << all(m);
}

TEST_F(ModelViewsTest, DraftOrderMedicationByUrnUuid) {
  PatientData data = patient_data({});
  data.draft_orders.push_back(
      parse(std::string(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"urn:uuid:aa","resource":{"resourceType":"Medication","code":{"text":"infliximab-dyyb"}}},
    {"fullUrl":"urn:uuid:bb","resource":{"resourceType":"MedicationRequest","id":"d1","status":"draft",
      "intent":"proposal",)") +
            kSubject + R"(,"medicationReference":{"reference":"urn:uuid:aa"}}}]})"));
  const IbdModel m = build(data);
  ASSERT_EQ(m.therapies.size(), 1u) << all(m);
  EXPECT_TRUE(m.therapies[0].proposed);
  EXPECT_EQ(m.therapies[0].drug, "infliximab");
}

TEST_F(ModelViewsTest, MedicationReferenceProblems) {
  const IbdModel m = build(
      {statement("s1", R"("medicationReference":{"reference":"Medication/absent"})"),
       statement(
           "s2",
           R"("contained":[{"resourceType":"Substance","id":"x"}],"medicationReference":{"reference":"#x"})"),
       statement("s3", R"("medicationCodeableConcept":"infliximab")"),
       statement("s4", R"("medicationReference":"Medication/med-2")"),
       statement(
           "s5",
           R"("contained":[{"resourceType":"Medication","id":"m"}],"medicationReference":{"reference":"#m"})")});
  EXPECT_TRUE(m.therapies.empty());
  EXPECT_NE(diagnostic(m, "MedicationStatement/s1", "MedicationStatement.medicationReference",
                       "not in the data"),
            nullptr);
  EXPECT_NE(diagnostic(m, "MedicationStatement/s2", "MedicationStatement.medicationReference",
                       "Substance"),
            nullptr);
  EXPECT_NE(
      diagnostic(m, "MedicationStatement/s3", "MedicationStatement.medicationCodeableConcept"),
      nullptr);
  EXPECT_NE(diagnostic(m, "MedicationStatement/s4", "MedicationStatement.medicationReference"),
            nullptr);
  EXPECT_NE(
      diagnostic(m, "MedicationStatement/s5", "MedicationStatement.medicationReference", "no code"),
      nullptr)
      << all(m);
}

}  // namespace
}  // namespace ibd::mapping
