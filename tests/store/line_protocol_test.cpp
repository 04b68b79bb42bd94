#include "store/line_protocol.hpp"

#include "store/influx_store.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

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

// Schema 2's packed string field: integers and doubles back bit for bit, NaN payloads and
// signed zeros included, and nothing a string field would have to escape.
TEST(PackedField, IntegersAndDoublesComeBackBitExact) {
  using L = std::numeric_limits<double>;
  std::vector<double> reals = {0.0,
                               -0.0,
                               1.0 / 3.0,
                               0.1,
                               -123456.789e-300,
                               L::min(),
                               L::denorm_min(),
                               -L::denorm_min(),
                               L::max(),
                               L::lowest(),
                               L::epsilon(),
                               L::infinity(),
                               -L::infinity(),
                               L::quiet_NaN(),
                               -L::quiet_NaN(),
                               std::bit_cast<double>(std::uint64_t{0x7ff0'0000'0000'0001}),
                               std::bit_cast<double>(std::uint64_t{0xfff8'dead'beef'0042})};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10'000; ++i)
    reals.push_back(std::bit_cast<double>(rng()));
  const std::vector<std::int64_t> ints = {0,
                                          -1,
                                          1,
                                          std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max(),
                                          1'767'364'800'123'456'789};
  std::string packed;
  for (const double d : reals) {
    if (!packed.empty()) packed += ',';
    append_packed(packed, d);
  }
  for (const auto v : ints) {
    packed += ',';
    append_packed(packed, v);
  }
  EXPECT_EQ(packed.find_first_of("\"\\\\ \n="), std::string::npos);
  PackedReader r(packed);
  for (const double d : reals) {
    const double back = r.next_real();
    EXPECT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(d)) << d;
  }
  for (const auto v : ints)
    EXPECT_EQ(r.next_int(), v);
  EXPECT_TRUE(r.done());
  EXPECT_THROW(r.next_int(), StoreError);
}

TEST(PackedField, MalformedValuesAreAStoreError) {
  for (const char* bad : {"", "x", "1.5", "12a", "#12", "#zzzzzzzzzzzzzzzz"}) {
    PackedReader r(bad);
    EXPECT_THROW(r.next_int(), StoreError) << bad;
  }
  for (const char* bad : {"", "x", "1.5e", "#12", "#zzzzzzzzzzzzzzzz"}) {
    PackedReader r(bad);
    EXPECT_THROW(
        {
          r.next_real();
          if (!r.done()) r.next_real();
        },
        StoreError)
        << bad;
  }
}

}  // namespace
}  // namespace spacetime::store
