// JWTs from CDS clients (CDS Hooks 2.0 §Trusting CDS Clients), checked in three steps so the
// caller can pick the key in between:
//   parse_jwt()         structure only: three base64url parts, a JSON header and payload
//                       (strict parser, small depth, no duplicate keys), alg among ES/RS/PS
//                       256/384/512 — `none` and every HMAC algorithm refused — a `kid`, and
//                       `typ` JWT when present; size capped.
//   verify_signature()  with the one key chosen by iss + kid, and only if that key allows
//                       the token's alg. RS and ES go through cpp-jwt's error_code decode
//                       with exactly that algorithm; PS (which cpp-jwt 1.4 lacks) through
//                       OpenSSL's RSA-PSS. cpp-jwt never sees the claims we check.
//   check_claims()      iss, aud (a string or an array holding the exact endpoint URL),
//                       exp and iat with a skew, a maximum lifetime, jti present; nbf honoured
//                       when present; sub recorded when present (not a CDS Hooks 2.0 claim).
// Messages are for the log: they never contain the token or a claim value except iss/kid.
// Pure; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/json.hpp"
#include "server/auth/jwk.hpp"

namespace ibd::server::auth {

inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

struct ParsedJwt {
  std::string token;  // the compact form
  fhir::Json header;
  fhir::Json payload;
  std::string alg, kid, jku, iss;
  std::string signing_input;  // "header.payload" as sent
  std::string signature;      // decoded bytes
};

struct Claims {
  std::string iss, sub, jti, tenant;
  std::int64_t iat = 0, exp = 0;
  std::optional<std::int64_t> nbf;
};

struct ClaimRules {
  std::string audience;  // the exact URL of the endpoint called
  std::int64_t now = 0;  // seconds since the epoch
  std::chrono::seconds skew{60};
  std::chrono::seconds max_lifetime{300};
};

bool is_accepted_alg(std::string_view alg);
std::expected<ParsedJwt, std::string> parse_jwt(std::string_view token);
std::expected<void, std::string> verify_signature(
    const ParsedJwt& jwt, const Jwk& key, std::chrono::seconds skew = std::chrono::seconds(60));
std::expected<Claims, std::string> check_claims(const ParsedJwt& jwt, const ClaimRules& rules);

}  // namespace ibd::server::auth
