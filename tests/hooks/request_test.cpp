#include "hooks/request.hpp"

#include <gtest/gtest.h>

#include "hooks/prefetch.hpp"

namespace ibd::hooks {
namespace {

fhir::Json parse(const std::string& s) { return *fhir::parse_json(s); }

ServiceDef service(const std::string& hook = "patient-view") {
  return {"svc",
          hook,
          "t",
          "d",
          {{"patient", "Patient/{{context.patientId}}", "the patient", true},
           {"obs", "Observation?patient={{context.patientId}}&code=http://loinc.org|1988-5", "labs",
            false},
           {"me", "Practitioner/{{userPractitionerId}}", "the user", false}}};
}

const char* kValid =
    R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/7","patientId":"p1"}})";

std::string error_of(const std::string& body, const std::string& hook = "patient-view") {
  auto r = parse_request(parse(body), service(hook));
  return r ? "" : r.error().message;
}

TEST(Request, AcceptsAMinimalPatientView) {
  auto r = parse_request(parse(kValid), service());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->patient_id, "p1");
  EXPECT_EQ(r->user_id, "Practitioner/7");
  EXPECT_TRUE(r->prefetch.empty());
}

// Issue 13 item 11 (SEC-96): hookInstance is a UUID (CDS Hooks 2.0), so no other text
// (control characters, markup, long strings) reaches the log or the audit trail through it.
TEST(Request, HookInstanceMustBeAUuid) {
  auto with = [](const std::string& instance) {
    return error_of(R"({"hook":"patient-view","hookInstance":")" + instance +
                    R"(","context":{"userId":"Practitioner/7","patientId":"p1"}})");
  };
  for (const char* bad : {"abc", "3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e1", "3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e100",
                          "3f0c2a557d1e4b8a9c610a2b4c6d8e10", "3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e1g",
                          "{3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10}", "3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e1\\u0007",
                          "3f0c2a55_7d1e-4b8a-9c61-0a2b4c6d8e10"})
    EXPECT_EQ(with(bad), "hookInstance must be a UUID") << bad;
  EXPECT_EQ(with("3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10"), "");
  EXPECT_EQ(with("3F0C2A55-7D1E-4B8A-9C61-0A2B4C6D8E10"), "");
  EXPECT_EQ(with("88449cce-3839-586d-8eea-e2f96e832aae"), "");  // version 5: any version
}

TEST(Request, NamesTheFaultyElement) {
  EXPECT_EQ(error_of(R"([])"), "the request body must be a JSON object");
  EXPECT_EQ(error_of(R"({"hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{}})"), "hook is required");
  EXPECT_NE(
      error_of(R"({"hook":"order-sign","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{}})").find("does not match"),
      std::string::npos);
  EXPECT_EQ(error_of(R"({"hook":"patient-view","context":{}})"), "hookInstance is required");
  EXPECT_EQ(error_of(R"({"hook":"patient-view","hookInstance":7,"context":{}})"),
            "hookInstance must be a non-empty string");
  EXPECT_EQ(error_of(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10"})"), "context is required");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u"}})"),
      "context.patientId is required");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p","encounterId":5}})"),
      "context.encounterId must be a string");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p"},"prefetch":[]})"),
      "prefetch must be an object");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p"},"prefetch":{"obs":5}})"),
      "prefetch.obs must be a FHIR resource or null");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"ftp://x","context":{"userId":"Practitioner/u","patientId":"p"}})"),
      "fhirServer must be an absolute http(s) URL");
}

TEST(Request, IdsMustBeFhirIdsAndUserIdAReference) {
  const std::string head = R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":)";
  EXPECT_EQ(error_of(head + R"({"userId":"Practitioner/7","patientId":"p 1&x"}})"),
            "context.patientId must be a FHIR id ([A-Za-z0-9-.], 1-64 characters)");
  EXPECT_EQ(error_of(head + R"({"userId":"Practitioner/7","patientId":")" + std::string(65, 'a') +
                     R"("}})"),
            "context.patientId must be a FHIR id ([A-Za-z0-9-.], 1-64 characters)");
  EXPECT_EQ(error_of(head + R"({"userId":"Practitioner/7","patientId":"p","encounterId":"e/1"}})"),
            "context.encounterId must be a FHIR id ([A-Za-z0-9-.], 1-64 characters)");
  for (const char* user : {"7", "Practitioner/", "practitioner/7", "Practitioner/../x", "/7"}) {
    EXPECT_EQ(error_of(head + R"({"userId":")" + user + R"(","patientId":"p"}})"),
              "context.userId must be a reference like \"Practitioner/123\"")
        << user;
  }
}

TEST(Request, MessagesDoNotRepeatWhatTheClientSent) {
  EXPECT_EQ(error_of(R"({"hook":"order-sign<script>","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{}})"),
            "hook does not match this service's hook \"patient-view\"");
  EXPECT_EQ(
      error_of(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p"},"prefetch":{"pat-cd-001\nFAKE LOG":5}})"),
      "");  // a key the service did not declare is ignored, never echoed
}

TEST(Request, AccessTokenOnlyOverHttpsOrToThisMachine) {
  const std::string auth =
      R"("fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":300,"scope":"s","subject":"x"})";
  auto with = [&](const std::string& server) {
    return error_of(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":")" + server +
                    R"(",)" + auth + R"(,"context":{"userId":"Practitioner/u","patientId":"p"}})");
  };
  EXPECT_EQ(with("http://ehr.example.org/fhir"),
            "fhirServer must use https when fhirAuthorization is given");
  EXPECT_EQ(with("http://127.0.0.1.evil.example/fhir"),
            "fhirServer must use https when fhirAuthorization is given");
  EXPECT_EQ(with("https://ehr.example.org/fhir"), "");
  EXPECT_EQ(with("http://127.0.0.1:8081/fhir"), "");
  EXPECT_EQ(with("http://localhost/fhir"), "");
}

TEST(Request, FhirAuthorizationNeedsFhirServerAndAllFields) {
  const std::string auth =
      R"("fhirAuthorization":{"access_token":"SECRET-TOKEN","token_type":"Bearer","expires_in":300,"scope":"patient/*.read","subject":"cds"})";
  EXPECT_EQ(error_of(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10",)" + auth +
                     R"(,"context":{"userId":"Practitioner/u","patientId":"p"}})"),
            "fhirServer is required when fhirAuthorization is given");
  auto ok = parse_request(
      parse(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://ehr/fhir",)" + auth +
            R"(,"context":{"userId":"Practitioner/u","patientId":"p"}})"),
      service());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->fhir_authorization->access_token, "SECRET-TOKEN");
  const std::string bad_type =
      R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://e","fhirAuthorization":{"access_token":"t","token_type":"MAC","expires_in":1,"scope":"s","subject":"x"},"context":{"userId":"Practitioner/u","patientId":"p"}})";
  const std::string message = error_of(bad_type);
  EXPECT_EQ(message, "fhirAuthorization.token_type must be \"Bearer\"");
  // The token never appears in an error message.
  const std::string no_scope =
      R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://e","fhirAuthorization":{"access_token":"SECRET-TOKEN","token_type":"Bearer","expires_in":1,"subject":"x"},"context":{"userId":"Practitioner/u","patientId":"p"}})";
  EXPECT_EQ(error_of(no_scope).find("SECRET"), std::string::npos);
}

TEST(Request, OrderHooksNeedDraftOrders) {
  const std::string base =
      R"({"hook":"order-select","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p")";
  EXPECT_EQ(error_of(base + "}}", "order-select"),
            "context.selections is required and must be an array");
  EXPECT_EQ(error_of(base + R"(,"selections":["MedicationRequest/1"]}})", "order-select"),
            "context.draftOrders is required");
  EXPECT_EQ(error_of(base + R"(,"selections":[],"draftOrders":{"resourceType":"Patient"}}})",
                     "order-select"),
            "context.draftOrders must be a FHIR Bundle");
  EXPECT_EQ(
      error_of(
          base +
              R"(,"selections":["MedicationRequest/1"],"draftOrders":{"resourceType":"Bundle"}}})",
          "order-select"),
      "");
}

TEST(Prefetch, RendersTokensAndEncodesValues) {
  auto r = parse_request(
      parse(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/7","patientId":"p-1.x"}})"),
      service());
  ASSERT_TRUE(r);
  EXPECT_EQ(*render_template("Patient/{{context.patientId}}", *r), "Patient/p-1.x");
  EXPECT_EQ(*render_template("Practitioner/{{userPractitionerId}}", *r), "Practitioner/7");
  EXPECT_FALSE(render_template("Encounter/{{context.encounterId}}", *r));
  EXPECT_FALSE(render_template("PractitionerRole/{{userPractitionerRoleId}}", *r));
  EXPECT_FALSE(render_template("x/{{context.patientId", *r));
}

TEST(Prefetch, PlansAbsentAndOperationOutcomeKeysOnly) {
  auto r = parse_request(
      parse(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://ehr/fhir",
      "context":{"userId":"Practitioner/7","patientId":"p1"},
      "prefetch":{"patient":{"resourceType":"Patient","id":"p1"},"obs":{"resourceType":"OperationOutcome","issue":[]}}})"),
      service());
  ASSERT_TRUE(r);
  auto plan = plan_prefetch(*r, service());
  ASSERT_EQ(plan.needs.size(), 2u);
  EXPECT_EQ(plan.needs[0].key, "obs");
  EXPECT_EQ(plan.needs[0].query, "Observation?patient=p1&code=http://loinc.org|1988-5");
  EXPECT_EQ(plan.needs[1].key, "me");
  EXPECT_EQ(plan.needs[1].query, "Practitioner/7");
}

TEST(Prefetch, NullMeansNoDataAndIsNotFetched) {
  auto r = parse_request(
      parse(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://ehr/fhir",
      "context":{"userId":"Practitioner/7","patientId":"p1"},
      "prefetch":{"patient":{"resourceType":"Patient","id":"p1"},"obs":null,"me":null}})"),
      service());
  ASSERT_TRUE(r);
  auto plan = plan_prefetch(*r, service());
  EXPECT_TRUE(plan.needs.empty());
  auto data = assemble_patient_data(*r, service(), plan, {});
  ASSERT_TRUE(data);
  EXPECT_TRUE(data->missing.empty());
  EXPECT_EQ(data->resources.size(), 1u);
}

TEST(Prefetch, RequiredPatientMissingIs412WithOperationOutcome) {
  auto r = parse_request(parse(kValid), service());
  ASSERT_TRUE(r);
  auto plan = plan_prefetch(*r, service());
  auto data = assemble_patient_data(*r, service(), plan, {});
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().kind, ErrorKind::kPreconditionFailed);
  ASSERT_TRUE(data.error().resource);
  EXPECT_EQ(*data.error().resource->string_at("resourceType"), "OperationOutcome");
}

TEST(Prefetch, APatientOtherThanTheContextDoesNotCount) {
  auto r = parse_request(
      parse(
          R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/u","patientId":"p1"},
      "prefetch":{"patient":{"resourceType":"Patient","id":"p2"}}})"),
      service());
  ASSERT_TRUE(r);
  auto data = assemble_patient_data(*r, service(), plan_prefetch(*r, service()), {});
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().kind, ErrorKind::kPreconditionFailed);
}

TEST(Prefetch, BundlesAreUnpackedAndFailedFetchesReported) {
  auto r = parse_request(
      parse(R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","fhirServer":"https://ehr/fhir",
      "context":{"userId":"Practitioner/7","patientId":"p1"},
      "prefetch":{"patient":{"resourceType":"Patient","id":"p1"}}})"),
      service());
  ASSERT_TRUE(r);
  auto plan = plan_prefetch(*r, service());
  std::vector<FetchResult> fetched{
      {"obs", parse(R"({"resourceType":"Bundle","type":"searchset","entry":[
          {"resource":{"resourceType":"Observation","id":"o1"}},
          {"resource":{"resourceType":"OperationOutcome"},"search":{"mode":"outcome"}}]})"),
       "", ""},
      {"me", std::nullopt, "the FHIR server answered 503", ""}};
  auto data = assemble_patient_data(*r, service(), plan, fetched);
  ASSERT_TRUE(data);
  ASSERT_EQ(data->resources.size(), 2u);
  EXPECT_EQ(*data->resources[0].resource.string_at("resourceType"), "Patient");
  ASSERT_EQ(data->missing.size(), 1u);
  EXPECT_EQ(data->missing[0].key, "me");
  EXPECT_EQ(data->missing[0].reason, "the FHIR server answered 503");
}

}  // namespace
}  // namespace ibd::hooks
