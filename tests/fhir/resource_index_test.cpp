#include "fhir/resource_index.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "fhir/medication.hpp"

namespace ibd::fhir {
namespace {

Json json(std::string_view text) {
  auto result = parse_json(text);
  EXPECT_TRUE(result.has_value()) << text;
  return result ? std::move(*result) : Json();
}

std::string id_of(const Json* r) {
  return r && r->string_at("id") ? *r->string_at("id") : std::string("none");
}

// A transaction with a Medication known by urn:uuid only, a collection of server resources.
class ResourceIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.add_bundle(transaction_);
    index_.add_bundle(searchset_);
    index_.add(loose_);
  }
  Json transaction_ = json(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:0f6b7b0a-0000-4000-8000-00000000000a",
     "resource":{"resourceType":"Medication","id":"tx-med","code":{"text":"Remicade"}}},
    {"fullUrl":"urn:uuid:0f6b7b0a-0000-4000-8000-00000000000b",
     "resource":{"resourceType":"MedicationRequest","status":"draft",
       "medicationReference":{"reference":"urn:uuid:0f6b7b0a-0000-4000-8000-00000000000a"}}}]})");
  Json searchset_ = json(R"({"resourceType":"Bundle","type":"searchset","entry":[
    {"fullUrl":"https://ehr.example.org/fhir/Medication/m1",
     "resource":{"resourceType":"Medication","id":"m1","code":{"text":"Humira"}}},
    {"fullUrl":"https://other.example.org/fhir/Medication/m2",
     "resource":{"resourceType":"Medication","id":"m2-other"}},
    {"fullUrl":"https://ehr.example.org/fhir/Medication/m2",
     "resource":{"resourceType":"Medication","id":"m2"}}]})");
  Json loose_ = json(R"({"resourceType":"Medication","id":"m1","code":{"text":"second m1"}})");
  Json holder_ = json(R"({"resourceType":"MedicationStatement",
    "contained":[{"resourceType":"Medication","id":"med","code":{"text":"Inflectra"}},"junk"]})");
  ResourceIndex index_;
};

TEST_F(ResourceIndexTest, Contained) {
  EXPECT_EQ(id_of(index_.resolve("#med", &holder_)), "med");
  EXPECT_EQ(index_.resolve("#med"), nullptr);  // no holder: nothing to look in
  EXPECT_EQ(index_.resolve("#nope", &holder_), nullptr);
  EXPECT_EQ(id_of(find_contained(holder_, "med")), "med");
  EXPECT_EQ(find_contained(json(R"({"contained":{"id":"med"}})"), "med"), nullptr);
}

TEST_F(ResourceIndexTest, BundledByFullUrl) {
  EXPECT_EQ(id_of(index_.resolve("urn:uuid:0f6b7b0a-0000-4000-8000-00000000000a")), "tx-med");
  EXPECT_EQ(id_of(index_.resolve("https://ehr.example.org/fhir/Medication/m1")), "m1");
  EXPECT_EQ(id_of(index_.resolve("https://ehr.example.org/fhir/Medication/m1/_history/4")), "m1");
  EXPECT_EQ(id_of(index_.resolve("https://other.example.org/fhir/Medication/m2")), "m2-other");
  EXPECT_EQ(index_.resolve("urn:uuid:00000000-0000-4000-8000-000000000000"), nullptr);
}

TEST_F(ResourceIndexTest, ByTypeAndId) {
  EXPECT_EQ(id_of(index_.resolve("Medication/m1")), "m1");
  // The first resource added under a key wins.
  EXPECT_EQ(index_.resolve("Medication/m1")->find("code")->string_at("text")->c_str(),
            std::string("Humira"));
  // A relative reference is resolved against the base of its holder's fullUrl first.
  EXPECT_EQ(id_of(index_.resolve("Medication/m2", nullptr,
                                 "https://ehr.example.org/fhir/MedicationRequest/r1")),
            "m2");
  EXPECT_EQ(id_of(index_.resolve("Medication/m2", nullptr,
                                 "https://other.example.org/fhir/MedicationRequest/r1")),
            "m2-other");
  EXPECT_EQ(id_of(index_.resolve("Medication/tx-med")), "tx-med");
  EXPECT_EQ(index_.resolve("Medication/absent"), nullptr);
  EXPECT_EQ(index_.resolve("not a reference"), nullptr);
}

TEST_F(ResourceIndexTest, MedicationCodeEveryForm) {
  using Problem = MedicationCode::Problem;
  auto code = [&](std::string_view text, std::string_view full_url = {}) {
    return read_medication_code(json(text), index_, full_url);
  };
  auto concept_form = code(R"({"medicationCodeableConcept":{"text":"azathioprine"}})");
  EXPECT_EQ(concept_form.problem, Problem::kNone);
  EXPECT_EQ(concept_form.element, "medicationCodeableConcept");
  EXPECT_EQ(concept_form.code.text, "azathioprine");
  auto contained = read_medication_code(
      json(R"({"contained":[{"resourceType":"Medication","id":"c","code":{"text":"Inflectra"}}],
               "medicationReference":{"reference":"#c"}})"),
      index_);
  EXPECT_EQ(contained.code.text, "Inflectra");
  ASSERT_NE(contained.medication, nullptr);
  EXPECT_EQ(
      code(
          R"({"medicationReference":{"reference":"urn:uuid:0f6b7b0a-0000-4000-8000-00000000000a"}})")
          .code.text,
      "Remicade");
  EXPECT_EQ(
      code(R"({"medicationReference":{"reference":"https://ehr.example.org/fhir/Medication/m1"}})")
          .code.text,
      "Humira");
  EXPECT_EQ(code(R"({"medicationReference":{"reference":"Medication/m1"}})").code.text, "Humira");
  auto display =
      code(R"({"medicationReference":{"reference":"Medication/zz","display":"Entyvio"}})");
  EXPECT_EQ(display.problem, Problem::kNone);
  EXPECT_EQ(display.code.text, "Entyvio");
  EXPECT_EQ(code(R"({"medicationReference":{"reference":"Medication/zz"}})").problem,
            Problem::kNotFound);
  EXPECT_EQ(code(R"({"medicationReference":{"reference":"Medication/m2"}})").problem,
            Problem::kNoCode);
  auto wrong = read_medication_code(
      json(
          R"({"contained":[{"resourceType":"Substance","id":"s"}],"medicationReference":{"reference":"#s"}})"),
      index_);
  EXPECT_EQ(wrong.problem, Problem::kNotMedication);
  EXPECT_EQ(wrong.target_type, "Substance");
  EXPECT_EQ(code("{}").problem, Problem::kMissing);
  EXPECT_EQ(code(R"({"medicationCodeableConcept":"infliximab"})").problem, Problem::kMistyped);
  EXPECT_EQ(code(R"({"medicationReference":"Medication/m1"})").problem, Problem::kMistyped);
}

TEST_F(ResourceIndexTest, SubjectTarget) {
  ResourceIndex index;
  const Json bundle = json(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p1"}},
    {"fullUrl":"urn:uuid:o","resource":{"resourceType":"Observation",
      "subject":{"reference":"urn:uuid:p"}}}]})");
  index.add_bundle(bundle);
  const Json& obs = *bundle.find("entry")->items()[1].find("resource");
  auto via_urn = subject_target(obs, index, "urn:uuid:o");
  EXPECT_EQ(via_urn.element, "subject");
  EXPECT_EQ(via_urn.type, "Patient");
  EXPECT_EQ(via_urn.id, "p1");
  EXPECT_FALSE(via_urn.unknown());
  auto direct = subject_target(json(R"({"patient":{"reference":"Patient/p9"}})"), index);
  EXPECT_EQ(direct.element, "patient");
  EXPECT_EQ(direct.id, "p9");
  auto lost = subject_target(json(R"({"subject":{"reference":"urn:uuid:zz"}})"), index);
  EXPECT_TRUE(lost.unknown());
  EXPECT_TRUE(lost.unresolved);
  auto none = subject_target(json(R"({"subject":{"display":"Ada"}})"), index);
  EXPECT_TRUE(none.unknown());
  EXPECT_FALSE(none.unresolved);
  auto contained = subject_target(
      json(R"({"contained":[{"resourceType":"Patient","id":"x"}],"subject":{"reference":"#x"}})"),
      index);
  EXPECT_EQ(contained.type, "Patient");
  EXPECT_EQ(contained.id, "x");
}

TEST_F(ResourceIndexTest, MedicationProblemsInWords) {
  MedicationCode m;
  EXPECT_EQ(m.problem_text(), "");
  EXPECT_EQ(m.path(), "medication[x]");
  m.problem = MedicationCode::Problem::kNotMedication;
  m.element = "medicationReference";
  m.target_type = "Substance";
  EXPECT_EQ(m.problem_text(), "refers to a Substance, not a Medication");
  EXPECT_EQ(m.path(), "medicationReference");
}

}  // namespace
}  // namespace ibd::fhir
