#include "server/auth/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <jwt/jwt.hpp>
#include <memory>

namespace ibd::server::auth {
namespace {

using fhir::Json;

std::expected<Json, std::string> decode_part(std::string_view part, const char* name) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::unexpected(std::string("the ") + name + " is not base64url");
  auto json = fhir::parse_json(*bytes, fhir::ParseOptions{8});
  if (!json || !json->is_object())
    return std::unexpected(std::string("the ") + name + " is not a JSON object");
  return std::move(*json);
}

const EVP_MD* digest_for(std::string_view alg) {
  if (alg.ends_with("256")) return EVP_sha256();
  if (alg.ends_with("384")) return EVP_sha384();
  return EVP_sha512();
}

std::expected<void, std::string> verify_pss(const ParsedJwt& jwt, const Jwk& key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(jwt.alg), nullptr, key.key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
    return std::unexpected("cannot set up RSA-PSS verification");
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()), jwt.signature.size(),
      reinterpret_cast<const unsigned char*>(jwt.signing_input.data()), jwt.signing_input.size());
  if (ok != 1) return std::unexpected("the signature does not verify");
  return {};
}

std::expected<std::int64_t, std::string> seconds_claim(const Json& payload, const char* name) {
  const Json* v = payload.find(name);
  if (v == nullptr) return std::unexpected(std::string("no '") + name + "' claim");
  auto n = v->as_int();
  // NumericDates far from now are refused here, so later arithmetic cannot overflow.
  if (n && (*n < 0 || *n > 100'000'000'000))
    return std::unexpected(std::string("'") + name + "' is out of range");
  if (!n) {
    // NumericDate may carry a fraction; whole seconds are enough here.
    auto d = v->as_double();
    if (!d || *d < 0 || *d > 1e11)
      return std::unexpected(std::string("'") + name + "' is not a NumericDate");
    n = static_cast<std::int64_t>(*d);
  }
  return *n;
}

bool has_control(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

bool is_accepted_alg(std::string_view alg) {
  static constexpr std::array<std::string_view, 9> kAccepted{
      "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"};
  return std::find(kAccepted.begin(), kAccepted.end(), alg) != kAccepted.end();
}

std::expected<ParsedJwt, std::string> parse_jwt(std::string_view token) {
  if (token.size() > kMaxJwtBytes) return std::unexpected("the token is too long");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return std::unexpected("not a compact JWS (three parts)");
  ParsedJwt jwt;
  jwt.token = std::string(token);
  auto header = decode_part(token.substr(0, dot1), "header");
  if (!header) return std::unexpected(header.error());
  auto payload = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!payload) return std::unexpected(payload.error());
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature || signature->empty()) return std::unexpected("the signature is missing");
  jwt.header = std::move(*header);
  jwt.payload = std::move(*payload);
  jwt.signature = std::move(*signature);
  jwt.signing_input = std::string(token.substr(0, dot2));

  const std::string* alg = jwt.header.string_at("alg");
  if (alg == nullptr) return std::unexpected("the header has no alg");
  if (!is_accepted_alg(*alg)) return std::unexpected("algorithm not accepted");
  jwt.alg = *alg;
  if (const Json* typ = jwt.header.find("typ")) {
    const std::string* t = typ->as_string();
    if (t == nullptr || (*t != "JWT" && *t != "jwt")) return std::unexpected("typ is not JWT");
  }
  if (jwt.header.find("crit") != nullptr) return std::unexpected("crit headers are not supported");
  const std::string* kid = jwt.header.string_at("kid");
  if (kid == nullptr || kid->empty()) return std::unexpected("the header has no kid");
  jwt.kid = *kid;
  if (const Json* jku = jwt.header.find("jku")) {
    if (!jku->is_string()) return std::unexpected("jku is not a string");
    jwt.jku = *jku->as_string();
  }
  const std::string* iss = jwt.payload.string_at("iss");
  if (iss == nullptr || iss->empty()) return std::unexpected("no iss claim");
  jwt.iss = *iss;
  return jwt;
}

std::expected<void, std::string> verify_signature(const ParsedJwt& jwt, const Jwk& key,
                                                  std::chrono::seconds skew) {
  if (!key.allows(jwt.alg)) return std::unexpected("the key does not allow " + jwt.alg);
  if (jwt.alg.starts_with("PS")) return verify_pss(jwt, key);
  // cpp-jwt: exactly this algorithm, this key's PEM, the error_code overload; no claim
  // parameters (we check those ourselves: an array aud would throw in cpp-jwt 1.4).
  std::error_code ec;
  try {
    auto decoded = jwt::decode(jwt.token, jwt::params::algorithms({jwt.alg}), ec,
                               jwt::params::secret(key.pem), jwt::params::verify(true),
                               jwt::params::leeway(static_cast<std::uint32_t>(skew.count())));
    (void)decoded;
  } catch (const std::exception&) {
    return std::unexpected("the token could not be decoded");
  }
  if (ec) {
    // cpp-jwt checks exp and nbf too when present; each is reported as such.
    if (ec == jwt::VerificationErrc::TokenExpired) return std::unexpected("the token has expired");
    if (ec == jwt::VerificationErrc::ImmatureSignature)
      return std::unexpected("the token is not valid yet (nbf)");
    return std::unexpected("the signature does not verify");
  }
  return {};
}

std::expected<Claims, std::string> check_claims(const ParsedJwt& jwt, const ClaimRules& rules) {
  Claims c;
  c.iss = jwt.iss;
  const Json& p = jwt.payload;
  // `sub` is not a CDS Hooks 2.0 claim (the spec's table: iss, aud, exp, iat, jti, tenant);
  // recorded when present, never required.
  if (const Json* sub = p.find("sub")) {
    if (!sub->is_string() || has_control(*sub->as_string()))
      return std::unexpected("sub is not a printable string");
    c.sub = *sub->as_string();
  }
  const Json* aud = p.find("aud");
  bool aud_ok = false;
  if (aud != nullptr && aud->is_string()) {
    aud_ok = *aud->as_string() == rules.audience;
  } else if (aud != nullptr && aud->is_array()) {
    for (const Json& a : aud->items())
      if (a.is_string() && *a.as_string() == rules.audience) aud_ok = true;
  }
  if (!aud_ok) return std::unexpected("aud does not name this endpoint");
  auto exp = seconds_claim(p, "exp");
  if (!exp) return std::unexpected(exp.error());
  auto iat = seconds_claim(p, "iat");
  if (!iat) return std::unexpected(iat.error());
  const std::int64_t skew = rules.skew.count();
  if (*exp <= rules.now - skew) return std::unexpected("the token has expired");
  if (*iat > rules.now + skew) return std::unexpected("the token was issued in the future");
  if (*exp < *iat) return std::unexpected("the token expires before it was issued");
  if (*exp - *iat > rules.max_lifetime.count())
    return std::unexpected("the token lives longer than allowed");
  // nbf (RFC 7519 §4.1.5), when present: not accepted before it, with the same skew.
  if (p.find("nbf") != nullptr) {
    auto nbf = seconds_claim(p, "nbf");
    if (!nbf) return std::unexpected(nbf.error());
    if (*nbf > rules.now + skew) return std::unexpected("the token is not valid yet (nbf)");
    c.nbf = *nbf;
  }
  c.exp = *exp;
  c.iat = *iat;
  const std::string* jti = p.string_at("jti");
  if (jti == nullptr || jti->empty() || jti->size() > 256 || has_control(*jti))
    return std::unexpected("no usable jti");
  c.jti = *jti;
  if (const Json* tenant = p.find("tenant")) {
    // The tenant reaches the audit trail: no control characters.
    if (!tenant->is_string() || has_control(*tenant->as_string()))
      return std::unexpected("tenant is not a printable string");
    c.tenant = *tenant->as_string();
  }
  return c;
}

}  // namespace ibd::server::auth
