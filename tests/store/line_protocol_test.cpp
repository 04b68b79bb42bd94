#include "store/line_protocol.hpp"

#include "store/influx_store.hpp"

#include <gtest/gtest.h>

namespace spacetime::store {
namespace {

TEST(LineProtocol, MeasurementsEscapeCommasAndSpacesOnly) {
  std::string out;
  append_measurement(out, "my m,e=as");
  EXPECT_EQ(out, "my\\ m\\,e=as");
}

TEST(LineProtocol, TagsAndFieldKeysEscapeCommasEqualsAndSpaces) {
  std::string out;
  append_tag(out, "BRK B,=x");
  EXPECT_EQ(out, "BRK\\ B\\,\\=x");
}

TEST(LineProtocol, StringFieldsQuoteAndEscapeQuotesAndBackslashes) {
  std::string out;
  append_string_field(out, R"(say "hi" \ bye, a=b)");
  EXPECT_EQ(out, R"("say \"hi\" \\ bye, a=b")");
}

TEST(LineProtocol, InfluxqlLiteralsAndIdentifiersAreQuoted) {
  EXPECT_EQ(influxql_string("O'Neil\\"), R"('O\'Neil\\')");
  EXPECT_EQ(influxql_identifier("my \"db\""), R"("my \"db\"")");
}

// influxdb://USER:PASSWORD@HOST:PORT/DB: basic authentication on every request, and messages
// that never show the password.
TEST(InfluxUrl, UserAndPasswordBecomeABasicAuthorizationHeader) {
  const auto u = parse_influx_url("influxdb://spacetime:spacetime@127.0.0.1:8086/metrics");
  EXPECT_EQ(u.user, "spacetime");
  EXPECT_EQ(u.password, "spacetime");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8086);
  EXPECT_EQ(u.db, "metrics");
  EXPECT_EQ(u.authorization, "Authorization: Basic c3BhY2V0aW1lOnNwYWNldGltZQ==");
  EXPECT_EQ(u.display, "influxdb://spacetime:***@127.0.0.1:8086/metrics");

  // %-escaped characters, and each base64 padding length.
  EXPECT_EQ(parse_influx_url("influxdb://a%40b:p%25w@h:1/d").authorization,
            "Authorization: Basic YUBiOnAldw==");
  EXPECT_EQ(parse_influx_url("influxdb://a:b@h:1/d").authorization, "Authorization: Basic YTpi");
  EXPECT_EQ(parse_influx_url("influxdb://ab@h:1/d").authorization, "Authorization: Basic YWI6");

  const auto plain = parse_influx_url("influxdb://tsdb:8086/spacetime");
  EXPECT_TRUE(plain.user.empty());
  EXPECT_TRUE(plain.authorization.empty());
  EXPECT_EQ(plain.display, "influxdb://tsdb:8086/spacetime");
}

TEST(InfluxUrl, ABadUrlIsOneLineWithoutThePassword) {
  for (const char* url : {"influxdb://u:secret@host/db", "influxdb://u:secret@host:99999/db",
                          "influxdb://host:8086", "http://host:8086/db"}) {
    try {
      parse_influx_url(url);
      ADD_FAILURE() << url << " was accepted";
    } catch (const StoreError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find("secret"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
}

}  // namespace
}  // namespace spacetime::store
