// Issue 13 ("edge and trust, round 2") on the real binary: what a real EHR client needs (the
// CDS Hooks sandbox's token: ES384, a jku, no sub), keys that expire, and the attack run's
// findings at the edge (trailers, Host / Authorization ambiguity, signals, log flood, IPv6
// transition forms, hookInstance). Each test names the docs/security.md case it proves.
//
// A JwksServer (a small loopback HTTP server in this process) serves JWKS documents whose
// content, status and Cache-Control the test changes while the server runs, and counts the
// requests per path, so "never fetched" and "fetched at start-up" are observable.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/fixtures.hpp"
#include "tests/support/card_check.hpp"
#include "tests/support/jwt_signer.hpp"

namespace ibd::testing {
namespace {

using fhir::Json;
using namespace std::chrono_literals;

constexpr const char* kSandboxIss = "https://sandbox.cds-hooks.org";
constexpr const char* kSandboxKid = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f";
constexpr const char* kSandboxJku = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
constexpr const char* kRotatingIss = "https://rotating-ehr.example.org";
constexpr const char* kExternal = "https://cds.example.org";
constexpr const char* kService = "/cds-services/ibd-patient-view";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A loopback HTTP/1.1 server answering GET <path> from a table the test edits; one request
// per connection.
class JwksServer {
 public:
  struct Doc {
    int status = 200;
    std::string body;
    std::string cache_control;
  };
  JwksServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return;
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~JwksServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set(const std::string& path, Doc doc) {
    std::lock_guard lock(mutex_);
    docs_[path] = std::move(doc);
  }
  int hits(const std::string& path) {
    std::lock_guard lock(mutex_);
    return hits_[path];
  }

 private:
  void loop() {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string request;
      char buf[2048];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      const auto sp1 = request.find(' ');
      const auto sp2 = request.find(' ', sp1 + 1);
      const std::string path =
          sp1 == std::string::npos || sp2 == std::string::npos ? "" : request.substr(sp1 + 1, sp2 - sp1 - 1);
      Doc doc{404, "{}", ""};
      {
        std::lock_guard lock(mutex_);
        ++hits_[path];
        if (auto it = docs_.find(path); it != docs_.end()) doc = it->second;
      }
      std::string reply = "HTTP/1.1 " + std::to_string(doc.status) +
                          " X\r\nContent-Type: application/json\r\nConnection: close\r\n";
      if (!doc.cache_control.empty()) reply += "Cache-Control: " + doc.cache_control + "\r\n";
      reply += "Content-Length: " + std::to_string(doc.body.size()) + "\r\n\r\n" + doc.body;
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::shutdown(c, SHUT_WR);
      ::close(c);
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, Doc> docs_;
  std::map<std::string, int> hits_;
};

Json es_header(const std::string& alg, const std::string& kid, const std::string& jku = "") {
  Json h = Json::object()
               .set("alg", Json::string(alg))
               .set("typ", Json::string("JWT"))
               .set("kid", Json::string(kid));
  if (!jku.empty()) h.set("jku", Json::string(jku));
  return h;
}

// The claims the sandbox sends, exactly: iss, aud, exp = iat + 300, iat, jti (a UUID); no sub.
Json sandbox_claims(const std::string& iss, const std::string& path) {
  static int n = 0;
  char jti[40];
  std::snprintf(jti, sizeof jti, "5b0c9d2e-7f41-4a8b-9c3d-%012d", ++n);
  const std::int64_t iat = now_s();
  return Json::object()
      .set("iss", Json::string(iss))
      .set("aud", Json::string(kExternal + path))
      .set("exp", Json::number(iat + 300))
      .set("iat", Json::number(iat))
      .set("jti", Json::string(jti));
}

// ---------------------------------------------------------------------------------------
// Production profile: the sandbox as a configured client (its key in a JWKS file, two jku
// URLs on its allow-list, one of which fails), and a client whose keys come from a JWKS URL
// with a short lifetime.

class Trust : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_key_ = new TestKey(TestKey::generate("EC", "P-384"));
    extra_key_ = new TestKey(TestKey::generate("EC", "P-384"));
    rot1_ = new TestKey(TestKey::generate("EC", "P-256"));
    rot2_ = new TestKey(TestKey::generate("EC", "P-256"));
    jwks_ = new JwksServer();
    jwks_->set("/extra-jwks.json", {200, jwks_of({extra_key_->jwk("extra-1", "ES384")}).dump(),
                                    "max-age=600"});
    jwks_->set("/failing-jwks.json", {500, "{}", ""});
    // The rotating client's keys: max-age=2 within the configured bounds [1, 3].
    jwks_->set("/rotating-jwks.json",
               {200, jwks_of({rot1_->jwk("rot-1", "ES256")}).dump(), "public, max-age=2"});
    dir_ = new TempDir();
    const std::string d = dir_->path();
    std::ofstream(d + "/sandbox.jwks.json") << jwks_of({sandbox_key_->jwk(kSandboxKid)}).dump();
    std::ofstream(d + "/audit.key") << std::string(64, 'b') << "\n";
    const std::string cfg = d + "/ibd-cds.yaml";
    write_config_sections(
        cfg, {"profile: production\n",
              std::string("auth:\n  external_url: ") + kExternal +
                  "\n  allow_loopback_jwks: true\n  jwks_cache_min_s: 1\n  jwks_cache_max_s: 3\n"
                  "  jwks_refresh_min_interval_s: 60\n  clients:\n    - iss: " +
                  kSandboxIss + "\n      jwks_file: " + d + "/sandbox.jwks.json\n      jku_allowed: [" +
                  jwks_->url("/extra-jwks.json") + ", " + jwks_->url("/failing-jwks.json") +
                  "]\n    - iss: " + kRotatingIss + "\n      jwks_url: " +
                  jwks_->url("/rotating-jwks.json") + "\n",
              "audit:\n  key_file: " + d + "/audit.key\n"});
    server_ = new ServerProcess({"--profile", "production"}, cfg);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    delete jwks_;
    delete rot2_;
    delete rot1_;
    delete extra_key_;
    delete sandbox_key_;
    server_ = nullptr;
    dir_ = nullptr;
    jwks_ = nullptr;
    rot1_ = rot2_ = extra_key_ = sandbox_key_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->running()) << server_->log(); }

  static std::string sandbox_token(const std::string& path = kService,
                                   const std::string& jku = kSandboxJku,
                                   const std::string& kid = kSandboxKid,
                                   const TestKey* key = nullptr) {
    return (key ? key : sandbox_key_)
        ->sign(es_header("ES384", kid, jku), sandbox_claims(kSandboxIss, path), "ES384");
  }
  static std::optional<HttpReply> send(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& headers) {
    HttpConnection c("127.0.0.1", server_->port());
    return c.request(method, path, body, "application/json", headers);
  }
  static std::optional<HttpReply> call(const std::string& jwt) {
    return send("POST", kService, hook_body(), "Authorization: Bearer " + jwt + "\r\n");
  }
  static std::string hook_body() {
    return scenario_request("tdm-reactive-fires-infliximab-active").dump();
  }
  // Waits until the log holds `what` (lines are written after the answer).
  static bool log_has(const std::string& what, int ms = 3000) {
    for (int i = 0; i < ms / 20; ++i) {
      if (server_->log().find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return server_->log().find(what) != std::string::npos;
  }

  static inline TestKey* sandbox_key_ = nullptr;
  static inline TestKey* extra_key_ = nullptr;
  static inline TestKey* rot1_ = nullptr;
  static inline TestKey* rot2_ = nullptr;
  static inline JwksServer* jwks_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

// SEC-87 / issue 13 items 1 and 2: the sandbox's token (ES384, its kid, its jku, no sub) in
// the production profile. Before: 401 "no sub claim" and 401 "jku is not on the allow-list".
TEST_F(Trust, TheSandboxTokenWithJkuAndWithoutSubIsAccepted) {
  auto discovery = send("GET", "/cds-services", "",
                        "Authorization: Bearer " + sandbox_token("/cds-services") + "\r\n");
  ASSERT_TRUE(discovery);
  EXPECT_EQ(discovery->status, 200) << discovery->body << server_->log();
  auto hook = call(sandbox_token());
  ASSERT_TRUE(hook);
  ASSERT_EQ(hook->status, 200) << hook->body << server_->log();
  EXPECT_NE(card_of(body_json(*hook), "tdm-reactive"), nullptr) << hook->body;
  // The configured key decided: the sandbox's jku (not allow-listed) was never fetched.
  EXPECT_EQ(server_->log().find("JWKS at https://sandbox.cds-hooks.org"), std::string::npos)
      << server_->log();
  // With a sub it is accepted too (recorded, not required).
  Json with_sub = sandbox_claims(kSandboxIss, kService);
  with_sub.set("sub", Json::string("sandbox-user"));
  auto r = call(sandbox_key_->sign(es_header("ES384", kSandboxKid, kSandboxJku), with_sub, "ES384"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // nbf is honoured: a token not valid yet is refused.
  Json later = sandbox_claims(kSandboxIss, kService);
  later.set("nbf", Json::number(now_s() + 240));
  auto early = call(sandbox_key_->sign(es_header("ES384", kSandboxKid), later, "ES384"));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 401);
  EXPECT_TRUE(log_has("refused: the token is not valid yet (nbf)"));
}

// SEC-88 / item 2: a jku off the allow-list is never fetched and does not stop a configured
// kid; an attacker's key behind it is never used. Before: 401 for the configured kid.
TEST_F(Trust, AJkuOffTheAllowListIsIgnoredAndNeverFetched) {
  const std::string evil = jwks_->url("/attacker-jwks.json");
  jwks_->set("/attacker-jwks.json",
             {200, jwks_of({extra_key_->jwk(kSandboxKid, "ES384")}).dump(), ""});
  auto ok = call(sandbox_token(kService, evil));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body << server_->log();
  // Signed with the key the attacker's JWKS names under the configured kid: still refused.
  auto forged = call(sandbox_token(kService, evil, kSandboxKid, extra_key_));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  // An unknown kid with that jku: refused, and still nothing fetched.
  auto unknown = call(sandbox_token(kService, evil, "attacker-1", extra_key_));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(jwks_->hits("/attacker-jwks.json"), 0) << "a jku off the allow-list was fetched";
}

// SEC-89 / item 2: an allowed jku is an extra source (a kid only it has is accepted); when it
// cannot be fetched the configured keys still decide, and the log says so.
TEST_F(Trust, AnAllowedJkuIsAnExtraSourceAndItsFailureFallsBackToConfiguredKeys) {
  auto extra = call(sandbox_token(kService, jwks_->url("/extra-jwks.json"), "extra-1", extra_key_));
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 200) << extra->body << server_->log();
  EXPECT_GE(jwks_->hits("/extra-jwks.json"), 1);
  // The configured kid with a failing allowed jku: the configured key is used, jku not needed.
  auto configured = call(sandbox_token(kService, jwks_->url("/failing-jwks.json")));
  ASSERT_TRUE(configured);
  EXPECT_EQ(configured->status, 200) << configured->body << server_->log();
  // A kid only the failing jku could have: the fetch fails, the configured keys do not have
  // it, 401, and a log line says the server fell back.
  auto missing =
      call(sandbox_token(kService, jwks_->url("/failing-jwks.json"), "only-upstream", extra_key_));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_GE(jwks_->hits("/failing-jwks.json"), 1);
  EXPECT_TRUE(log_has("falling back to the configured keys")) << server_->log();
}

// SEC-90 / item 3: keys from a JWKS URL are fetched at start-up, live for their max-age
// (bounded by config), are refreshed in the background, and a key removed upstream stops
// being trusted within that lifetime. Before: fetched only on demand, trusted forever.
TEST_F(Trust, JwksUrlKeysExpireAndAreRefreshedInTheBackground) {
  const std::string path = "/rotating-jwks.json";
  // No request has been sent: only the start-up fetch can have asked.
  for (int i = 0; i < 150 && jwks_->hits(path) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_GE(jwks_->hits(path), 1) << "the JWKS URL was not fetched at start-up";
  EXPECT_TRUE(log_has("rotating-jwks.json: 1 key(s), trusted for 2s")) << server_->log();
  auto token = [](const TestKey& key, const std::string& kid) {
    return key.sign(es_header("ES256", kid), sandbox_claims(kRotatingIss, kService), "ES256");
  };
  auto first = call(token(*rot1_, "rot-1"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body << server_->log();
  // Upstream rotates: rot-1 removed, rot-2 added. No request is sent meanwhile, so only the
  // background refresh can learn it.
  const int before = jwks_->hits(path);
  jwks_->set(path, {200, jwks_of({rot2_->jwk("rot-2", "ES256")}).dump(), "max-age=2"});
  std::this_thread::sleep_for(3500ms);
  EXPECT_GT(jwks_->hits(path), before) << "no background refresh";
  auto removed = call(token(*rot1_, "rot-1"));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 401) << "a key removed upstream is still trusted";
  auto rotated = call(token(*rot2_, "rot-2"));
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 200) << rotated->body << server_->log();
  // A huge max-age is bounded by jwks_cache_max_s (3 s).
  jwks_->set(path, {200, jwks_of({rot2_->jwk("rot-2", "ES256")}).dump(), "max-age=86400"});
  EXPECT_TRUE(log_has("rotating-jwks.json: 1 key(s), trusted for 3s", 6000)) << server_->log();
}

// SEC-91 / item 5: a token or a Content-Type in a chunked trailer is never used. Before: 200.
TEST_F(Trust, TrailerFieldsAreNeverUsed) {
  const std::string body = hook_body();
  auto chunked = [&](const std::string& headers, const std::string& trailer) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx", body.size());
    HttpConnection c("127.0.0.1", server_->port());
    c.send_raw(std::string("POST ") + kService + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
               "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n" +
               trailer + "\r\n");
    return c.read_reply();
  };
  const std::string token = sandbox_token();
  auto in_trailer = chunked("Content-Type: application/json\r\n",
                            "Authorization: Bearer " + token + "\r\n");
  ASSERT_TRUE(in_trailer);
  EXPECT_EQ(in_trailer->status, 401) << "a token in a trailer was used";
  auto type_in_trailer = chunked("Authorization: Bearer " + sandbox_token() + "\r\n",
                                 "Content-Type: application/json\r\n");
  ASSERT_TRUE(type_in_trailer);
  EXPECT_EQ(type_in_trailer->status, 415) << "a Content-Type in a trailer was used";
  // The control: the same request with both in the header section.
  auto normal = chunked("Authorization: Bearer " + sandbox_token() +
                            "\r\nContent-Type: application/json\r\n",
                        "");
  ASSERT_TRUE(normal);
  EXPECT_EQ(normal->status, 200) << normal->body;
}

// SEC-92 / item 11: no Host or two Host headers in HTTP/1.1, two Authorization headers: 400.
// Before: 200, and the first Authorization won.
TEST_F(Trust, AmbiguousHostAndAuthorizationAre400) {
  auto raw = [&](const std::string& request) {
    HttpConnection c("127.0.0.1", server_->port());
    c.send_raw(request);
    return c.read_reply();
  };
  auto no_host = raw("GET /health HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(no_host);
  EXPECT_EQ(no_host->status, 400);
  auto two_hosts = raw("GET /health HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n");
  ASSERT_TRUE(two_hosts);
  EXPECT_EQ(two_hosts->status, 400);
  auto http10 = raw("GET /health HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(http10);
  EXPECT_EQ(http10->status, 200) << "HTTP/1.0 has no Host requirement";
  auto two_auth =
      send("GET", "/cds-services", "",
           "Authorization: Bearer " + sandbox_token("/cds-services") +
               "\r\nAuthorization: Bearer " + sandbox_token("/cds-services") + "\r\n");
  ASSERT_TRUE(two_auth);
  EXPECT_EQ(two_auth->status, 400) << two_auth->body;
  auto one_auth = send("GET", "/cds-services", "",
                       "Authorization: Bearer " + sandbox_token("/cds-services") + "\r\n");
  ASSERT_TRUE(one_auth);
  EXPECT_EQ(one_auth->status, 200);
}

// SEC-94 / item 10: garbage tokens cannot flood the log: refusal lines and 4xx access lines
// are rate-limited per address and reason, and the suppressed count is reported. Before: one
// refusal line and one access line per request (400 requests: 800 lines).
TEST_F(Trust, RefusalLinesAreRateLimitedWithACountOfSuppressedLines) {
  const std::size_t before = server_->log().size();
  constexpr int kRequests = 400;
  HttpConnection c("127.0.0.1", server_->port());
  for (int i = 0; i < kRequests; ++i) {
    auto r = c.request("GET", "/cds-services", "", "",
                       "Authorization: Bearer garbage-" + std::to_string(i) + "\r\n");
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 401);
  }
  std::this_thread::sleep_for(300ms);
  std::string log = server_->log().substr(before);
  const std::size_t refusals = count(log, "refused: not a compact JWS");
  const std::size_t access = count(log, "GET /cds-services 401");
  EXPECT_GE(refusals, 1u);
  EXPECT_LE(refusals, 25u) << "refusal lines are not rate-limited";
  EXPECT_LE(access, 25u) << "access lines of refusals are not rate-limited";
  // After the window, the next line says how many were held back.
  std::this_thread::sleep_for(10500ms);
  auto r = c.request("GET", "/cds-services", "", "", "Authorization: Bearer garbage-last\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(log_has("similar lines suppressed)")) << server_->log().substr(before);
}

// ---------------------------------------------------------------------------------------
// Development profile (no client JWT).

// SEC-96 / item 11: hookInstance must be a UUID, so no control character (or other text)
// reaches the audit trail or the log through it. Before: any string up to 128 characters.
TEST(EdgeInput, HookInstanceMustBeAUuid) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  for (const std::string bad : {"not-a-uuid", "d1577c69-dfbe-44ad-ba6d-3e05e953b2e\x07",
                                "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\nFORGED", "",
                                "{d1577c69-dfbe-44ad-ba6d-3e05e953b2ea}"}) {
    request.set("hookInstance", Json::string(bad));
    auto r = http(server.port(), "POST", kService, request.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("hookInstance"), std::string::npos) << r->body;
  }
  request.set("hookInstance", Json::string("D1577C69-DFBE-44AD-BA6D-3E05E953B2EA"));
  auto ok = http(server.port(), "POST", kService, request.dump());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(server.log().find("FORGED"), std::string::npos);
}

// SEC-97 / item 12: card uuids are distinct version-4 UUIDs (from OpenSSL's CSPRNG; the
// source itself is checked in the unit test SecureRandom.*).
TEST(EdgeInput, CardUuidsAreRandomVersion4) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto r = http(server.port(), "POST", kService,
                  scenario_request("tdm-reactive-fires-infliximab-active").dump());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const Json body = body_json(*r);
    for (const Json& card : body.find("cards")->items()) {
      const std::string uuid = *card.string_at("uuid");
      ASSERT_EQ(uuid.size(), 36u) << uuid;
      EXPECT_EQ(uuid[14], '4') << uuid;
      EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
      EXPECT_TRUE(seen.insert(uuid).second) << "repeated uuid " << uuid;
    }
  }
}

// SEC-95 / item 11: the address guard refuses IPv6 transition forms of loopback and of the
// metadata address, even when the allow-list names them. Before: let through to a connect.
TEST(EdgeInput, Ipv6TransitionFormsOfRefusedAddressesAreRefused) {
  TempDir dir;
  const std::string cfg = dir.path() + "/ibd-cds.yaml";
  const std::vector<std::string> urls{
      "https://[::127.0.0.1]",     "https://[64:ff9b::7f00:1]", "https://[2002:7f00:1::]",
      "https://[::169.254.169.254]", "https://[64:ff9b::a9fe:a9fe]",
      "https://[2002:a9fe:a9fe::1]", "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]"};
  std::string list;
  for (const std::string& u : urls) list += (list.empty() ? "\"" : ", \"") + u + "\"";
  write_config_sections(cfg, {"profile: development\n",
                              "fhir_client:\n  enabled: true\n  allowed_servers: [" + list +
                                  "]\n  request_timeout_ms: 1000\n  budget_ms: 1500\n"});
  ServerProcess server({}, cfg);
  ASSERT_TRUE(server.running()) << server.log();
  for (const std::string& u : urls) {
    Json request = scenario_request("tdm-reactive-fires-infliximab-active");
    request.find("prefetch")->erase("observations");
    request.set("fhirServer", Json::string(u + "/fhir"));
    request.set("fhirAuthorization", Json::object()
                                         .set("access_token", Json::string("tok-transition"))
                                         .set("token_type", Json::string("Bearer"))
                                         .set("expires_in", Json::number(std::int64_t{300}))
                                         .set("scope", Json::string("patient/*.read"))
                                         .set("subject", Json::string("ibd-cds")));
    auto r = http(server.port(), "POST", kService, request.dump());
    ASSERT_TRUE(r) << u;
    std::string why = r->body;
    if (auto j = fhir::parse_json(r->body))
      if (const Json* card = card_of(*j, "data-incomplete")) why = card->dump();
    EXPECT_TRUE(r->status == 403 || r->status == 400 ||
                (r->status == 200 && why.find("forbidden") != std::string::npos))
        << u << ": " << r->status << " " << why;
  }
}

// ---------------------------------------------------------------------------------------
// SEC-93 / item 7: signals and a vanished log sink. The child's stderr is a pipe the test
// closes; then SIGPIPE-provoking log lines, SIGHUP, SIGUSR1 and SIGUSR2; the server still
// answers and stops cleanly on SIGTERM. Before: each of these ended the process.

TEST(Signals, AClosedLogPipeAndHupUsr1Usr2DoNotStopTheServer) {
  int out[2], err[2];
  ASSERT_EQ(::pipe(out), 0);
  ASSERT_EQ(::pipe(err), 0);
  const std::string bin = binary_path(), cfg = config_path();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[0]);
    ::close(err[0]);
    ::signal(SIGPIPE, SIG_DFL);  // as a shell would start it
    ::execl(bin.c_str(), bin.c_str(), "serve", "--config", cfg.c_str(), "--listen",
            "127.0.0.1:0", "--profile", "development", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  std::string banner;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (banner.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c[256];
    const ssize_t n = ::read(out[0], c, sizeof c);
    if (n <= 0) break;
    banner.append(c, static_cast<std::size_t>(n));
  }
  const auto at = banner.find("://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << banner;
  const auto port = static_cast<std::uint16_t>(std::stoi(banner.substr(at + 13)));
  auto alive = [&] {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == 0;
  };
  // The log sink goes away: every further log line is a write to a pipe without a reader.
  ::close(err[0]);
  for (int i = 0; i < 5; ++i) {
    auto r = http(port, "GET", "/health");
    ASSERT_TRUE(r) << "no answer after the log pipe closed (" << i << ")";
    EXPECT_EQ(r->status, 200);
  }
  for (int sig : {SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2}) {
    ASSERT_EQ(::kill(pid, sig), 0);
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(alive()) << "signal " << sig << " ended the server";
    auto r = http(port, "GET", "/health");
    ASSERT_TRUE(r) << "no answer after signal " << sig;
    EXPECT_EQ(r->status, 200);
    auto hook =
        http(port, "POST", kService, scenario_request("tdm-reactive-fires-infliximab-active").dump());
    ASSERT_TRUE(hook) << "no hook answer after signal " << sig;
    EXPECT_EQ(hook->status, 200);
  }
  ::close(out[0]);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  for (int i = 0; i < 150 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  if (!WIFEXITED(status)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
}

}  // namespace
}  // namespace ibd::testing
