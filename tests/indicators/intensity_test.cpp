#include "indicators/intensity.hpp"

#include <gtest/gtest.h>

namespace spacetime::indicators {
namespace {

constexpr std::int64_t kSec = 1'000'000'000;

TEST(IntensityWindow, ATickExactlyWOldIsExcludedAndEqualTimesAreIncluded) {
  IntensityWindow w(kSec);
  w.update(0, 10, 100);
  w.update(0, 5, 101);  // same t: both in
  EXPECT_EQ(w.count(), 2);
  w.update(kSec - 1, 1, 101);
  EXPECT_EQ(w.count(), 3);
  w.update(kSec, 2, 99);  // the two ticks at t=0 are exactly W old now
  EXPECT_EQ(w.count(), 2);
  EXPECT_EQ(w.volume(), 3);
  EXPECT_EQ(w.travel(), 2);  // |101-101| + |99-101|; the evicted ticks' travel is gone
}

TEST(IntensityWindow, RejectsAZeroWindowOrBoundAndAcceptsOne) {
  EXPECT_THROW(IntensityWindow{0}, std::invalid_argument);
  EXPECT_THROW(IntensityWindow(-kSec), std::invalid_argument);
  EXPECT_THROW(IntensityWindow(kSec, 0), std::invalid_argument);
  IntensityWindow w(1, 1);  // W = 1 ns, at most one tick: the smallest valid window
  EXPECT_FALSE(w.update(10, 2, 100));
  EXPECT_TRUE(w.update(11, 3, 100));
  EXPECT_EQ(w.count(), 1);
  EXPECT_EQ(w.volume(), 3);
}

TEST(IntensityWindow, HoldsNoMoreThanItsBoundWhateverTheTimestamps) {
  IntensityWindow w(kSec, 100);
  for (int i = 0; i < 1000; ++i)
    w.update(0, 1, 100 + i % 2);  // all at the same time: only the bound evicts
  EXPECT_EQ(w.count(), 100);
  EXPECT_EQ(w.volume(), 100);
  EXPECT_EQ(w.travel(), 100);
  EXPECT_EQ(w.capped(), 900u);
  w.update(2 * kSec, 7, 100);  // time still evicts as before
  EXPECT_EQ(w.count(), 1);
  EXPECT_EQ(w.volume(), 7);
}

TEST(IntensityWindow, BoundOfOneKeepsOnlyTheNewestTick) {
  IntensityWindow w(kSec, 1);
  w.update(0, 3, 100);
  w.update(1, 4, 100);
  EXPECT_EQ(w.count(), 1);
  EXPECT_EQ(w.volume(), 4);
  EXPECT_EQ(w.capped(), 1u);
}

TEST(IntensityWindow, ReadyOnceAFullWindowHasPassed) {
  IntensityWindow w(kSec);
  EXPECT_FALSE(w.update(5 * kSec, 1, 1));
  EXPECT_FALSE(w.update(6 * kSec - 1, 1, 1));
  EXPECT_TRUE(w.update(6 * kSec, 1, 1));
}

TEST(IntensityWindow, RatesPerSecondForEachMode) {
  IntensityWindow w(2 * kSec);
  w.update(0, 100, 1000);
  w.update(kSec, 300, 1003);
  w.update(2 * kSec - 1, 50, 1001);
  EXPECT_EQ(w.rate(IntensityMode::kTickRate), 1.5);      // 3 ticks / 2 s
  EXPECT_EQ(w.rate(IntensityMode::kVolumeRate), 225.0);  // 450 lots / 2 s
  EXPECT_EQ(w.rate(IntensityMode::kSpaceRate), 2.5);     // 0 + 3 + 2 ticks / 2 s
}

TEST(IntensityWindow, WithOneSecondTheRateIsTheExactCount) {
  IntensityWindow w(kSec);
  for (int i = 0; i < 1000; ++i)
    w.update(i * 1'000'000, 7, 50 + (i % 3));
  EXPECT_EQ(w.rate(IntensityMode::kTickRate), 1000.0);
  EXPECT_EQ(w.rate(IntensityMode::kVolumeRate), 7000.0);
}

TEST(IntensityWindow, ZeroSizesGiveZeroVolumeIntensity) {
  IntensityWindow w(kSec);
  for (int i = 0; i < 10; ++i)
    w.update(i * kSec / 2, 0, 10);
  EXPECT_EQ(w.rate(IntensityMode::kVolumeRate), 0.0);
  EXPECT_EQ(w.rate(IntensityMode::kTickRate), 2.0);
}

TEST(IntensityWindow, GrowsPastItsInitialCapacityAndSurvivesSnapshots) {
  IntensityWindow a(kSec);
  for (int i = 0; i < 5000; ++i)
    a.update(i * 100'000, 1, i % 7);  // 10000 ticks/s
  EXPECT_EQ(a.count(), 5000);
  StateWriter w;
  a.save(w);
  IntensityWindow b(kSec);
  StateReader r(w.bytes());
  b.load(r);
  EXPECT_TRUE(r.done());  // the snapshot holds exactly the ticks in the window
  for (std::int64_t i = 5000; i < 30000; ++i) {
    a.update(i * 100'000, 2, i % 5);
    b.update(i * 100'000, 2, i % 5);
    ASSERT_EQ(a.rate(IntensityMode::kSpaceRate), b.rate(IntensityMode::kSpaceRate));
  }
  EXPECT_EQ(a.count(), 10000);
}

}  // namespace
}  // namespace spacetime::indicators
