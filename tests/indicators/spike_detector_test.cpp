#include "indicators/spike_detector.hpp"

#include <gtest/gtest.h>

namespace spacetime::indicators {
namespace {

SpikeDetector warmed(double level, std::size_t n = 20, std::uint64_t max_len = 1000) {
  SpikeDetector d({.n = n, .max_len = max_len});
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = d.update(level, i + 1, static_cast<std::int64_t>(i), 100);
    EXPECT_FALSE(r.start);  // not ready: never signals
  }
  return d;
}

TEST(SpikeDetector, ConstantActivityUsesTheSdFloor) {
  // sigma == 0: sd_eff = 0.10 * mean = 10, so z = (I - 100) / 10.
  auto d = warmed(100.0);
  EXPECT_FALSE(d.update(129.0, 21, 21, 100).start);  // z = 2.9
  auto d2 = warmed(100.0);
  const auto r = d2.update(130.0, 21, 21, 105);  // z = 3.0 >= z_on
  ASSERT_TRUE(r.start);
  EXPECT_EQ(r.start->z, 3.0);
  EXPECT_EQ(r.start->intensity, 130.0);
  EXPECT_EQ(r.start->price, 105);
  EXPECT_EQ(r.start->seq, 21u);
}

TEST(SpikeDetector, ZeroActivityNeverSpikes) {
  auto d = warmed(0.0);
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(d.update(0.0, 100 + i, 100 + i, 1).start);
}

TEST(SpikeDetector, TracksTheFirstPeakAndEndsBelowZOff) {
  auto d = warmed(100.0);
  ASSERT_TRUE(d.update(150.0, 21, 1000, 100).start);
  EXPECT_FALSE(d.update(180.0, 22, 1001, 101).end);
  EXPECT_FALSE(d.update(180.0, 23, 1002, 102).end);  // a tie does not move the peak
  EXPECT_FALSE(d.update(115.0, 24, 1003, 103).end);  // z = 1.5: still in
  const auto r = d.update(105.0, 25, 1004, 99);      // z = 0.5 < z_off
  ASSERT_TRUE(r.end);
  EXPECT_EQ(r.end->t_start, 1000);
  EXPECT_EQ(r.end->t_peak, 1001);
  EXPECT_EQ(r.end->t_end, 1004);
  EXPECT_EQ(r.end->peak_intensity, 180.0);
  EXPECT_EQ(r.end->peak_z, 8.0);
  EXPECT_EQ(r.end->ticks, 5u);
  EXPECT_EQ(r.end->price_start, 100);
  EXPECT_EQ(r.end->price_end, 99);
  EXPECT_EQ(r.end->seq, 25u);
  EXPECT_FALSE(d.in_spike());
}

TEST(SpikeDetector, InfluenceZeroKeepsTheBaselineOutOfTheSpike) {
  // With influence 0 the spike's values never enter the statistics: a long spike keeps z.
  auto d = warmed(100.0, 20, 1000);
  ASSERT_TRUE(d.update(200.0, 21, 21, 1).start);
  for (int i = 0; i < 100; ++i)
    ASSERT_FALSE(d.update(200.0, 22 + i, 22 + i, 1).end) << i;
}

// Issue 9 boundary: a spike ends when z < z_off, so z exactly z_off keeps it going. Values
// chosen so that every statistic is exact: window of 2, sd floor half the mean.
TEST(SpikeDetector, ZExactlyZOffDoesNotEndTheSpike) {
  SpikeDetector d({.n = 2, .z_on = 3.0, .z_off = 1.0, .influence = 0.0, .sd_floor_frac = 0.5});
  d.update(0.0, 1, 1, 100);
  d.update(2.0, 2, 2, 100);                     // window {0, 2}: mean 1, sd 1
  ASSERT_TRUE(d.update(4.0, 3, 3, 100).start);  // z = 3 = z_on: starts (>=)
  // F stays 2 in the spike: window {2, 2}, mean 2, sd 0, floor 1 -> z = I - 2.
  EXPECT_FALSE(d.update(3.0, 4, 4, 100).end);  // z = 1 = z_off: still a spike
  EXPECT_TRUE(d.in_spike());
  EXPECT_TRUE(d.update(2.5, 5, 5, 100).end);  // z = 0.5 < z_off: ends
}

// D8 fallback: after a window of zero activity (mean 0, sd 0, sd_eff 0) z is 0, not
// I / 0 = infinity, so the first trade after a silence does not count as a spike.
TEST(SpikeDetector, TheFirstActivityAfterSilenceIsNotASpike) {
  SpikeDetector d({.n = 5});
  for (int i = 0; i < 5; ++i)
    d.update(0.0, 1, 1, 100);
  EXPECT_FALSE(d.update(5.0, 2, 2, 100).start);
  EXPECT_FALSE(d.in_spike());
}

TEST(SpikeDetector, EndsAfterMaxLenTicks) {
  auto d = warmed(100.0, 20, 5);
  ASSERT_TRUE(d.update(200.0, 21, 21, 1).start);
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(d.update(200.0, 22 + i, 22 + i, 1).end);
  const auto r = d.update(200.0, 25, 25, 1);
  ASSERT_TRUE(r.end);
  EXPECT_EQ(r.end->ticks, 5u);
}

}  // namespace
}  // namespace spacetime::indicators
