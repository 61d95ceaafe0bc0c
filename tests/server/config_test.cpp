#include "server/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ibd::config {
namespace {

namespace fs = std::filesystem;
const fs::path kConfig = fs::path(IBD_SOURCE_DIR) / "config" / "ibd-cds.yaml";

// Writes `text` as a config file next to the shipped rules and value sets.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    dir_ = fs::temp_directory_path() /
           ("ibd-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "c.yaml") << text;
  }
  ~ConfigFile() { fs::remove_all(dir_); }
  fs::path path() const { return dir_ / "c.yaml"; }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
};

std::string shipped() {
  std::ifstream in(kConfig);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Point the relative paths back at the shipped files.
  const std::string dir = kConfig.parent_path().string();
  text.replace(text.find("rules_file: rules.yaml"), 22, "rules_file: " + dir + "/rules.yaml");
  text.replace(text.find("valuesets_dir: valuesets"), 24, "valuesets_dir: " + dir + "/valuesets");
  return text;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

TEST(Config, ShippedConfigLoads) {
  auto cfg = load_config(kConfig);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server.listen.host, "127.0.0.1");
  EXPECT_EQ(cfg->server.listen.port, 8080);
  EXPECT_FALSE(cfg->development);  // production: every client authenticated
  EXPECT_TRUE(cfg->auth.clients.empty());
  EXPECT_EQ(cfg->engine->catalog.services().size(), 3u);
  EXPECT_FALSE(cfg->engine->rules.version.empty());
  EXPECT_GE(cfg->engine->terminology.size(), 40u);
  EXPECT_EQ(cfg->engine->rules.tdm_reactive.induction_weeks, 14);
  // The level order code defaults to the value set's first code.
  EXPECT_EQ(cfg->engine->rules.lab("infliximab-level")->order_code->code, "39803-2");
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  ConfigFile f(replaced(shipped(), "  threads: 0", "  threads: 0\n  thread_count: 4"));
  auto cfg = load_config(f.path());
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().find(f.path().string() + ":"), std::string::npos) << cfg.error();
  EXPECT_NE(cfg.error().find("server.thread_count: unknown key"), std::string::npos) << cfg.error();
  EXPECT_NE(cfg.error().find(":12:"), std::string::npos) << cfg.error();
}

TEST(Config, BadValuesAreRefused) {
  struct Case {
    std::string from, to, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"  threads: 0", "  threads: many", "server.threads: expected a whole number"},
           {"  threads: 0", "  threads: -1", "server.threads: must be between 0 and 256"},
           {"listen: 127.0.0.1:8080", "listen: 127.0.0.1:99999",
            "server.listen: the port must be a number"},
           {"profile: production", "profile: staging", "profile: production or development"},
           {"  clients: []", "  clients:\n    - iss: https://ehr.example\n",
            "auth.clients[0]: needs jwks_url, jwks_file or jwks"},
           {"  clients: []",
            "  clients:\n    - iss: https://ehr.example\n      jwks_url: not-a-url\n",
            "auth.clients[0].jwks_url: expected an absolute https URL"},
           {"  clients: []",
            "  clients:\n    - iss: https://ehr.example\n      jwks: '{\"keys\":[]}'\n"
            "      fhir_servers: [ftp://ehr.example]\n",
            "auth.clients[0].fhir_servers: ftp://ehr.example"},
           {"  allowed_origins: []", "  allowed_origins: [sandbox]", "cors.allowed_origins: sandbox"},
           {"  allowed_servers: []", "  allowed_servers: [http://ehr.example.org]",
            "http is allowed only for a loopback host"},
           {"  allowed_servers: []", "  allowed_servers: [http://127.0.0.1:9000]",
            "a loopback server needs allow_loopback: true"},
           {"  forbidden_networks: []", "  forbidden_networks: [10.0.0.0/40]",
            "fhir_client.forbidden_networks"},
           {"  level: info", "  level: loud", "logging.level"},
           {"    hook: patient-view", "    hook: patient-chart",
            "services.hook: unknown hook 'patient-chart'"},
       }) {
    ConfigFile f(replaced(shipped(), c.from, c.to));
    auto cfg = load_config(f.path());
    ASSERT_FALSE(cfg) << c.to;
    EXPECT_NE(cfg.error().find(c.expect), std::string::npos) << cfg.error();
  }
}

TEST(Config, MissingFilesAndBrokenYaml) {
  auto missing = load_config("/nonexistent/ibd-cds.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("cannot read"), std::string::npos);
  ConfigFile broken("server:\n  listen: [unclosed\n");
  auto cfg = load_config(broken.path());
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().find(broken.path().string() + ":"), std::string::npos) << cfg.error();
}

// Loads the shipped config with one edit to rules.yaml; returns the error ("" when it loads).
std::string rules_error(const std::string& from, const std::string& to) {
  ConfigFile f(replaced(shipped(), "rules_file: " + kConfig.parent_path().string() + "/rules.yaml",
                        "rules_file: rules.yaml"));
  std::ifstream in(kConfig.parent_path() / "rules.yaml");
  std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(f.path().parent_path() / "rules.yaml") << replaced(rules, from, to);
  auto cfg = load_config(f.path());
  return cfg ? "" : cfg.error();
}

TEST(Config, RulesValuesAreChecked) {
  EXPECT_NE(rules_error("drug_classes: [anti-tnf,", "drug_classes: [anti-tnfa,")
                .find("no drug has class 'anti-tnfa'"),
            std::string::npos);
  EXPECT_NE(rules_error("unit: \"mg/L\", display: \"CRP\"", "unit: \"mg/Liter\", display: \"CRP\"")
                .find("'mg/Liter' is not a unit the converter knows"),
            std::string::npos);
  EXPECT_NE(rules_error("crp_active: 10 ", "crp_active: nan ")
                .find("inflammation.crp_active: expected a number"),
            std::string::npos);
  EXPECT_NE(
      rules_error("valueset: ibd-drug-golimumab", "valueset: ibd-drug-golimumabb").find("not in"),
      std::string::npos);
  EXPECT_EQ(rules_error("induction_weeks: 14", "induction_weeks: 12"), "");
}

TEST(Config, RulesFileErrorsNameTheRulesFile) {
  ConfigFile f(replaced(shipped(), "rules_file: " + kConfig.parent_path().string() + "/rules.yaml",
                        "rules_file: rules.yaml"));
  std::ifstream in(kConfig.parent_path() / "rules.yaml");
  std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(f.path().parent_path() / "rules.yaml")
      << replaced(rules, "induction_weeks: 14", "induction_weeks: fourteen");
  auto cfg = load_config(f.path());
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().find("rules.yaml:"), std::string::npos) << cfg.error();
  EXPECT_NE(cfg.error().find("rules.tdm-reactive.induction_weeks"), std::string::npos)
      << cfg.error();
}

TEST(Listen, ParsesHostPort) {
  EXPECT_EQ(parse_listen("127.0.0.1:8080")->port, 8080);
  EXPECT_EQ(parse_listen("[::1]:0")->host, "::1");
  EXPECT_EQ(parse_listen("localhost:9")->host, "localhost");
  EXPECT_FALSE(parse_listen("8080"));
  EXPECT_FALSE(parse_listen("::1:8080"));
  EXPECT_FALSE(parse_listen("host:"));
  EXPECT_FALSE(parse_listen("host:-1"));
}

TEST(Listen, Loopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("10.0.0.5"));
  EXPECT_FALSE(is_loopback_host("127.evil.example"));
}

}  // namespace
}  // namespace ibd::config
