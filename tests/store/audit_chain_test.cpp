// The audit trail on a real database (SQLite and PostgreSQL): verify finds every kind of
// tampering, export writes what verify checks, the writer commits in groups, retries while
// the database is down and never hides a failure.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "fhir/json.hpp"
#include "server/audit.hpp"
#include "server/audit_export.hpp"
#include "server/audit_writer.hpp"
#include "server/store/digest.hpp"
#include "server/store/sql.hpp"
#include "tests/store/failing_store.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

using server::AuditWriter;
using server::HookAuditRecord;

store::AuditAppend append_of(int n, std::vector<std::string> cards = {}) {
  HookAuditRecord r;
  r.time_ms = 1795341600000 + n;
  r.service_id = "ibd-patient-view";
  r.hook = "patient-view";
  r.hook_instance = "instance-" + std::to_string(n);
  r.patient = "hmac-sha256:" + std::string(64, 'a');
  r.input = "hmac-sha256:" + std::string(64, 'b');
  r.rule_set_version = "2026.11.0";
  r.status = n % 5 == 4 ? 400 : 200;
  r.error = r.status == 200 ? "" : "invalid_request";
  r.latency_ms = 1.5;
  r.key_id = "0123456789abcdef";
  for (const auto& c : cards) r.cards.push_back({c, "tdm-reactive", "1.0.0", {c + "-s"}});
  store::AuditAppend a;
  a.time_ms = r.time_ms;
  a.service_id = r.service_id;
  a.body = server::audit_body(r);
  for (const auto& c : r.cards)
    a.cards.push_back({c.uuid, r.service_id, c.rule_id, c.rule_version, c.suggestions, "", "",
                       r.time_ms, 0});
  return a;
}

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.why_not();
    store_ = db_.open();
    ASSERT_NE(store_, nullptr);
    std::vector<store::AuditAppend> records;
    for (int n = 1; n <= 5; ++n) records.push_back(append_of(n, {"card-" + std::to_string(n)}));
    ASSERT_TRUE(store_->append_audit(records));
  }
  // What someone with write access to the database could do: switch the append-only
  // triggers off and edit.
  void tamper(const std::string& statement) {
    auto c = test_backend() == "sqlite"
                 ? store::sql::connect_sqlite(store::sqlite_path_of(db_.url()),
                                              std::chrono::milliseconds(5000))
                 : store::sql::connect_postgres(db_.url(), "");
    ASSERT_TRUE(c) << c.error().message;
    // Triggers and the issued cards' foreign key off, as an intruder with the keys would.
    const char* off = test_backend() == "sqlite"
                          ? "PRAGMA foreign_keys=OFF; DROP TRIGGER audit_log_no_update; "
                            "DROP TRIGGER audit_log_no_delete"
                          : "SET session_replication_role = replica";
    ASSERT_TRUE((*c)->exec(off));
    auto r = (*c)->exec(statement);
    ASSERT_TRUE(r) << r.error().message;
  }
  server::ChainCheck verify() {
    auto check = server::verify_chain(*store_);
    EXPECT_TRUE(check) << check.error().message;
    return check ? *check : server::ChainCheck{};
  }

  TestDatabase db_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(AuditChain, AnIntactChainVerifies) {
  const auto check = verify();
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(check.records, 5);
  EXPECT_EQ(check.head_seq, 5);
}

TEST_F(AuditChain, AChangedRecordIsFound) {
  tamper("UPDATE audit_log SET body = replace(body, '\"status\":200', '\"status\":201') "
         "WHERE seq = 3");
  const auto check = verify();
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.broken_at, 3);
  EXPECT_NE(check.problem.find("changed"), std::string::npos) << check.problem;
  EXPECT_EQ(check.records, 2);
}

TEST_F(AuditChain, ARecordRehashedToHideAChangeBreaksTheNextLink) {
  const std::string forged = append_of(3).body;  // record 3 without its card
  auto rows = store_->audit_page(2, 1);
  ASSERT_TRUE(rows && rows->size() == 1);
  const std::string hash = store::chain_hash(rows->front().prev_hash, 3, forged);
  tamper("UPDATE audit_log SET body = '" + forged + "', hash = '" + hash + "' WHERE seq = 3");
  const auto check = verify();
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.broken_at, 4);
  EXPECT_NE(check.problem.find("does not name the hash"), std::string::npos) << check.problem;
}

TEST_F(AuditChain, ADeletedRecordIsFound) {
  tamper("DELETE FROM audit_log WHERE seq = 2");
  const auto check = verify();
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.broken_at, 2);
  EXPECT_NE(check.problem.find("missing"), std::string::npos) << check.problem;
}

TEST_F(AuditChain, ACutTailIsFound) {
  tamper("DELETE FROM audit_log WHERE seq = 5");
  const auto check = verify();
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.problem.find("head says 5"), std::string::npos) << check.problem;
}

TEST_F(AuditChain, NdjsonExportCarriesWhatVerifyChecks) {
  std::stringstream out;
  auto n = server::export_audit(*store_, server::ExportFormat::kNdjson, {}, out);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 5);
  std::string line, prev(store::kGenesisHash);
  int lines = 0;
  while (std::getline(out, line)) {
    auto json = fhir::parse_json(line);
    ASSERT_TRUE(json) << line;
    const std::int64_t seq = *json->find("seq")->as_int();
    // The record's compact JSON is the hashed text: the chain can be checked from the export.
    const std::string body = json->find("record")->dump();
    EXPECT_EQ(*json->string_at("prevHash"), prev);
    EXPECT_EQ(*json->string_at("hash"), store::chain_hash(prev, seq, body));
    prev = *json->string_at("hash");
    ++lines;
  }
  EXPECT_EQ(lines, 5);
  server::ExportRange range;
  range.from_ms = 1795341600000 + 2;
  range.to_ms = 1795341600000 + 4;
  std::stringstream some;
  auto two = server::export_audit(*store_, server::ExportFormat::kNdjson, range, some);
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, 2);
}

TEST_F(AuditChain, FhirExportWritesAuditEvents) {
  std::stringstream out;
  auto n = server::export_audit(*store_, server::ExportFormat::kFhirAuditEvent, {}, out);
  ASSERT_TRUE(n);
  std::string line;
  int failures = 0, lines = 0;
  while (std::getline(out, line)) {
    auto event = fhir::parse_json(line);
    ASSERT_TRUE(event) << line;
    ++lines;
    EXPECT_EQ(*event->string_at("resourceType"), "AuditEvent");
    EXPECT_EQ(*event->string_at("action"), "E");
    ASSERT_NE(event->string_at("recorded"), nullptr);
    EXPECT_TRUE(event->find("agent")->items().front().find("requestor")->as_bool().value());
    ASSERT_NE(event->find("source")->find("observer"), nullptr);
    const auto& entities = event->items_at("entity");
    ASSERT_EQ(entities.size(), 2u);
    const std::string patient = *entities[0].find("what")->find("identifier")->string_at("value");
    EXPECT_TRUE(patient.starts_with("hmac-sha256:")) << patient;
    if (*event->string_at("outcome") != "0") ++failures;
  }
  EXPECT_EQ(lines, 5);
  EXPECT_EQ(failures, 1);  // record 4 was a 400
}

TEST(AuditWriterTest, CommitsInGroupsAndMakesCardsDurable) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  auto real = std::shared_ptr<store::Store>(db.open());
  ASSERT_NE(real, nullptr);
  auto failing = std::make_shared<FailingStore>(real);
  auto writer = std::make_shared<AuditWriter>(failing);
  for (int n = 1; n <= 200; ++n) writer->submit(append_of(n, {"w-" + std::to_string(n)}));
  EXPECT_NE(writer->wait_for_card("w-200", std::chrono::seconds(10)),
            AuditWriter::CardWait::kTimedOut);
  ASSERT_TRUE(writer->flush(std::chrono::seconds(10)));
  auto card = real->find_card("w-200");
  ASSERT_TRUE(card && card->has_value());
  EXPECT_LT(failing->append_calls.load(), 200) << "records are written in groups";
  const auto health = writer->health();
  EXPECT_TRUE(health.ok);
  EXPECT_EQ(health.written, 200u);
  EXPECT_EQ(health.pending, 0u);
  auto check = server::verify_chain(*real);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok);
  EXPECT_EQ(check->records, 200);
}

TEST(AuditWriterTest, KeepsRecordsWhileTheDatabaseIsDownAndSaysSo) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  auto real = std::shared_ptr<store::Store>(db.open());
  auto failing = std::make_shared<FailingStore>(real);
  server::AuditWriterOptions options;
  options.retry_delay = std::chrono::milliseconds(20);
  auto writer = std::make_shared<AuditWriter>(failing, options);
  failing->fail_writes = true;
  writer->submit(append_of(1, {"down-1"}));
  writer->submit(append_of(2, {"down-2"}));
  EXPECT_EQ(writer->wait_for_card("down-1", std::chrono::milliseconds(200)),
            AuditWriter::CardWait::kTimedOut);
  auto health = writer->health();
  EXPECT_FALSE(health.ok);
  EXPECT_EQ(health.pending, 2u);
  EXPECT_GT(health.failed_attempts, 0u);
  EXPECT_NE(health.last_error.find("down"), std::string::npos);
  failing->fail_writes = false;
  EXPECT_EQ(writer->wait_for_card("down-2", std::chrono::seconds(10)),
            AuditWriter::CardWait::kDurable);
  health = writer->health();
  EXPECT_TRUE(health.ok);
  EXPECT_EQ(health.written, 2u);
  EXPECT_EQ(writer->wait_for_card("down-2", std::chrono::seconds(1)),
            AuditWriter::CardWait::kNotQueued);
}

TEST(AuditWriterTest, AFullQueueLosesRecordsVisibly) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  auto real = std::shared_ptr<store::Store>(db.open());
  auto failing = std::make_shared<FailingStore>(real);
  failing->fail_writes = true;
  server::AuditWriterOptions options;
  options.queue_limit = 3;
  options.retry_delay = std::chrono::milliseconds(20);
  AuditWriter writer(failing, options);
  for (int n = 1; n <= 5; ++n) writer.submit(append_of(n));
  const auto health = writer.health();
  EXPECT_FALSE(health.ok);
  EXPECT_EQ(health.lost, 2u);
  EXPECT_EQ(health.pending, 3u);
  failing->fail_writes = false;
  EXPECT_TRUE(writer.flush(std::chrono::seconds(10)));
  EXPECT_FALSE(writer.health().ok) << "lost records stay visible";
}

TEST(AuditWriterTest, StopWritesWhatIsQueued) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  auto real = std::shared_ptr<store::Store>(db.open());
  {
    AuditWriter writer(real);
    for (int n = 1; n <= 50; ++n) writer.submit(append_of(n));
    writer.stop(std::chrono::seconds(10));
  }
  auto head = real->chain_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 50);
}

}  // namespace
}  // namespace ibd::testing
