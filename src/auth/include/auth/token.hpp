// Bearer tokens as an OIDC issuer (Keycloak) signs them: a JWT in compact form, RS256 or
// ES256, its keys from the issuer's JWKS. Parsing, keys, signatures and claim checks, free
// of sockets so the parser is fuzzed and unit-tested on its own (docs/PROTOCOL.md § Auth).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spacetime::auth {

// A token longer than this is refused before any decoding (reason `oversize`).
inline constexpr std::size_t kMaxTokenBytes = 8192;

// Why a token was refused: the 401 reason, the close reason and the metric label.
enum class Reason : std::uint8_t {
  kMissing,          // no token at all
  kOversize,         // longer than kMaxTokenBytes
  kMalformed,        // not three base64url segments of JSON objects, or a claim of the wrong type
  kAlgNone,          // "alg":"none"
  kAlgNotAllowed,    // anything but RS256/ES256 (HS256 included: algorithm confusion)
  kUnknownKid,       // no key with the token's kid, also after re-fetching the JWKS
  kBadSignature,     // signature does not verify, or the key's type does not fit the alg
  kWrongIssuer,      // iss is not the configured issuer
  kWrongAudience,    // neither aud nor azp is the configured audience
  kExpired,          // exp + leeway <= now, or no exp
  kNotYetValid,      // nbf - leeway > now
  kIssuedInFuture,   // iat - leeway > now
  kMissingSubject,   // no sub (a session is bound to its subject)
  kKeysUnavailable,  // the issuer's keys could not be fetched yet
  kBusy,             // too many tokens waiting for verification
};
inline constexpr std::size_t kReasonCount = 15;
std::string_view to_string(Reason r);

struct Claims {
  std::string iss, sub, azp;
  std::vector<std::string> aud;
  std::optional<std::int64_t> exp, nbf, iat;
  std::vector<std::string> roles;  // Keycloak realm_access.roles
};

// A token split and decoded, not yet trusted.
struct Token {
  std::string alg, kid;
  std::string signing_input;  // "<header>.<payload>" as sent
  std::string signature;      // decoded bytes
  Claims claims;
};

struct Parsed {
  std::optional<Reason> error;  // set: the token is unusable and `token` is partial
  Token token;
};

// Never throws on any input.
Parsed parse_token(std::string_view text);

// base64url without padding (RFC 7515 § 2); nullopt on any other character or a bad length.
std::optional<std::string> base64url_decode(std::string_view in);
std::string base64url_encode(std::string_view in);

// One public key of a JWKS: RSA (RS256) or EC P-256 (ES256).
struct PublicKey {
  enum class Type : std::uint8_t { kRsa, kEcP256 };
  Type type = Type::kRsa;
  std::shared_ptr<void> pkey;  // EVP_PKEY, freed with EVP_PKEY_free
};

// The keys of a JWKS document by kid; keys of other types (or broken ones) are skipped.
struct KeySet {
  std::map<std::string, PublicKey, std::less<>> keys;
  std::size_t skipped = 0;
};
// nullopt when the document is not a JWKS at all ({"keys":[...]}).
std::optional<KeySet> parse_jwks(std::string_view json);

// Checks alg against the key type, then the signature over signing_input.
bool verify_signature(const Token& token, const PublicKey& key);

struct Policy {
  std::string issuer;
  std::string audience;  // empty: not checked
  std::int64_t leeway_s = 30;
};
// The first claim that fails, in the order of Reason; nullopt when all pass.
std::optional<Reason> check_claims(const Claims& claims, const Policy& policy, std::int64_t now_s);

}  // namespace spacetime::auth
