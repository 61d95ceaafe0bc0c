#include "fhir/bundle.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "fhir/resource.hpp"

namespace ibd::fhir {
namespace {

Json json(std::string_view text) {
  auto result = parse_json(text);
  EXPECT_TRUE(result.has_value()) << text;
  return result ? std::move(*result) : Json();
}

TEST(Bundle, SearchsetWithTotalPagingAndModes) {
  const Json b = json(R"({"resourceType":"Bundle","type":"searchset","total":3,
    "link":[{"relation":"self","url":"https://x/fhir/Observation?patient=1"},
            {"relation":"next","url":"https://x/fhir/Observation?patient=1&page=2"},
            {"relation":7,"url":"junk"}],
    "entry":[
      {"fullUrl":"https://x/fhir/Observation/o1","resource":{"resourceType":"Observation","id":"o1"},
       "search":{"mode":"match"}},
      {"fullUrl":"https://x/fhir/Patient/1","resource":{"resourceType":"Patient","id":"1"},
       "search":{"mode":"include"}},
      {"resource":{"resourceType":"OperationOutcome"},"search":{"mode":"outcome"}},
      "junk", {"fullUrl":7,"resource":"not a resource","search":[]}]})");
  auto bundle = read_bundle(b);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->type, "searchset");
  EXPECT_EQ(bundle->total, 3u);
  EXPECT_EQ(bundle->links.size(), 2u);
  ASSERT_EQ(bundle->entries.size(), 4u);
  EXPECT_EQ(bundle->entries[0].full_url, "https://x/fhir/Observation/o1");
  EXPECT_EQ(bundle->entries[0].search_mode, "match");
  EXPECT_EQ(*bundle->entries[0].resource->string_at("id"), "o1");
  EXPECT_EQ(bundle->entries[1].search_mode, "include");
  EXPECT_EQ(bundle->entries[2].search_mode, "outcome");
  EXPECT_EQ(bundle->entries[3].resource, nullptr);
  EXPECT_TRUE(bundle->entries[3].full_url.empty());
  const std::string* next = bundle_link(b, "next");
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(*next, "https://x/fhir/Observation?patient=1&page=2");
  EXPECT_EQ(bundle_link(b, "previous"), nullptr);
  EXPECT_EQ(bundle_resources(b).size(), 3u);
}

TEST(Bundle, TransactionAndResponseEntries) {
  const Json t = json(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource":{"resourceType":"MedicationRequest","status":"draft"},
     "request":{"method":"POST","url":"MedicationRequest"}},
    {"request":{"method":"DELETE","url":"MedicationRequest/9"}}]})");
  auto bundle = read_bundle(t);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->type, "transaction");
  EXPECT_FALSE(bundle->total);
  ASSERT_EQ(bundle->entries.size(), 2u);
  EXPECT_EQ(bundle->entries[0].request_method, "POST");
  EXPECT_EQ(bundle->entries[0].request_url, "MedicationRequest");
  EXPECT_EQ(bundle->entries[0].full_url, "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a");
  EXPECT_EQ(bundle->entries[1].resource, nullptr);
  EXPECT_EQ(bundle->entries[1].request_method, "DELETE");
  auto response = read_bundle(json(R"({"resourceType":"Bundle","type":"transaction-response",
    "entry":[{"response":{"status":"201 Created","location":"MedicationRequest/5/_history/1"}}]})"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->entries.at(0).response_status, "201 Created");
}

TEST(Bundle, CollectionAndMistypes) {
  auto c = read_bundle(json(R"({"resourceType":"Bundle","type":"collection","total":-1,
    "link":{"relation":"next"},"entry":{"resource":{}}})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->type, "collection");
  EXPECT_FALSE(c->total);  // negative: not a count
  EXPECT_TRUE(c->links.empty());
  EXPECT_TRUE(c->entries.empty());
  EXPECT_FALSE(read_bundle(json(R"({"resourceType":"Patient"})")));
  EXPECT_FALSE(read_bundle(json(R"([{"resourceType":"Bundle"}])")));
  EXPECT_EQ(bundle_link(json("[]"), "next"), nullptr);
  auto total_text = read_bundle(json(R"({"resourceType":"Bundle","type":7,"total":"3"})"));
  ASSERT_TRUE(total_text);
  EXPECT_TRUE(total_text->type.empty());
  EXPECT_FALSE(total_text->total);
}

TEST(OperationOutcome, BuildsAndReads) {
  const Json built = operation_outcome("error", "not-found", "Patient could not be read");
  auto issues = read_operation_outcome(built);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, "error");
  EXPECT_EQ(issues[0].code, "not-found");
  EXPECT_EQ(issues[0].diagnostics, "Patient could not be read");
  auto read = read_operation_outcome(json(R"({"resourceType":"OperationOutcome","issue":[
    {"severity":"warning","code":"processing","details":{"text":"x"},
     "expression":["Observation.valueQuantity",3]},"junk"]})"));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].details.text, "x");
  ASSERT_EQ(read[0].expression.size(), 1u);
  EXPECT_EQ(read[0].expression[0], "Observation.valueQuantity");
  EXPECT_TRUE(read_operation_outcome(json(R"({"resourceType":"Bundle"})")).empty());
}

TEST(Resource, SubjectOrPatient) {
  auto s =
      subject_of(json(R"({"resourceType":"Observation","subject":{"reference":"Patient/1"}})"));
  EXPECT_EQ(s.element, "subject");
  ASSERT_TRUE(s.reference);
  EXPECT_EQ(s.reference->id, "1");
  auto p =
      subject_of(json(R"({"resourceType":"Immunization","patient":{"reference":"Patient/2"}})"));
  EXPECT_EQ(p.element, "patient");
  EXPECT_EQ(p.reference->id, "2");
  auto mistyped = subject_of(json(R"({"subject":"Patient/1"})"));
  EXPECT_EQ(mistyped.element, "subject");
  EXPECT_FALSE(mistyped.reference);
  EXPECT_TRUE(subject_of(json(R"({"resourceType":"Medication"})")).element.empty());
}

TEST(Resource, NewerVersion) {
  const Json v1 = json(R"({"meta":{"versionId":"1","lastUpdated":"2026-01-02T00:00:00Z"}})");
  const Json v2 = json(R"({"meta":{"versionId":"2","lastUpdated":"2026-01-01T00:00:00Z"}})");
  const Json late = json(R"({"meta":{"lastUpdated":"2026-02-01T00:00:00+01:00"}})");
  const Json none = json("{}");
  EXPECT_TRUE(newer_version(v2, v1));
  EXPECT_FALSE(newer_version(v1, v2));
  EXPECT_TRUE(newer_version(v1, late));  // a version id beats none
  EXPECT_TRUE(newer_version(late, none));
  EXPECT_FALSE(newer_version(none, none));
  EXPECT_FALSE(newer_version(json(R"({"meta":{"versionId":"2x"}})"), none));
  EXPECT_FALSE(newer_version(json(R"({"meta":"v2"})"), none));
}

}  // namespace
}  // namespace ibd::fhir
