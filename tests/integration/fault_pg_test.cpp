// Faults on PostgreSQL: the database server goes down (stopped the hard way, as a crash) under
// a running ibd-cds. Feedback gets 503, never 200; hook calls still answer with their audit
// records waiting; when the database is back the server reconnects by itself, the waiting
// records are written and the chain verifies. Runs a PostgreSQL cluster of its own.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/stored_server.hpp"

namespace ibd::testing {
namespace {

constexpr const char* kTdm = "tdm-reactive-fires-infliximab-active";

class PrivateCluster {
 public:
  PrivateCluster() : state_(folder_.path() + "/cluster") {
    started_ = pg_cluster("start", state_) == 0;
    std::ifstream in(state_ + "/url");
    std::getline(in, url_);
  }
  ~PrivateCluster() { pg_cluster("stop", state_); }
  bool started() const { return started_ && !url_.empty(); }
  const std::string& url() const { return url_; }
  const std::string& folder() const { return folder_.path(); }
  int down() { return pg_cluster("down", state_); }
  int up() { return pg_cluster("up", state_); }

 private:
  TempDir folder_;
  std::string state_;
  std::string url_;
  bool started_ = false;
};

TEST(PostgresFaultTest, ADatabaseThatIsDownGives503ThenRecovers) {
  PrivateCluster cluster;
  ASSERT_TRUE(cluster.started()) << "tests/pg/pg-cluster.sh start failed (is PostgreSQL "
                                    "installed? scripts/install-deps.sh installs it)";
  const std::string config = cluster.folder() + "/ibd-cds.yaml";
  write_config_sections(config, {"storage:\n  url: \"" + cluster.url() + "\"\n  connections: 2\n",
                                 "audit:\n  key_file: " + cluster.folder() + "/audit.key\n"});
  ServerProcess server({}, config);
  ASSERT_TRUE(server.running()) << server.log();
  const auto cards = issue_cards(server.port(), kTdm);
  ASSERT_FALSE(cards.empty());
  ASSERT_TRUE(wait_audit_written(server.port()));

  ASSERT_EQ(cluster.down(), 0);
  const std::string body = feedback_body(cards[0], false, "2026-11-22T10:00:00Z");
  auto down = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  const auto during = issue_cards(server.port(), kTdm);
  EXPECT_FALSE(during.empty()) << "cards are still served while the database is down";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const fhir::Json h = health(server.port());
  EXPECT_EQ(*h.string_at("status"), "degraded") << h.dump();
  auto again_down = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(again_down);
  EXPECT_EQ(again_down->status, 503) << again_down->body;

  ASSERT_EQ(cluster.up(), 0);
  ASSERT_TRUE(wait_audit_written(server.port(), 20000)) << health(server.port()).dump();
  auto up = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback", body);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 200) << up->body;
  EXPECT_EQ(up->body, R"({"stored":1,"duplicates":0})") << "the refused one was not stored";
  auto fresh = http(server.port(), "POST", "/cds-services/ibd-patient-view/feedback",
                    feedback_body(during[0], false, "2026-11-22T10:00:00Z"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  ASSERT_EQ(server.stop(SIGTERM), 0);
  const auto verify = run_binary({"audit", "verify", "--config", config});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK: 2 records"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace ibd::testing
