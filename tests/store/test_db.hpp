// A fresh database for one test, on the backend the test executable was built for
// (IBD_TEST_BACKEND: "sqlite" or "postgresql"). SQLite: a file in a temporary folder.
// PostgreSQL: a new database in the cluster the ctest fixture started
// (tests/pg/pg-cluster.sh; its state folder is IBD_PG_STATE), dropped afterwards. When that
// cluster is not there the test fails and says why: PostgreSQL tests never skip.
#pragma once

#include <memory>
#include <string>

#include "server/store/store.hpp"

namespace ibd::testing {

std::string test_backend();  // "sqlite" | "postgresql"

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool ok() const { return !url_.empty(); }
  const std::string& why_not() const { return why_not_; }
  const std::string& url() const { return url_; }
  const std::string& folder() const { return folder_; }  // a temporary folder for the test
  // Opens a Store on it (another pool each time, like another server instance).
  std::unique_ptr<store::Store> open(unsigned connections = 4) const;
  // A `storage:` section for a server config naming this database.
  std::string storage_yaml() const;

 private:
  std::string folder_;
  std::string url_;
  std::string pg_name_;
  std::string pg_admin_url_;
  std::string why_not_;
};

// The shared cluster's admin URL, "" with `why` set when the fixture did not start it.
std::string pg_admin_url(std::string& why);
// Runs tests/pg/pg-cluster.sh COMMAND STATE_DIR (start / stop / down / up): fault tests run
// a cluster of their own so stopping it disturbs no other test.
int pg_cluster(const std::string& command, const std::string& state_dir);

}  // namespace ibd::testing
