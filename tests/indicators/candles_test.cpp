#include "indicators/candles.hpp"

#include <gtest/gtest.h>

namespace spacetime::indicators {
namespace {

using market::Timeframe;
constexpr std::int64_t kSec = market::kNanosPerSecond;

TEST(CandleAggregator, FirstTickOpensABarWithEveryFieldSet) {
  CandleAggregator agg(Timeframe::k1m);
  EXPECT_FALSE(agg.has_current());
  EXPECT_FALSE(agg.update(125 * kSec + 7, 1000, 3));
  ASSERT_TRUE(agg.has_current());
  const auto& c = agg.current();
  EXPECT_EQ(c.start_ns, 120 * kSec);
  EXPECT_EQ(c.open, 1000);
  EXPECT_EQ(c.high, 1000);
  EXPECT_EQ(c.low, 1000);
  EXPECT_EQ(c.close, 1000);
  EXPECT_EQ(c.volume, 3);
  EXPECT_EQ(c.ticks, 1u);
  EXPECT_EQ(c.first_ns, 125 * kSec + 7);
  EXPECT_EQ(c.last_ns, 125 * kSec + 7);
  EXPECT_EQ(agg.bars(), 1u);
}

TEST(CandleAggregator, TracksOhlcvWithinABucket) {
  CandleAggregator agg(Timeframe::k10s);
  agg.update(20 * kSec, 100, 1);
  agg.update(21 * kSec, 105, 2);
  agg.update(22 * kSec, 98, 3);
  agg.update(29 * kSec, 101, 4);
  const auto& c = agg.current();
  EXPECT_EQ(c.open, 100);
  EXPECT_EQ(c.high, 105);
  EXPECT_EQ(c.low, 98);
  EXPECT_EQ(c.close, 101);
  EXPECT_EQ(c.volume, 10);
  EXPECT_EQ(c.ticks, 4u);
  EXPECT_EQ(c.last_ns, 29 * kSec);
}

TEST(CandleAggregator, BucketEdgeBelongsToTheLaterBar) {
  CandleAggregator agg(Timeframe::k1s);
  EXPECT_FALSE(agg.update(5 * kSec - 1, 10, 1));  // last nanosecond of bucket 4
  EXPECT_EQ(agg.current().start_ns, 4 * kSec);
  EXPECT_TRUE(agg.update(5 * kSec, 11, 1));  // first nanosecond of bucket 5 closes it
  EXPECT_EQ(agg.last_closed().start_ns, 4 * kSec);
  EXPECT_EQ(agg.last_closed().close, 10);
  EXPECT_EQ(agg.current().start_ns, 5 * kSec);
  EXPECT_EQ(agg.current().open, 11);
  EXPECT_EQ(agg.bars(), 2u);
}

TEST(CandleAggregator, EmptyBucketsProduceNoBar) {
  CandleAggregator agg(Timeframe::k1s);
  agg.update(1 * kSec, 10, 1);
  EXPECT_TRUE(agg.update(7 * kSec, 12, 1));  // buckets 2..6 had no trade
  EXPECT_EQ(agg.last_closed().start_ns, 1 * kSec);
  EXPECT_EQ(agg.current().start_ns, 7 * kSec);
  EXPECT_EQ(agg.bars(), 2u);  // no bars invented for the gap
}

TEST(CandleAggregator, EarlierTimeIsFoldedIntoTheCurrentBar) {
  CandleAggregator agg(Timeframe::k1s);
  agg.update(3 * kSec, 10, 1);
  EXPECT_FALSE(agg.update(2 * kSec, 9, 1));  // never reopens or repaints a closed bucket
  EXPECT_EQ(agg.current().start_ns, 3 * kSec);
  EXPECT_EQ(agg.current().low, 9);
  EXPECT_EQ(agg.current().last_ns, 3 * kSec);
  EXPECT_EQ(agg.bars(), 1u);
}

TEST(CandleAggregator, FlushClosesTheBarOnce) {
  CandleAggregator agg(Timeframe::k1m);
  EXPECT_FALSE(agg.flush());
  agg.update(0, 10, 1);
  EXPECT_TRUE(agg.flush());
  EXPECT_FALSE(agg.has_current());
  EXPECT_FALSE(agg.flush());
  EXPECT_EQ(agg.last_closed().close, 10);
  EXPECT_FALSE(agg.update(70 * kSec, 11, 1));  // opens a new bar, closes nothing twice
  EXPECT_EQ(agg.bars(), 2u);
}

TEST(TimeClamp, ClampsOutOfOrderTimesAndCountsThem) {
  TimeClamp clock;
  EXPECT_EQ(clock.update(100), 100);
  EXPECT_EQ(clock.update(90), 100);
  EXPECT_EQ(clock.update(100), 100);  // equal is in order
  EXPECT_EQ(clock.update(101), 101);
  EXPECT_EQ(clock.update(50), 101);
  EXPECT_EQ(clock.clamped(), 2u);
}

TEST(CandleAggregator, ClampedTickLandsInTheLatestBar) {
  TimeClamp clock;
  CandleAggregator agg(Timeframe::k1s);
  agg.update(clock.update(10 * kSec + 5), 100, 1);
  agg.update(clock.update(9 * kSec), 90, 2);  // late tick from an earlier second
  EXPECT_EQ(clock.clamped(), 1u);
  EXPECT_EQ(agg.current().start_ns, 10 * kSec);
  EXPECT_EQ(agg.current().volume, 3);
  EXPECT_EQ(agg.current().low, 90);
}

}  // namespace
}  // namespace spacetime::indicators
