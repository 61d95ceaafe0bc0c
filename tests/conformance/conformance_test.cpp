// Tests of cds-conformance itself, through its binary:
//  - every check is failed by at least one deliberately broken service (a mutant of
//    tests/conformance/mutant-service.mjs): a check that cannot fail proves nothing;
//  - each mutant makes the harness exit 1 and fails exactly the checks listed for it (others
//    may fail as a consequence; the listed ones must);
//  - the unbroken mock service and the real ibd-cds (production profile: JWT auth, CORS,
//    feedback, fetching from the harness's fixture FHIR server) pass with exit 0.
// Mutants run with --strict so that their SHOULD/MAY checks count as failures too.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "conformance/checks.hpp"
#include "fhir/json.hpp"
#include "tests/integration/fixtures.hpp"
#include "tests/integration/server_process.hpp"

namespace ibd::testing {
namespace {

using fhir::Json;

constexpr const char* kIssuer = "https://cds-conformance.invalid";
constexpr const char* kOrigin = "https://sandbox.cds-hooks.org";

struct Mutant {
  std::string name;
  std::vector<std::string> fails;  // checks the harness must fail against it
};

// ctest names the test by this, not by the object's bytes.
void PrintTo(const Mutant& m, std::ostream* os) { *os << m.name; }

const std::vector<Mutant>& mutants() {
  static const std::vector<Mutant> kMutants{
      {"discovery",
       {"discovery.required-fields", "discovery.title", "discovery.prefetch-shape",
        "discovery.prefetch-tokens", "discovery.prefetch-queries", "json.no-null",
        "json.extension-names"}},
      {"discovery-status", {"discovery.status"}},
      {"discovery-shape", {"json.content-type", "discovery.services"}},
      {"status", {"request.endpoint", "request.malformed", "request.unknown-service"}},
      {"response",
       {"request.cards-array", "request.system-actions", "request.no-guidance", "request.latency"}},
      {"cards",
       {"cards.uuid", "cards.summary", "cards.detail", "cards.indicator", "cards.source",
        "cards.source-drilldown", "cards.source-icon", "cards.override-reasons", "json.no-null",
        "json.extensions", "json.extension-names"}},
      {"suggestions",
       {"suggestions.shape", "suggestions.selection-behavior", "actions.shape",
        "actions.resource"}},
      {"links", {"links.shape", "links.type", "links.app-context"}},
      {"prefetch-null", {"prefetch.null-not-fetched", "prefetch.full-no-fetch"}},
      {"prefetch-fetch",
       {"prefetch.missing-fetched", "prefetch.same-cards", "prefetch.operation-outcome"}},
      {"prefetch-token", {"prefetch.access-token"}},
      {"precondition", {"precondition.no-data", "precondition.fhir-unavailable"}},
      {"auth",
       {"auth.required", "auth.alg-none", "auth.symmetric", "auth.bad-signature", "auth.expired",
        "auth.audience", "auth.unknown-issuer", "auth.untrusted-jku", "auth.replay"}},
      {"auth-reject", {"auth.valid-token", "auth.recommended-alg"}},
      {"cors", {"cors.preflight", "cors.actual", "cors.credentials"}},
      {"feedback", {"feedback.accepted", "feedback.overridden", "feedback.malformed"}},
  };
  return kMutants;
}

// Checks no mutant fails, and where they are shown to fail instead.
const std::map<std::string, std::string> kUnfailable{
    {"transport.https",
     "failed in IbdCdsPassesOverHttps by a certificate the harness does not trust (plain HTTP "
     "to a host that is not loopback also fails it; these tests run on loopback)"}};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A port that was free a moment ago (for the harness's JWKS and FHIR servers, which the
// service's configuration must name before the harness starts).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

struct HarnessRun {
  int exit_code = -1;
  std::string out;  // the terminal table
  Json result;      // --json
};

HarnessRun run_harness(std::vector<std::string> args, const std::string& dir) {
  const std::string out_path = dir + "/harness.out";
  const std::string json_path = dir + "/harness.json";
  args.insert(args.end(), {"--json", json_path, "--no-color"});
  std::vector<std::string> argv_s{std::string(IBD_BIN_DIR) + "/cds-conformance"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  HarnessRun run;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out_path);
  if (auto parsed = fhir::parse_json(slurp(json_path))) run.result = std::move(*parsed);
  return run;
}

std::string outcome(const Json& result, const std::string& id) {
  for (const Json& c : result.items_at("checks"))
    if (*c.string_at("id") == id) return *c.string_at("outcome");
  return "(absent)";
}

std::string mutant_script() {
  return std::string(IBD_SOURCE_DIR) + "/tests/conformance/mutant-service.mjs";
}

HarnessRun run_against_mutant(const std::string& name) {
  TempDir dir;
  const std::uint16_t jwks = free_port();
  ChildProcess mutant("node",
                      {mutant_script(), "--mutant", name, "--issuer", kIssuer, "--jwks-url",
                       "http://127.0.0.1:" + std::to_string(jwks) + "/jwks.json", "--origin",
                       kOrigin, "--exit-with-parent"},
                      "listening ", 20000);
  EXPECT_TRUE(mutant.running()) << mutant.log();
  if (!mutant.running()) return {};
  return run_harness({"--base", "http://127.0.0.1:" + std::to_string(mutant.port()), "--auth",
                      "--jwks-port", std::to_string(jwks), "--origin", kOrigin, "--strict"},
                     dir.path());
}

TEST(ConformanceHarness, EveryCheckIsFailedBySomeMutant) {
  std::set<std::string> failed;
  for (const Mutant& m : mutants())
    for (const std::string& id : m.fails) {
      EXPECT_NE(conformance::find_check(id), nullptr) << m.name << " lists unknown check " << id;
      failed.insert(id);
    }
  for (const conformance::CheckDef& c : conformance::all_checks()) {
    const std::string id(c.id);
    EXPECT_TRUE(failed.contains(id) || kUnfailable.contains(id))
        << id << " is failed by no mutant: a check that cannot fail proves nothing";
    EXPECT_FALSE(failed.contains(id) && kUnfailable.contains(id)) << id;
  }
}

class MutantTest : public ::testing::TestWithParam<Mutant> {};

TEST_P(MutantTest, FailsTheChecksItBreaks) {
  const Mutant& m = GetParam();
  const HarnessRun run = run_against_mutant(m.name);
  EXPECT_EQ(run.exit_code, 1) << run.out;
  for (const std::string& id : m.fails)
    EXPECT_EQ(outcome(run.result, id), "FAIL") << "mutant " << m.name << ": " << id << "\n"
                                               << run.out;
}

INSTANTIATE_TEST_SUITE_P(Mutants, MutantTest, ::testing::ValuesIn(mutants()),
                         [](const ::testing::TestParamInfo<Mutant>& param) {
                           std::string n = param.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ConformanceHarness, TheUnbrokenMockPasses) {
  const HarnessRun run = run_against_mutant("none");
  EXPECT_EQ(run.exit_code, 0) << run.out;
  for (const Json& c : run.result.items_at("checks"))
    EXPECT_TRUE(*c.string_at("outcome") == "pass" || *c.string_at("outcome") == "skip")
        << *c.string_at("id") << " " << *c.string_at("outcome") << "\n"
        << run.out;
}

// The real server, as CI runs it: production profile, the harness trusted as a client; over
// plain HTTP, and over HTTPS with the test CA (the TLS client and transport.https).
void run_against_ibd_cds(bool tls) {
  TempDir dir;
  const std::uint16_t jwks = free_port();
  const std::uint16_t fhir = free_port();
  const std::string config = dir.path() + "/ibd-cds.yaml";
  std::vector<std::string> sections{
      "profile: production\n",
      "auth:\n"
      "  external_url: https://cds.example.test\n"
      "  allow_loopback_jwks: true\n"
      "  clients:\n"
      "    - iss: " +
          std::string(kIssuer) + "\n" + "      jwks_url: http://127.0.0.1:" + std::to_string(jwks) +
          "/jwks.json\n" + "      fhir_servers: [http://127.0.0.1:" + std::to_string(fhir) + "]\n",
      "cors:\n  allowed_origins: [" + std::string(kOrigin) + "]\n",
      "fhir_client:\n  enabled: true\n  allow_loopback: true\n",
      "cards:\n  smart_app_url: https://smart.example.org/launch\n"};
  const std::string certs = dir.path() + "/certs";
  if (tls) {
    ASSERT_EQ(std::system((std::string(IBD_SOURCE_DIR) + "/tests/fhir-servers/make-test-certs.sh " +
                           certs + " >/dev/null")
                              .c_str()),
              0);
    sections.push_back("server:\n  tls:\n    cert_file: " + certs + "/server.pem\n" +
                       "    key_file: " + certs + "/server.key\n");
  }
  write_config_sections(config, sections);
  ServerProcess server({"--profile", "production"}, config);
  ASSERT_TRUE(server.running()) << server.log();
  const std::string junit = dir.path() + "/junit.xml";
  std::vector<std::string> args{
      "--base",
      std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port()),
      "--audience",
      "https://cds.example.test",
      "--auth",
      "--jwks-port",
      std::to_string(jwks),
      "--fhir-port",
      std::to_string(fhir),
      "--origin",
      kOrigin,
      "--junit",
      junit};
  if (tls) args.insert(args.end(), {"--ca-file", certs + "/ca.pem"});
  const HarnessRun run = run_harness(args, dir.path());
  EXPECT_EQ(run.exit_code, 0) << run.out << "\n" << server.log();
  const std::string xml = slurp(junit);
  EXPECT_NE(xml.find("<testsuites name=\"cds-conformance\""), std::string::npos);
  EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
  // The families that need a cooperating service were really exercised, not skipped.
  for (const char* id : {"auth.valid-token", "auth.alg-none", "prefetch.missing-fetched",
                         "prefetch.null-not-fetched", "precondition.no-data", "cors.preflight",
                         "feedback.accepted", "links.type", "actions.resource"})
    EXPECT_EQ(outcome(run.result, id), "pass") << id << "\n" << run.out;
  EXPECT_EQ(outcome(run.result, "transport.https"), tls ? "pass" : "skip") << run.out;
  const Json* coverage = run.result.find("coverage");
  ASSERT_NE(coverage, nullptr) << run.out;
  EXPECT_GT(*coverage->find("covered")->as_int(), 0);
  if (tls) {
    // The scheme alone does not pass transport.https: a certificate the harness does not
    // trust fails it (and with it everything after discovery).
    TempDir again;
    const HarnessRun untrusted =
        run_harness({"--base", "https://127.0.0.1:" + std::to_string(server.port())}, again.path());
    EXPECT_EQ(untrusted.exit_code, 1) << untrusted.out;
    EXPECT_EQ(outcome(untrusted.result, "transport.https"), "FAIL") << untrusted.out;
  }
}

TEST(ConformanceHarness, IbdCdsPasses) { run_against_ibd_cds(false); }
TEST(ConformanceHarness, IbdCdsPassesOverHttps) { run_against_ibd_cds(true); }

}  // namespace
}  // namespace ibd::testing
