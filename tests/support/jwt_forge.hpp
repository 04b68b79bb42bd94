// Tokens made by the tests themselves with OpenSSL: keys of their own, JWKs of them, and
// JWTs signed RS256, ES256 (raw r||s), HS256 (any secret) or not at all (alg none), to
// check what the gateway refuses and accepts. Header-only; link OpenSSL::Crypto.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/token.hpp"

namespace spacetime::testing {

using Pkey = std::shared_ptr<EVP_PKEY>;

inline Pkey rsa_key() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}), EVP_PKEY_free);
}
inline Pkey ec_key() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
}

inline std::string b64_param(EVP_PKEY* k, const char* name, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("no key parameter");
  std::string out(std::max<std::size_t>(pad, static_cast<std::size_t>(BN_num_bytes(bn))), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return auth::base64url_encode(out);
}

// The public JWK of a key, as an issuer's JWKS lists it.
inline std::string jwk_of(const Pkey& k, std::string_view kid) {
  if (EVP_PKEY_is_a(k.get(), "RSA")) {
    return std::string(R"({"kty":"RSA","use":"sig","kid":")") + std::string(kid) + R"(","n":")" +
           b64_param(k.get(), OSSL_PKEY_PARAM_RSA_N) + R"(","e":")" +
           b64_param(k.get(), OSSL_PKEY_PARAM_RSA_E) + R"("})";
  }
  return std::string(R"({"kty":"EC","crv":"P-256","kid":")") + std::string(kid) + R"(","x":")" +
         b64_param(k.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32) + R"(","y":")" +
         b64_param(k.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32) + R"("})";
}

inline std::string sign_digest(const Pkey& k, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k.get()) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (sig.empty()) throw std::runtime_error("cannot sign");
  if (!EVP_PKEY_is_a(k.get(), "EC")) return sig;
  // DER ECDSA-Sig-Value to JWS r||s.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(es);
  return raw;
}

// A JWT with the given header and payload JSON, signed per the header's alg:
// RS256/ES256 with `key`, HS256 with `secret`, none: empty signature.
inline std::string forge(std::string_view header, std::string_view payload, const Pkey& key,
                         std::string_view alg, std::string_view secret = {}) {
  const std::string input = auth::base64url_encode(header) + "." + auth::base64url_encode(payload);
  std::string sig;
  if (alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    sig.assign(reinterpret_cast<const char*>(mac), len);
  } else if (alg != "none") {
    sig = sign_digest(key, input);
  }
  return input + "." + auth::base64url_encode(sig);
}

}  // namespace spacetime::testing
