// JSON Web Keys (RFC 7517) for verifying CDS clients' JWTs: RSA (2048 bits or more) and EC
// (P-256, P-384, P-521) public keys, turned into OpenSSL keys and PEM.
//
// Each key says which JWS algorithms it may verify: its own `alg` when the JWKS names one;
// else an EC key its curve's ES algorithm, and an RSA key the RS and PS families. HMAC and
// `none` are never possible, so a public key can never be used as an HMAC secret.
// Keys marked `use: enc` and private members are ignored. Pure; thread-safe.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace ibd::server::auth {

struct Jwk {
  std::string kid;
  std::string kty;  // "RSA" or "EC"
  std::string alg;  // as the JWKS says, "" when absent
  std::string crv;  // EC only
  std::shared_ptr<EVP_PKEY> key;
  std::string pem;  // SubjectPublicKeyInfo PEM, for cpp-jwt
  bool allows(std::string_view jws_alg) const;
};

struct JwksResult {
  std::vector<Jwk> keys;
  std::vector<std::string> skipped;  // why each unusable key was left out (no key material)
};

// A JWKS document: {"keys": [...]}. Fails only when the document itself is unusable.
std::expected<JwksResult, std::string> parse_jwks(const fhir::Json& jwks);

// Strict base64url (RFC 4648 §5) without padding; nullopt on any other character.
std::expected<std::string, std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

}  // namespace ibd::server::auth
