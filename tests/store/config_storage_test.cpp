// The storage: and audit: sections of the configuration: strict like the rest of it.
#include <gtest/gtest.h>

#include "server/config.hpp"
#include "tests/integration/fixtures.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

class ConfigStorageTest : public ::testing::Test {
 protected:
  std::expected<config::AppConfig, std::string> load(const std::vector<std::string>& sections) {
    const std::string path = dir_.folder() + "/conf/ibd-cds.yaml";
    std::filesystem::create_directories(dir_.folder() + "/conf");
    write_config_sections(path, sections);
    return config::load_config(path);
  }
  TestDatabase dir_;  // for its folder
};

TEST_F(ConfigStorageTest, DefaultsToSqliteInAVarFolderBesideTheConfigFolder) {
  auto c = load({"storage:\n", "audit:\n"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->storage.url, "sqlite:" + dir_.folder() + "/var/ibd-cds.db");
  EXPECT_EQ(c->storage.busy_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c->storage.connections, 4u);
  EXPECT_TRUE(c->audit.key_file.empty());
  EXPECT_EQ(c->audit.queue_limit, 10000u);
}

TEST_F(ConfigStorageTest, ReadsEveryKey) {
  auto c = load({"storage:\n  url: sqlite:data/x.db\n  connections: 2\n  busy_timeout_ms: 250\n",
                 "audit:\n  key_file: secrets/audit.key\n  queue_limit: 50\n"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->storage.url, "sqlite:" + dir_.folder() + "/conf/data/x.db");
  EXPECT_EQ(c->storage.connections, 2u);
  EXPECT_EQ(c->storage.busy_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c->audit.key_file, dir_.folder() + "/conf/secrets/audit.key");
  EXPECT_EQ(c->audit.queue_limit, 50u);
  auto pg = load({"storage:\n  url: postgresql://ibd@db.example.org:5432/ibd?sslmode=require\n"
                  "  password_env: IBD_DB_PASSWORD\n",
                  "audit:\n  key_env: IBD_AUDIT_KEY\n"});
  ASSERT_TRUE(pg) << pg.error();
  EXPECT_EQ(pg->storage.url, "postgresql://ibd@db.example.org:5432/ibd?sslmode=require");
  EXPECT_EQ(pg->storage.password_env, "IBD_DB_PASSWORD");
  EXPECT_EQ(pg->audit.key_env, "IBD_AUDIT_KEY");
}

TEST_F(ConfigStorageTest, RefusesWhatWouldBeWrongOrPutASecretInTheFile) {
  struct Case {
    std::vector<std::string> sections;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {{"storage:\n  url: postgresql://ibd:secret@db/ibd\n"}, "storage.url: no password"},
           {{"storage:\n  url: postgresql://ibd@db/ibd?password=secret\n"}, "storage.url: no password"},
           {{"storage:\n  url: mysql://db/ibd\n"}, "storage.url: expected sqlite:PATH"},
           {{"storage:\n  url: \"sqlite::memory:\"\n"}, "storage.url: sqlite: needs a file path"},
           {{"storage:\n  url: sqlite:x.db\n  pasword_file: p\n"}, "storage.pasword_file: unknown key"},
           {{"storage:\n  url: sqlite:x.db\n  password_file: p\n"}, "are for postgresql"},
           {{"storage:\n  connections: 0\n"}, "storage.connections: must be between 1 and 64"},
           {{"audit:\n  key_file: k\n  key_env: K\n"}, "give key_file or key_env, not both"},
           {{"audit:\n  key_env: \"not a name\"\n"}, "audit.key_env: expected an environment"},
           {{"audit:\n  key: abc\n"}, "audit.key: unknown key"},
       }) {
    auto loaded = load(c.sections);
    ASSERT_FALSE(loaded) << c.sections[0];
    EXPECT_NE(loaded.error().find(c.expected), std::string::npos)
        << c.sections[0] << "\n  -> " << loaded.error();
    EXPECT_EQ(loaded.error().find("secret"), std::string::npos) << "the message repeats no secret";
  }
}

}  // namespace
}  // namespace ibd::testing
