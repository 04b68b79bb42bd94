#include "market/time.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spacetime::market {
namespace {

std::string iso(std::int64_t ns) {
  char buf[kMaxIsoLength];
  return {buf, format_iso(ns, buf)};
}

TEST(Timestamp, ParsesNanosecondsAndIsoUtc) {
  EXPECT_EQ(parse_timestamp("0"), 0);
  EXPECT_EQ(parse_timestamp("-1"), -1);  // parses; the normalizer rejects it
  EXPECT_EQ(parse_timestamp("1767364200000000000"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_timestamp("2026-01-02T14:30:00Z"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_timestamp("2026-01-02 14:30:00z"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_timestamp("2026-01-02T14:30:00+00:00"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_timestamp("2026-01-02T14:30:00.1Z"), 1'767'364'200'100'000'000);
  EXPECT_EQ(parse_timestamp("2026-01-02T14:30:00.123456789Z"), 1'767'364'200'123'456'789);
  EXPECT_EQ(parse_timestamp("2000-02-29T00:00:00Z"), 951'782'400'000'000'000);
  EXPECT_EQ(parse_timestamp("1969-12-31T23:59:59Z"), -1'000'000'000);
  EXPECT_EQ(parse_timestamp("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
}

TEST(Timestamp, RejectsWhatIsNotExactlyOneInstantInUtc) {
  for (const char* bad : {"",
                          " ",
                          "abc",
                          "1.5",
                          "1e9",
                          "9223372036854775808",
                          "2026-01-02",
                          "2026-01-02T14:30:00",
                          "2026-01-02T14:30:00.Z",
                          "2026-01-02T14:30:00.1234567891Z",
                          "2026-01-02T24:00:00Z",
                          "2026-01-02T14:60:00Z",
                          "2026-01-02T14:30:60Z",
                          "2026-00-02T14:30:00Z",
                          "2026-01-32T14:30:00Z",
                          "2100-02-29T00:00:00Z",
                          "2026-01-02T14:30:00+01:00",
                          "2026-01-02T14:30:00ZZ",
                          "2026/01/02T14:30:00Z",
                          "2262-04-11T23:47:16.854775808Z",
                          "+026-01-02T14:30:00Z"}) {
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  }
}

TEST(Timestamp, FormatsTheShortestExactFraction) {
  EXPECT_EQ(iso(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso(1'767'364'200'000'000'000), "2026-01-02T14:30:00Z");
  EXPECT_EQ(iso(1'767'364'200'500'000'000), "2026-01-02T14:30:00.500Z");
  EXPECT_EQ(iso(1'767'364'200'000'001'000), "2026-01-02T14:30:00.000001Z");
  EXPECT_EQ(iso(1'767'364'200'000'000'001), "2026-01-02T14:30:00.000000001Z");
  EXPECT_EQ(iso(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(Timestamp, FormatAndParseRoundTrip) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100'000; ++i) {
    const auto ns = static_cast<std::int64_t>(rng() >> 1) * (i % 2 == 0 ? 1 : -1);
    ASSERT_EQ(parse_timestamp(iso(ns)), ns) << iso(ns);
  }
  ASSERT_EQ(parse_timestamp(iso(INT64_MIN)), INT64_MIN) << iso(INT64_MIN);
}

}  // namespace
}  // namespace spacetime::market
