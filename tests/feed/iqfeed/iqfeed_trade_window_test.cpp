#include "feed/iqfeed/trade_window.hpp"

#include <gtest/gtest.h>

#include "feed/iqfeed/backoff.hpp"

namespace spacetime::feed::iqfeed {
namespace {

constexpr std::int64_t kSec = kMicrosPerSecond;
constexpr std::int64_t t0 = 1'700'000'000 * kSec;  // a whole second

TradeKey trade(std::int64_t us, std::uint64_t id, double price = 10.0, std::int64_t size = 100) {
  return {t0 + us, id, price, size};
}

TEST(TradeWindow, AnEmptyWindowTakesEverything) {
  const TradeWindow w;
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.is_duplicate_live(trade(5, 1)));
  EXPECT_FALSE(w.is_duplicate_history(trade(5, 1)));
}

TEST(TradeWindow, HistoryRepeatsOfTheLastSecondAreDuplicatesByTimeAndTickId) {
  TradeWindow w;
  w.record(trade(100, 1));
  w.record(trade(200, 2));
  w.record(trade(200, 3));  // same microsecond, another trade
  EXPECT_EQ(w.watermark(), t0 + 200);
  EXPECT_EQ(w.floor(), t0);
  EXPECT_TRUE(w.is_duplicate_history(trade(100, 1)));
  EXPECT_TRUE(w.is_duplicate_history(trade(200, 3)));
  EXPECT_FALSE(w.is_duplicate_history(trade(200, 4)));  // missed: same time, new id
  EXPECT_FALSE(w.is_duplicate_history(trade(150, 9)));  // missed in between
  EXPECT_FALSE(w.is_duplicate_history(trade(300, 5)));  // after the watermark
  EXPECT_TRUE(w.is_duplicate_history(trade(-1, 77)));   // before the window: delivered
}

TEST(TradeWindow, WithoutTickIdsPriceAndSizeDecide) {
  TradeWindow w;
  w.record(trade(100, 0, 10.0, 100));
  EXPECT_TRUE(w.is_duplicate_history(trade(100, 0, 10.0, 100)));
  EXPECT_TRUE(w.is_duplicate_history(trade(100, 55, 10.0, 100)));
  EXPECT_FALSE(w.is_duplicate_history(trade(100, 0, 10.01, 100)));
  EXPECT_FALSE(w.is_duplicate_history(trade(100, 0, 10.0, 200)));
}

TEST(TradeWindow, LiveLatePrintsPassButRepeatsDoNot) {
  TradeWindow w;
  w.record(trade(kSec + 500, 10));
  EXPECT_EQ(w.floor(), t0 + kSec);
  EXPECT_FALSE(w.is_duplicate_live(trade(100, 3)));  // an older print, first seen now
  EXPECT_TRUE(w.is_duplicate_live(trade(kSec + 500, 10)));
  EXPECT_FALSE(w.is_duplicate_live(trade(kSec + 500, 11)));
}

TEST(TradeWindow, ANewSecondForgetsTheOldOne) {
  TradeWindow w;
  w.record(trade(100, 1));
  w.record(trade(kSec + 1, 2));
  EXPECT_EQ(w.floor(), t0 + kSec);
  EXPECT_TRUE(w.is_duplicate_history(trade(100, 1)));  // older than the floor
  EXPECT_TRUE(w.is_duplicate_history(trade(kSec + 1, 2)));
}

TEST(TradeWindow, TheSnapshotTradeSeedsAnEmptyWindowOnly) {
  TradeWindow w;
  w.seed(trade(700, 5));
  EXPECT_TRUE(w.is_duplicate_history(trade(700, 5)));
  EXPECT_TRUE(w.is_duplicate_history(trade(600, 4)));  // before the snapshot's trade
  EXPECT_FALSE(w.is_duplicate_history(trade(800, 6)));
  w.record(trade(900, 7));
  w.seed(trade(5 * kSec, 8));  // ignored: the window is live
  EXPECT_EQ(w.watermark(), t0 + 900);
}

TEST(Backoff, GrowsExponentiallyUpToTheCap) {
  Backoff b({.initial = std::chrono::milliseconds(100),
             .max = std::chrono::milliseconds(1000),
             .factor = 2.0,
             .jitter = 0.0},
            1);
  EXPECT_EQ(b.next().count(), 100);
  EXPECT_EQ(b.next().count(), 200);
  EXPECT_EQ(b.next().count(), 400);
  EXPECT_EQ(b.next().count(), 800);
  EXPECT_EQ(b.next().count(), 1000);
  EXPECT_EQ(b.next().count(), 1000);
  b.reset();
  EXPECT_EQ(b.next().count(), 100);
}

TEST(Backoff, JitterStaysWithinItsBandAndVaries) {
  Backoff b({.initial = std::chrono::milliseconds(1000),
             .max = std::chrono::milliseconds(60000),
             .factor = 1.0,
             .jitter = 0.25},
            42);
  long lo = 1'000'000, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const long ms = static_cast<long>(b.next().count());
    ASSERT_GE(ms, 750);
    ASSERT_LE(ms, 1250);
    lo = std::min(lo, ms);
    hi = std::max(hi, ms);
  }
  EXPECT_LT(lo, 800);
  EXPECT_GT(hi, 1200);
}

}  // namespace
}  // namespace spacetime::feed::iqfeed
