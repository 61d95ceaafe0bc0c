#include "tests/support/jwt_signer.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

namespace ibd::testing {
namespace {

using fhir::Json;

std::string bn_bytes(const BIGNUM* bn, int size = 0) {
  const int n = size > 0 ? size : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

const EVP_MD* md_for(const std::string& alg) {
  if (alg.ends_with("256")) return EVP_sha256();
  if (alg.ends_with("384")) return EVP_sha384();
  return EVP_sha512();
}

int coordinate_size(const std::string& crv) {
  return crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
}

}  // namespace

std::string b64url(const std::string& bytes) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char ch : bytes) {
    buf = (buf << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(k[(buf << (6 - bits)) & 63]);
  return out;
}

TestKey TestKey::generate(const std::string& kty, const std::string& crv) {
  TestKey k;
  k.kty_ = kty;
  k.crv_ = crv;
  EVP_PKEY* raw = kty == "RSA" ? EVP_RSA_gen(2048)
                               : EVP_EC_gen(crv == "P-256"   ? "P-256"
                                            : crv == "P-384" ? "P-384"
                                                             : "P-521");
  if (raw == nullptr) throw std::runtime_error("key generation failed");
  k.key_.reset(raw, EVP_PKEY_free);
  return k;
}

Json TestKey::jwk(const std::string& kid, const std::string& alg) const {
  Json j = Json::object().set("kty", Json::string(kty_)).set("kid", Json::string(kid));
  if (!alg.empty()) j.set("alg", Json::string(alg));
  j.set("use", Json::string("sig"));
  if (kty_ == "RSA") {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E, &e);
    j.set("n", Json::string(b64url(bn_bytes(n)))).set("e", Json::string(b64url(bn_bytes(e))));
    BN_free(n);
    BN_free(e);
  } else {
    BIGNUM *x = nullptr, *y = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    const int size = coordinate_size(crv_);
    j.set("crv", Json::string(crv_))
        .set("x", Json::string(b64url(bn_bytes(x, size))))
        .set("y", Json::string(b64url(bn_bytes(y, size))));
    BN_free(x);
    BN_free(y);
  }
  return j;
}

std::string TestKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string TestKey::sign(const Json& header, const Json& payload, const std::string& alg) const {
  const std::string input = b64url(header.dump()) + "." + b64url(payload.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, md_for(alg), nullptr, key_.get());
  if (alg.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  std::size_t size = 0;
  EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::vector<unsigned char> sig(size);
  EVP_DigestSign(ctx, sig.data(), &size, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  EVP_MD_CTX_free(ctx);
  std::string signature(reinterpret_cast<const char*>(sig.data()), size);
  if (alg.starts_with("ES")) {
    // DER ECDSA-Sig-Value -> the JOSE form R || S.
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(size));
    const int n = coordinate_size(crv_);
    signature = bn_bytes(ECDSA_SIG_get0_r(es), n) + bn_bytes(ECDSA_SIG_get0_s(es), n);
    ECDSA_SIG_free(es);
  }
  return input + "." + b64url(signature);
}

Json jwks_of(std::initializer_list<Json> keys) {
  return Json::object().set("keys", Json::array(std::vector<Json>(keys)));
}

std::string unsigned_token(const Json& header, const Json& payload) {
  return b64url(header.dump()) + "." + b64url(payload.dump()) + ".";
}

std::string hs256_token(const Json& header, const Json& payload, const std::string& secret) {
  const std::string input = b64url(header.dump()) + "." + b64url(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + b64url(std::string(reinterpret_cast<const char*>(mac), len));
}

}  // namespace ibd::testing
