#include "server/auth/jwk.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>

namespace ibd::server::auth {
namespace {

using fhir::Json;

struct Freer {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Freer>;

std::expected<std::string, std::string> member_bytes(const Json& jwk, const char* name) {
  const std::string* text = jwk.string_at(name);
  if (text == nullptr || text->empty()) return std::unexpected(std::string("no '") + name + "'");
  auto bytes = base64url_decode(*text);
  if (!bytes) return std::unexpected(std::string("'") + name + "' is not base64url");
  return bytes;
}

std::expected<std::shared_ptr<EVP_PKEY>, std::string> from_params(const char* type,
                                                                  OSSL_PARAM_BLD* builder) {
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return std::unexpected("the key material is not a valid public key");
  return std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free);
}

std::expected<std::shared_ptr<EVP_PKEY>, std::string> rsa_key(const Json& jwk) {
  auto n = member_bytes(jwk, "n");
  auto e = member_bytes(jwk, "e");
  if (!n) return std::unexpected(n.error());
  if (!e) return std::unexpected(e.error());
  Owned<BIGNUM> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                               static_cast<int>(n->size()), nullptr));
  Owned<BIGNUM> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                               static_cast<int>(e->size()), nullptr));
  Owned<OSSL_PARAM_BLD> b(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !b ||
      OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return std::unexpected("cannot build the RSA key");
  auto key = from_params("RSA", b.get());
  if (key && EVP_PKEY_get_bits(key->get()) < 2048)
    return std::unexpected("RSA keys shorter than 2048 bits are refused");
  return key;
}

std::expected<std::shared_ptr<EVP_PKEY>, std::string> ec_key(const Json& jwk, std::string& crv) {
  const std::string* c = jwk.string_at("crv");
  crv = c != nullptr ? *c : "";
  const std::size_t size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : crv == "P-521" ? 66 : 0;
  if (size == 0) return std::unexpected("curve '" + crv + "' is not P-256, P-384 or P-521");
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  if (!x) return std::unexpected(x.error());
  if (!y) return std::unexpected(y.error());
  if (x->size() != size || y->size() != size)
    return std::unexpected("the coordinates do not fit the curve");
  std::string point = "\x04" + *x + *y;
  Owned<OSSL_PARAM_BLD> b(OSSL_PARAM_BLD_new());
  if (!b ||
      OSSL_PARAM_BLD_push_utf8_string(b.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(b.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return std::unexpected("cannot build the EC key");
  return from_params("EC", b.get());
}

std::string to_pem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace

bool Jwk::allows(std::string_view jws_alg) const {
  if (!alg.empty()) return jws_alg == alg;
  if (kty == "EC")
    return (crv == "P-256" && jws_alg == "ES256") || (crv == "P-384" && jws_alg == "ES384") ||
           (crv == "P-521" && jws_alg == "ES512");
  if (kty == "RSA")
    return jws_alg == "RS256" || jws_alg == "RS384" || jws_alg == "RS512" || jws_alg == "PS256" ||
           jws_alg == "PS384" || jws_alg == "PS512";
  return false;
}

std::expected<JwksResult, std::string> parse_jwks(const Json& jwks) {
  const Json::Array* keys = jwks.array_at("keys");
  if (keys == nullptr) return std::unexpected("a JWKS needs a 'keys' array");
  JwksResult out;
  std::size_t index = 0;
  for (const Json& k : *keys) {
    const std::string where = "keys[" + std::to_string(index++) + "]";
    const std::string* kty = k.string_at("kty");
    const std::string* use = k.string_at("use");
    if (use != nullptr && *use != "sig") {
      out.skipped.push_back(where + ": not a signing key");
      continue;
    }
    Jwk jwk;
    jwk.kid = k.string_at("kid") ? *k.string_at("kid") : "";
    jwk.alg = k.string_at("alg") ? *k.string_at("alg") : "";
    jwk.kty = kty != nullptr ? *kty : "";
    static constexpr std::array<std::string_view, 9> kAllowed{
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
    if (!jwk.alg.empty() &&
        std::find(kAllowed.begin(), kAllowed.end(), std::string_view(jwk.alg)) == kAllowed.end()) {
      out.skipped.push_back(where + ": algorithm " + jwk.alg + " is not accepted");
      continue;
    }
    std::expected<std::shared_ptr<EVP_PKEY>, std::string> key =
        jwk.kty == "RSA"  ? rsa_key(k)
        : jwk.kty == "EC" ? ec_key(k, jwk.crv)
                          : std::unexpected("key type '" + jwk.kty + "' is not RSA or EC");
    const std::string curve_alg = jwk.crv == "P-256"   ? "ES256"
                                  : jwk.crv == "P-384" ? "ES384"
                                  : jwk.crv == "P-521" ? "ES512"
                                                       : "";
    if (key && ((jwk.kty == "RSA" && jwk.alg.starts_with("ES")) ||
                (jwk.kty == "EC" && !jwk.alg.empty() && jwk.alg != curve_alg)))
      key = std::unexpected("algorithm " + jwk.alg + " does not fit a " + jwk.kty + " key" +
                            (jwk.crv.empty() ? "" : " on " + jwk.crv));
    if (!key) {
      out.skipped.push_back(where + ": " + key.error());
      continue;
    }
    jwk.key = std::move(*key);
    jwk.pem = to_pem(jwk.key.get());
    if (jwk.pem.empty()) {
      out.skipped.push_back(where + ": cannot encode the key");
      continue;
    }
    out.keys.push_back(std::move(jwk));
  }
  return out;
}

std::expected<std::string, std::string> base64url_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::unexpected("truncated base64url");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::unexpected("not base64url");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0)
    return std::unexpected("non-canonical base64url");
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char ch : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

}  // namespace ibd::server::auth
