#include "auth/token.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

namespace spacetime::auth {
namespace {

constexpr std::array<std::string_view, kReasonCount> kReasonNames = {
    "missing",       "oversize",         "malformed",       "alg_none",         "alg_not_allowed",
    "unknown_kid",   "bad_signature",    "wrong_issuer",    "wrong_audience",   "expired",
    "not_yet_valid", "issued_in_future", "missing_subject", "keys_unavailable", "busy"};

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

using simdjson::dom::element;
using simdjson::dom::object;

// A JSON number of seconds (Keycloak writes integers; other issuers may write 1.7e9).
std::optional<std::int64_t> seconds(element e) {
  std::int64_t i = 0;
  if (!e.get_int64().get(i)) return i;
  double d = 0;
  if (!e.get_double().get(d) && std::isfinite(d) && std::fabs(d) < 1e15)
    return static_cast<std::int64_t>(d);
  return std::nullopt;
}

// Claims of the payload; false when one has the wrong type.
bool read_claims(object payload, Claims& c) {
  std::string_view s;
  element e;
  for (auto [name, field] : {std::pair{"iss", &c.iss}, {"sub", &c.sub}, {"azp", &c.azp}}) {
    if (payload[name].get(e)) continue;
    if (e.get_string().get(s)) return false;
    *field = s;
  }
  if (!payload["aud"].get(e)) {
    simdjson::dom::array arr;
    if (!e.get_string().get(s)) {
      c.aud.emplace_back(s);
    } else if (!e.get_array().get(arr)) {
      for (element a : arr) {
        if (a.get_string().get(s)) return false;
        c.aud.emplace_back(s);
      }
    } else {
      return false;
    }
  }
  for (auto [name, field] : {std::pair{"exp", &c.exp}, {"nbf", &c.nbf}, {"iat", &c.iat}}) {
    if (payload[name].get(e)) continue;
    *field = seconds(e);
    if (!*field) return false;
  }
  object realm;
  if (!payload["realm_access"].get(e)) {
    if (e.get_object().get(realm)) return false;
    simdjson::dom::array roles;
    if (!realm["roles"].get(e)) {
      if (e.get_array().get(roles)) return false;
      for (element r : roles) {
        if (r.get_string().get(s)) return false;
        c.roles.emplace_back(s);
      }
    }
  }
  return true;
}

std::shared_ptr<void> rsa_key(std::string_view n_b64, std::string_view e_b64) {
  const auto n = base64url_decode(n_b64);
  const auto e = base64url_decode(e_b64);
  if (!n || !e || n->empty() || e->empty() || n->size() > 1024) return nullptr;
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                         static_cast<int>(n->size()), nullptr);
  BIGNUM* be = BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                         static_cast<int>(e->size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  if (bn && be && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr && EVP_PKEY_fromdata_init(ctx) > 0) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn);
  BN_free(be);
  if (pkey == nullptr) return nullptr;
  return std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

std::shared_ptr<void> ec_key(std::string_view x_b64, std::string_view y_b64) {
  const auto x = base64url_decode(x_b64);
  const auto y = base64url_decode(y_b64);
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("prime256v1"),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  if (ctx && EVP_PKEY_fromdata_init(ctx) > 0) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  if (pkey == nullptr) return nullptr;
  return std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

// JWS ES256 signatures are r||s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string_view to_string(Reason r) {
  return kReasonNames[static_cast<std::size_t>(r)];
}

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero (a canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

Parsed parse_token(std::string_view text) {
  Parsed p;
  if (text.empty()) return p.error = Reason::kMissing, p;
  if (text.size() > kMaxTokenBytes) return p.error = Reason::kOversize, p;
  const auto dot1 = text.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || text.find('.', dot2 + 1) != std::string_view::npos)
    return p.error = Reason::kMalformed, p;
  const auto header = base64url_decode(text.substr(0, dot1));
  const auto payload = base64url_decode(text.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64url_decode(text.substr(dot2 + 1));
  if (!header || !payload || !signature) return p.error = Reason::kMalformed, p;

  simdjson::dom::parser parser;
  object obj;
  std::string_view s;
  if (parser.parse(*header).get_object().get(obj)) return p.error = Reason::kMalformed, p;
  if (obj["alg"].get_string().get(s)) return p.error = Reason::kMalformed, p;
  p.token.alg = s;
  element kid;
  if (!obj["kid"].get(kid)) {
    if (kid.get_string().get(s)) return p.error = Reason::kMalformed, p;
    p.token.kid = s;
  }
  if (p.token.alg == "none" || p.token.alg == "None" || p.token.alg == "NONE")
    return p.error = Reason::kAlgNone, p;
  if (p.token.alg != "RS256" && p.token.alg != "ES256") return p.error = Reason::kAlgNotAllowed, p;

  if (parser.parse(*payload).get_object().get(obj) || !read_claims(obj, p.token.claims))
    return p.error = Reason::kMalformed, p;
  p.token.signing_input = text.substr(0, dot2);
  p.token.signature = *signature;
  return p;
}

std::optional<KeySet> parse_jwks(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::array keys;
  if (parser.parse(json.data(), json.size(), true).get_object()["keys"].get_array().get(keys))
    return std::nullopt;
  KeySet set;
  for (element k : keys) {
    std::string_view kty, kid, use, alg, a, b, crv;
    object o;
    if (k.get_object().get(o) || o["kty"].get_string().get(kty) || o["kid"].get_string().get(kid)) {
      ++set.skipped;
      continue;
    }
    // Encryption keys and keys pinned to another algorithm are not for signatures we accept.
    if ((!o["use"].get_string().get(use) && use != "sig")) {
      ++set.skipped;
      continue;
    }
    const bool has_alg = !o["alg"].get_string().get(alg);
    PublicKey key;
    if (kty == "RSA" && (!has_alg || alg == "RS256") && !o["n"].get_string().get(a) &&
        !o["e"].get_string().get(b)) {
      key.type = PublicKey::Type::kRsa;
      key.pkey = rsa_key(a, b);
    } else if (kty == "EC" && (!has_alg || alg == "ES256") && !o["crv"].get_string().get(crv) &&
               crv == "P-256" && !o["x"].get_string().get(a) && !o["y"].get_string().get(b)) {
      key.type = PublicKey::Type::kEcP256;
      key.pkey = ec_key(a, b);
    }
    if (!key.pkey) {
      ++set.skipped;
      continue;
    }
    set.keys.insert_or_assign(std::string(kid), std::move(key));
  }
  return set;
}

bool verify_signature(const Token& token, const PublicKey& key) {
  std::string der;
  std::string_view sig = token.signature;
  if (token.alg == "RS256") {
    if (key.type != PublicKey::Type::kRsa) return false;
  } else if (token.alg == "ES256") {
    if (key.type != PublicKey::Type::kEcP256) return false;
    auto converted = ecdsa_der(token.signature);
    if (!converted) return false;
    der = std::move(*converted);
    sig = der;
  } else {
    return false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr,
                           static_cast<EVP_PKEY*>(key.pkey.get())) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(token.signing_input.data()),
                       token.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::optional<Reason> check_claims(const Claims& c, const Policy& policy, std::int64_t now_s) {
  if (c.iss != policy.issuer) return Reason::kWrongIssuer;
  if (!policy.audience.empty() && c.azp != policy.audience &&
      std::find(c.aud.begin(), c.aud.end(), policy.audience) == c.aud.end())
    return Reason::kWrongAudience;
  if (!c.exp || *c.exp + policy.leeway_s <= now_s) return Reason::kExpired;
  if (c.nbf && *c.nbf - policy.leeway_s > now_s) return Reason::kNotYetValid;
  if (c.iat && *c.iat - policy.leeway_s > now_s) return Reason::kIssuedInFuture;
  if (c.sub.empty()) return Reason::kMissingSubject;
  return std::nullopt;
}

}  // namespace spacetime::auth
