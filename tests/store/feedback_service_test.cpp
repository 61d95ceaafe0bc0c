// The feedback endpoint's logic on a real database (SQLite and PostgreSQL): validation against
// the cards this server issued, idempotence, all-or-nothing, and 503 (never 200) when the
// database cannot take it.
#include <gtest/gtest.h>

#include <thread>

#include "fhir/json.hpp"
#include "hooks/engine.hpp"
#include "server/audit_writer.hpp"
#include "server/config.hpp"
#include "server/feedback.hpp"
#include "tests/store/failing_store.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

std::shared_ptr<const hooks::Engine> engine() {
  static auto cfg = config::load_config(std::string(IBD_SOURCE_DIR) + "/config/ibd-cds.yaml");
  EXPECT_TRUE(cfg) << cfg.error();
  static auto e = std::make_shared<const hooks::Engine>(cfg->engine);
  return e;
}

server::Request post(const std::string& body, server::Caller caller = {}) {
  server::Request r;
  r.method = "POST";
  r.path = r.target = "/cds-services/ibd-patient-view/feedback";
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body;
  r.caller = std::move(caller);
  return r;
}

std::string accepted(const std::string& card, const std::string& suggestion,
                     const std::string& when = "2026-11-22T10:15:00Z") {
  return R"({"card":")" + card + R"(","outcome":"accepted","acceptedSuggestions":[{"id":")" +
         suggestion + R"("}],"outcomeTimestamp":")" + when + R"("})";
}

std::string overridden(const std::string& card, const std::string& comment = "seen") {
  return R"({"card":")" + card +
         R"(","outcome":"overridden","overrideReason":{"reason":{"system":"urn:r","code":"x",)"
         R"("display":"X"},"userComment":")" +
         comment + R"("},"outcomeTimestamp":"2026-11-22T10:15:00Z"})";
}

std::string wrap(const std::string& entries) { return R"({"feedback":[)" + entries + "]}"; }

store::AuditAppend issue(const std::string& card, const std::string& service = "ibd-patient-view",
                         const std::string& iss = "", const std::string& tenant = "") {
  store::AuditAppend a;
  a.time_ms = 1795341600000;
  a.service_id = service;
  a.body = R"({"timeMs":1795341600000,"service":")" + service + R"(","status":200})";
  a.cards.push_back({card, service, "tdm-reactive", "1.0.0", {card + "-s1", card + "-s2"}, iss,
                     tenant, a.time_ms, 0});
  return a;
}

class FeedbackServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.why_not();
    real_ = std::shared_ptr<store::Store>(db_.open());
    ASSERT_NE(real_, nullptr);
    store_ = std::make_shared<FailingStore>(real_);
    server::AuditWriterOptions o;
    o.retry_delay = std::chrono::milliseconds(20);
    writer_ = std::make_shared<server::AuditWriter>(store_, o);
    service_ = std::make_unique<server::FeedbackService>(engine(), store_, writer_,
                                                         [] { return std::int64_t{42}; });
    ASSERT_TRUE(real_->append_audit({issue("c1"), issue("c2"), issue("other", "ibd-order-sign"),
                                     issue("ehr-card", "ibd-patient-view", "https://a", "t1")}));
  }
  fhir::Json answer_json(const server::Response& r) {
    auto j = fhir::parse_json(r.body);
    EXPECT_TRUE(j) << r.body;
    return j ? *j : fhir::Json();
  }
  std::size_t stored(const std::string& card) {
    auto rows = real_->feedback_of_card(card);
    EXPECT_TRUE(rows);
    return rows ? rows->size() : 0;
  }

  TestDatabase db_;
  std::shared_ptr<store::Store> real_;
  std::shared_ptr<FailingStore> store_;
  std::shared_ptr<server::AuditWriter> writer_;
  std::unique_ptr<server::FeedbackService> service_;
};

TEST_F(FeedbackServiceTest, StoresAReportOnceHoweverOftenItIsSent) {
  const std::string body = wrap(accepted("c1", "c1-s2") + "," + overridden("c2"));
  auto r = service_->handle("ibd-patient-view", post(body));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"stored":2,"duplicates":0})");
  auto again = service_->handle("ibd-patient-view", post(body));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body, R"({"stored":0,"duplicates":2})");
  EXPECT_EQ(stored("c1"), 1u);
  auto rows = real_->feedback_of_card("c2");
  ASSERT_TRUE(rows && rows->size() == 1);
  EXPECT_EQ(rows->front().user_comment, "seen");
  EXPECT_EQ(rows->front().received_ms, 42);
  // A later, different report on the same card is a new report.
  auto later = service_->handle("ibd-patient-view",
                                post(wrap(accepted("c1", "c1-s2", "2026-11-22T11:00:00Z"))));
  EXPECT_EQ(later.body, R"({"stored":1,"duplicates":0})");
}

TEST_F(FeedbackServiceTest, OnlyCardsThisServiceSentToThisClient) {
  for (const auto& [card, caller_iss] : std::vector<std::pair<std::string, std::string>>{
           {"never-issued", ""}, {"other", ""}, {"ehr-card", ""}, {"ehr-card", "https://b"}}) {
    server::Caller caller;
    if (!caller_iss.empty()) {
      caller.iss = caller_iss;
      caller.tenant = "t1";
      caller.authenticated = true;
    }
    auto r = service_->handle("ibd-patient-view", post(wrap(overridden(card)), caller));
    EXPECT_EQ(r.status, 400) << card << " " << r.body;
    EXPECT_NE(r.body.find("feedback[0].card: not a card this service sent to this client"),
              std::string::npos)
        << r.body;
  }
  server::Caller ehr;
  ehr.iss = "https://a";
  ehr.tenant = "t1";
  ehr.authenticated = true;
  auto ok = service_->handle("ibd-patient-view", post(wrap(overridden("ehr-card")), ehr));
  EXPECT_EQ(ok.status, 200) << ok.body;
  ehr.tenant = "t2";
  auto other_tenant = service_->handle("ibd-patient-view", post(wrap(overridden("ehr-card")), ehr));
  EXPECT_EQ(other_tenant.status, 400);
}

TEST_F(FeedbackServiceTest, ASuggestionMustBeOneOfTheCard) {
  auto r = service_->handle("ibd-patient-view", post(wrap(accepted("c1", "c2-s1"))));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("feedback[0].acceptedSuggestions[0].id: not a suggestion of that card"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(stored("c1"), 0u);
}

TEST_F(FeedbackServiceTest, OneBadEntryRefusesTheWholeRequest) {
  auto r = service_->handle("ibd-patient-view",
                            post(wrap(accepted("c1", "c1-s1") + "," + overridden("nope"))));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("feedback[1].card"), std::string::npos) << r.body;
  EXPECT_EQ(stored("c1"), 0u);
}

TEST_F(FeedbackServiceTest, HttpLevelRefusals) {
  auto unknown = service_->handle("no-such-service", post(wrap(overridden("c1"))));
  EXPECT_EQ(unknown.status, 404);
  auto text = post(wrap(overridden("c1")));
  text.headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(service_->handle("ibd-patient-view", text).status, 415);
  auto malformed = service_->handle("ibd-patient-view", post("{\"feedback\": [\n  {]"));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("line 2"), std::string::npos) << malformed.body;
}

TEST_F(FeedbackServiceTest, WaitsForTheAuditRecordOfAFreshCard) {
  store_->fail_writes = true;
  writer_->submit(issue("fresh"));
  std::thread heal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    store_->fail_writes = false;
  });
  auto r = service_->handle("ibd-patient-view", post(wrap(accepted("fresh", "fresh-s1"))));
  heal.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stored("fresh"), 1u);
}

TEST_F(FeedbackServiceTest, ACardWhoseRecordCannotBeWrittenIsUnavailableNotUnknown) {
  store_->fail_writes = true;
  writer_->submit(issue("stuck"));
  auto r = service_->handle("ibd-patient-view", post(wrap(overridden("stuck"))));
  EXPECT_EQ(r.status, 503) << r.body;
  store_->fail_writes = false;
  ASSERT_TRUE(writer_->flush(std::chrono::seconds(10)));
  EXPECT_EQ(stored("stuck"), 0u);
}

TEST_F(FeedbackServiceTest, ADatabaseThatCannotWriteGets503AndNothingIsStored) {
  store_->fail_writes = true;
  auto r = service_->handle("ibd-patient-view", post(wrap(overridden("c1"))));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("nothing was saved"), std::string::npos) << r.body;
  bool retry_after = false;
  for (const auto& h : r.headers) retry_after |= h.name == "Retry-After";
  EXPECT_TRUE(retry_after);
  store_->fail_writes = false;
  EXPECT_EQ(stored("c1"), 0u);
  store_->fail_reads = true;
  auto reads = service_->handle("ibd-patient-view", post(wrap(overridden("c1"))));
  EXPECT_EQ(reads.status, 503) << reads.body;
  store_->fail_reads = false;
  auto healed = service_->handle("ibd-patient-view", post(wrap(overridden("c1"))));
  EXPECT_EQ(healed.status, 200) << healed.body;
  EXPECT_EQ(healed.body, R"({"stored":1,"duplicates":0})");
}

}  // namespace
}  // namespace ibd::testing
