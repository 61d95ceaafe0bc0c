// The engine end to end on the shipped configuration: request text in, cards out.
#include "hooks/engine.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/config.hpp"
#include "tests/support/card_check.hpp"

namespace ibd::hooks {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cfg = config::load_config(std::string(IBD_SOURCE_DIR) + "/config/ibd-cds.yaml");
    if (!cfg) {
      load_error_ = cfg.error();
      return;
    }
    auto engine_config = std::make_shared<EngineConfig>(*cfg->engine);
    int n = 0;
    engine_config->style.make_uuid = [n]() mutable { return "uuid-" + std::to_string(++n); };
    engine_ = new Engine(engine_config);
  }
  static void TearDownTestSuite() { delete engine_; }
  void SetUp() override { ASSERT_NE(engine_, nullptr) << "config did not load: " << load_error_; }
  static inline std::string load_error_;

  static std::string scenario_request(const std::string& name) {
    std::ifstream in(std::string(IBD_SOURCE_DIR) + "/tests/scenarios/" + name + ".json");
    std::stringstream s;
    s << in.rdbuf();
    return fhir::parse_json(s.str())->find("request")->dump();
  }
  static fhir::TimePoint now() { return fhir::parse_date_time("2026-06-01T09:00:00Z")->start; }
  static Engine* engine_;
};
Engine* EngineTest::engine_ = nullptr;

TEST_F(EngineTest, DiscoveryListsThePatientViewServiceWithRuleSetVersion) {
  const fhir::Json d = engine_->catalog().discovery();
  const auto* services = d.array_at("services");
  ASSERT_NE(services, nullptr);
  ASSERT_GE(services->size(), 1u);
  const fhir::Json& s = services->front();
  EXPECT_EQ(*s.string_at("id"), "ibd-patient-view");
  EXPECT_EQ(*s.string_at("hook"), "patient-view");
  EXPECT_EQ(*s.find("prefetch")->string_at("patient"), "Patient/{{context.patientId}}");
  EXPECT_EQ(*s.find("extension")->find("org.ibd-cds.rule-set")->string_at("version"),
            engine_->config().rules.version);
}

TEST_F(EngineTest, TdmCardIsCompleteCdsHooksCard) {
  auto r = engine_->call("ibd-patient-view",
                         scenario_request("tdm-reactive-fires-infliximab-active"), now());
  ASSERT_TRUE(r) << r.error().message;
  const fhir::Json* found = testing::card_of(r->response, "tdm-reactive");
  ASSERT_NE(found, nullptr);
  const fhir::Json& card = *found;
  EXPECT_TRUE(card.string_at("uuid")->starts_with("uuid-"));
  EXPECT_EQ(*card.string_at("indicator"), "warning");
  EXPECT_LT(card.string_at("summary")->size(), 140u);
  EXPECT_EQ(*card.find("source")->string_at("url"), "https://doi.org/10.1053/j.gastro.2017.07.032");
  EXPECT_EQ(*card.string_at("selectionBehavior"), "at-most-one");
  EXPECT_GE(card.array_at("overrideReasons")->size(), 1u);
  const auto& rule = *card.find("extension")->find("org.ibd-cds.rule");
  EXPECT_EQ(*rule.string_at("id"), "tdm-reactive");
  EXPECT_EQ(*rule.string_at("ruleSetVersion"), engine_->config().rules.version);
  const auto& action = card.array_at("suggestions")->front().array_at("actions")->front();
  EXPECT_EQ(*action.string_at("type"), "create");
  const fhir::Json& sr = *action.find("resource");
  EXPECT_EQ(*sr.string_at("resourceType"), "ServiceRequest");
  EXPECT_EQ(*sr.string_at("status"), "draft");
  EXPECT_EQ(*sr.string_at("intent"), "proposal");
  EXPECT_EQ(*sr.find("subject")->string_at("reference"), "Patient/pat-cd-001");
  EXPECT_EQ(*sr.find("encounter")->string_at("reference"), "Encounter/enc-4471");
  EXPECT_EQ(*sr.find("requester")->string_at("reference"), "Practitioner/prac-gi-7");
  EXPECT_EQ(*sr.find("code")->array_at("coding")->front().string_at("code"), "39803-2");
  EXPECT_EQ(sr.array_at("reasonReference")->size(), 2u);
  const std::string& detail = *card.string_at("detail");
  EXPECT_NE(detail.find("| Date | Test |"), std::string::npos);
  EXPECT_NE(detail.find("Observation/obs-fc-1"), std::string::npos);
}

TEST_F(EngineTest, ErrorsMapToKinds) {
  EXPECT_EQ(engine_->call("no-such-service", "{}", now()).error().kind, ErrorKind::kNotFound);
  auto bad_json = engine_->call("ibd-patient-view", "{\"hook\": ", now());
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_NE(bad_json.error().message.find("line 1"), std::string::npos);
  auto dup =
      engine_->call("ibd-patient-view", R"({"hook":"patient-view","hook":"patient-view"})", now());
  EXPECT_EQ(dup.error().kind, ErrorKind::kInvalidRequest);
  std::string deep(200, '[');
  EXPECT_EQ(engine_->call("ibd-patient-view", deep, now()).error().kind,
            ErrorKind::kInvalidRequest);
  auto no_patient =
      engine_->call("ibd-patient-view", scenario_request("prefetch-patient-missing-412"), now());
  ASSERT_FALSE(no_patient);
  EXPECT_EQ(no_patient.error().kind, ErrorKind::kPreconditionFailed);
}

TEST_F(EngineTest, MissingFetchIsReportedAsDataIncomplete) {
  // fhirServer is given but this server does not fetch: the absent keys are named.
  auto body = fhir::parse_json(scenario_request("prefetch-observations-missing"));
  body->set("fhirServer", fhir::Json::string("https://ehr.example.org/fhir"));
  auto r = engine_->call("ibd-patient-view", body->dump(), now());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->model.missing.size(), 1u);
  EXPECT_EQ(r->model.missing[0].key, "observations");
}

}  // namespace
}  // namespace ibd::hooks
