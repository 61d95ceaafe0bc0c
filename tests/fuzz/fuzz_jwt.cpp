// fuzz_jwt: the JWT checks of server/auth/jwt.hpp on arbitrary tokens, and parse_jwks
// (server/auth/jwk.hpp) on arbitrary key sets. An input that starts with '{' is a JWKS
// document; one that starts with '[' is a JSON pair [header, payload] that is encoded into a
// token with a dummy signature (so the claim checks see JSON mutations, not base64 noise);
// anything else is a compact JWS as it would follow "Bearer ".
// The key set below holds public keys made for this fuzzer only (their private halves were
// thrown away after signing the seed tokens in corpus/fuzz_jwt).
// Properties:
//  - parse_jwt: an accepted token is at most kMaxJwtBytes, has exactly three parts, an
//    accepted alg (never none or HMAC), a kid and an iss; signing_input is the first two parts
//    as sent; each part's strict base64url decoding encodes back to the same text;
//  - verify_signature succeeds only with a key that allows the token's alg, and no longer
//    once a byte of the signature is changed;
//  - check_claims accepts only a token with a jti, the endpoint in aud, exp after now
//    (less the skew), iat and nbf not in the future, and a lifetime within the maximum; sub
//    is optional (not a CDS Hooks 2.0 claim), and no accepted sub, jti or tenant holds a
//    control character;
//  - parse_jwks keeps only RSA/EC keys with key material and PEM, none of which allows none
//    or an HMAC algorithm, and an EC key allows only its own curve's ES algorithm.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"
#include "server/auth/jwk.hpp"
#include "server/auth/jwt.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace auth = ibd::server::auth;
using ibd::fhir::Json;

constexpr std::string_view kJwks = R"json({"keys": [{"kty": "EC", "crv": "P-256", "kid": "fuzz-ec", "x": "1sXxx6KTq8tdwNdN7jy15CCem230EO9WMltlHFuvBk0", "y": "yZxWebtbEY236aCkaCJ7K_k502AZZLP46_CJlR6ZlF4"}, {"kty": "RSA", "kid": "fuzz-rsa", "n": "nKbCJf0-UuWjxUCEmx3ZOZ1K1DXp9TdBuizBjWHrNauf1K_fMaNQGylHJcmshcUyGGCGF7hAOMqOrHdTTYAB6JQEVJCbTSr4bXlCoEntlS6a-kTkQgfVrCs7o1icwN9HGJzxY6zBBeNTH8O87ra9V_-JRooZ-droltWmcE6wLB2_N5lWsT5ABFs8F16bkOrldXXUdVQTn_iuyHU6ATI4B5GQgBOag777mxPAXTmn3ZFbJakgpl2wfYFwIHDIC2C989sojE_2OAQLr6tU3c1xG-OswsoeuQ5lZAnmz7yDxPZnYqDnoofNsjcF8IYMH3dUBHI_0d2FrPsbzJjcPYzd0w", "e": "AQAB"}]})json";
constexpr std::string_view kAudience = "https://cds.example.org/cds-services/ibd-patient-view";
constexpr std::int64_t kNow = 1780304400;  // 2026-06-01T09:00:00Z, the seeds' clock

const std::vector<auth::Jwk>& keys() {
  static const std::vector<auth::Jwk> out = [] {
    auto json = ibd::fhir::parse_json(kJwks);
    if (!json) ibd::fuzz::fail("the built-in JWKS is not JSON", __FILE__, __LINE__);
    auto set = auth::parse_jwks(*json);
    if (!set || set->keys.size() != 2)
      ibd::fuzz::fail("the built-in JWKS does not load", __FILE__, __LINE__);
    return set->keys;
  }();
  return out;
}

void check_round_trip(std::string_view part) {
  auto bytes = auth::base64url_decode(part);
  if (bytes) FUZZ_CHECK(auth::base64url_encode(*bytes) == part);
}

void check_jwks(std::string_view text) {
  auto json = ibd::fhir::parse_json(text, ibd::fhir::ParseOptions{8});
  if (!json) return;
  auto set = auth::parse_jwks(*json);
  if (!set) return;
  for (const auth::Jwk& k : set->keys) {
    FUZZ_CHECK(k.kty == "RSA" || k.kty == "EC");
    FUZZ_CHECK(k.key != nullptr);
    FUZZ_CHECK(!k.pem.empty());
    for (std::string_view alg : {"none", "HS256", "HS384", "HS512", ""})
      FUZZ_CHECK(!k.allows(alg));
    if (k.kty == "EC") {
      FUZZ_CHECK(!k.allows("RS256") && !k.allows("PS256"));
      // RFC 7518 3.4: each ES algorithm names its curve.
      FUZZ_CHECK(!k.allows("ES256") || k.crv == "P-256");
      FUZZ_CHECK(!k.allows("ES384") || k.crv == "P-384");
      FUZZ_CHECK(!k.allows("ES512") || k.crv == "P-521");
    }
    if (k.kty == "RSA") FUZZ_CHECK(!k.allows("ES256"));
  }
}

void check_claims(const auth::ParsedJwt& jwt) {
  auth::ClaimRules rules;
  rules.audience = std::string(kAudience);
  rules.now = kNow;
  auto claims = auth::check_claims(jwt, rules);
  if (!claims) {
    FUZZ_CHECK(!claims.error().empty());
    return;
  }
  const std::int64_t skew = rules.skew.count();
  auto printable = [](const std::string& t) {
    for (char c : t)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
  };
  FUZZ_CHECK(printable(claims->sub) && printable(claims->jti) && printable(claims->tenant));
  FUZZ_CHECK(!claims->nbf || *claims->nbf <= kNow + skew);
  FUZZ_CHECK(!claims->jti.empty() && claims->jti.size() <= 256);
  FUZZ_CHECK(claims->iss == jwt.iss);
  FUZZ_CHECK(claims->exp > kNow - skew);
  FUZZ_CHECK(claims->iat <= kNow + skew);
  FUZZ_CHECK(claims->exp >= claims->iat);
  FUZZ_CHECK(claims->exp - claims->iat <= rules.max_lifetime.count());
}

void check_token(std::string_view token) {
  // Each part on its own, whatever the whole token is.
  std::size_t start = 0;
  for (;;) {
    const auto dot = token.find('.', start);
    check_round_trip(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }

  auto jwt = auth::parse_jwt(token);
  if (!jwt) {
    FUZZ_CHECK(!jwt.error().empty());
    return;
  }
  FUZZ_CHECK(token.size() <= auth::kMaxJwtBytes);
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  FUZZ_CHECK(dot2 != std::string_view::npos && token.find('.', dot2 + 1) == std::string_view::npos);
  FUZZ_CHECK(jwt->signing_input == token.substr(0, dot2));
  FUZZ_CHECK(auth::base64url_encode(jwt->signature) == token.substr(dot2 + 1));
  FUZZ_CHECK(auth::is_accepted_alg(jwt->alg));
  FUZZ_CHECK(!jwt->kid.empty() && !jwt->iss.empty());
  FUZZ_CHECK(jwt->header.is_object() && jwt->payload.is_object());

  for (const auth::Jwk& key : keys()) {
    if (!auth::verify_signature(*jwt, key)) continue;
    FUZZ_CHECK(key.allows(jwt->alg));
    auth::ParsedJwt tampered = *jwt;
    tampered.signature.back() = static_cast<char>(tampered.signature.back() ^ 0x01);
    tampered.token = tampered.signing_input + "." + auth::base64url_encode(tampered.signature);
    FUZZ_CHECK(!auth::verify_signature(tampered, key));
  }
  check_claims(*jwt);
}

// [header, payload] -> "b64(header).b64(payload).b64(dummy)", or "" when not such a pair.
std::string token_from_pair(std::string_view text) {
  auto json = ibd::fhir::parse_json(text, ibd::fhir::ParseOptions{8});
  if (!json || !json->is_array() || json->items().size() != 2) return {};
  const Json& header = json->items()[0];
  const Json& payload = json->items()[1];
  return auth::base64url_encode(header.dump()) + "." + auth::base64url_encode(payload.dump()) +
         "." + auth::base64url_encode("not a signature");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = ibd::fuzz::as_text(data, size);
  if (text.starts_with("{")) {
    check_jwks(text);
    return 0;
  }
  if (text.starts_with("[")) {
    const std::string token = token_from_pair(text);
    if (!token.empty()) check_token(token);
    return 0;
  }
  check_token(text);
  return 0;
}
