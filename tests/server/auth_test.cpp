// JWT authentication of CDS clients: every accepted algorithm, every attack the issue names.
// Tokens are signed by tests/support/jwt_signer (OpenSSL directly), not by the code under test.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>

#include "server/auth/authenticator.hpp"
#include "server/auth/jwt.hpp"
#include "tests/support/jwt_signer.hpp"

namespace ibd::server::auth {
namespace {

using fhir::Json;
using testing::TestKey;

constexpr const char* kIss = "https://ehr.example.org";
constexpr const char* kAud = "https://cds.example.org/cds-services/ibd-patient-view";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json header(const std::string& alg, const std::string& kid = "k1") {
  return Json::object()
      .set("alg", Json::string(alg))
      .set("typ", Json::string("JWT"))
      .set("kid", Json::string(kid));
}

Json payload(std::int64_t iat = now_s(), std::int64_t lifetime = 240) {
  static int counter = 0;
  return Json::object()
      .set("iss", Json::string(kIss))
      .set("sub", Json::string("client-1"))
      .set("aud", Json::string(kAud))
      .set("iat", Json::number(iat))
      .set("exp", Json::number(iat + lifetime))
      .set("jti", Json::string("jti-" + std::to_string(++counter)));
}

// A key pair per algorithm family, made once.
const TestKey& rsa() {
  static TestKey k = TestKey::generate("RSA");
  return k;
}
const TestKey& ec(const std::string& crv) {
  static TestKey p256 = TestKey::generate("EC", "P-256");
  static TestKey p384 = TestKey::generate("EC", "P-384");
  static TestKey p521 = TestKey::generate("EC", "P-521");
  return crv == "P-256" ? p256 : crv == "P-384" ? p384 : p521;
}

std::expected<Claims, std::string> verify(const std::string& token, const Json& jwks,
                                          const std::string& audience = kAud) {
  auto jwt = parse_jwt(token);
  if (!jwt) return std::unexpected(jwt.error());
  auto keys = parse_jwks(jwks);
  if (!keys) return std::unexpected(keys.error());
  for (const Jwk& k : keys->keys) {
    if (k.kid != jwt->kid) continue;
    if (auto ok = verify_signature(*jwt, k); !ok) return std::unexpected(ok.error());
    return check_claims(
        *jwt, ClaimRules{audience, now_s(), std::chrono::seconds(60), std::chrono::seconds(300)});
  }
  return std::unexpected("no key");
}

TEST(Jwt, EveryAcceptedAlgorithmVerifies) {
  struct Case {
    std::string alg;
    const TestKey* key;
  };
  for (const Case& c : std::vector<Case>{{"RS256", &rsa()},
                                         {"RS384", &rsa()},
                                         {"RS512", &rsa()},
                                         {"PS256", &rsa()},
                                         {"PS384", &rsa()},
                                         {"PS512", &rsa()},
                                         {"ES256", &ec("P-256")},
                                         {"ES384", &ec("P-384")},
                                         {"ES512", &ec("P-521")}}) {
    const Json jwks = testing::jwks_of({c.key->jwk("k1", c.alg)});
    auto claims = verify(c.key->sign(header(c.alg), payload(), c.alg), jwks);
    ASSERT_TRUE(claims) << c.alg << ": " << claims.error();
    EXPECT_EQ(claims->iss, kIss);
  }
}

TEST(Jwt, NoneAndHmacAreRefused) {
  const Json jwks = testing::jwks_of({rsa().jwk("k1", "RS256")});
  EXPECT_FALSE(verify(testing::unsigned_token(header("none"), payload()), jwks));
  // The algorithm-confusion attack: HS256 keyed with the server's copy of the public key.
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    auto r = verify(testing::hs256_token(header(alg), payload(), rsa().public_pem()), jwks);
    ASSERT_FALSE(r) << alg;
    EXPECT_EQ(r.error(), "algorithm not accepted");
  }
}

TEST(Jwt, OnlyTheKeysOwnAlgorithm) {
  // A key published for RS256 does not verify a PS256 or RS512 token, even if signed with it.
  const Json jwks = testing::jwks_of({rsa().jwk("k1", "RS256")});
  EXPECT_FALSE(verify(rsa().sign(header("PS256"), payload(), "PS256"), jwks));
  EXPECT_FALSE(verify(rsa().sign(header("RS512"), payload(), "RS512"), jwks));
  // An EC key never verifies for an RSA algorithm and a P-256 key only ES256.
  const Json ec_jwks = testing::jwks_of({ec("P-256").jwk("k1")});
  EXPECT_TRUE(verify(ec("P-256").sign(header("ES256"), payload(), "ES256"), ec_jwks));
  EXPECT_FALSE(verify(ec("P-256").sign(header("ES384"), payload(), "ES384"), ec_jwks));
  EXPECT_FALSE(verify(rsa().sign(header("RS256"), payload(), "RS256"), ec_jwks));
}

TEST(Jwt, SignatureAndStructureAreChecked) {
  const Json jwks = testing::jwks_of({rsa().jwk("k1", "RS256")});
  std::string token = rsa().sign(header("RS256"), payload(), "RS256");
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify(tampered, jwks));
  // A payload swapped under the same signature.
  Json other = payload();
  other.set("sub", Json::string("admin"));
  const auto dot = token.find('.');
  const auto dot2 = token.find('.', dot + 1);
  EXPECT_FALSE(
      verify(token.substr(0, dot + 1) + testing::b64url(other.dump()) + token.substr(dot2), jwks));
  // Another key with the same kid.
  const TestKey other_key = TestKey::generate("RSA");
  EXPECT_FALSE(verify(other_key.sign(header("RS256"), payload(), "RS256"), jwks));
  EXPECT_FALSE(parse_jwt("a.b"));
  EXPECT_FALSE(parse_jwt("a.b.c.d"));
  EXPECT_FALSE(parse_jwt(std::string(20000, 'a')));
  EXPECT_FALSE(parse_jwt("e30.e30.c2ln"));  // {} header: no alg
  Json no_kid = header("RS256");
  no_kid.erase("kid");
  EXPECT_FALSE(parse_jwt(rsa().sign(no_kid, payload(), "RS256")));
  Json bad_typ = header("RS256");
  bad_typ.set("typ", Json::string("at+jwt"));
  EXPECT_FALSE(parse_jwt(rsa().sign(bad_typ, payload(), "RS256")));
  Json crit = header("RS256");
  crit.set("crit", Json::array({Json::string("exp")}));
  EXPECT_FALSE(parse_jwt(rsa().sign(crit, payload(), "RS256")));
}

TEST(Jwt, ClaimsAreCheckedHere) {
  const Json jwks = testing::jwks_of({ec("P-256").jwk("k1", "ES256")});
  auto sign = [](const Json& p) { return ec("P-256").sign(header("ES256"), p, "ES256"); };
  // aud as an array holding the endpoint (cpp-jwt 1.4 would throw on this).
  Json array_aud = payload();
  array_aud.set("aud", Json::array({Json::string("https://other"), Json::string(kAud)}));
  EXPECT_TRUE(verify(sign(array_aud), jwks));
  Json wrong_aud = payload();
  wrong_aud.set("aud", Json::string("https://cds.example.org/cds-services"));
  EXPECT_FALSE(verify(sign(wrong_aud), jwks));
  Json prefix_aud = payload();
  prefix_aud.set("aud", Json::string(std::string(kAud) + "-evil"));
  EXPECT_FALSE(verify(sign(prefix_aud), jwks));
  Json no_aud = payload();
  no_aud.erase("aud");
  EXPECT_FALSE(verify(sign(no_aud), jwks));
  EXPECT_FALSE(verify(sign(payload(now_s() - 1000, 240)), jwks));  // expired
  EXPECT_FALSE(verify(sign(payload(now_s() + 600, 240)), jwks));   // issued in the future
  EXPECT_TRUE(verify(sign(payload(now_s() + 30, 240)), jwks));     // within the skew
  EXPECT_FALSE(verify(sign(payload(now_s(), 3600)), jwks));        // lives too long
  for (const char* claim : {"iss", "exp", "iat", "jti"}) {
    Json p = payload();
    p.erase(claim);
    EXPECT_FALSE(verify(sign(p), jwks)) << claim;
  }
  Json string_exp = payload();
  string_exp.set("exp", Json::string("tomorrow"));
  EXPECT_FALSE(verify(sign(string_exp), jwks));
}

// Issue 13 item 1: `sub` is not a CDS Hooks 2.0 claim; nbf is honoured when present.
TEST(Jwt, SubIsOptionalAndRecordedAndNbfIsHonoured) {
  const Json jwks = testing::jwks_of({ec("P-384").jwk("k1", "ES384")});
  auto sign = [](const Json& p) { return ec("P-384").sign(header("ES384"), p, "ES384"); };
  Json no_sub = payload();
  no_sub.erase("sub");
  auto without = verify(sign(no_sub), jwks);
  ASSERT_TRUE(without) << without.error();
  EXPECT_EQ(without->sub, "");
  auto with = verify(sign(payload()), jwks);
  ASSERT_TRUE(with) << with.error();
  EXPECT_EQ(with->sub, "client-1");
  Json number_sub = payload();
  number_sub.set("sub", Json::number(std::int64_t{7}));
  EXPECT_FALSE(verify(sign(number_sub), jwks));
  // nbf: in the past or within the skew is fine; beyond the skew is refused.
  Json past = payload();
  past.set("nbf", Json::number(now_s() - 10));
  EXPECT_TRUE(verify(sign(past), jwks));
  Json near = payload();
  near.set("nbf", Json::number(now_s() + 30));
  EXPECT_TRUE(verify(sign(near), jwks));
  Json future = payload();
  future.set("nbf", Json::number(now_s() + 200));
  auto refused = verify(sign(future), jwks);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("nbf"), std::string::npos) << refused.error();
  Json text_nbf = payload();
  text_nbf.set("nbf", Json::string("soon"));
  EXPECT_FALSE(verify(sign(text_nbf), jwks));
  // Claims that reach the audit trail or the log carry no control characters (SEC-96).
  for (const char* claim : {"tenant", "sub", "jti"}) {
    Json p = payload();
    p.set(claim, Json::string("t1\nFORGED"));
    EXPECT_FALSE(verify(sign(p), jwks)) << claim;
  }
}

TEST(Jwk, UnusableKeysAreSkippedWithAReason) {
  Json weak = rsa().jwk("k1", "RS256");
  weak.set("n", Json::string(testing::b64url(std::string(64, '\x7f'))));  // 512 bits
  Json hmac = Json::object()
                  .set("kty", Json::string("oct"))
                  .set("kid", Json::string("k2"))
                  .set("k", Json::string("c2VjcmV0"));
  Json enc = ec("P-256").jwk("k3");
  enc.set("use", Json::string("enc"));
  Json mismatched = ec("P-256").jwk("k4", "RS256");
  auto r = parse_jwks(testing::jwks_of({weak, hmac, enc, mismatched, ec("P-384").jwk("k5")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->keys[0].kid, "k5");
  EXPECT_EQ(r->skipped.size(), 4u);
  EXPECT_FALSE(parse_jwks(Json::object()));
}

// ---- the Authenticator, with an inline JWKS (no network) ----

config::AuthSection auth_config() {
  config::AuthSection a;
  a.external_url = "https://cds.example.org";
  config::TrustedClient c;
  c.iss = kIss;
  c.jwks = testing::jwks_of({ec("P-256").jwk("k1", "ES256")});
  c.tenants = {"t1"};
  c.jku_allowed = {"https://ehr.example.org/jwks-2"};
  a.clients.push_back(c);
  return a;
}

std::expected<Caller, Response> authenticate(
    Authenticator& a, const std::string& token,
    const std::string& path = "/cds-services/ibd-patient-view") {
  Request r;
  r.method = "POST";
  r.path = path;
  if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
  boost::asio::io_context ioc;
  auto future = boost::asio::co_spawn(ioc, a.authenticate(r), boost::asio::use_future);
  ioc.run();
  return future.get();
}

Json tenant_payload(const std::string& tenant = "t1") {
  Json p = payload();
  p.set("tenant", Json::string(tenant));
  return p;
}

std::shared_ptr<Authenticator> make_authenticator() {
  auto fetcher = fhir::client::FhirClient::create({});
  auto a = Authenticator::create(auth_config(), *fetcher);
  EXPECT_TRUE(a) << a.error();
  return *a;
}

TEST(Authenticator, AcceptsAGoodTokenOnceAndNamesTheCaller) {
  auto a = make_authenticator();
  const std::string token = ec("P-256").sign(header("ES256"), tenant_payload(), "ES256");
  auto caller = authenticate(*a, token);
  ASSERT_TRUE(caller);
  EXPECT_TRUE(caller->authenticated);
  EXPECT_EQ(caller->iss, kIss);
  EXPECT_EQ(caller->tenant, "t1");
  // The same token again is a replay.
  auto again = authenticate(*a, token);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().status, 401);
}

TEST(Authenticator, RefusalsAre401WithoutAReason) {
  auto a = make_authenticator();
  auto expect_401 = [&](const std::string& token, const char* what) {
    auto r = authenticate(*a, token);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().status, 401) << what;
    bool has_challenge = false;
    for (const Header& h : r.error().headers)
      has_challenge |= h.name == "WWW-Authenticate" && h.value.starts_with("Bearer");
    EXPECT_TRUE(has_challenge) << what;
    EXPECT_EQ(r.error().body.find("jti"), std::string::npos) << what;
    EXPECT_EQ(r.error().body.find("kid"), std::string::npos) << what;
  };
  expect_401("", "no token");
  expect_401("not-a-jwt", "garbage");
  Json other_iss = tenant_payload();
  other_iss.set("iss", Json::string("https://evil.example"));
  expect_401(ec("P-256").sign(header("ES256"), other_iss, "ES256"), "unknown issuer");
  expect_401(ec("P-256").sign(header("ES256", "k9"), tenant_payload(), "ES256"), "unknown kid");
  // A jku off the allow-list is ignored (issue 13): the configured key k1 decides, so another
  // key behind it fails, and an unknown kid is not looked up there.
  static const TestKey attacker = TestKey::generate("EC", "P-256");
  Json jku = header("ES256");
  jku.set("jku", Json::string("https://evil.example/jwks"));
  expect_401(attacker.sign(jku, tenant_payload(), "ES256"), "jku not allowed, other key");
  Json jku_kid = header("ES256", "k9");
  jku_kid.set("jku", Json::string("https://evil.example/jwks"));
  expect_401(attacker.sign(jku_kid, tenant_payload(), "ES256"), "jku not allowed, unknown kid");
  // The token for one endpoint is not good for another.
  auto r = authenticate(*a, ec("P-256").sign(header("ES256"), tenant_payload(), "ES256"),
                        "/cds-services");
  EXPECT_FALSE(r);
}

// Issue 13 item 2: a jku that is not on the allow-list is not a reason to refuse a token whose
// kid is configured; the caller's sub is recorded when sent.
TEST(Authenticator, AJkuOffTheAllowListIsIgnoredForAConfiguredKid) {
  auto a = make_authenticator();
  Json jku = header("ES256");
  jku.set("jku", Json::string("https://evil.example/jwks"));
  auto caller = authenticate(*a, ec("P-256").sign(jku, tenant_payload(), "ES256"));
  ASSERT_TRUE(caller) << caller.error().body;
  EXPECT_EQ(caller->sub, "client-1");
  Json no_sub = tenant_payload();
  no_sub.erase("sub");
  auto anonymous = authenticate(*a, ec("P-256").sign(header("ES256"), no_sub, "ES256"));
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->sub, "");
}

TEST(Authenticator, AWrongTenantIs403) {
  auto a = make_authenticator();
  auto r = authenticate(*a, ec("P-256").sign(header("ES256"), tenant_payload("t2"), "ES256"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 403);
  auto none = authenticate(*a, ec("P-256").sign(header("ES256"), payload(), "ES256"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().status, 403);
}

TEST(Authenticator, AClientWithoutUsableKeysStopsStartUp) {
  config::AuthSection a = auth_config();
  a.clients[0].jwks = Json::object().set("keys", Json::array());
  auto fetcher = fhir::client::FhirClient::create({});
  EXPECT_FALSE(Authenticator::create(a, *fetcher));
}

}  // namespace
}  // namespace ibd::server::auth
