// What goes into an audit record and the key that hides patient ids: no database involved.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "server/audit.hpp"
#include "server/config.hpp"
#include "server/store/digest.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

using server::AuditKey;

config::AppConfig config_for(const std::string& folder, bool development) {
  config::AppConfig c;
  c.development = development;
  c.storage.url = "sqlite:" + folder + "/data/ibd-cds.db";
  return c;
}

TEST(AuditKeyTest, HashesPatientIdsWithTheKeyOnly) {
  const AuditKey key(std::string(32, 'k')), other(std::string(32, 'o'));
  const std::string h = key.patient("pat-cd-001");
  EXPECT_TRUE(h.starts_with("hmac-sha256:")) << h;
  EXPECT_EQ(h.size(), 12u + 64u);
  EXPECT_EQ(h, key.patient("pat-cd-001"));
  EXPECT_NE(h, key.patient("pat-cd-002"));
  EXPECT_NE(h, other.patient("pat-cd-001"));
  EXPECT_EQ(h.find("pat-cd-001"), std::string::npos);
  // Not a plain hash of the id, and not the same digest as a fingerprint of the same text.
  EXPECT_EQ(h.find(store::sha256_hex("pat-cd-001")), std::string::npos);
  EXPECT_NE(h, key.fingerprint("pat-cd-001"));
  EXPECT_EQ(key.id().size(), 16u);
  EXPECT_NE(key.id(), other.id());
}

TEST(AuditKeyTest, ReadsTheKeyFromTheEnvironment) {
  TestDatabase db;  // only for its folder
  auto c = config_for(db.folder(), false);
  c.audit.key_env = "IBD_TEST_AUDIT_KEY";
  ::setenv("IBD_TEST_AUDIT_KEY", std::string(64, 'a').c_str(), 1);
  auto hex = server::load_audit_key(c);
  ASSERT_TRUE(hex) << hex.error();
  EXPECT_EQ(hex->source, "environment variable IBD_TEST_AUDIT_KEY");
  EXPECT_EQ(hex->key.patient("x"), AuditKey(std::string(32, '\xaa')).patient("x"))
      << "64 hex digits are 32 key bytes";
  ::setenv("IBD_TEST_AUDIT_KEY", "short", 1);
  auto short_key = server::load_audit_key(c);
  ASSERT_FALSE(short_key);
  EXPECT_NE(short_key.error().find("too short"), std::string::npos);
  EXPECT_EQ(short_key.error().find("short\""), std::string::npos);
  ::unsetenv("IBD_TEST_AUDIT_KEY");
  auto unset = server::load_audit_key(c);
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().find("not set"), std::string::npos);
}

TEST(AuditKeyTest, DevelopmentGeneratesAPrivateKeyFileOnceNextToTheDatabase) {
  TestDatabase db;
  auto c = config_for(db.folder(), true);
  auto first = server::load_audit_key(c);
  ASSERT_TRUE(first) << first.error();
  EXPECT_TRUE(first->generated);
  const std::string file = db.folder() + "/data/ibd-cds.audit-key";
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = server::load_audit_key(c);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(first->key.id(), second->key.id());
  EXPECT_EQ(first->key.patient("p"), second->key.patient("p"));
}

TEST(AuditKeyTest, ProductionNeedsAKeyNamedAndPresent) {
  TestDatabase db;
  auto c = config_for(db.folder(), false);
  auto none = server::load_audit_key(c);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("audit.key_file or audit.key_env"), std::string::npos);
  c.audit.key_file = db.folder() + "/missing.key";
  auto missing = server::load_audit_key(c);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(c.audit.key_file)) << "production never generates a key";
  std::ofstream(c.audit.key_file) << std::string(40, 'z') << "\n";
  auto present = server::load_audit_key(c);
  ASSERT_TRUE(present) << present.error();
  EXPECT_FALSE(present->generated);
}

TEST(AuditKeyTest, PostgresInDevelopmentStillNeedsANamedKey) {
  auto c = config_for("/tmp", true);
  c.storage.url = "postgresql://ibd@127.0.0.1:5432/ibd";
  auto r = server::load_audit_key(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("same audit key"), std::string::npos);
}

TEST(AuditRecordTest, BodyIsCanonicalAndReadsBack) {
  server::HookAuditRecord r;
  r.time_ms = 1795341600123;
  r.service_id = "ibd-patient-view";
  r.hook = "patient-view";
  r.hook_instance = "d1577c69";
  r.client_iss = "https://ehr.example.org";
  r.tenant = "t1";
  r.patient = "hmac-sha256:aa";
  r.input = "hmac-sha256:bb";
  r.rule_set_version = "2026.11.0";
  r.cards.push_back({"c1", "tdm-reactive", "1.0.0", {"s1"}});
  r.status = 200;
  r.latency_ms = 2.2178;
  r.key_id = "k";
  const std::string body = server::audit_body(r);
  EXPECT_EQ(body,
            R"({"time":"2026-11-22T10:00:00.123Z","timeMs":1795341600123,"service":"ibd-patient-view",)"
            R"("hook":"patient-view","hookInstance":"d1577c69","client":{"iss":"https://ehr.example.org",)"
            R"("tenant":"t1"},"patient":"hmac-sha256:aa","input":"hmac-sha256:bb","keyId":"k",)"
            R"("ruleSetVersion":"2026.11.0","cards":[{"uuid":"c1","rule":"tdm-reactive",)"
            R"("ruleVersion":"1.0.0","suggestions":["s1"]}],"status":200,"error":"","latencyMs":2.217})");
  auto back = server::parse_audit_body(body);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->time_ms, r.time_ms);
  EXPECT_EQ(back->client_iss, r.client_iss);
  EXPECT_EQ(back->tenant, "t1");
  ASSERT_EQ(back->cards.size(), 1u);
  EXPECT_EQ(back->cards[0].suggestions, std::vector<std::string>{"s1"});
  EXPECT_EQ(server::audit_body(*back), body) << "a record written back gives the same text";
  auto reparsed = fhir::parse_json(body);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(reparsed->dump(), body) << "export re-dumps the record: the hashed text must survive";
}

TEST(AuditRecordTest, CardsOfAResponse) {
  auto response = fhir::parse_json(R"({"cards":[
    {"uuid":"c1","summary":"s","indicator":"info","source":{"label":"x"},
     "suggestions":[{"label":"a","uuid":"s1"},{"label":"b","uuid":"s2"}],
     "extension":{"org.ibd-cds.rule":{"id":"tdm-reactive","version":"1.0.0"}}},
    {"uuid":"c2","summary":"s","indicator":"info","source":{"label":"x"}},
    {"summary":"no uuid","indicator":"info","source":{"label":"x"}}]})");
  ASSERT_TRUE(response);
  const auto cards = server::cards_of_response(*response);
  ASSERT_EQ(cards.size(), 2u);
  EXPECT_EQ(cards[0].rule_id, "tdm-reactive");
  EXPECT_EQ(cards[0].rule_version, "1.0.0");
  EXPECT_EQ(cards[0].suggestions, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(cards[1].uuid, "c2");
  EXPECT_TRUE(cards[1].rule_id.empty());
}

TEST(AuditRecordTest, TimesAreUtcWithMilliseconds) {
  EXPECT_EQ(server::format_time_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(server::format_time_ms(1795341600123), "2026-11-22T10:00:00.123Z");
}

}  // namespace
}  // namespace ibd::testing
