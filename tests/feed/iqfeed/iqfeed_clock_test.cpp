#include "feed/iqfeed/clock.hpp"

#include <gtest/gtest.h>

namespace spacetime::feed::iqfeed {
namespace {

constexpr std::int64_t local(std::int64_t y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return days_from_civil(y, m, d) * kMicrosPerDay + (hh * 3600 + mm * 60 + ss) * kMicrosPerSecond;
}

// UTC as the same civil fields, for readable expectations.
constexpr std::int64_t utc(std::int64_t y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return local(y, m, d, hh, mm, ss);
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(19797).year == 2024);  // 2024-03-15
static_assert(weekday_from_days(0) == 4);            // a Thursday

TEST(IqFeedClock, CivilDaysRoundTrip) {
  for (std::int64_t z = -800'000; z <= 800'000; z += 37) {
    const CivilDate d = civil_from_days(z);
    ASSERT_EQ(days_from_civil(d.year, d.month, d.day), z);
  }
}

TEST(IqFeedClock, EasternStandardAndDaylightOffsets) {
  // Winter: EST = UTC-5; summer: EDT = UTC-4.
  EXPECT_EQ(eastern_to_utc_us(local(2024, 1, 15, 9, 30, 0)), utc(2024, 1, 15, 14, 30, 0));
  EXPECT_EQ(eastern_to_utc_us(local(2024, 7, 1, 9, 30, 0)), utc(2024, 7, 1, 13, 30, 0));
  EXPECT_EQ(eastern_to_utc_us(local(2024, 3, 15, 16, 0, 0)), utc(2024, 3, 15, 20, 0, 0));
  // Evening trades cross the UTC date line.
  EXPECT_EQ(eastern_to_utc_us(local(2024, 12, 31, 20, 0, 0)), utc(2025, 1, 1, 1, 0, 0));
}

TEST(IqFeedClock, DaylightSavingBoundariesFollowTheUsRulesSince2007) {
  // 2024: DST from Sunday 10 March 02:00 EST to Sunday 3 November 02:00 EDT.
  EXPECT_EQ(eastern_to_utc_us(local(2024, 3, 10, 1, 59, 59)), utc(2024, 3, 10, 6, 59, 59));
  EXPECT_EQ(eastern_to_utc_us(local(2024, 3, 10, 3, 0, 0)), utc(2024, 3, 10, 7, 0, 0));
  EXPECT_EQ(eastern_to_utc_us(local(2024, 11, 3, 0, 59, 59)), utc(2024, 11, 3, 4, 59, 59));
  EXPECT_EQ(eastern_to_utc_us(local(2024, 11, 3, 2, 0, 0)), utc(2024, 11, 3, 7, 0, 0));
  // 2025: 9 March and 2 November.
  EXPECT_FALSE(eastern_is_dst_local(local(2025, 3, 9, 1, 0, 0)));
  EXPECT_TRUE(eastern_is_dst_local(local(2025, 3, 9, 3, 0, 0)));
  EXPECT_TRUE(eastern_is_dst_local(local(2025, 11, 1, 12, 0, 0)));
  EXPECT_FALSE(eastern_is_dst_local(local(2025, 11, 2, 2, 0, 0)));
}

TEST(IqFeedClock, UtcToEasternInvertsOutsideTheRepeatedHour) {
  for (std::int64_t t = utc(2023, 1, 1, 0, 0, 0); t < utc(2025, 1, 1, 0, 0, 0);
       t += 3 * kMicrosPerHour + 17 * kMicrosPerSecond) {
    const std::int64_t l = utc_to_eastern_us(t);
    const bool repeated = eastern_to_utc_us(l) != t && eastern_to_utc_us(l) + kMicrosPerHour == t;
    if (!repeated) {
      ASSERT_EQ(eastern_to_utc_us(l), t) << format_local_time(l);
    }
  }
}

// Issue 9: the repeated November hour is resolved by feed order. 3 November 2024: 01:00 to
// 02:00 local happens twice, first EDT (05:00-06:00 UTC), then EST (06:00-07:00 UTC).
TEST(IqFeedClock, FeedOrderResolvesTheRepeatedNovemberHour) {
  EasternClock clock;
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 30, 0)), utc(2024, 11, 3, 5, 30, 0));
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 59, 59)), utc(2024, 11, 3, 5, 59, 59));
  // Back one hour across the change: the second occurrence, and the ones after it.
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 0, 0)), utc(2024, 11, 3, 6, 0, 0));
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 30, 0)), utc(2024, 11, 3, 6, 30, 0));
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 29, 0)), utc(2024, 11, 3, 6, 29, 0));  // late
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 2, 0, 0)), utc(2024, 11, 3, 7, 0, 0));
  // Without context the repeated time is its first occurrence.
  EXPECT_EQ(eastern_to_utc_us(local(2024, 11, 3, 1, 30, 0)), utc(2024, 11, 3, 5, 30, 0));
}

TEST(IqFeedClock, ATradeAFewMinutesLateInTheFirstOccurrenceStaysThere) {
  EasternClock clock;
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 40, 0)), utc(2024, 11, 3, 5, 40, 0));
  EXPECT_EQ(clock.to_utc_us(local(2024, 11, 3, 1, 35, 0)), utc(2024, 11, 3, 5, 35, 0));
  EXPECT_EQ(clock.latest_utc_us(), utc(2024, 11, 3, 5, 40, 0));
}

TEST(IqFeedClock, OnlyObservedInstantsDecideTheRepeatedHour) {
  EasternClock clock;
  clock.observe(utc(2024, 11, 3, 5, 50, 0));  // 01:50 EDT
  // A garbled trade resolved but never observed (the time guard refused it) moves nothing.
  EXPECT_EQ(clock.resolve(local(2099, 1, 1, 0, 0, 0)), utc(2099, 1, 1, 5, 0, 0));
  EXPECT_EQ(clock.latest_utc_us(), utc(2024, 11, 3, 5, 50, 0));
  EXPECT_EQ(clock.resolve(local(2024, 11, 3, 1, 55, 0)), utc(2024, 11, 3, 5, 55, 0));
  // Observed, it would have: the same local time then reads as the second occurrence.
  clock.observe(utc(2099, 1, 1, 5, 0, 0));
  EXPECT_EQ(clock.resolve(local(2024, 11, 3, 1, 55, 0)), utc(2024, 11, 3, 6, 55, 0));
}

TEST(IqFeedClock, ATimeStampEverySevenMinutesThroughTheFallBackRoundTrips) {
  EasternClock clock;
  for (std::int64_t t = utc(2024, 11, 3, 3, 0, 0); t < utc(2024, 11, 3, 9, 0, 0);
       t += 7 * 60 * kMicrosPerSecond + 3) {
    ASSERT_EQ(clock.to_utc_us(utc_to_eastern_us(t)), t) << format_local_time(utc_to_eastern_us(t));
  }
}

TEST(IqFeedClock, TheSkippedMarchHourTakesTheOffsetBeforeTheChange) {
  // 10 March 2024 02:30 does not exist; read as EST it is 07:30 UTC (03:30 EDT).
  EXPECT_EQ(eastern_to_utc_us(local(2024, 3, 10, 2, 30, 0)), utc(2024, 3, 10, 7, 30, 0));
  EXPECT_FALSE(eastern_is_dst_local(local(2024, 3, 10, 2, 30, 0)));
  // A garbled date far outside the database's years does not crash: EST.
  EXPECT_EQ(eastern_to_utc_us(local(9999, 7, 1, 0, 0, 0)), utc(9999, 7, 1, 5, 0, 0));
  EXPECT_EQ(eastern_to_utc_us(local(1, 7, 1, 0, 0, 0)), utc(1, 7, 1, 5, 0, 0));
}

TEST(IqFeedClock, FormatsRequestTimesToTheSecond) {
  EXPECT_EQ(format_request_time(local(2024, 3, 15, 9, 30, 5) + 999'999), "20240315 093005");
  EXPECT_EQ(format_local_time(local(2024, 3, 15, 9, 30, 5) + 42), "2024-03-15 09:30:05.000042");
}

}  // namespace
}  // namespace spacetime::feed::iqfeed
