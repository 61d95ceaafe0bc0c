// Test-only JWT signing with keys generated on the spot (OpenSSL), independent of cpp-jwt so
// the server's verification is checked against a second implementation: RS/PS/ES 256-512,
// and deliberately wrong tokens (alg none, HS256 keyed with the public key, bad signatures).
#pragma once

#include <memory>
#include <string>

#include "fhir/json.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace ibd::testing {

class TestKey {
 public:
  // kty "RSA" (2048 bits) or "EC" with crv "P-256", "P-384" or "P-521".
  static TestKey generate(const std::string& kty, const std::string& crv = "P-256");
  // The public JWK, with kid and (when not empty) alg.
  fhir::Json jwk(const std::string& kid, const std::string& alg = "") const;
  std::string public_pem() const;
  // A compact JWS over header and payload, signed with `alg` (RS*, PS*, ES*).
  std::string sign(const fhir::Json& header, const fhir::Json& payload,
                   const std::string& alg) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string kty_, crv_;
};

fhir::Json jwks_of(std::initializer_list<fhir::Json> keys);
// alg none / HS256 with `secret`: tokens the server must refuse.
std::string unsigned_token(const fhir::Json& header, const fhir::Json& payload);
std::string hs256_token(const fhir::Json& header, const fhir::Json& payload,
                        const std::string& secret);
std::string b64url(const std::string& bytes);

}  // namespace ibd::testing
