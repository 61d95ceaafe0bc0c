// The real binary in the production profile: every discovery and service call needs a JWT
// from a configured client; CORS preflights do not; /health stays open.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "tests/integration/fixtures.hpp"
#include "tests/support/card_check.hpp"
#include "tests/support/jwt_signer.hpp"

namespace ibd::testing {
namespace {

using fhir::Json;
constexpr const char* kIss = "https://ehr.example.org";
constexpr const char* kExternal = "https://cds.example.org";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Production : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new TestKey(TestKey::generate("EC", "P-256"));
    dir_ = new TempDir();
    const std::string jwks = dir_->path() + "/ehr.jwks.json";
    std::ofstream(jwks) << jwks_of({key_->jwk("ehr-1", "ES256")}).dump();
    const std::string cfg = dir_->path() + "/ibd-cds.yaml";
    write_config(cfg, "  enabled: true\n  allowed_servers: []\n");
    // The auth and cors sections of the shipped file, replaced.
    std::ifstream in(cfg);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto replace = [&](const std::string& from, const std::string& to) {
      const auto at = text.find(from);
      ASSERT_NE(at, std::string::npos) << from;
      text.replace(at, from.size(), to);
    };
    replace("  external_url: \"\"", std::string("  external_url: ") + kExternal);
    replace("  clients: []", std::string("  clients:\n    - iss: ") + kIss + "\n      jwks_file: " +
                                 jwks + "\n      fhir_servers: [https://ehr.example.org]\n");
    replace("  allowed_origins: []", "  allowed_origins: [https://sandbox.cds-hooks.org]");
    // Production also needs the key that hashes patient ids in the audit trail.
    const std::string key = dir_->path() + "/audit.key";
    std::ofstream(key) << std::string(64, 'a') << "\n";
    const auto audit = text.find("\naudit:\n");
    if (audit == std::string::npos) {
      text += "\naudit:\n  key_file: " + key + "\n";
    } else {
      text.insert(audit + 8, "  key_file: " + key + "\n");
    }
    std::ofstream(cfg) << text;
    server_ = new ServerProcess({"--profile", "production"}, cfg);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    delete key_;
    server_ = nullptr;
    dir_ = nullptr;
    key_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->running()) << server_->log(); }

  static std::string token(const std::string& path, Json extra = Json::object()) {
    static int n = 0;
    Json p = Json::object()
                 .set("iss", Json::string(kIss))
                 .set("sub", Json::string("ehr-client"))
                 .set("aud", Json::string(kExternal + path))
                 .set("iat", Json::number(now_s()))
                 .set("exp", Json::number(now_s() + 240))
                 .set("jti", Json::string("it-" + std::to_string(++n)));
    if (const Json::Object* o = extra.as_object())
      for (const fhir::JsonMember& m : *o) p.set(m.key, m.value);
    return key_->sign(Json::object()
                          .set("alg", Json::string("ES256"))
                          .set("typ", Json::string("JWT"))
                          .set("kid", Json::string("ehr-1")),
                      p, "ES256");
  }
  static std::optional<HttpReply> send(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& headers) {
    HttpConnection c("127.0.0.1", server_->port());
    return c.request(method, path, body, "application/json", headers);
  }

  static inline TestKey* key_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(Production, DiscoveryNeedsAToken) {
  auto none = send("GET", "/cds-services", "", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_TRUE(none->header("www-authenticate").starts_with("Bearer"));
  auto ok =
      send("GET", "/cds-services", "", "Authorization: Bearer " + token("/cds-services") + "\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body << server_->log();
  auto health = send("GET", "/health", "", "");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(Production, AHookCallWithAGoodToken) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  const std::string path = "/cds-services/ibd-patient-view";
  auto ok = send("POST", path, request.dump(), "Authorization: Bearer " + token(path) + "\r\n");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_NE(card_of(body_json(*ok), "tdm-reactive"), nullptr);
  // A token for discovery is not one for the service.
  auto wrong = send("POST", path, request.dump(),
                    "Authorization: Bearer " + token("/cds-services") + "\r\n");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find("aud"), std::string::npos) << "no reason in the body";
  // The same token twice is a replay.
  const std::string once = token(path);
  auto first = send("POST", path, request.dump(), "Authorization: Bearer " + once + "\r\n");
  auto second = send("POST", path, request.dump(), "Authorization: Bearer " + once + "\r\n");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 401);
}

TEST_F(Production, AFhirServerNotConfiguredForTheClientIs403) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.set("fhirServer", Json::string("https://other-ehr.example.org/fhir"));
  const std::string path = "/cds-services/ibd-patient-view";
  auto r = send("POST", path, request.dump(), "Authorization: Bearer " + token(path) + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  request.set("fhirServer", Json::string("https://ehr.example.org/fhir/R4"));
  auto ok = send("POST", path, request.dump(), "Authorization: Bearer " + token(path) + "\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(Production, CorsPreflightNeedsNoTokenAndOnlyAllowedOrigins) {
  const std::string preflight_headers =
      "Origin: https://sandbox.cds-hooks.org\r\nAccess-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: authorization, content-type\r\n";
  auto r = send("OPTIONS", "/cds-services/ibd-patient-view", "", preflight_headers);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("access-control-allow-origin"), "https://sandbox.cds-hooks.org");
  EXPECT_NE(r->header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(r->header("access-control-allow-credentials"), "");
  auto evil = send("OPTIONS", "/cds-services/ibd-patient-view", "",
                   "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n");
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  EXPECT_EQ(evil->header("access-control-allow-origin"), "");
  // The actual call from the allowed origin carries the CORS headers, even when refused.
  auto call = send("GET", "/cds-services", "", "Origin: https://sandbox.cds-hooks.org\r\n");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->status, 401);
  EXPECT_EQ(call->header("access-control-allow-origin"), "https://sandbox.cds-hooks.org");
}

TEST_F(Production, NoTokenReachesTheLog) {
  const std::string path = "/cds-services/ibd-patient-view";
  const std::string jwt = token(path);
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  send("POST", path, request.dump(), "Authorization: Bearer " + jwt + "\r\n");
  send("POST", path, request.dump(), "Authorization: Bearer " + jwt + "\r\n");  // replay
  send("POST", path, request.dump(), "Authorization: Bearer " + jwt + "x\r\n");
  const std::string log = server_->log();
  EXPECT_EQ(log.find(jwt.substr(jwt.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(log.find(jwt.substr(0, jwt.find('.'))), std::string::npos);
  EXPECT_EQ(log.find(*request.find("context")->string_at("patientId")), std::string::npos);
}

}  // namespace
}  // namespace ibd::testing
