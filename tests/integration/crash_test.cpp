// Crash test: concurrent clients send feedback (and hook calls) while the server is killed
// with SIGKILL, twice; after each restart on the same database every feedback that got a 200
// must be there exactly once, re-sending is recognised as a duplicate, and the audit chain
// verifies. The figures are printed for the issue's closing note.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/stored_server.hpp"

namespace ibd::testing {
namespace {

constexpr int kClients = 8;
constexpr int kHookClients = 2;
constexpr int kRounds = 2;
constexpr int kVariants = 40;  // distinct reports per card per round
constexpr std::size_t kKillAfterAcks = 250;

struct Report {
  const IssuedCardRef* card;
  bool accept;
  std::string timestamp;
  std::pair<std::string, std::string> key() const { return {card->uuid, timestamp}; }
};

std::string timestamp(int round, int i) {
  char text[48];
  std::snprintf(text, sizeof text, "2026-11-%02dT%02d:%02d:%02dZ", 10 + round, (i / 3600) % 24,
                (i / 60) % 60, i % 60);
  return text;
}

TEST(CrashTest, AcknowledgedFeedbackSurvivesSigkillExactlyOnce) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  // A hook response waits for its audit record (bounded by response_wait_ms): cards that were
  // answered are on disk, so feedback on them is accepted after a crash too.
  const std::string config = write_stored_config(
      db, {"audit:\n  key_file: " + db.folder() + "/audit.key\n  response_wait_ms: 2000\n"});
  auto server = std::make_unique<ServerProcess>(std::vector<std::string>{}, config);
  ASSERT_TRUE(server->running()) << server->log();

  std::vector<IssuedCardRef> cards;
  for (int i = 0; i < 15; ++i)
    for (auto& c : issue_cards(server->port(), "tdm-reactive-fires-infliximab-active"))
      cards.push_back(std::move(c));
  ASSERT_GE(cards.size(), 30u);
  ASSERT_TRUE(wait_audit_written(server->port()));

  std::set<std::pair<std::string, std::string>> acked, in_flight;
  std::set<std::string> answered_cards;  // cards of hook calls answered 200 during the load
  std::size_t total_acked = 0, total_in_flight = 0, hook_calls_ok = 0;
  std::mt19937 rng(20261122);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Report> reports;
    for (const auto& card : cards)
      for (int v = 0; v < kVariants; ++v)
        reports.push_back({&card, v % 2 == 0, timestamp(round, static_cast<int>(reports.size()))});
    std::shuffle(reports.begin(), reports.end(), rng);

    std::mutex mutex;
    std::atomic<std::size_t> round_acks{0};
    std::atomic<bool> killed{false};
    std::vector<std::thread> threads;
    const std::uint16_t port = server->port();
    for (int t = 0; t < kClients; ++t)
      threads.emplace_back([&, t] {
        HttpConnection c("127.0.0.1", port);
        for (std::size_t i = static_cast<std::size_t>(t); i < reports.size(); i += kClients) {
          const Report& r = reports[i];
          if (!c.ok()) break;
          auto reply = c.request("POST", "/cds-services/" + r.card->service + "/feedback",
                                 feedback_body(*r.card, r.accept, r.timestamp));
          std::lock_guard lock(mutex);
          if (!reply) {
            in_flight.insert(r.key());  // sent; the answer never came
            break;
          }
          if (reply->status == 200) {
            acked.insert(r.key());
            ++round_acks;
          } else {
            ADD_FAILURE() << "feedback answered " << reply->status << ": " << reply->body;
            break;
          }
        }
      });
    std::atomic<std::size_t> hooks{0};
    for (int t = 0; t < kHookClients; ++t)
      threads.emplace_back([&] {
        const std::string body = scenario_request("tdm-reactive-fires-infliximab-active").dump();
        HttpConnection c("127.0.0.1", port);
        while (c.ok() && !killed) {
          auto reply = c.request("POST", "/cds-services/ibd-patient-view", body);
          if (!reply) break;
          if (reply->status != 200) continue;
          ++hooks;
          auto json = fhir::parse_json(reply->body);
          std::lock_guard lock(mutex);
          for (const fhir::Json& card : json->items_at("cards"))
            answered_cards.insert(*card.string_at("uuid"));
        }
      });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (round_acks < kKillAfterAcks && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_GT(server->stop(SIGKILL), 0) << "the server was killed mid-load";
    killed = true;
    for (auto& t : threads) t.join();
    hook_calls_ok += hooks;
    EXPECT_GE(round_acks.load(), kKillAfterAcks);
    EXPECT_LT(round_acks.load(), reports.size()) << "the kill came while feedback was flowing";

    // Restart on the same database and count what is there.
    server = std::make_unique<ServerProcess>(std::vector<std::string>{}, config);
    ASSERT_TRUE(server->running()) << server->log();
    auto store = db.open();
    ASSERT_NE(store, nullptr);
    auto counts = feedback_counts(*store, cards);
    std::size_t found = 0, duplicates = 0, in_flight_stored = 0;
    for (const auto& key : acked) {
      const auto it = counts.find(key);
      if (it != counts.end()) ++found;
    }
    for (const auto& [key, n] : counts) {
      if (n > 1) duplicates += static_cast<std::size_t>(n - 1);
      if (in_flight.contains(key)) ++in_flight_stored;
    }
    EXPECT_EQ(found, acked.size()) << "an acknowledged feedback was lost";
    EXPECT_EQ(duplicates, 0u);
    // Every row stored is one that was sent: acknowledged, or in flight at the kill.
    for (const auto& [key, n] : counts)
      EXPECT_TRUE(acked.contains(key) || in_flight.contains(key)) << key.first << " " << key.second;
    std::size_t cards_found = 0;
    for (const auto& uuid : answered_cards) {
      auto card = store->find_card(uuid);
      if (card && *card) ++cards_found;
    }
    EXPECT_EQ(cards_found, answered_cards.size()) << "an answered card has no audit record";
    const auto verify = run_binary({"audit", "verify", "--config", config});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    std::printf(
        "[crash figures] backend=%s round=%d acknowledged_so_far=%zu found=%zu duplicates=%zu "
        "in_flight_at_kill=%zu (stored %zu) hook_calls_answered=%zu answered_cards=%zu "
        "(audited %zu) audit: %s",
        test_backend().c_str(), round + 1, acked.size(), found, duplicates, in_flight.size(),
        in_flight_stored, hook_calls_ok, answered_cards.size(), cards_found, verify.out.c_str());
    std::fflush(stdout);

    // The client retries what it is unsure of and re-sends what was acknowledged: both end
    // up stored exactly once, acknowledged ones answered as duplicates.
    std::size_t resent_duplicates = 0;
    for (const auto& key : acked) {
      if (key.second.substr(0, 10) != timestamp(round, 0).substr(0, 10)) continue;
      const auto card = std::find_if(cards.begin(), cards.end(),
                                     [&](const auto& c) { return c.uuid == key.first; });
      const bool accept = std::find_if(reports.begin(), reports.end(), [&](const Report& r) {
                            return r.key() == key;
                          })->accept;
      auto reply = http(server->port(), "POST", "/cds-services/ibd-patient-view/feedback",
                        feedback_body(*card, accept, key.second));
      ASSERT_TRUE(reply);
      ASSERT_EQ(reply->status, 200) << reply->body;
      if (reply->body == R"({"stored":0,"duplicates":1})") ++resent_duplicates;
    }
    for (const auto& key : in_flight) {
      const auto card = std::find_if(cards.begin(), cards.end(),
                                     [&](const auto& c) { return c.uuid == key.first; });
      const auto report = std::find_if(reports.begin(), reports.end(),
                                       [&](const Report& r) { return r.key() == key; });
      if (report == reports.end()) continue;  // from an earlier round: already re-sent
      auto reply = http(server->port(), "POST", "/cds-services/ibd-patient-view/feedback",
                        feedback_body(*card, report->accept, key.second));
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->status, 200) << reply->body;
      acked.insert(key);
    }
    const std::size_t round_acked_before = round_acks.load();
    EXPECT_EQ(resent_duplicates, round_acked_before) << "re-sent reports are duplicates";
    auto after = feedback_counts(*store, cards);
    for (const auto& [key, n] : after) EXPECT_EQ(n, 1) << key.first << " " << key.second;
    total_acked += round_acked_before;
    total_in_flight += in_flight.size();
    in_flight.clear();
  }
  std::printf("[crash figures] backend=%s total: acknowledged=%zu, all found exactly once; "
              "in flight at the kills=%zu\n",
              test_backend().c_str(), total_acked, total_in_flight);
  const auto verify = run_binary({"audit", "verify", "--config", config});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace ibd::testing
