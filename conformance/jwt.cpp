#include "conformance/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <vector>

namespace ibd::conformance {
namespace {

using fhir::Json;

struct Curve {
  const char* group;
  const char* crv;
  std::size_t coordinate_bytes;
  const EVP_MD* (*digest)();
};

std::optional<Curve> curve_for(const std::string& alg) {
  if (alg == "ES256") return Curve{"P-256", "P-256", 32, EVP_sha256};
  if (alg == "ES384") return Curve{"P-384", "P-384", 48, EVP_sha384};
  return std::nullopt;
}

std::string bn_bytes(const BIGNUM* bn, std::size_t width) {
  std::string out(width, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(width));
  return out;
}

std::string public_coordinate(EVP_PKEY* key, const char* name, std::size_t width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string out = bn_bytes(bn, width);
  BN_free(bn);
  return out;
}

std::string signing_input(const Json& header, const Json& payload) {
  return base64url(header.dump()) + "." + base64url(payload.dump());
}

}  // namespace

std::string base64url(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::expected<SigningKey, std::string> SigningKey::generate(const std::string& alg,
                                                            const std::string& kid) {
  const auto curve = curve_for(alg);
  if (!curve) return std::unexpected("unsupported signing algorithm " + alg + " (ES256, ES384)");
  EVP_PKEY* raw = EVP_EC_gen(curve->group);
  if (raw == nullptr) return std::unexpected("EC key generation failed");
  SigningKey k;
  k.key_.reset(raw, EVP_PKEY_free);
  k.alg_ = alg;
  k.kid_ = kid;
  return k;
}

Json SigningKey::public_jwk() const {
  const auto curve = *curve_for(alg_);
  return Json::object()
      .set("kty", Json::string("EC"))
      .set("crv", Json::string(curve.crv))
      .set("x", Json::string(base64url(public_coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X,
                                                         curve.coordinate_bytes))))
      .set("y", Json::string(base64url(public_coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y,
                                                         curve.coordinate_bytes))))
      .set("kid", Json::string(kid_))
      .set("alg", Json::string(alg_))
      .set("use", Json::string("sig"));
}

std::string SigningKey::sign(const Json& header, const Json& payload) const {
  const auto curve = *curve_for(alg_);
  const std::string input = signing_input(header, payload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::vector<unsigned char> der;
  std::size_t len = 0;
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, curve.digest(), nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1;
  if (ok) {
    der.resize(len);
    ok = EVP_DigestSign(ctx, der.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1;
    der.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return input + ".";
  // JWS wants R || S, each left-padded to the coordinate size, not DER.
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return input + ".";
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  const std::string raw = bn_bytes(r, curve.coordinate_bytes) + bn_bytes(s, curve.coordinate_bytes);
  ECDSA_SIG_free(sig);
  return input + "." + base64url(raw);
}

Json jwks_of(const SigningKey& key) {
  return Json::object().set("keys", Json::array({key.public_jwk()}));
}

std::string unsigned_token(const Json& header, const Json& payload) {
  return signing_input(header, payload) + ".";
}

std::string hs256_token(const Json& header, const Json& payload, const std::string& secret) {
  const std::string input = signing_input(header, payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url(std::string(reinterpret_cast<const char*>(mac), len));
}

}  // namespace ibd::conformance
