// Faults on SQLite, injected from outside the real server: a full disk (the server's file
// size limit lowered to 0 with prlimit, so every write fails as on a full disk) and a
// database locked by another process past the busy timeout. Feedback then gets 503, never 200,
// nothing of it is stored, hook calls still answer (their audit records wait and are written
// once the fault is gone), and the chain verifies afterwards.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

#include "server/store/sql.hpp"
#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/stored_server.hpp"

namespace ibd::testing {
namespace {

constexpr const char* kTdm = "tdm-reactive-fires-infliximab-active";

int prlimit_fsize(pid_t pid, const std::string& soft) {
  const std::string command =
      "prlimit --pid " + std::to_string(pid) + " --fsize=" + soft + ": >/dev/null 2>&1";
  return std::system(command.c_str());
}

std::size_t rows_of(TestDatabase& db, const std::string& card) {
  auto store = db.open();
  EXPECT_NE(store, nullptr);
  if (!store) return 0;
  auto rows = store->feedback_of_card(card);
  EXPECT_TRUE(rows);
  return rows ? rows->size() : 0;
}

TEST(SqliteFaultTest, AFullDiskGives503AndNoPartialRecord) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  const std::string config = write_stored_config(db);
  ServerProcess server({}, config);
  ASSERT_TRUE(server.running()) << server.log();
  const auto cards = issue_cards(server.port(), kTdm);
  ASSERT_FALSE(cards.empty());
  ASSERT_TRUE(wait_audit_written(server.port()));
  const pid_t pid = server_pid(config);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(prlimit_fsize(pid, "0"), 0) << "prlimit (util-linux) is needed";

  const std::string body = feedback_body(cards[0], false, "2026-11-22T10:00:00Z");
  auto full = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 503) << full->body;
  EXPECT_NE(full->body.find("nothing was saved"), std::string::npos) << full->body;
  EXPECT_EQ(full->header("retry-after"), "5");
  // Cards are still served while the disk is full; their audit record waits.
  const auto during = issue_cards(server.port(), kTdm);
  EXPECT_FALSE(during.empty());
  const fhir::Json h = health(server.port());
  EXPECT_EQ(*h.string_at("status"), "degraded") << h.dump();
  EXPECT_GE(*h.find("audit")->find("pending")->as_int(), 1);
  // Feedback on a card whose audit record is not on disk yet is refused too (503, not 400).
  auto early = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback",
                    feedback_body(during[0], false, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 503) << early->body;

  ASSERT_EQ(prlimit_fsize(pid, "unlimited"), 0);
  ASSERT_TRUE(wait_audit_written(server.port())) << health(server.port()).dump();
  EXPECT_EQ(rows_of(db, cards[0].uuid), 0u) << "the refused feedback left nothing behind";
  auto again = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(again->body, R"({"stored":1,"duplicates":0})");
  auto later = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback",
                    feedback_body(during[0], false, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200) << later->body;
  ASSERT_EQ(server.stop(SIGTERM), 0);
  const auto verify = run_binary({"audit", "verify", "--config", config});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK: 2 records"), std::string::npos) << verify.out;
}

TEST(SqliteFaultTest, ADatabaseLockedPastTheBusyTimeoutGives503) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  const std::string config =
      write_stored_config(db, {"storage:\n  url: \"" + db.url() + "\"\n  busy_timeout_ms: 200\n"});
  ServerProcess server({}, config);
  ASSERT_TRUE(server.running()) << server.log();
  const auto cards = issue_cards(server.port(), kTdm);
  ASSERT_FALSE(cards.empty());
  ASSERT_TRUE(wait_audit_written(server.port()));
  auto other = store::sql::connect_sqlite(store::sqlite_path_of(db.url()),
                                          std::chrono::milliseconds(1000));
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_TRUE((*other)->exec("BEGIN IMMEDIATE"));  // another process holds the write lock
  const std::string body = feedback_body(cards[0], false, "2026-11-22T10:00:00Z");
  auto locked = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 503) << locked->body;
  ASSERT_TRUE((*other)->exec("ROLLBACK"));
  auto free = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(free);
  EXPECT_EQ(free->status, 200) << free->body;
  EXPECT_EQ(free->body, R"({"stored":1,"duplicates":0})");
  EXPECT_EQ(rows_of(db, cards[0].uuid), 1u);
}

}  // namespace
}  // namespace ibd::testing
