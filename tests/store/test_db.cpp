#include "tests/store/test_db.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "server/store/sql.hpp"

namespace ibd::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string pg_state() {
  const char* env = std::getenv("IBD_PG_STATE");
  return env != nullptr ? env : IBD_PG_STATE_DEFAULT;
}

}  // namespace

std::string test_backend() { return IBD_TEST_BACKEND; }

std::string pg_admin_url(std::string& why) {
  const std::string file = pg_state() + "/url";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    why = "no PostgreSQL test cluster (" + file +
          " is missing): the ctest fixture pg.cluster.start starts it with tests/pg/pg-cluster.sh "
          "(PostgreSQL from scripts/install-deps.sh). Run through ctest, or start it by hand: "
          "tests/pg/pg-cluster.sh start " + pg_state();
    return "";
  }
  return slurp(file);
}

int pg_cluster(const std::string& command, const std::string& state_dir) {
  const std::string line = std::string(IBD_SOURCE_DIR) + "/tests/pg/pg-cluster.sh " + command +
                           " " + state_dir + " >/dev/null 2>&1";
  return std::system(line.c_str());
}

TestDatabase::TestDatabase() {
  std::string pattern = "/tmp/ibd-store-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    why_not_ = "cannot create a temporary folder";
    return;
  }
  folder_ = pattern;
  if (test_backend() == "sqlite") {
    url_ = "sqlite:" + folder_ + "/test.db";
    return;
  }
  pg_admin_url_ = pg_admin_url(why_not_);
  if (pg_admin_url_.empty()) return;
  static std::atomic<int> counter{0};
  std::random_device rd;
  pg_name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
             std::to_string(rd() % 100000);
  auto admin = store::sql::connect_postgres(pg_admin_url_, "");
  if (!admin) {
    why_not_ = "cannot reach the PostgreSQL test cluster: " + admin.error().message;
    return;
  }
  if (auto r = (*admin)->exec("CREATE DATABASE " + pg_name_); !r) {
    why_not_ = "CREATE DATABASE failed: " + r.error().message;
    return;
  }
  url_ = pg_admin_url_.substr(0, pg_admin_url_.rfind('/') + 1) + pg_name_;
}

TestDatabase::~TestDatabase() {
  if (!pg_name_.empty() && !url_.empty()) {
    auto admin = store::sql::connect_postgres(pg_admin_url_, "");
    if (admin) (void)(*admin)->exec("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
  }
  std::error_code ec;
  if (!folder_.empty()) std::filesystem::remove_all(folder_, ec);
}

std::unique_ptr<store::Store> TestDatabase::open(unsigned connections) const {
  store::StoreOptions o;
  o.url = url_;
  o.connections = connections;
  o.busy_timeout = std::chrono::milliseconds(10000);
  auto s = store::open_store(o);
  return s ? std::move(*s) : nullptr;
}

std::string TestDatabase::storage_yaml() const {
  return "storage:\n  url: \"" + url_ + "\"\n  busy_timeout_ms: 10000\n";
}

}  // namespace ibd::testing
