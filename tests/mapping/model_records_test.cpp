// The model's guards on whole records: whose record it is (for every resource type read),
// missing and invalid dates with their element paths, and mistyped elements.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mapping/model.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using ibd::testing::parse;
using ibd::testing::patient_data;

Terminology records_terminology() {
  std::vector<fhir::Json> sets;
  for (
      const char* s : {
          R"({"resourceType":"ValueSet","id":"cd","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"34000006","display":"Crohn's disease"}]}]}})",
          R"({"resourceType":"ValueSet","id":"crp","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"1988-5","display":"C reactive protein"}]}]}})",
          R"({"resourceType":"ValueSet","id":"ifx","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"191831","display":"infliximab"}]}]}})",
          R"({"resourceType":"ValueSet","id":"ipaa","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"787108001","display":"Ileal pouch anal anastomosis"}]}]}})",
      })
    sets.push_back(parse(s));
  return std::move(*Terminology::from_valuesets(sets));
}

RuleSet records_rules() {
  RuleSet r;
  r.diseases = {{"crohns-disease", "cd", "Crohn's disease"}};
  r.labs = {{"crp", "crp", "mg/L", "CRP", std::nullopt, std::nullopt}};
  r.drugs = {{"infliximab", "anti-tnf", "ifx", "", "", 5.0}};
  r.procedures = {{"ipaa", "ipaa", "IPAA"}};
  return r;
}

constexpr const char* kCrohns =
    R"("code":{"coding":[{"system":"http://snomed.info/sct","code":"34000006"}]})";
constexpr const char* kCrp = R"("code":{"coding":[{"system":"http://loinc.org","code":"1988-5"}]})";
constexpr const char* kIfx =
    R"("medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"191831"}]})";
constexpr const char* kIpaa =
    R"("code":{"coding":[{"system":"http://snomed.info/sct","code":"787108001"}]})";

// One resource of each type the model reads, with `subject` as its subject member.
std::vector<fhir::Json> one_of_each(const std::string& subject) {
  const std::string s = subject.empty() ? "" : "," + subject;
  return {
      parse(R"({"resourceType":"Condition","id":"c1",)" + std::string(kCrohns) + s + "}"),
      parse(R"({"resourceType":"Observation","id":"o1","status":"final",)" + std::string(kCrp) +
            R"(,"effectiveDateTime":"2026-05-20","valueQuantity":{"value":5,"unit":"mg/L"})" + s +
            "}"),
      parse(R"({"resourceType":"MedicationStatement","id":"s1","status":"active",)" +
            std::string(kIfx) + R"(,"effectiveDateTime":"2025-01-01")" + s + "}"),
      parse(R"({"resourceType":"MedicationRequest","id":"r1","status":"active","intent":"order",)" +
            std::string(kIfx) + R"(,"authoredOn":"2025-01-01")" + s + "}"),
      parse(R"({"resourceType":"Procedure","id":"p1","status":"completed",)" + std::string(kIpaa) +
            s + "}"),
  };
}

class ModelRecordsTest : public ::testing::Test {
 protected:
  IbdModel build(std::vector<fhir::Json> resources) {
    return build_model(patient_data(std::move(resources)), terminology_, rules_);
  }
  IbdModel build(const PatientData& data) { return build_model(data, terminology_, rules_); }
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
  static std::size_t facts(const IbdModel& m) {
    return m.diagnoses.size() + m.measurements.size() + m.therapies.size() + m.procedures.size();
  }
  Terminology terminology_ = records_terminology();
  RuleSet rules_ = records_rules();
};

TEST_F(ModelRecordsTest, EveryTypeReadIsThisPatientsOrRefused) {
  EXPECT_EQ(facts(build(one_of_each(R"("subject":{"reference":"Patient/p1"})"))), 5u);
  for (const char* other :
       {R"("subject":{"reference":"Patient/p2"})", R"("subject":{"reference":"Group/g1"})",
        R"("subject":{"reference":"https://ehr.example.org/fhir/Patient/p2"})",
        R"("patient":{"reference":"Patient/p2"})"}) {
    const IbdModel m = build(one_of_each(other));
    EXPECT_EQ(facts(m), 0u) << other;
    ASSERT_EQ(m.diagnostics.size(), 5u) << other << "\n" << all(m);
    for (const Diagnostic& d : m.diagnostics) {
      EXPECT_TRUE(d.other_patient) << other << " " << d.path;
      EXPECT_TRUE(d.path.ends_with(".subject") || d.path.ends_with(".patient")) << d.path;
    }
  }
  for (const char* unknown :
       {"", R"("subject":"Patient/p1")", R"("subject":{"display":"Ada"})", R"("subject":[[[]]])"}) {
    const IbdModel m = build(one_of_each(unknown));
    EXPECT_EQ(facts(m), 0u) << unknown;
    ASSERT_EQ(m.diagnostics.size(), 5u) << unknown << "\n" << all(m);
    for (const Diagnostic& d : m.diagnostics) {
      EXPECT_FALSE(d.other_patient) << unknown;
      EXPECT_NE(d.reason.find("cannot tell whose record"), std::string::npos) << d.reason;
    }
  }
}

TEST_F(ModelRecordsTest, AnotherPatientResourceAndDraftOrders) {
  PatientData data = patient_data({});
  data.resources.push_back({"patient", parse(R"({"resourceType":"Patient","id":"p2"})")});
  data.draft_orders.push_back(
      parse(R"({"resourceType":"ServiceRequest","id":"d1","status":"draft",)" + std::string(kIpaa) +
            R"(,"subject":{"reference":"Patient/p2"}})"));
  data.draft_orders.push_back(parse(
      R"({"resourceType":"MedicationRequest","id":"d2","status":"draft","intent":"proposal",)" +
      std::string(kIfx) + R"(,"subject":{"reference":"Patient/p2"}})"));
  data.draft_orders.push_back(parse(R"({"resourceType":"MedicationRequest","id":"d3",
      "status":"draft","intent":"proposal",)" +
                                    std::string(kIfx) + "}"));
  const IbdModel m = build(data);
  EXPECT_TRUE(m.procedures.empty());
  ASSERT_EQ(m.therapies.size(), 1u);  // d3: no subject, this patient's by context
  EXPECT_EQ(m.therapies[0].source.id, "d3");
  ASSERT_EQ(m.diagnostics.size(), 3u) << all(m);
  for (const Diagnostic& d : m.diagnostics) EXPECT_TRUE(d.other_patient) << d.path;
}

TEST_F(ModelRecordsTest, SubjectByUrnUuidIsResolvedInTheBundle) {
  PatientData data;
  data.patient_id = "p1";
  data.resources.push_back(
      {"all", parse(std::string(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"urn:uuid:11","resource":{"resourceType":"Patient","id":"p1","gender":"male"}},
    {"fullUrl":"urn:uuid:22","resource":{"resourceType":"Patient","id":"p2"}},
    {"fullUrl":"urn:uuid:33","resource":{"resourceType":"Condition","id":"mine",)") +
                    kCrohns +
                    R"(,"subject":{"reference":"urn:uuid:11"}}},
    {"fullUrl":"urn:uuid:44","resource":{"resourceType":"Condition","id":"theirs",)" +
                    kCrohns +
                    R"(,"subject":{"reference":"urn:uuid:22"}}},
    {"fullUrl":"urn:uuid:55","resource":{"resourceType":"Condition","id":"lost",)" +
                    kCrohns + R"(,"subject":{"reference":"urn:uuid:99"}}}]})")});
  const IbdModel m = build(data);
  EXPECT_EQ(m.sex, "male");
  ASSERT_EQ(m.diagnoses.size(), 1u) << all(m);
  EXPECT_EQ(m.diagnoses[0].source.id, "mine");
  const Diagnostic* theirs = diagnostic(m, "Condition/theirs", "Condition.subject");
  ASSERT_NE(theirs, nullptr) << all(m);
  EXPECT_TRUE(theirs->other_patient);
  const Diagnostic* lost = diagnostic(m, "Condition/lost", "Condition.subject", "not in the data");
  ASSERT_NE(lost, nullptr) << all(m);
  EXPECT_FALSE(lost->other_patient);
}

TEST_F(ModelRecordsTest, ObservationDatesNameTheElement) {
  auto obs = [](const std::string& id, const std::string& date) {
    return parse(R"({"resourceType":"Observation","id":")" + id + R"(","status":"final",)" +
                 std::string(kCrp) + R"(,"subject":{"reference":"Patient/p1"},)" +
                 (date.empty() ? "" : date + ",") +
                 R"("valueQuantity":{"value":5,"unit":"mg/L"}})");
  };
  const IbdModel m = build({obs("none", ""), obs("bad", R"("effectiveDateTime":"2026-02-30")"),
                            obs("typed", R"("effectiveDateTime":20260220)"),
                            obs("open", R"("effectivePeriod":{"end":"2026-02-20"})"),
                            obs("instant", R"("effectiveInstant":"2026-02-20T10:00:00+01:00")"),
                            obs("partial", R"("effectiveDateTime":"2026-02")")});
  EXPECT_NE(diagnostic(m, "Observation/none", "Observation.effective[x]", "no valid date"),
            nullptr);
  EXPECT_NE(diagnostic(m, "Observation/bad", "Observation.effectiveDateTime", "no valid date"),
            nullptr);
  EXPECT_NE(diagnostic(m, "Observation/typed", "Observation.effectiveDateTime"), nullptr);
  EXPECT_NE(diagnostic(m, "Observation/open", "Observation.effectivePeriod.start"), nullptr);
  ASSERT_EQ(m.measurements.size(), 2u) << all(m);
  EXPECT_EQ(fhir::format_instant(m.measurements[0].effective.start), "2026-02-20T09:00:00Z");
  EXPECT_EQ(m.measurements[1].effective.precision, fhir::DatePrecision::kMonth);
}

TEST_F(ModelRecordsTest, TherapyProcedureAndConditionDates) {
  const std::string s = R"(,"subject":{"reference":"Patient/p1"})";
  const IbdModel m = build({
      parse(R"({"resourceType":"MedicationStatement","id":"s1","status":"active",)" +
            std::string(kIfx) + s + R"(,"effectiveDateTime":"last year"})"),
      parse(R"({"resourceType":"MedicationStatement","id":"s2","status":"active",)" +
            std::string(kIfx) + s + R"(,"effectivePeriod":{"start":"2025-01-01","end":"soon"}})"),
      parse(R"({"resourceType":"MedicationRequest","id":"r1","status":"active","intent":"order",)" +
            std::string(kIfx) + s + R"(,"authoredOn":"2025-13-01"})"),
      parse(
          R"({"resourceType":"MedicationRequest","id":"r2","status":"active","intent":"order",)" +
          std::string(kIfx) + s +
          R"(,"authoredOn":"2025-03-01","dispenseRequest":{"validityPeriod":{"start":"x","end":7}}})"),
      parse(R"({"resourceType":"Procedure","id":"p1","status":"completed",)" + std::string(kIpaa) +
            s + R"(,"performedDateTime":"2019-02-29"})"),
      parse(R"({"resourceType":"Condition","id":"c1",)" + std::string(kCrohns) + s +
            R"(,"onsetPeriod":{"start":false}})"),
  });
  // Every record is kept; its unusable date is named.
  EXPECT_EQ(m.therapies.size(), 4u);
  EXPECT_EQ(m.procedures.size(), 1u);
  EXPECT_EQ(m.diagnoses.size(), 1u);
  EXPECT_NE(diagnostic(m, "MedicationStatement/s1", "MedicationStatement.effectiveDateTime",
                       "no start date"),
            nullptr);
  EXPECT_NE(diagnostic(m, "MedicationStatement/s2", "MedicationStatement.effectivePeriod.end",
                       "end of the therapy"),
            nullptr);
  EXPECT_NE(diagnostic(m, "MedicationRequest/r1", "MedicationRequest.authoredOn", "no start date"),
            nullptr);
  // An unreadable supply start falls back to authoredOn; the unreadable end is named.
  EXPECT_EQ(diagnostic(m, "MedicationRequest/r2", "MedicationRequest.authoredOn"), nullptr);
  EXPECT_NE(diagnostic(m, "MedicationRequest/r2",
                       "MedicationRequest.dispenseRequest.validityPeriod.start", "authoredOn used"),
            nullptr);
  EXPECT_NE(
      diagnostic(m, "MedicationRequest/r2", "MedicationRequest.dispenseRequest.validityPeriod.end"),
      nullptr);
  for (const Therapy& t : m.therapies) {
    if (t.source.id != "r2") continue;
    ASSERT_TRUE(t.start);
    EXPECT_EQ(fhir::format_date(t.start->start), "2025-03-01");
  }
  EXPECT_NE(diagnostic(m, "Procedure/p1", "Procedure.performedDateTime", "no valid date"), nullptr);
  EXPECT_NE(diagnostic(m, "Condition/c1", "Condition.onsetPeriod.start", "onset is unknown"),
            nullptr)
      << all(m);
}

TEST_F(ModelRecordsTest, MistypedElementsNeverCrash) {
  const std::string s = R"(,"subject":{"reference":"Patient/p1"})";
  PatientData data = patient_data({
      parse(R"({"resourceType":"Observation","id":"o1","status":"final","code":"CRP")" + s +
            R"(,"effectiveDateTime":"2026-05-20","valueQuantity":{"value":5,"unit":"mg/L"}})"),
      parse(
          R"({"resourceType":"Observation","id":"o2","status":"final",)" + std::string(kCrp) + s +
          R"(,"effectiveDateTime":"2026-05-20","component":{"code":{}},"interpretation":{"text":"H"},
              "valueQuantity":{"value":"5","unit":"mg/L"}})"),
      parse(R"({"resourceType":"Condition","id":"c1","code":[[["K50"]]])" + s + "}"),
      parse(R"({"resourceType":"Procedure","id":"p1","status":7,"code":{})" + s + "}"),
      parse(
          R"({"resourceType":"MedicationStatement","id":"s1","status":["active"],"dosage":{"route":1},)" +
          std::string(kIfx) + s + "}"),
  });
  data.resources[0].resource.set("birthDate", fhir::Json::number(std::int64_t{1990}));
  data.resources.push_back({"junk", fhir::Json::array({fhir::Json()})});
  data.resources.push_back({"junk", parse(R"({"resourceType":42,"id":{}})")});
  const IbdModel m = build(data);
  EXPECT_EQ(m.patient_id, "p1");
  EXPECT_TRUE(m.measurements.empty());
  EXPECT_NE(diagnostic(m, "Observation/o1", "Observation.code", "not a CodeableConcept"), nullptr);
  EXPECT_NE(diagnostic(m, "Observation/o2", "Observation.valueQuantity.value"), nullptr);
  EXPECT_NE(diagnostic(m, "Condition/c1", "Condition.code"), nullptr);
  EXPECT_NE(diagnostic(m, "MedicationStatement/s1", "MedicationStatement.status"), nullptr);
  EXPECT_NE(diagnostic(m, "Patient/p1", "Patient.birthDate", "not a valid FHIR date"), nullptr)
      << all(m);
}

TEST_F(ModelRecordsTest, GenomicResultWithAnUnreadableValueOrDate) {
  const std::string gene =
      R"("component":[{"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},
         "valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","code":"HGNC:12014","display":"TPMT"}]}}])";
  const IbdModel m = build({
      parse(
          R"({"resourceType":"Observation","id":"g1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"84413-4"}]},
        "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01","valueBoolean":true,)" +
          gene + "}"),
      parse(
          R"({"resourceType":"Observation","id":"g2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"84413-4"}]},
        "subject":{"reference":"Patient/p1"},"effectiveDateTime":"March","valueCodeableConcept":{"text":"*1/*3A"},)" +
          gene + "}"),
  });
  EXPECT_NE(diagnostic(m, "Observation/g1", "Observation.valueBoolean", "boolean"), nullptr);
  ASSERT_EQ(m.genes.size(), 1u) << all(m);
  EXPECT_EQ(m.genes[0].genotype, "*1/*3A");
  EXPECT_TRUE(m.genes[0].effective.text.empty());  // kept, without a date
  EXPECT_NE(diagnostic(m, "Observation/g2", "Observation.effectiveDateTime"), nullptr) << all(m);
}

}  // namespace
}  // namespace ibd::mapping
