#include "market/session.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "market/time.hpp"
#include "market/timeframe.hpp"

namespace spacetime::market {
namespace {

constexpr std::int64_t utc(std::int64_t y, unsigned m, unsigned d, int hh, int mm) {
  return (days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60) * kNanosPerSecond;
}

void expect_bucket(const Session& s, std::int64_t t, std::int64_t start, std::int64_t end) {
  const Bucket b = s.daily_bucket(t);
  EXPECT_EQ(b.start_ns, start) << "start of the bucket of " << t;
  EXPECT_EQ(b.end_ns, end) << "end of the bucket of " << t;
}

// US equities, 09:30 New York: 14:30 UTC in winter, 13:30 UTC in summer. 2024: DST from
// Sunday 10 March to Sunday 3 November.
TEST(Session, UsEquityDayStartsAtTheOpenAcrossTheMarchChange) {
  const Session s("America/New_York", "09:30");
  // Friday 8 March (EST): the day runs to Saturday's open, still EST.
  expect_bucket(s, utc(2024, 3, 8, 15, 0), utc(2024, 3, 8, 14, 30), utc(2024, 3, 9, 14, 30));
  // Saturday's day runs to Sunday's open, which is already EDT: 23 hours.
  expect_bucket(s, utc(2024, 3, 9, 20, 0), utc(2024, 3, 9, 14, 30), utc(2024, 3, 10, 13, 30));
  // Monday 11 March (EDT): 09:30 EDT is 13:30 UTC.
  expect_bucket(s, utc(2024, 3, 11, 13, 30), utc(2024, 3, 11, 13, 30), utc(2024, 3, 12, 13, 30));
  // A pre-market trade (09:15 EDT) belongs to the day that opened the day before.
  expect_bucket(s, utc(2024, 3, 11, 13, 15), utc(2024, 3, 10, 13, 30), utc(2024, 3, 11, 13, 30));
  // One nanosecond before the open is still the previous day.
  expect_bucket(s, utc(2024, 3, 11, 13, 30) - 1, utc(2024, 3, 10, 13, 30),
                utc(2024, 3, 11, 13, 30));
}

TEST(Session, UsEquityDayStartsAtTheOpenAcrossTheNovemberChange) {
  const Session s("America/New_York", "09:30");
  expect_bucket(s, utc(2024, 11, 1, 14, 0), utc(2024, 11, 1, 13, 30), utc(2024, 11, 2, 13, 30));
  // Saturday 2 November (EDT) to Sunday's open (EST): 25 hours.
  expect_bucket(s, utc(2024, 11, 3, 6, 30), utc(2024, 11, 2, 13, 30), utc(2024, 11, 3, 14, 30));
  // Monday 4 November (EST): 09:30 EST is 14:30 UTC.
  expect_bucket(s, utc(2024, 11, 4, 14, 30), utc(2024, 11, 4, 14, 30), utc(2024, 11, 5, 14, 30));
  expect_bucket(s, utc(2024, 11, 4, 14, 0), utc(2024, 11, 3, 14, 30), utc(2024, 11, 4, 14, 30));
}

// CME: the trading day opens at 18:00 New York the evening before.
TEST(Session, CmeDayStartsAt1800NewYorkTheEveningBefore) {
  const Session s("America/New_York", "18:00");
  // Monday 15 January 2024, 10:00 EST: the day opened Sunday 14th 18:00 EST = 23:00 UTC.
  expect_bucket(s, utc(2024, 1, 15, 15, 0), utc(2024, 1, 14, 23, 0), utc(2024, 1, 15, 23, 0));
  // Monday 11 March 2024 (EDT): opened Sunday 18:00 EDT = 22:00 UTC.
  expect_bucket(s, utc(2024, 3, 11, 15, 0), utc(2024, 3, 10, 22, 0), utc(2024, 3, 11, 22, 0));
  // Sunday evening after the open already belongs to Monday's day.
  expect_bucket(s, utc(2024, 3, 10, 22, 0), utc(2024, 3, 10, 22, 0), utc(2024, 3, 11, 22, 0));
}

TEST(Session, AnOpenInTheSkippedHourIsTheInstantOfTheChange) {
  const Session s("America/New_York", "02:30");  // 10 March 2024 02:30 does not exist
  expect_bucket(s, utc(2024, 3, 10, 8, 0), utc(2024, 3, 10, 7, 0), utc(2024, 3, 11, 6, 30));
  // 3 November 2024 01:30 occurs twice: the first (EDT, 05:30 UTC) opens the day.
  const Session r("America/New_York", "01:30");
  expect_bucket(r, utc(2024, 11, 3, 6, 0), utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30));
}

TEST(Session, UtcAtMidnightMatchesTheEpochGrid) {
  const Session s("UTC", "00:00");
  const std::int64_t t = utc(2026, 1, 2, 14, 30) + 123;
  const std::int64_t day = duration_ns(Timeframe::k1d);
  expect_bucket(s, t, t / day * day, t / day * day + day);
}

TEST(Session, BadTimeZoneOrOpenIsOneClearError) {
  try {
    Session("America/New_Yrok", "09:30");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("America/New_Yrok"), std::string::npos) << e.what();
  }
  for (const char* open : {"9:30", "24:00", "09:60", "0930", "", "09:3x"}) {
    EXPECT_THROW(Session("America/New_York", open), std::invalid_argument) << open;
  }
}

TEST(SessionRules, FirstMatchingPatternWinsAndUnmatchedSymbolsHaveNone) {
  SessionRules rules;
  rules.add("ES*=cme");
  rules.add("AAPL=America/New_York@09:30");
  rules.add("??X=Europe/London@08:00");
  EXPECT_EQ(rules.find("ESH6")->describe(), "America/New_York@18:00");
  EXPECT_EQ(rules.find("AAPL")->describe(), "America/New_York@09:30");
  EXPECT_EQ(rules.find("ABX")->describe(), "Europe/London@08:00");
  EXPECT_EQ(rules.find("MSFT"), nullptr);
  EXPECT_EQ(rules.find("AAPLX"), nullptr);
  EXPECT_EQ(rules.describe(),
            "ES*=America/New_York@18:00 AAPL=America/New_York@09:30 ??X=Europe/London@08:00");
  SessionRules all;
  all.add("us-equities");
  EXPECT_EQ(all.find("ANY")->describe(), "America/New_York@09:30");
}

TEST(SessionRules, BadSpecsNameTheSpec) {
  SessionRules rules;
  for (const char* spec : {"AAPL=Mars/Olympus@09:30", "AAPL=America/New_York", "=cme",
                           "AAPL=America/New_York@25:00", "nyse"}) {
    try {
      rules.add(spec);
      ADD_FAILURE() << "accepted " << spec;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(spec), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(rules.empty());
}

TEST(GlobMatch, StarsAndQuestionMarks) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("ES*", "ES"));
  EXPECT_TRUE(glob_match("*.L", "VOD.L"));
  EXPECT_TRUE(glob_match("A*B*C", "AxxBxxBC"));
  EXPECT_FALSE(glob_match("A*B*C", "AxxBxxBD"));
  EXPECT_FALSE(glob_match("?", ""));
  EXPECT_FALSE(glob_match("ES", "ESH6"));
}

}  // namespace
}  // namespace spacetime::market
