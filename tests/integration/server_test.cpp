// The real ibd-cds binary on port 0, spoken to over sockets the way an EHR would.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "fhir/datetime.hpp"
#include "fhir/json.hpp"
#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/support/card_check.hpp"

namespace ibd::testing {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    ASSERT_TRUE(server_->running())
        << "banner: " << server_->banner() << "\nlog: " << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static ServerProcess* server_;
};
ServerProcess* ServerTest::server_ = nullptr;

TEST_F(ServerTest, DiscoveryIsValid) {
  auto r = http(port(), "GET", "/cds-services");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto problems = check_discovery(body_json(*r));
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_F(ServerTest, TdmScenarioReturnsTheTdmCard) {
  auto r = http(port(), "POST", "/cds-services/ibd-patient-view",
                scenario_request("tdm-reactive-fires-infliximab-active").dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const fhir::Json response = body_json(*r);
  auto problems = check_response(response);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_NE(card_of(response, "tdm-reactive"), nullptr) << r->body;
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpConnection c("127.0.0.1", port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/health");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
  auto post = c.request("POST", "/cds-services/ibd-patient-view",
                        scenario_request("tdm-reactive-inactive-no-fire").dump());
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, R"({"cards":[]})");
}

TEST_F(ServerTest, ErrorsHaveTheRightStatusAndAHelpfulJsonBody) {
  struct Case {
    std::string method, target, body, content_type;
    int status;
    std::string message_part;
  };
  const std::string valid = scenario_request("tdm-reactive-fires-infliximab-active").dump();
  for (const Case& c : std::vector<Case>{
           {"POST", "/cds-services/no-such-service", valid, "application/json", 404,
            "no CDS service"},
           {"GET", "/cds-services/ibd-patient-view", "", "", 405, ""},
           {"DELETE", "/cds-services", "", "", 405, ""},
           {"GET", "/nowhere", "", "", 404, ""},
           {"POST", "/cds-services/ibd-patient-view", valid, "text/plain", 415, "application/json"},
           {"POST", "/cds-services/ibd-patient-view",
            "{\"hook\": \"patient-view\",\n \"context\": }", "application/json", 400, "line 2"},
           {"POST", "/cds-services/ibd-patient-view",
            R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10"})", "application/json", 400,
            "context is required"},
           {"POST", "/cds-services/ibd-patient-view", "", "application/json", 400,
            "malformed JSON"},
       }) {
    auto r = http(port(), c.method, c.target, c.body, c.content_type);
    ASSERT_TRUE(r) << c.method << " " << c.target;
    EXPECT_EQ(r->status, c.status) << c.method << " " << c.target << ": " << r->body;
    const fhir::Json j = body_json(*r);
    ASSERT_NE(j.string_at("message"), nullptr) << r->body;
    EXPECT_NE(j.string_at("message")->find(c.message_part), std::string::npos) << r->body;
    if (c.status == 405) {
      EXPECT_FALSE(r->header("allow").empty());
    }
  }
}

TEST_F(ServerTest, UnsupportedCharsetParametersAreStillJson) {
  auto r =
      http(port(), "POST", "/cds-services/ibd-patient-view",
           scenario_request("tdm-reactive-inactive-no-fire").dump(), "Application/JSON; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(ServerTest, MissingPatientIs412WithOperationOutcome) {
  auto r = http(port(), "POST", "/cds-services/ibd-patient-view",
                scenario_request("prefetch-patient-missing-412").dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 412);
  EXPECT_EQ(r->header("content-type"), "application/fhir+json");
  EXPECT_EQ(*body_json(*r).string_at("resourceType"), "OperationOutcome");
}

TEST_F(ServerTest, OversizedBodyIs413) {
  HttpConnection c("127.0.0.1", port());
  ASSERT_TRUE(c.ok());
  // Announce 32 MiB (the limit is 16) and send nothing: the server answers from the header.
  ASSERT_TRUE(
      c.send_raw("POST /cds-services/ibd-patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "application/json\r\n"
                 "Content-Length: 33554432\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, DeeplyNestedJsonIs400NotACrash) {
  std::string deep(100000, '[');
  auto r = http(port(), "POST", "/cds-services/ibd-patient-view", deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  auto health = http(port(), "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(ServerTest, ContentLengthWithTransferEncodingIsRefused) {
  HttpConnection c("127.0.0.1", port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(
      c.send_raw("POST /cds-services/ibd-patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "application/json\r\n"
                 "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, LogsHoldNeitherTokensNorPatientIds) {
  auto body = fhir::parse_json(scenario_request("tdm-reactive-fires-infliximab-active").dump());
  body->set("fhirServer", fhir::Json::string("https://ehr.example.org/fhir"));
  fhir::Json auth = fhir::Json::object();
  auth.set("access_token", fhir::Json::string("tok-SECRET-7f3a9"));
  auth.set("token_type", fhir::Json::string("Bearer"));
  auth.set("expires_in", fhir::Json::number(std::int64_t{300}));
  auth.set("scope", fhir::Json::string("patient/*.read"));
  auth.set("subject", fhir::Json::string("cds-service"));
  body->set("fhirAuthorization", auth);
  auto r = http(port(), "POST", "/cds-services/ibd-patient-view", body->dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // A request that fails validation must not leak either.
  auto bad =
      http(port(), "POST", "/cds-services/ibd-patient-view?patient=pat-cd-001",
           R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"patientId":"pat-cd-001"}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->body.find("pat-cd-001"), std::string::npos);
  // Hostile input on the paths that describe the input back: a hook mismatch, a prefetch key.
  auto hostile = http(port(), "POST", "/cds-services/ibd-patient-view",
                      R"({"hook":"pat-cd-001\nFORGED","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{}})");
  ASSERT_TRUE(hostile);
  EXPECT_EQ(hostile->status, 400);
  auto hostile_key = http(
      port(), "POST", "/cds-services/ibd-patient-view",
      R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":{"userId":"Practitioner/1","patientId":"p1"},"prefetch":{"pat-cd-001":7}})");
  ASSERT_TRUE(hostile_key);
  EXPECT_EQ(hostile_key->status, 412);  // the undeclared key is ignored; no Patient
  EXPECT_EQ(hostile_key->body.find("pat-cd-001"), std::string::npos);
  const std::string log = server_->log();
  EXPECT_EQ(log.find("FORGED"), std::string::npos);
  EXPECT_NE(log.find("ibd-patient-view"), std::string::npos) << "the log should record the calls";
  EXPECT_EQ(log.find("tok-SECRET-7f3a9"), std::string::npos);
  EXPECT_EQ(log.find("pat-cd-001"), std::string::npos);
  EXPECT_EQ(log.find("MRN-88231"), std::string::npos);
  EXPECT_EQ(r->body.find("tok-SECRET-7f3a9"), std::string::npos);
}

TEST(ServerLifecycle, SigtermStopsGracefullyAfterFinishingInFlightWork) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  HttpConnection idle("127.0.0.1",
                      server.port());  // an idle keep-alive connection must not hold shutdown up
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle.request("GET", "/health"));
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
  EXPECT_FALSE(http(server.port(), "GET", "/health"));
}

TEST(ServerLifecycle, RefusesNonLoopbackWhileAuthIsOff) {
  auto r = run_binary({"serve", "--config", config_path(), "--listen", "0.0.0.0:0", "--profile",
                       "development"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the development profile has no authentication"), std::string::npos)
      << r.err;
}

TEST(ServerLifecycle, ProductionNeedsTrustedClients) {
  auto r = run_binary({"serve", "--config", config_path(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("at least one auth.clients entry"), std::string::npos) << r.err;
}

TEST(ServerLifecycle, DevelopmentProfileWarnsLoudly) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  EXPECT_NE(server.log().find("DEVELOPMENT PROFILE"), std::string::npos) << server.log();
}

TEST(ServerLifecycle, BadConfigStopsStartUpWithFileAndLine) {
  const std::string path = "/tmp/ibd-it-bad-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << "server:\n  listen: 127.0.0.1:0\n  colour: blue\n";
  auto r = run_binary({"serve", "--config", path});
  std::remove(path.c_str());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":3:3: server.colour: unknown key"), std::string::npos) << r.err;
}

TEST(ServerLifecycle, PortInUseIsAClearError) {
  ServerProcess first;
  ASSERT_TRUE(first.running());
  auto r = run_binary({"serve", "--config", config_path(), "--listen",
                       "127.0.0.1:" + std::to_string(first.port()), "--profile", "development"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
}

TEST(Evaluate, PrintsTheSameCardsOffline) {
  const std::string scenario =
      std::string(IBD_SOURCE_DIR) + "/tests/scenarios/tdm-reactive-fires-infliximab-active.json";
  auto r = run_binary({"evaluate", "--config", config_path(), "--request", scenario});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = fhir::parse_json(r.out);
  ASSERT_TRUE(json) << r.out;
  EXPECT_NE(card_of(*json, "tdm-reactive"), nullptr) << r.out;
}

TEST(Evaluate, ExplainSaysWhyEachRuleFiredOrNot) {
  const std::string scenario =
      std::string(IBD_SOURCE_DIR) + "/tests/scenarios/tdm-reactive-in-induction-no-fire.json";
  auto r = run_binary({"evaluate", "--config", config_path(), "--request", scenario, "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("still in induction"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# Model"), std::string::npos);
}

TEST(Request, ReplaysAScenarioTodayAndTheServerAgrees) {
  const std::string scenario =
      std::string(IBD_SOURCE_DIR) + "/tests/scenarios/tdm-reactive-fires-infliximab-active.json";
  auto r = run_binary({"request", "--scenario", scenario});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ServerProcess server;
  ASSERT_TRUE(server.running());
  auto reply = http(server.port(), "POST", "/cds-services/ibd-patient-view", r.out);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const auto response = fhir::parse_json(reply->body);
  ASSERT_TRUE(response);
  EXPECT_NE(card_of(*response, "tdm-reactive"), nullptr) << reply->body;
}

TEST(RulesDoc, DocsRulesMdIsWhatTheConfigurationSays) {
  auto r = run_binary({"rules-doc", "--config", config_path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(std::string(IBD_SOURCE_DIR) + "/docs/rules.md");
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(committed.str(), r.out) << "docs/rules.md is out of date: run `make docs`";
  EXPECT_NE(r.out.find("### `tdm-reactive`"), std::string::npos);
}

TEST(Evaluate, ReportsTheStatusTheServerWouldGive) {
  const std::string scenario =
      std::string(IBD_SOURCE_DIR) + "/tests/scenarios/prefetch-patient-missing-412.json";
  auto r = run_binary({"evaluate", "--config", config_path(), "--request", scenario});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTTP 412"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("OperationOutcome"), std::string::npos);
}

}  // namespace
}  // namespace ibd::testing
