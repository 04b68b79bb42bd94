// Bearer tokens and JWKS documents as a client or an issuer sends them: any bytes must
// parse or be refused with a reason, never crash or read out of bounds; a parsed token's
// signature check against a fixed key must only ever answer false (no key signs fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/token.hpp"

namespace {

// A real P-256 public key and a 2048-bit RSA modulus (from the test provider's JWKS).
const spacetime::auth::KeySet& keys() {
  static const auto set = spacetime::auth::parse_jwks(
      R"({"keys":[{"kty":"EC","crv":"P-256","kid":"es","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},)"
      R"({"kty":"RSA","kid":"rs","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}]})");
  if (!set || set->keys.size() != 2) std::abort();
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spacetime::auth;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const Parsed parsed = parse_token(text);
  if (!parsed.error) {
    for (const auto& [kid, key] : keys().keys) {
      if (verify_signature(parsed.token, key)) std::abort();
    }
    (void)check_claims(parsed.token.claims, Policy{.issuer = "https://i"}, 1'700'000'000);
  }
  (void)parse_jwks(text);

  // base64url: what decodes re-encodes to the same text.
  if (const auto bytes = base64url_decode(text)) {
    if (base64url_encode(*bytes) != text) std::abort();
  }
  return 0;
}
