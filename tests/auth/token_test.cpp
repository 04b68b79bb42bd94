// The token part of auth without a server: base64url, the parser's refusals, signatures
// made here with OpenSSL keys (RS256, ES256 as raw r||s) and the claim checks.
#include "auth/token.hpp"

#include <gtest/gtest.h>

#include "support/jwt_forge.hpp"

namespace spacetime::auth {
namespace {

using testing::forge;
using testing::jwk_of;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kClaims =
    R"({"iss":"https://idp/realms/r","sub":"alice","aud":["spacetime","account"],"exp":1800000300,)"
    R"("iat":1800000000,"nbf":1799999990,"realm_access":{"roles":["viewer","offline_access"]}})";

TEST(Base64Url, RoundTripsAndRefusesOtherAlphabetsAndBadLengths) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("ab+c"));  // standard base64, not url
  EXPECT_FALSE(base64url_decode("abc="));  // padding
  EXPECT_FALSE(base64url_decode("a"));     // impossible length
  EXPECT_FALSE(base64url_decode("Zh"));    // leftover bits not zero (canonical is Zg)
}

TEST(ParseToken, RefusesEachMalformedShapeWithItsReason) {
  const auto reason = [](std::string_view t) { return parse_token(t).error; };
  EXPECT_EQ(reason(""), Reason::kMissing);
  EXPECT_EQ(reason(std::string(kMaxTokenBytes + 1, 'a')), Reason::kOversize);
  EXPECT_EQ(reason("a.b"), Reason::kMalformed);
  EXPECT_EQ(reason("a.b.c.d"), Reason::kMalformed);
  EXPECT_EQ(reason("!!.e30.AA"), Reason::kMalformed);
  const std::string rs = base64url_encode(R"({"alg":"RS256","kid":"k"})");
  EXPECT_EQ(reason(base64url_encode("not json") + ".e30.AA"), Reason::kMalformed);
  EXPECT_EQ(reason(rs + "." + base64url_encode("[1]") + ".AA"), Reason::kMalformed);
  EXPECT_EQ(reason(rs + "." + base64url_encode(R"({"aud":5})") + ".AA"), Reason::kMalformed);
  EXPECT_EQ(reason(rs + "." + base64url_encode(R"({"exp":"soon"})") + ".AA"), Reason::kMalformed);
  EXPECT_EQ(reason(base64url_encode(R"({"alg":"none"})") + ".e30."), Reason::kAlgNone);
  EXPECT_EQ(reason(base64url_encode(R"({"alg":"HS256"})") + ".e30.AA"), Reason::kAlgNotAllowed);
  EXPECT_EQ(reason(base64url_encode(R"({"alg":"PS256"})") + ".e30.AA"), Reason::kAlgNotAllowed);
  EXPECT_EQ(reason(rs + "." + base64url_encode(kClaims) + ".AA"), std::nullopt);
}

TEST(ParseToken, ReadsKeycloakClaims) {
  const Parsed p = parse_token(base64url_encode(R"({"alg":"ES256","kid":"k1"})") + "." +
                               base64url_encode(kClaims) + ".AA");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.token.kid, "k1");
  EXPECT_EQ(p.token.claims.sub, "alice");
  EXPECT_EQ(p.token.claims.aud, (std::vector<std::string>{"spacetime", "account"}));
  EXPECT_EQ(p.token.claims.exp, 1800000300);
  EXPECT_EQ(p.token.claims.roles, (std::vector<std::string>{"viewer", "offline_access"}));
}

TEST(Signature, Rs256AndEs256VerifyAndAnyChangeOrWrongKeyTypeFails) {
  const auto rsa = testing::rsa_key();
  const auto ec = testing::ec_key();
  const auto set = parse_jwks(R"({"keys":[)" + jwk_of(rsa, "r") + "," + jwk_of(ec, "e") + "]}");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 2u);
  const PublicKey& r = set->keys.at("r");
  const PublicKey& e = set->keys.at("e");

  const Parsed rs = parse_token(forge(R"({"alg":"RS256","kid":"r"})", kClaims, rsa, "RS256"));
  const Parsed es = parse_token(forge(R"({"alg":"ES256","kid":"e"})", kClaims, ec, "ES256"));
  ASSERT_FALSE(rs.error);
  ASSERT_FALSE(es.error);
  EXPECT_TRUE(verify_signature(rs.token, r));
  EXPECT_TRUE(verify_signature(es.token, e));
  EXPECT_FALSE(verify_signature(rs.token, e));  // RS256 never with an EC key
  EXPECT_FALSE(verify_signature(es.token, r));

  Token changed = rs.token;
  changed.signing_input.back() ^= 1;
  EXPECT_FALSE(verify_signature(changed, r));
  changed = es.token;
  changed.signature[10] ^= 1;
  EXPECT_FALSE(verify_signature(changed, e));
  changed.signature.resize(63);
  EXPECT_FALSE(verify_signature(changed, e));

  const auto other = testing::rsa_key();  // right kid, wrong key
  const Parsed wrong = parse_token(forge(R"({"alg":"RS256","kid":"r"})", kClaims, other, "RS256"));
  EXPECT_FALSE(verify_signature(wrong.token, r));
}

TEST(Jwks, SkipsKeysItCannotUseAndRefusesNonJwks) {
  const auto rsa = testing::rsa_key();
  const auto set = parse_jwks(
      R"({"keys":[)" + jwk_of(rsa, "ok") +
      R"(,{"kty":"oct","kid":"h","k":"c2VjcmV0"},{"kty":"EC","crv":"P-384","kid":"p","x":"AA","y":"AA"},)"
      R"({"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"bad","x":"AA","y":"AA"}]})");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->skipped, 4u);
  EXPECT_FALSE(parse_jwks("[]"));
  EXPECT_FALSE(parse_jwks("{"));
}

TEST(Claims, EachCheckWithLeeway) {
  const Policy policy{.issuer = "https://idp/realms/r", .audience = "spacetime", .leeway_s = 30};
  Claims c =
      parse_token(base64url_encode(R"({"alg":"RS256"})") + "." + base64url_encode(kClaims) + ".AA")
          .token.claims;
  EXPECT_EQ(check_claims(c, policy, kNow), std::nullopt);
  EXPECT_EQ(check_claims(c, policy, 1800000329), std::nullopt);  // exp + leeway not reached
  EXPECT_EQ(check_claims(c, policy, 1800000330), Reason::kExpired);
  EXPECT_EQ(check_claims(c, {.issuer = "https://other", .audience = "spacetime"}, kNow),
            Reason::kWrongIssuer);
  EXPECT_EQ(check_claims(c, {.issuer = policy.issuer, .audience = "billing"}, kNow),
            Reason::kWrongAudience);
  Claims azp = c;
  azp.aud.clear();
  azp.azp = "spacetime";  // Keycloak: the client the token was issued to
  EXPECT_EQ(check_claims(azp, policy, kNow), std::nullopt);
  Claims early = c;
  early.nbf = kNow + 31;
  EXPECT_EQ(check_claims(early, policy, kNow), Reason::kNotYetValid);
  early.nbf = kNow + 30;
  EXPECT_EQ(check_claims(early, policy, kNow), std::nullopt);
  Claims future = c;
  future.iat = kNow + 31;
  EXPECT_EQ(check_claims(future, policy, kNow), Reason::kIssuedInFuture);
  Claims no_exp = c;
  no_exp.exp.reset();
  EXPECT_EQ(check_claims(no_exp, policy, kNow), Reason::kExpired);
  Claims no_sub = c;
  no_sub.sub.clear();
  EXPECT_EQ(check_claims(no_sub, policy, kNow), Reason::kMissingSubject);
}

}  // namespace
}  // namespace spacetime::auth
