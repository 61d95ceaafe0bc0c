// The harness's CDS client identity: an EC key pair generated at start (OpenSSL EVP), its
// public JWK Set, and JSON Web Tokens signed with it (ES256 or ES384, RFC 7515/7518) — plus
// the tokens a service must refuse: alg "none", HS256 keyed with a guessable secret, a bad
// signature.
// Thread safety: a SigningKey is immutable after generate(); sign() may run on any thread.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "fhir/json.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace ibd::conformance {

class SigningKey {
 public:
  // alg: "ES256" (P-256) or "ES384" (P-384).
  static std::expected<SigningKey, std::string> generate(const std::string& alg,
                                                         const std::string& kid);
  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }
  fhir::Json public_jwk() const;  // kty, crv, x, y, kid, alg, use
  // A compact JWS: base64url(header).base64url(payload).base64url(signature).
  std::string sign(const fhir::Json& header, const fhir::Json& payload) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string alg_, kid_;
};

fhir::Json jwks_of(const SigningKey& key);
std::string base64url(const std::string& bytes);
// Tokens no service may accept.
std::string unsigned_token(const fhir::Json& header, const fhir::Json& payload);
std::string hs256_token(const fhir::Json& header, const fhir::Json& payload,
                        const std::string& secret);

}  // namespace ibd::conformance
