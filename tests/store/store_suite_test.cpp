// The storage test suite: one source, run against SQLite (store_tests) and PostgreSQL
// (store_pg_tests). What the rest of the server relies on: migrations, the hash chain under
// concurrent writers, issued cards, idempotent all-or-nothing feedback, append-only tables.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "server/audit_export.hpp"
#include "server/store/digest.hpp"
#include "server/store/sql.hpp"
#include "server/store/store.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

using store::AuditAppend;
using store::FeedbackRow;
using store::IssuedCard;

AuditAppend record(std::int64_t time_ms, const std::string& body,
                   std::vector<std::string> card_uuids = {}) {
  AuditAppend a;
  a.time_ms = time_ms;
  a.service_id = "ibd-patient-view";
  a.body = body;
  for (const auto& uuid : card_uuids)
    a.cards.push_back(IssuedCard{uuid, "ibd-patient-view", "tdm-reactive", "1.0.0",
                                 {uuid + "-s1", uuid + "-s2"}, "", "", time_ms, 0});
  return a;
}

// A body that parses as an audit record (verify_chain checks that too).
std::string body(std::int64_t time_ms, int n = 0) {
  return R"({"timeMs":)" + std::to_string(time_ms) +
         R"(,"service":"ibd-patient-view","status":200,"n":)" + std::to_string(n) + "}";
}

FeedbackRow feedback(const std::string& card, const std::string& key,
                     const std::string& outcome = "accepted") {
  FeedbackRow f;
  f.report_key = key;
  f.card_uuid = card;
  f.service_id = "ibd-patient-view";
  f.outcome = outcome;
  if (outcome == "accepted") f.accepted_suggestions = {card + "-s1"};
  if (outcome == "overridden") {
    f.reason_system = "urn:test";
    f.reason_code = "measured-elsewhere";
    f.reason_display = "Measured elsewhere";
    f.user_comment = "a comment";
  }
  f.outcome_timestamp = "2026-11-22T10:00:00Z";
  f.outcome_ms = 1795341600000;
  f.received_ms = 1795341601000;
  return f;
}

class StoreSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.why_not();
    store_ = db_.open();
    ASSERT_NE(store_, nullptr) << "cannot open " << db_.url();
  }
  store::Result<std::unique_ptr<store::sql::Connection>> raw() const {
    if (test_backend() == "sqlite")
      return store::sql::connect_sqlite(store::sqlite_path_of(db_.url()),
                                        std::chrono::milliseconds(5000));
    return store::sql::connect_postgres(db_.url(), "");
  }
  TestDatabase db_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoreSuite, OpensAtTheLatestSchemaAndReopensWithoutChange) {
  EXPECT_STREQ(store_->backend(), test_backend().c_str());
  EXPECT_EQ(store_->schema_version(), store::sql::latest_schema_version());
  auto again = db_.open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->schema_version(), store::sql::latest_schema_version());
  auto head = store_->chain_head();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->seq, 0);
  EXPECT_EQ(head->hash, store::kGenesisHash);
}

TEST_F(StoreSuite, MigratesAnOlderSchemaKeepingItsData) {
  TestDatabase fresh;
  ASSERT_TRUE(fresh.ok()) << fresh.why_not();
  auto conn = test_backend() == "sqlite"
                  ? store::sql::connect_sqlite(store::sqlite_path_of(fresh.url()),
                                               std::chrono::milliseconds(5000))
                  : store::sql::connect_postgres(fresh.url(), "");
  ASSERT_TRUE(conn) << conn.error().message;
  auto v1 = store::sql::migrate(**conn, 1);
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(*v1, 1);
  const std::string b = body(1000);
  auto inserted = (*conn)->query(
      "INSERT INTO audit_log (seq, time_ms, service_id, body, prev_hash, hash) VALUES "
      "($1, $2, $3, $4, $5, $6)",
      {std::int64_t{1}, std::int64_t{1000}, std::string("ibd-patient-view"), b,
       std::string(store::kGenesisHash), store::chain_hash(store::kGenesisHash, 1, b)});
  ASSERT_TRUE(inserted) << inserted.error().message;
  ASSERT_TRUE((*conn)->query("UPDATE audit_head SET seq = 1, hash = $1 WHERE id = 1",
                             {store::chain_hash(store::kGenesisHash, 1, b)}));
  auto opened = fresh.open();
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->schema_version(), store::sql::latest_schema_version());
  ASSERT_TRUE(opened->append_audit({record(2000, body(2000), {"card-after-migration"})}));
  auto check = server::verify_chain(*opened);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->records, 2);
  auto card = opened->find_card("card-after-migration");
  ASSERT_TRUE(card && *card);
}

TEST_F(StoreSuite, RefusesADatabaseFromANewerProgram) {
  auto conn = raw();
  ASSERT_TRUE(conn) << conn.error().message;
  ASSERT_TRUE((*conn)->query(
      "INSERT INTO schema_migrations (version, description, applied_ms) VALUES (99, 'x', 0)", {}));
  auto opened = store::open_store({db_.url(), "", std::chrono::milliseconds(1000), 1});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, store::StoreError::Kind::kSchema);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

TEST_F(StoreSuite, AppendsChainEachRecordToTheOneBefore) {
  auto first = store_->append_audit({record(1, body(1)), record(2, body(2)), record(3, body(3))});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, (std::vector<std::int64_t>{1, 2, 3}));
  auto second = store_->append_audit({record(4, body(4))});
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, std::vector<std::int64_t>{4});
  auto page = store_->audit_page(0, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 4u);
  std::string prev(store::kGenesisHash);
  for (const auto& row : *page) {
    EXPECT_EQ(row.prev_hash, prev);
    EXPECT_EQ(row.hash, store::chain_hash(prev, row.seq, row.body));
    EXPECT_EQ(row.body, body(row.seq));
    prev = row.hash;
  }
  auto head = store_->chain_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 4);
  EXPECT_EQ(head->hash, prev);
  auto tail = store_->audit_page(2, 10);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ(tail->front().seq, 3);
}

TEST_F(StoreSuite, RecordsIssuedCardsWithTheirAuditRecord) {
  ASSERT_TRUE(store_->append_audit({record(10, body(10)), record(20, body(20), {"c1", "c2"})}));
  auto card = store_->find_card("c2");
  ASSERT_TRUE(card) << card.error().message;
  ASSERT_TRUE(card->has_value());
  EXPECT_EQ((*card)->audit_seq, 2);
  EXPECT_EQ((*card)->rule_id, "tdm-reactive");
  EXPECT_EQ((*card)->rule_version, "1.0.0");
  EXPECT_EQ((*card)->service_id, "ibd-patient-view");
  EXPECT_EQ((*card)->suggestion_uuids, (std::vector<std::string>{"c2-s1", "c2-s2"}));
  EXPECT_EQ((*card)->issued_ms, 20);
  auto none = store_->find_card("c3");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto in_range = store_->cards_issued(15, 21);
  ASSERT_TRUE(in_range);
  EXPECT_EQ(in_range->size(), 2u);
  auto out_of_range = store_->cards_issued(0, 20);
  ASSERT_TRUE(out_of_range);
  EXPECT_TRUE(out_of_range->empty());
}

TEST_F(StoreSuite, StoresTheSameFeedbackReportOnce) {
  ASSERT_TRUE(store_->append_audit({record(10, body(10), {"c1", "c2"})}));
  auto saved = store_->save_feedback({feedback("c1", "k1"), feedback("c2", "k2", "overridden")});
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->stored, 2u);
  EXPECT_EQ(saved->duplicates, 0u);
  auto again = store_->save_feedback({feedback("c1", "k1"), feedback("c1", "k3", "overridden")});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->stored, 1u);
  EXPECT_EQ(again->duplicates, 1u);
  auto rows = store_->feedback_of_card("c1");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).outcome, "accepted");
  EXPECT_EQ(rows->at(0).accepted_suggestions, std::vector<std::string>{"c1-s1"});
  EXPECT_EQ(rows->at(1).reason_code, "measured-elsewhere");
  EXPECT_EQ(rows->at(1).reason_display, "Measured elsewhere");
  EXPECT_EQ(rows->at(1).user_comment, "a comment");
  EXPECT_EQ(rows->at(1).outcome_ms, 1795341600000);
  auto joined = store_->feedback_for_cards_issued(0, 100);
  ASSERT_TRUE(joined);
  ASSERT_EQ(joined->size(), 3u);
  EXPECT_EQ(joined->front().rule_id, "tdm-reactive");
}

TEST_F(StoreSuite, AFeedbackBatchIsStoredWhollyOrNotAtAll) {
  ASSERT_TRUE(store_->append_audit({record(10, body(10), {"c1"})}));
  // The second row names a card that was never issued: the foreign key refuses it, and the
  // first row must not be stored either.
  auto saved = store_->save_feedback({feedback("c1", "k1"), feedback("unknown", "k2")});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().kind, store::StoreError::Kind::kInvalid) << saved.error().message;
  auto rows = store_->feedback_of_card("c1");
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  auto retried = store_->save_feedback({feedback("c1", "k1")});
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->stored, 1u);
}

TEST_F(StoreSuite, AuditCardsAndFeedbackAreAppendOnly) {
  ASSERT_TRUE(store_->append_audit({record(10, body(10), {"c1"})}));
  ASSERT_TRUE(store_->save_feedback({feedback("c1", "k1")}));
  auto conn = raw();
  ASSERT_TRUE(conn) << conn.error().message;
  for (const char* statement :
       {"UPDATE audit_log SET body = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE issued_card SET rule_id = 'x'", "DELETE FROM issued_card",
        "UPDATE feedback SET outcome = 'overridden'", "DELETE FROM feedback"}) {
    auto r = (*conn)->exec(statement);
    EXPECT_FALSE(r) << statement;
    if (!r) {
      EXPECT_NE(r.error().message.find("append-only"), std::string::npos) << r.error().message;
    }
  }
  if (test_backend() == "postgresql") {
    auto r = (*conn)->exec("TRUNCATE audit_log CASCADE");
    EXPECT_FALSE(r);
  }
  auto check = server::verify_chain(*store_);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
}

TEST_F(StoreSuite, ConcurrentWritersInSeveralInstancesFormOneChain) {
  constexpr int kInstances = 3, kThreads = 4, kAppends = 20;
  std::vector<std::unique_ptr<store::Store>> instances;
  for (int i = 0; i < kInstances; ++i) {
    instances.push_back(db_.open(2));
    ASSERT_NE(instances.back(), nullptr);
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i)
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, i, t] {
        for (int n = 0; n < kAppends; ++n) {
          const std::int64_t time = 1000 * (i * kThreads + t) + n;
          const std::string card = "c-" + std::to_string(i) + "-" + std::to_string(t) + "-" +
                                   std::to_string(n);
          // Batches of one and of two, as the writer makes them.
          std::vector<AuditAppend> batch{record(time, body(time, n), {card})};
          if (n % 3 == 0) batch.push_back(record(time, body(time, -n)));
          if (!instances[i]->append_audit(batch)) ++failures;
        }
      });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto check = server::verify_chain(*store_);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_TRUE(check->ok) << check->problem;
  const int per_thread = kAppends + (kAppends + 2) / 3;
  EXPECT_EQ(check->records, kInstances * kThreads * per_thread);
  auto cards = store_->cards_issued(0, 1'000'000);
  ASSERT_TRUE(cards);
  EXPECT_EQ(cards->size(), std::size_t{kInstances * kThreads * kAppends});
}

TEST_F(StoreSuite, ConcurrentCopiesOfOneReportAreStoredOnce) {
  ASSERT_TRUE(store_->append_audit({record(10, body(10), {"c1"})}));
  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<store::Store>> instances;
  for (int i = 0; i < kThreads; ++i) instances.push_back(db_.open(1));
  std::atomic<int> stored{0}, duplicates{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      auto r = instances[i]->save_feedback({feedback("c1", "same-report")});
      if (!r) {
        ++failures;
        return;
      }
      stored += static_cast<int>(r->stored);
      duplicates += static_cast<int>(r->duplicates);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(duplicates, kThreads - 1);
  auto rows = store_->feedback_of_card("c1");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(StoreSuite, AnUnreachableDatabaseIsUnavailableNotAnError) {
  store::StoreOptions o;
  o.connections = 1;
  if (test_backend() == "sqlite") {
    o.url = "sqlite:/proc/ibd-cds-cannot-be-here/test.db";
  } else {
    // A loopback port nothing listens on (the cluster's own port plus one is not reserved,
    // so use port 1, which needs privileges to bind).
    o.url = "postgresql://ibd@127.0.0.1:1/postgres?connect_timeout=2";
  }
  auto opened = store::open_store(o);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, store::StoreError::Kind::kUnavailable) << opened.error().message;
}

}  // namespace
}  // namespace ibd::testing
