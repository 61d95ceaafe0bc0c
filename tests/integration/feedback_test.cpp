// Feedback and the audit trail through the real binary, on SQLite (feedback_integration_tests)
// and PostgreSQL (feedback_integration_pg_tests): cards issued by hook calls, feedback on them
// over HTTP, then `ibd-cds audit verify`, `audit export` and `report` on the same database.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/stored_server.hpp"

namespace ibd::testing {
namespace {

constexpr const char* kTdm = "tdm-reactive-fires-infliximab-active";

class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.why_not();
    config_ = write_stored_config(db_);
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{}, config_);
    ASSERT_TRUE(server_->running()) << server_->log();
  }
  std::uint16_t port() const { return server_->port(); }
  std::optional<HttpReply> send(const std::string& body,
                                const std::string& service = "ibd-patient-view") {
    return http(port(), "POST", "/cds-services/" + service + "/feedback", body);
  }

  TestDatabase db_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(FeedbackTest, FeedbackOnIssuedCardsIsStoredOnceAndReported) {
  const auto cards = issue_cards(port(), kTdm);
  ASSERT_GE(cards.size(), 2u);
  const IssuedCardRef* with_suggestion = nullptr;
  for (const auto& c : cards)
    if (!c.suggestions.empty()) with_suggestion = &c;
  ASSERT_NE(with_suggestion, nullptr);
  const std::string accept = feedback_body(*with_suggestion, true, "2026-11-22T10:00:00Z");
  auto first = send(accept);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->body, R"({"stored":1,"duplicates":0})");
  auto repeat = send(accept);
  ASSERT_TRUE(repeat);
  EXPECT_EQ(repeat->status, 200);
  EXPECT_EQ(repeat->body, R"({"stored":0,"duplicates":1})");
  const IssuedCardRef& other = &cards[0] == with_suggestion ? cards[1] : cards[0];
  auto override_reply = send(feedback_body(other, false, "2026-11-22T10:01:00Z"));
  ASSERT_TRUE(override_reply);
  EXPECT_EQ(override_reply->status, 200) << override_reply->body;

  const auto verify = run_binary({"audit", "verify", "--config", config_});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("audit chain OK: 1 records"), std::string::npos) << verify.out;

  const auto report = run_binary({"report", "--config", config_, "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto json = fhir::parse_json(report.out);
  ASSERT_TRUE(json) << report.out;
  const fhir::Json* total = json->find("total");
  EXPECT_EQ(*total->find("shown")->as_int(), static_cast<std::int64_t>(cards.size()));
  EXPECT_EQ(*total->find("accepted")->as_int(), 1);
  EXPECT_EQ(*total->find("overridden")->as_int(), 1);
  const auto text = run_binary({"report", "--config", config_});
  EXPECT_NE(text.out.find("overridden: not-now (Not now): 1"), std::string::npos) << text.out;
}

TEST_F(FeedbackTest, EveryHookCallIsAuditedSuccessOrError) {
  ASSERT_FALSE(issue_cards(port(), kTdm).empty());
  auto bad_json = http(port(), "POST", "/cds-services/ibd-patient-view", "{not json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  auto unknown = http(port(), "POST", "/cds-services/no-such-service", "{}");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  fhir::Json no_patient = scenario_request(kTdm);
  no_patient.find("prefetch")->erase("patient");
  no_patient.find("prefetch")->set("patient", fhir::Json());
  auto missing = http(port(), "POST", "/cds-services/ibd-patient-view", no_patient.dump());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 412) << missing->body;
  ASSERT_TRUE(wait_audit_written(port()));

  const std::string out = db_.folder() + "/audit.ndjson";
  const auto exported =
      run_binary({"audit", "export", "--config", config_, "--format", "ndjson", "--out", out});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream in(out);
  std::string line;
  std::vector<fhir::Json> records;
  while (std::getline(in, line)) records.push_back(*fhir::parse_json(line)->find("record"));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(*records[0].find("status")->as_int(), 200);
  EXPECT_FALSE(records[0].items_at("cards").empty());
  EXPECT_TRUE(records[0].string_at("patient")->starts_with("hmac-sha256:"));
  EXPECT_TRUE(records[0].string_at("input")->starts_with("hmac-sha256:"));
  EXPECT_EQ(*records[0].string_at("hook"), "patient-view");
  EXPECT_FALSE(records[0].string_at("hookInstance")->empty());
  EXPECT_FALSE(records[0].string_at("ruleSetVersion")->empty());
  EXPECT_EQ(*records[1].find("status")->as_int(), 400);
  EXPECT_EQ(*records[1].string_at("error"), "invalid_request");
  EXPECT_EQ(*records[2].find("status")->as_int(), 404);
  EXPECT_EQ(*records[3].find("status")->as_int(), 412);
  EXPECT_TRUE(records[3].items_at("cards").empty());
  // The 412 call named its patient: hashed like the first (same patient, same key).
  EXPECT_EQ(*records[3].string_at("patient"), *records[0].string_at("patient"));

  const auto fhir_export = run_binary({"audit", "export", "--config", config_, "--format", "fhir"});
  ASSERT_EQ(fhir_export.exit_code, 0) << fhir_export.err;
  std::istringstream events(fhir_export.out);
  int n = 0;
  while (std::getline(events, line)) {
    auto event = fhir::parse_json(line);
    ASSERT_TRUE(event) << line;
    EXPECT_EQ(*event->string_at("resourceType"), "AuditEvent");
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST_F(FeedbackTest, FeedbackIsValidatedAgainstTheCardsThisServerSent) {
  const auto cards = issue_cards(port(), kTdm);
  ASSERT_FALSE(cards.empty());
  IssuedCardRef fake = cards[0];
  fake.uuid = "00000000-0000-4000-8000-000000000000";
  auto unknown = send(feedback_body(fake, false, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("feedback[0].card"), std::string::npos) << unknown->body;
  auto wrong_service = send(feedback_body(cards[0], false, "2026-11-22T10:00:00Z"),
                            "ibd-order-select");
  ASSERT_TRUE(wrong_service);
  EXPECT_EQ(wrong_service->status, 400) << wrong_service->body;
  IssuedCardRef bad_suggestion = cards[0];
  bad_suggestion.suggestions = {"11111111-1111-4111-8111-111111111111"};
  auto suggestion = send(feedback_body(bad_suggestion, true, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(suggestion);
  EXPECT_EQ(suggestion->status, 400);
  EXPECT_NE(suggestion->body.find("not a suggestion of that card"), std::string::npos);
  auto not_json = http(port(), "POST", "/cds-services/ibd-patient-view/feedback", "x",
                       "text/plain");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 415);
  auto get = http(port(), "GET", "/cds-services/ibd-patient-view/feedback");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  auto store = db_.open();
  ASSERT_NE(store, nullptr);
  auto rows = store->feedback_of_card(cards[0].uuid);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

TEST_F(FeedbackTest, NoPatientIdOrTokenIsWrittenAnywhere) {
  fhir::Json request = scenario_request(kTdm);
  const std::string patient = *request.find("context")->string_at("patientId");
  const std::string token = "eyJhbGciOiJIUzI1NiJ9.SECRET-ACCESS-TOKEN-4711.sig";
  request.set("fhirServer", fhir::Json::string("https://ehr.example.org/fhir"));
  request.set("fhirAuthorization",
              fhir::Json::object()
                  .set("access_token", fhir::Json::string(token))
                  .set("token_type", fhir::Json::string("Bearer"))
                  .set("expires_in", fhir::Json::number(std::int64_t{300}))
                  .set("scope", fhir::Json::string("patient/*.read"))
                  .set("subject", fhir::Json::string("cds-service")));
  auto reply = http(port(), "POST", "/cds-services/ibd-patient-view", request.dump());
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const auto cards = body_json(*reply).items_at("cards");
  ASSERT_FALSE(cards.empty());
  ASSERT_TRUE(wait_audit_written(port()));
  IssuedCardRef card{"ibd-patient-view", *cards[0].string_at("uuid"), "", {}};
  auto fb = send(feedback_body(card, false, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(fb);
  ASSERT_EQ(fb->status, 200) << fb->body;
  const auto exported = run_binary({"audit", "export", "--config", config_, "--format", "fhir"});
  ASSERT_EQ(exported.exit_code, 0);
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  std::vector<std::pair<std::string, std::string>> places{{"the log", server_->log()},
                                                          {"the export", exported.out}};
  // Every file the database keeps (SQLite: the database and its WAL).
  for (const auto& entry : std::filesystem::recursive_directory_iterator(db_.folder())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    places.emplace_back(entry.path().string(), s.str());
  }
  for (const auto& [where, text] : places) {
    if (where.ends_with(".yaml")) continue;
    EXPECT_EQ(text.find(patient), std::string::npos) << "the patient id is in " << where;
    EXPECT_EQ(text.find("SECRET-ACCESS-TOKEN"), std::string::npos) << "the token is in " << where;
  }
}

TEST_F(FeedbackTest, HealthShowsTheAuditWriter) {
  const fhir::Json h = health(port());
  ASSERT_NE(h.find("audit"), nullptr) << h.dump();
  EXPECT_EQ(*h.string_at("status"), "ok");
  EXPECT_EQ(h.find("audit")->find("ok")->as_bool(), true);
}

}  // namespace
}  // namespace ibd::testing
