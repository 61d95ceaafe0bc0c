// The attack catalogue (docs/security.md) on the real binary: the cases no other test shows
// over a socket. JWT attacks one by one against a production-profile server with two trusted
// clients; a jku that is not allow-listed is never fetched; SSRF attempts through fhirServer
// (userinfo, IPv4-mapped and integer-spelled addresses, string-prefix tricks, an http
// downgrade, a name that resolves to a forbidden network); slowloris against the read
// deadline; hostile JSON; and one session that provokes every error status with a token, a JWT
// and a patient id in it and then searches the whole log and every body for them.
//
// "Nothing was fetched" is proven by a ConnectionCounter: a loopback TCP listener that counts
// the connections it accepts. A legitimate request in the same test shows that the listener
// does see a connection, so the zero cannot come from a deaf listener (for the JWT attacks,
// SecurityProduction.AJkuNotOnTheAllowListIsNeverFetched shows it).
//
// Tests named DISABLED_ would be product bugs found for the catalogue (rows marked OPEN in
// docs/security.md); each says what it expects and what happens instead.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include "tests/integration/fixtures.hpp"
#include "tests/support/card_check.hpp"
#include "tests/support/jwt_signer.hpp"

namespace ibd::testing {
namespace {

using fhir::Json;
using namespace std::chrono_literals;

constexpr const char* kIss = "https://ehr.example.org";
constexpr const char* kOtherIss = "https://other-ehr.example.org";
constexpr const char* kExternal = "https://cds.example.org";
constexpr const char* kService = "/cds-services/ibd-patient-view";
constexpr const char* kAccessToken = "fhir-access-token-SECRET-4b1d9e";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A loopback listener that accepts and immediately closes every connection, counting them.
class ConnectionCounter {
 public:
  ConnectionCounter() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return;
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        ++count_;
        ::close(c);
      }
    });
  }
  ~ConnectionCounter() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  ConnectionCounter(const ConnectionCounter&) = delete;
  ConnectionCounter& operator=(const ConnectionCounter&) = delete;

  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }
  // Connections so far, after a short settling time (a fetch is answered before the hook
  // call, but the listener thread may not have counted it yet).
  int connections() const {
    std::this_thread::sleep_for(200ms);
    return count_.load();
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::thread thread_;
};

Json fhir_authorization() {
  return Json::object()
      .set("access_token", Json::string(kAccessToken))
      .set("token_type", Json::string("Bearer"))
      .set("expires_in", Json::number(std::int64_t{300}))
      .set("scope", Json::string("patient/*.read"))
      .set("subject", Json::string("ibd-cds"));
}

// The TDM scenario without its observations, so they must be fetched from `fhir_server`.
Json fetching_request(const std::string& fhir_server) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.find("prefetch")->erase("observations");
  request.set("fhirServer", Json::string(fhir_server));
  request.set("fhirAuthorization", fhir_authorization());
  return request;
}

std::string reason_of(const HttpReply& reply) {
  auto j = fhir::parse_json(reply.body);
  if (!j) return reply.body;
  if (const Json* card = card_of(*j, "data-incomplete")) return card->dump();
  const std::string* m = j->string_at("message");
  return m ? *m : reply.body;
}

// ---------------------------------------------------------------------------------------
// Production profile: two trusted clients, each with its own key; the first may use one jku
// URL (on a ConnectionCounter) and act for tenant t1 only.

class SecurityProduction : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ehr_key_ = new TestKey(TestKey::generate("EC", "P-256"));
    other_key_ = new TestKey(TestKey::generate("EC", "P-256"));
    attacker_key_ = new TestKey(TestKey::generate("EC", "P-256"));
    jku_listener_ = new ConnectionCounter();
    dir_ = new TempDir();
    const std::string d = dir_->path();
    std::ofstream(d + "/ehr.jwks.json") << jwks_of({ehr_key_->jwk("ehr-1", "ES256")}).dump();
    std::ofstream(d + "/other.jwks.json") << jwks_of({other_key_->jwk("other-1", "ES256")}).dump();
    std::ofstream(d + "/audit.key") << std::string(64, 'a') << "\n";
    const std::string cfg = d + "/ibd-cds.yaml";
    write_config_sections(
        cfg, {"profile: production\n",
              std::string("auth:\n  external_url: ") + kExternal +
                  "\n  allow_loopback_jwks: true\n  clients:\n    - iss: " + kIss +
                  "\n      jwks_file: " + d + "/ehr.jwks.json\n      jku_allowed: [" +
                  allowed_jku() + "]\n      tenants: [t1]\n      fhir_servers: [" + kIss +
                  "]\n    - iss: " + kOtherIss + "\n      jwks_file: " + d + "/other.jwks.json\n",
              "cors:\n  allowed_origins: [https://sandbox.cds-hooks.org]\n",
              "audit:\n  key_file: " + d + "/audit.key\n"});
    server_ = new ServerProcess({"--profile", "production"}, cfg);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    delete jku_listener_;
    delete attacker_key_;
    delete other_key_;
    delete ehr_key_;
    server_ = nullptr;
    dir_ = nullptr;
    jku_listener_ = nullptr;
    attacker_key_ = other_key_ = ehr_key_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->running()) << server_->log(); }

  static std::string allowed_jku() {
    return "https://127.0.0.1:" + jku_listener_->port_text() + "/allowed-jwks.json";
  }
  static Json header(const std::string& kid = "ehr-1", const std::string& alg = "ES256") {
    return Json::object()
        .set("alg", Json::string(alg))
        .set("typ", Json::string("JWT"))
        .set("kid", Json::string(kid));
  }
  static Json claims(const std::string& iss = kIss, const std::string& path = kService) {
    static int n = 0;
    return Json::object()
        .set("iss", Json::string(iss))
        .set("sub", Json::string("ehr-client"))
        .set("aud", Json::string(kExternal + path))
        .set("iat", Json::number(now_s()))
        .set("exp", Json::number(now_s() + 240))
        .set("jti", Json::string("sec-" + std::to_string(++n)))
        .set("tenant", Json::string("t1"));
  }
  // A good token for the first client (ES256, kid ehr-1), with claims changed by `edit`.
  static std::string token(const std::string& path = kService,
                           const std::function<void(Json&)>& edit = nullptr) {
    Json p = claims(kIss, path);
    if (edit) edit(p);
    return ehr_key_->sign(header(), p, "ES256");
  }
  static std::optional<HttpReply> send(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& headers,
                                       const std::string& content_type = "application/json") {
    HttpConnection c("127.0.0.1", server_->port());
    return c.request(method, path, body, content_type, headers);
  }
  static std::optional<HttpReply> call(const std::string& jwt,
                                       const std::string& body = hook_body()) {
    return send("POST", kService, body, "Authorization: Bearer " + jwt + "\r\n");
  }
  static std::string hook_body() {
    return scenario_request("tdm-reactive-fires-infliximab-active").dump();
  }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  static inline TestKey* ehr_key_ = nullptr;
  static inline TestKey* other_key_ = nullptr;
  static inline TestKey* attacker_key_ = nullptr;
  static inline ConnectionCounter* jku_listener_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

// ---- every JWT attack over the wire: 401, WWW-Authenticate, no reason in the body, the
// reason in the log ----

enum class Forge {
  kAlgNone,
  kAlgNoneWithASignature,
  kHmacWithThePublicKey,
  kUnknownKid,
  kKidOfAnotherIssuer,
  kAnotherIssuersKeyUnderItsOwnIss,
  kUnknownIssuer,
  kAttackerKeyUnderTheRightKid,
  kAlgOtherThanTheKeys,
  kTamperedPayload,
  kTamperedSignature,
  kSignatureStripped,
  kWrongAud,
  kAudOfAnotherEndpoint,
  kAudPrefix,
  kAudArrayWithoutTheEndpoint,
  kAbsentAud,
  kExpired,
  kIssuedInTheFuture,
  kLifetimeTooLong,
  kNoJti,
  kJkuNotAllowListed,
  kNotBearer,
  kTokenInTheQueryString,
  kNoToken,
};

struct JwtAttack {
  const char* name;
  Forge forge;
  const char* logged;  // the reason the log must give
};

const JwtAttack kJwtAttacks[] = {
    {"AlgNone", Forge::kAlgNone, "the signature is missing"},
    {"AlgNoneWithASignature", Forge::kAlgNoneWithASignature, "algorithm not accepted"},
    {"HmacWithThePublicKey", Forge::kHmacWithThePublicKey, "algorithm not accepted"},
    {"UnknownKid", Forge::kUnknownKid, "no key with kid"},
    {"KidOfAnotherIssuer", Forge::kKidOfAnotherIssuer, "no key with kid"},
    {"AnotherIssuersKeyUnderItsOwnIss", Forge::kAnotherIssuersKeyUnderItsOwnIss, "no key with kid"},
    {"UnknownIssuer", Forge::kUnknownIssuer, "unknown issuer"},
    {"AttackerKeyUnderTheRightKid", Forge::kAttackerKeyUnderTheRightKid,
     "the signature does not verify"},
    {"AlgOtherThanTheKeys", Forge::kAlgOtherThanTheKeys, "the key does not allow ES384"},
    {"TamperedPayload", Forge::kTamperedPayload, "the signature does not verify"},
    {"TamperedSignature", Forge::kTamperedSignature, "the signature does not verify"},
    {"SignatureStripped", Forge::kSignatureStripped, "the signature is missing"},
    {"WrongAud", Forge::kWrongAud, "aud does not name this endpoint"},
    {"AudOfAnotherEndpoint", Forge::kAudOfAnotherEndpoint, "aud does not name this endpoint"},
    {"AudPrefix", Forge::kAudPrefix, "aud does not name this endpoint"},
    {"AudArrayWithoutTheEndpoint", Forge::kAudArrayWithoutTheEndpoint,
     "aud does not name this endpoint"},
    {"AbsentAud", Forge::kAbsentAud, "aud does not name this endpoint"},
    {"Expired", Forge::kExpired, "the token has expired"},
    {"IssuedInTheFuture", Forge::kIssuedInTheFuture, "the token was issued in the future"},
    {"LifetimeTooLong", Forge::kLifetimeTooLong, "the token lives longer than allowed"},
    {"NoJti", Forge::kNoJti, "no usable jti"},
    // Issue 13: a jku off the allow-list is ignored (never fetched); the configured key decides,
    // so the attacker's key behind it fails the signature.
    {"JkuNotAllowListed", Forge::kJkuNotAllowListed, "the signature does not verify"},
    {"NotBearer", Forge::kNotBearer, "no Bearer token"},
    {"TokenInTheQueryString", Forge::kTokenInTheQueryString, "no Bearer token"},
    {"NoToken", Forge::kNoToken, "no Bearer token"},
};

void PrintTo(const JwtAttack& a, std::ostream* os) { *os << a.name; }

class JwtOverTheWire : public SecurityProduction,
                       public ::testing::WithParamInterface<JwtAttack> {};

TEST_P(JwtOverTheWire, IsRefusedWith401) {
  const JwtAttack& a = GetParam();
  const std::string good = token();
  const auto dot1 = good.find('.'), dot2 = good.rfind('.');
  std::string jwt, authorization, target = kService;
  auto edited = [](std::function<void(Json&)> edit) { return token(kService, edit); };
  switch (a.forge) {
    case Forge::kAlgNone:
      jwt = unsigned_token(header("ehr-1", "none"), claims());
      break;
    case Forge::kAlgNoneWithASignature:
      jwt = unsigned_token(header("ehr-1", "none"), claims());
      jwt = jwt.substr(0, jwt.rfind('.') + 1) + good.substr(dot2 + 1);
      break;
    case Forge::kHmacWithThePublicKey:
      // Algorithm confusion: HS256 keyed with the PEM of the client's own public key.
      jwt = hs256_token(header("ehr-1", "HS256"), claims(), ehr_key_->public_pem());
      break;
    case Forge::kUnknownKid:
      jwt = ehr_key_->sign(header("ehr-9"), claims(), "ES256");
      break;
    case Forge::kKidOfAnotherIssuer:
      // Our iss, the other client's kid, signed with the other client's (valid) key.
      jwt = other_key_->sign(header("other-1"), claims(kIss), "ES256");
      break;
    case Forge::kAnotherIssuersKeyUnderItsOwnIss:
      // The other client's iss, our kid and key: keys are looked up per issuer.
      jwt = ehr_key_->sign(header("ehr-1"), claims(kOtherIss), "ES256");
      break;
    case Forge::kUnknownIssuer:
      jwt = ehr_key_->sign(header(), claims("https://evil.example"), "ES256");
      break;
    case Forge::kAttackerKeyUnderTheRightKid:
      jwt = attacker_key_->sign(header(), claims(), "ES256");
      break;
    case Forge::kAlgOtherThanTheKeys:
      jwt = ehr_key_->sign(header("ehr-1", "ES384"), claims(), "ES384");
      break;
    case Forge::kTamperedPayload: {
      Json p = claims();
      p.set("sub", Json::string("admin"));
      jwt = good.substr(0, dot1 + 1) + b64url(p.dump()) + good.substr(dot2);
      break;
    }
    case Forge::kTamperedSignature:
      jwt = good;
      jwt[dot2 + 5] = jwt[dot2 + 5] == 'A' ? 'B' : 'A';
      break;
    case Forge::kSignatureStripped:
      jwt = good.substr(0, dot2 + 1);
      break;
    case Forge::kWrongAud:
      jwt = edited([](Json& p) { p.set("aud", Json::string("https://evil.example")); });
      break;
    case Forge::kAudOfAnotherEndpoint:
      jwt = token("/cds-services/ibd-order-sign");
      break;
    case Forge::kAudPrefix:
      jwt = edited(
          [](Json& p) { p.set("aud", Json::string(std::string(kExternal) + kService + "-evil")); });
      break;
    case Forge::kAudArrayWithoutTheEndpoint:
      jwt = edited([](Json& p) {
        p.set("aud", Json::array({Json::string(kExternal),
                                  Json::string(std::string(kExternal) + "/cds-services")}));
      });
      break;
    case Forge::kAbsentAud:
      jwt = edited([](Json& p) { p.erase("aud"); });
      break;
    case Forge::kExpired:
      jwt = edited([](Json& p) {
        p.set("iat", Json::number(now_s() - 1000));
        p.set("exp", Json::number(now_s() - 800));
      });
      break;
    case Forge::kIssuedInTheFuture:
      jwt = edited([](Json& p) {
        p.set("iat", Json::number(now_s() + 600));
        p.set("exp", Json::number(now_s() + 840));
      });
      break;
    case Forge::kLifetimeTooLong:
      jwt = edited([](Json& p) { p.set("exp", Json::number(now_s() + 3600)); });
      break;
    case Forge::kNoJti:
      jwt = edited([](Json& p) { p.erase("jti"); });
      break;
    case Forge::kJkuNotAllowListed: {
      // Same host and port as the allowed jku, another path: only the allow-list says no.
      Json h = header();
      h.set("jku", Json::string("https://127.0.0.1:" + jku_listener_->port_text() +
                                "/attacker-jwks.json"));
      jwt = attacker_key_->sign(h, claims(), "ES256");
      break;
    }
    case Forge::kNotBearer:
      authorization = "Authorization: Basic " + b64url("ehr:" + good) + "\r\n";
      break;
    case Forge::kTokenInTheQueryString:
      target += "?access_token=" + good;
      break;
    case Forge::kNoToken:
      break;
  }
  if (!jwt.empty()) authorization = "Authorization: Bearer " + jwt + "\r\n";
  const std::size_t log_before = server_->log().size();
  auto r = send("POST", target, hook_body(), authorization);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_TRUE(r->header("www-authenticate").starts_with("Bearer")) << r->header("www-authenticate");
  // No reason in the body: neither the check that failed nor anything from the token.
  for (const char* word : {"kid", "aud", "alg", "exp", "iat", "jti", "jku", "iss", "signature",
                           "issuer", "expired", "ehr-"})
    EXPECT_EQ(r->body.find(word), std::string::npos) << word << " in " << r->body;
  const std::string log = server_->log().substr(log_before);
  EXPECT_EQ(count(log, " refused: "), 1u) << log;
  EXPECT_NE(log.find(std::string(" refused: ") + a.logged), std::string::npos) << log;
  EXPECT_EQ(server_->log().find(good.substr(dot2 + 1)), std::string::npos)
      << "a signature reached the log";
  EXPECT_EQ(jku_listener_->connections(), 0) << "no attack may make the server fetch keys";
}

// No name generator: ctest (gtest_discover_tests) then names each case by its printed value
// (PrintTo above), "Attacks/JwtOverTheWire.IsRefusedWith401/AlgNone", as docs/security.md does.
INSTANTIATE_TEST_SUITE_P(Attacks, JwtOverTheWire, ::testing::ValuesIn(kJwtAttacks));

TEST_F(SecurityProduction, KeysAreBoundToTheirIssuer) {
  // Each client's own token is good: the refusals of the mixed ones are the key binding's.
  auto own = call(token());
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  Json other = claims(kOtherIss);
  other.erase("tenant");
  auto theirs = call(other_key_->sign(header("other-1"), other, "ES256"));
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->status, 200) << theirs->body;
  // Our iss with their kid and key, and their iss with our kid and key.
  auto mixed = call(other_key_->sign(header("other-1"), claims(kIss), "ES256"));
  auto swapped = call(ehr_key_->sign(header("ehr-1"), claims(kOtherIss), "ES256"));
  ASSERT_TRUE(mixed && swapped);
  EXPECT_EQ(mixed->status, 401);
  EXPECT_EQ(swapped->status, 401);
}

TEST_F(SecurityProduction, AJkuNotOnTheAllowListIsNeverFetched) {
  Json evil = header();
  evil.set("jku", Json::string("https://127.0.0.1:" + jku_listener_->port_text() + "/evil.json"));
  // Issue 13: ignored, not a reason to refuse a token whose kid is configured.
  auto r = call(ehr_key_->sign(evil, claims(), "ES256"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  Json remote = header();
  remote.set("jku", Json::string("https://evil.example/jwks.json"));
  auto r2 = call(ehr_key_->sign(remote, claims(), "ES256"));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200) << r2->body;
  // The attacker's key under an unknown kid behind such a jku: refused, nothing fetched.
  Json unknown = header("attacker-1");
  unknown.set("jku", Json::string("https://127.0.0.1:" + jku_listener_->port_text() + "/evil.json"));
  auto r4 = call(attacker_key_->sign(unknown, claims(), "ES256"));
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->status, 401);
  EXPECT_EQ(jku_listener_->connections(), 0) << "a jku off the allow-list was fetched";
  // The control: the allow-listed jku on the same listener is fetched (it serves no JWKS, so
  // the token is still refused).
  Json allowed = header("ehr-jku-1");
  allowed.set("jku", Json::string(allowed_jku()));
  auto r3 = call(ehr_key_->sign(allowed, claims(), "ES256"));
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 401);
  EXPECT_GE(jku_listener_->connections(), 1) << "the listener should have seen the allowed jku";
}

TEST_F(SecurityProduction, AReplayedJtiIs401) {
  const std::string once = token();
  auto first = call(once);
  auto second = call(once);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(second->status, 401);
  EXPECT_NE(server_->log().find("refused: jti replayed"), std::string::npos);
}

TEST_F(SecurityProduction, AWrongOrMissingTenantIs403) {
  auto wrong = call(token(kService, [](Json& p) { p.set("tenant", Json::string("t2")); }));
  auto none = call(token(kService, [](Json& p) { p.erase("tenant"); }));
  ASSERT_TRUE(wrong && none);
  EXPECT_EQ(wrong->status, 403) << wrong->body;
  EXPECT_EQ(none->status, 403) << none->body;
  EXPECT_EQ(wrong->header("www-authenticate"), "") << "403 is not a challenge";
  EXPECT_EQ(wrong->body.find("t2"), std::string::npos);
  EXPECT_NE(server_->log().find("forbidden: tenant not allowed"), std::string::npos);
}

TEST_F(SecurityProduction, ADisallowedOriginGetsNoCorsHeaders) {
  auto r = send("POST", kService, hook_body(),
                "Authorization: Bearer " + token() + "\r\nOrigin: https://evil.example\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;  // CORS protects browsers; the token still decides
  EXPECT_EQ(r->header("access-control-allow-origin"), "");
  EXPECT_EQ(r->header("access-control-allow-credentials"), "");
  auto allowed =
      send("POST", kService, hook_body(),
           "Authorization: Bearer " + token() + "\r\nOrigin: https://sandbox.cds-hooks.org\r\n");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->header("access-control-allow-origin"), "https://sandbox.cds-hooks.org");
  EXPECT_EQ(allowed->header("access-control-allow-credentials"), "");
}

// Text the client controls that a log line repeats (a kid, a percent-encoded path) cannot
// start a line of its own.
// Found by this catalogue (SEC-83), fixed: the refusal line used to print the decoded path
// and the kid verbatim.
TEST_F(SecurityProduction, ClientTextCannotForgeLogLines) {
  auto r1 = call(ehr_key_->sign(header("k\nFORGED-kid auth ok"), claims(), "ES256"));
  auto r2 = send("POST", "/cds-services/x%0AFORGED-path%0D%0AFORGED-cr", hook_body(), "");
  auto r3 = send("POST", "/cds-services/ibd-patient-view%0AFORGED-service", hook_body(), "");
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->status, 401);
  const std::string log = server_->log();
  for (const char* forged : {"\nFORGED", "\rFORGED"})
    EXPECT_EQ(log.find(forged), std::string::npos) << log;
}

// One session that provokes every error status the server has with a JWT, an access token
// and a patient id in the request; none of them may appear in the log or in any body.
TEST_F(SecurityProduction, NoSecretInTheLogOrAnyErrorBody) {
  const std::string patient = "pat-secret-88123";
  std::string body = hook_body();
  for (auto at = body.find("pat-cd-001"); at != std::string::npos; at = body.find("pat-cd-001", at))
    body.replace(at, 10, patient);
  Json with_token = *fhir::parse_json(body);
  with_token.set("fhirServer", Json::string("https://ehr.example.org/fhir"));
  with_token.set("fhirAuthorization", fhir_authorization());
  Json other_server = with_token;
  other_server.set("fhirServer", Json::string("https://other.example.org/fhir"));
  Json cleartext = with_token;
  cleartext.set("fhirServer", Json::string("http://ehr.example.org/fhir"));
  Json no_patient = with_token;
  no_patient.find("prefetch")->erase("patient");
  Json bad_id = with_token;
  bad_id.find("context")->set("patientId", Json::string(patient + "<script>"));
  const std::string broken = with_token.dump().substr(0, 400);

  std::vector<std::string> jwts;
  auto bearer = [&](std::function<void(Json&)> edit = nullptr, const std::string& path = kService) {
    jwts.push_back(token(path, edit));
    return "Authorization: Bearer " + jwts.back() + "\r\n";
  };
  struct Step {
    int status;
    std::optional<HttpReply> reply;
  };
  std::vector<Step> steps;
  auto expect = [&](int status, std::optional<HttpReply> r) {
    steps.push_back({status, std::move(r)});
  };
  const std::string q = "?patient=" + patient + "&access_token=" + kAccessToken;
  expect(200, send("POST", kService + q, with_token.dump(), bearer()));
  expect(400, send("POST", kService, broken, bearer()));
  expect(400, send("POST", kService, bad_id.dump(), bearer()));
  expect(400, send("POST", kService, cleartext.dump(), bearer()));
  expect(401, send("POST", kService + q, with_token.dump(), ""));
  const std::string replayed = bearer();
  expect(200, send("POST", kService, with_token.dump(), replayed));
  expect(401, send("POST", kService, with_token.dump(), replayed));
  expect(401, send("POST", kService, with_token.dump(),
                   bearer([&](Json& p) { p.set("sub", Json::string(patient)); }).substr(0, 60) +
                       "x\r\n"));
  expect(401, send("POST", kService, with_token.dump(),
                   bearer([&](Json& p) { p.set("aud", Json::string(patient)); })));
  expect(403, send("POST", kService, with_token.dump(),
                   bearer([](Json& p) { p.set("tenant", Json::string("t9")); })));
  expect(403, send("POST", kService, other_server.dump(), bearer()));
  expect(404, send("POST", "/cds-services/no-such-service" + q, with_token.dump(),
                   bearer(nullptr, "/cds-services/no-such-service")));
  expect(405, send("GET", kService + q, "", bearer()));
  expect(412, send("POST", kService, no_patient.dump(), bearer()));
  {
    // Announced, never sent: the answer comes from the header.
    HttpConnection c("127.0.0.1", server_->port());
    c.send_raw("POST " + std::string(kService) + q + " HTTP/1.1\r\nHost: x\r\n" + bearer() +
               "Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n");
    expect(413, c.read_reply());
  }
  expect(415, send("POST", kService + q, with_token.dump(), bearer(), "text/plain"));
  expect(431, send("POST", kService + q, with_token.dump(),
                   bearer() + "X-Patient: " + patient + std::string(20000, 'p') + "\r\n"));

  // The log still says what happened. An access line is written once its answer is sent, so
  // the last ones may need a moment.
  const std::vector<std::string> statuses{" 400 ", " 401 ", " 403 ", " 404 ", " 405 ",
                                          " 412 ", " 413 ", " 415 ", " 431 "};
  auto all_logged = [&](const std::string& text) {
    return std::all_of(statuses.begin(), statuses.end(),
                       [&](const std::string& s) { return text.find(s) != std::string::npos; });
  };
  std::string log = server_->log();
  for (int i = 0; i < 400 && !all_logged(log); ++i) {
    std::this_thread::sleep_for(20ms);
    log = server_->log();
  }
  for (const std::string& line : statuses)
    EXPECT_NE(log.find(line), std::string::npos) << line << " not logged:\n" << log;
  std::vector<std::string> secrets{patient, kAccessToken, "MRN-88231", "Okafor"};
  for (const std::string& jwt : jwts) {
    const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
    secrets.push_back(jwt.substr(d1 + 1, d2 - d1 - 1));  // payload
    secrets.push_back(jwt.substr(d2 + 1));               // signature
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    ASSERT_TRUE(steps[i].reply);
    EXPECT_EQ(steps[i].reply->status, steps[i].status) << steps[i].reply->body;
    if (steps[i].status == 200) continue;  // a card may name what the EHR sent
    for (const std::string& s : secrets)
      EXPECT_EQ(steps[i].reply->body.find(s), std::string::npos) << s << " in a body";
  }
  for (const std::string& s : secrets) EXPECT_EQ(log.find(s), std::string::npos) << s << " logged";
}

// ---------------------------------------------------------------------------------------
// Development profile (no client JWT): SSRF through fhirServer.

std::unique_ptr<ServerProcess> fetching_server(const TempDir& dir, const std::string& fhir_client) {
  const std::string cfg = dir.path() + "/ibd-cds.yaml";
  write_config_sections(
      cfg, {"profile: development\n", "fhir_client:\n  enabled: true\n" + fhir_client +
                                          "  request_timeout_ms: 1000\n  budget_ms: 1500\n"});
  return std::make_unique<ServerProcess>(std::vector<std::string>{}, cfg);
}

std::optional<HttpReply> post_hook(const ServerProcess& server, const Json& request) {
  return http(server.port(), "POST", kService, request.dump());
}

TEST(Ssrf, UserinfoInFhirServerIsRefusedAndNothingIsFetched) {
  ConnectionCounter ehr;
  TempDir dir;
  const std::string allowed = "https://127.0.0.1:" + ehr.port_text();
  auto server =
      fetching_server(dir, "  allowed_servers: [" + allowed + "]\n  allow_loopback: true\n");
  ASSERT_TRUE(server->running()) << server->log();
  for (const std::string& url : {"https://ehr.example.org@127.0.0.1:" + ehr.port_text() + "/fhir",
                                 "https://user:password@127.0.0.1:" + ehr.port_text() + "/fhir",
                                 "http://localhost:80@127.0.0.1:" + ehr.port_text() + "/fhir",
                                 "https://127.0.0.1:" + ehr.port_text() + "@evil.example/fhir"}) {
    auto r = post_hook(*server, fetching_request(url));
    ASSERT_TRUE(r) << url;
    EXPECT_EQ(r->status, 400) << url << ": " << r->body;
    EXPECT_EQ(r->body.find(kAccessToken), std::string::npos);
  }
  EXPECT_EQ(ehr.connections(), 0) << "a userinfo URL was fetched";
  // The control: the allowed origin itself is contacted.
  auto ok = post_hook(*server, fetching_request(allowed + "/fhir"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_GE(ehr.connections(), 1);
  EXPECT_EQ(server->log().find(kAccessToken), std::string::npos);
}

// Found by this catalogue (SEC-75), fixed: Boost.URL 1.81 parses
// "https://127.0.0.1:PORT.evil.example/fhir" as port PORT and path ".evil.example/fhir"; the
// URL guard now refuses a path that does not start with '/'.
TEST(Ssrf, TextAfterTheAuthorityIsNotPartOfTheOrigin) {
  ConnectionCounter ehr;
  TempDir dir;
  auto server = fetching_server(dir, "  allowed_servers: [https://127.0.0.1:" + ehr.port_text() +
                                         "]\n  allow_loopback: true\n");
  ASSERT_TRUE(server->running()) << server->log();
  for (const std::string& url : {"https://127.0.0.1:" + ehr.port_text() + ".evil.example/fhir",
                                 std::string("https://127.0.0.1.evil.example/fhir")}) {
    auto r = post_hook(*server, fetching_request(url));
    ASSERT_TRUE(r) << url;
    EXPECT_TRUE(r->status == 400 || r->status == 403) << url << ": " << r->body;
  }
  EXPECT_EQ(ehr.connections(), 0);
}

// Found by this catalogue (SEC-38), fixed: request validation took the host of
// "http://localhost:x@evil.example/fhir" to be "localhost".
TEST(Ssrf, AnHttpFhirServerWithUserinfoIsNotLoopback) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  for (const char* url : {"http://evil.example/fhir", "http://localhost:x@evil.example/fhir",
                          "http://127.0.0.1@evil.example/fhir"}) {
    Json request = scenario_request("tdm-reactive-fires-infliximab-active");
    request.set("fhirServer", Json::string(url));
    request.set("fhirAuthorization", fhir_authorization());
    auto r = post_hook(server, request);
    ASSERT_TRUE(r) << url;
    EXPECT_EQ(r->status, 400) << url << ": " << r->body.substr(0, 200);
  }
}

TEST(Ssrf, SchemeDowngradeAndOtherPortAreRefusedAndNothingIsFetched) {
  ConnectionCounter ehr, other;
  TempDir dir;
  auto server = fetching_server(dir, "  allowed_servers: [https://127.0.0.1:" + ehr.port_text() +
                                         "]\n  allow_loopback: true\n");
  ASSERT_TRUE(server->running()) << server->log();
  for (const std::string& url : {"http://127.0.0.1:" + ehr.port_text() + "/fhir",
                                 "https://127.0.0.1:" + other.port_text() + "/fhir",
                                 "https://localhost:" + ehr.port_text() + "/fhir",
                                 "https://127.0.0.2:" + ehr.port_text() + "/fhir"}) {
    auto r = post_hook(*server, fetching_request(url));
    ASSERT_TRUE(r) << url;
    EXPECT_EQ(r->status, 403) << url << ": " << r->body;
    EXPECT_NE(r->body.find("not among the FHIR servers"), std::string::npos) << r->body;
  }
  EXPECT_EQ(ehr.connections(), 0);
  EXPECT_EQ(other.connections(), 0);
  auto ok = post_hook(*server, fetching_request("https://127.0.0.1:" + ehr.port_text() + "/fhir"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_GE(ehr.connections(), 1);
}

TEST(Ssrf, StringPrefixTricksAreRefused) {
  TempDir dir;
  auto server = fetching_server(dir, "  allowed_servers: [https://ehr.example.org]\n");
  ASSERT_TRUE(server->running()) << server->log();
  for (const char* url :
       {"https://ehr.example.org.evil.com/fhir", "https://ehr.example.orgevil.com/fhir",
        "https://evil.com/ehr.example.org/fhir", "https://evil.com/https://ehr.example.org/fhir",
        "https://ehr.example.org:8443/fhir", "https://ehr-example.org/fhir",
        "https://xn--ehr-example-org.evil.com/fhir"}) {
    auto r = post_hook(*server, fetching_request(url));
    ASSERT_TRUE(r) << url;
    EXPECT_EQ(r->status, 403) << url << ": " << r->body;
  }
}

TEST(Ssrf, MetadataAddressInAnySpellingIsRefused) {
  TempDir dir;
  // Listed on purpose: the address check must refuse what the allow-list admits.
  auto server = fetching_server(
      dir,
      "  allowed_servers: [https://169.254.169.254, \"https://[::ffff:169.254.169.254]\", "
      "\"https://[::ffff:a9fe:a9fe]\", \"https://[fe80::1]\", https://2852039166, "
      "https://0xa9fea9fe]\n");
  ASSERT_TRUE(server->running()) << server->log();
  for (const char* url :
       {"https://169.254.169.254/latest/fhir", "https://[::ffff:169.254.169.254]/fhir",
        "https://[::ffff:a9fe:a9fe]/fhir", "https://[fe80::1]/fhir", "https://2852039166/fhir",
        "https://0xa9fea9fe/fhir", "https://169.254.169.254.nip.io/fhir",
        "https://[0:0:0:0:0:ffff:a9fe:a9fe]/fhir"}) {
    const auto started = std::chrono::steady_clock::now();
    auto r = post_hook(*server, fetching_request(url));
    ASSERT_TRUE(r) << url;
    // Refused before a connection: as an unusable URL (400: Boost.URL 1.81 reads
    // "169.254.169.254.nip.io" as an IPv4 host followed by text), by the origin check (403),
    // or after resolution, with the reason on the data-incomplete card, never by a timeout.
    const std::string why = reason_of(*r);
    EXPECT_TRUE(r->status == 400 || r->status == 403 ||
                (r->status == 200 && why.find("forbidden address") != std::string::npos))
        << url << ": " << r->status << " " << why;
    EXPECT_EQ(why.find("did not answer"), std::string::npos) << url;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << url;
  }
  EXPECT_EQ(server->log().find(kAccessToken), std::string::npos);
}

TEST(Ssrf, ANameThatResolvesToAForbiddenNetworkIsNotContacted) {
  ConnectionCounter ehr;
  TempDir dir;
  // localhost is allowed by name, but 127.0.0.0/8 and ::1 are forbidden networks.
  auto server = fetching_server(dir, "  allowed_servers: [https://localhost:" + ehr.port_text() +
                                         "]\n  allow_loopback: true\n"
                                         "  forbidden_networks: [127.0.0.0/8, ::1/128]\n");
  ASSERT_TRUE(server->running()) << server->log();
  auto r = post_hook(*server, fetching_request("https://localhost:" + ehr.port_text() + "/fhir"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(reason_of(*r).find("resolves to a forbidden address"), std::string::npos)
      << reason_of(*r);
  EXPECT_EQ(ehr.connections(), 0);
  // The control: without the forbidden networks the same name is contacted.
  TempDir open_dir;
  auto open = fetching_server(open_dir, "  allowed_servers: [https://localhost:" + ehr.port_text() +
                                            "]\n  allow_loopback: true\n");
  ASSERT_TRUE(open->running()) << open->log();
  auto ok = post_hook(*open, fetching_request("https://localhost:" + ehr.port_text() + "/fhir"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_GE(ehr.connections(), 1);
}

// ---------------------------------------------------------------------------------------
// Development profile: the listener's deadlines and hostile JSON on the real binary.

std::unique_ptr<ServerProcess> server_with(const TempDir& dir, const std::string& server_yaml) {
  const std::string cfg = dir.path() + "/ibd-cds.yaml";
  write_config_sections(cfg, {"profile: development\n", "server:\n" + server_yaml});
  return std::make_unique<ServerProcess>(std::vector<std::string>{}, cfg);
}

// Sends `bytes` one per `gap` until the server closes; returns how many it accepted and
// how long after the first byte it closed (or the whole time, when it never did).
struct Trickle {
  std::size_t sent = 0;
  bool closed = false;
  bool answered = false;
  std::chrono::milliseconds after{0};
};
Trickle trickle(std::uint16_t port, const std::string& head, const std::string& bytes,
                std::chrono::milliseconds gap, std::chrono::seconds give_up) {
  Trickle t;
  HttpConnection c("127.0.0.1", port);
  if (!c.ok() || !c.send_raw(head)) return t;
  const auto started = std::chrono::steady_clock::now();
  for (char b : bytes) {
    if (std::chrono::steady_clock::now() - started > give_up) break;
    if (!c.send_raw(std::string(1, b))) {
      t.closed = true;
      break;
    }
    ++t.sent;
    if (c.closed_by_peer(static_cast<int>(gap.count()))) {
      t.closed = true;
      break;
    }
  }
  if (!t.closed) {
    // Anything the server sent (a response would mean it waited for the slow client).
    auto reply = c.read_reply(200);
    t.answered = reply.has_value();
    t.closed = c.closed_by_peer(100);
  }
  t.after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  return t;
}

TEST(Slowloris, AHeaderTrickledByteByByteIsCutAtTheReadDeadline) {
  TempDir dir;
  auto server = server_with(dir, "  read_timeout_ms: 2000\n  idle_timeout_ms: 30000\n");
  ASSERT_TRUE(server->running()) << server->log();
  // ~60 bytes at one per second would take a minute; the deadline covers the whole header.
  const std::string request =
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n";
  std::thread other([&] {
    std::this_thread::sleep_for(500ms);
    auto r = http(server->port(), "GET", "/health");  // others are served meanwhile
    EXPECT_TRUE(r && r->status == 200);
  });
  const Trickle t = trickle(server->port(), "", request, 1000ms, 15s);
  other.join();
  EXPECT_TRUE(t.closed);
  EXPECT_FALSE(t.answered);
  EXPECT_LT(t.sent, request.size());
  EXPECT_GE(t.after, 1500ms);
  EXPECT_LT(t.after, 6000ms) << "the read deadline must cover the whole request";
}

TEST(Slowloris, ABodyTrickledByteByByteIsCutAtTheReadDeadline) {
  TempDir dir;
  auto server = server_with(dir, "  read_timeout_ms: 2000\n  idle_timeout_ms: 30000\n");
  ASSERT_TRUE(server->running()) << server->log();
  const std::string body = scenario_request("tdm-reactive-inactive-no-fire").dump();
  const std::string head = std::string("POST ") + kService +
                           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  const Trickle t = trickle(server->port(), head, body, 500ms, 15s);
  EXPECT_TRUE(t.closed);
  EXPECT_FALSE(t.answered);
  EXPECT_LT(t.sent, body.size());
  EXPECT_LT(t.after, 6000ms);
}

TEST(HostileInput, HostileJsonIs400WithoutEchoOnTheRealBinary) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  std::string deep = R"({"hook":"patient-view","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10","context":)";
  for (int i = 0; i < 70; ++i) deep += "[";
  struct Case {
    const char* name;
    std::string body;
  };
  const std::vector<Case> cases{
      {"duplicate key", R"({"hook":"patient-view","hook":"ECHO-dup","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10"})"},
      {"invalid UTF-8", "{\"hook\":\"ECHO-\xff\xfe\",\"hookInstance\":\"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10\"}"},
      {"lone surrogate", R"({"hook":"ECHO-\ud800","hookInstance":"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10"})"},
      {"NUL byte", std::string("{\"hook\":\"ECHO-") + '\0' + "\",\"hookInstance\":\"3f0c2a55-7d1e-4b8a-9c61-0a2b4c6d8e10\"}"},
      {"trailing garbage", R"({"hook":"patient-view"} ECHO-trailing)"},
      {"comment", R"({"hook":"patient-view" /* ECHO-comment */})"},
      {"NaN", R"({"hook":"patient-view","n":NaN,"x":"ECHO-nan"})"},
      {"single quotes", R"({'hook':'ECHO-quote'})"},
      {"65 levels deep", deep},
      {"not an object", R"(["ECHO-array"])"},
  };
  for (const Case& c : cases) {
    auto r = http(server.port(), "POST", kService, c.body);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, 400) << c.name << ": " << r->body;
    EXPECT_EQ(r->body.find("ECHO"), std::string::npos) << c.name << ": " << r->body;
    EXPECT_EQ(r->header("content-type"), "application/json") << c.name;
  }
  auto health = http(server.port(), "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(server.log().find("ECHO"), std::string::npos) << server.log();
}

TEST(HostileInput, HeaderTooLargeIs431OnTheRealBinary) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.log();
  HttpConnection c("127.0.0.1", server.port());
  ASSERT_TRUE(c.ok());
  // The shipped limit is 16 KiB for the request line and headers together.
  ASSERT_TRUE(c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(17000, 'a') +
                         "\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.closed_by_peer());
  // Many small headers count the same.
  HttpConnection many("127.0.0.1", server.port());
  std::string headers;
  for (int i = 0; i < 1000; ++i) headers += "X-H" + std::to_string(i) + ": 0123456789\r\n";
  ASSERT_TRUE(many.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"));
  auto r2 = many.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 431);
}

}  // namespace
}  // namespace ibd::testing
