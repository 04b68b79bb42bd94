#include "indicators/adaptive_buffer.hpp"

#include <gtest/gtest.h>

namespace spacetime::indicators {
namespace {

using market::Zone;

TEST(AdaptiveBuffer, NotReadyUntilExactlyNPreviousValues) {
  AdaptiveBuffer buffer({.n = 10});
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(buffer.update(5.0).zone, Zone::kNotReady) << i;
  EXPECT_NE(buffer.update(5.0).zone, Zone::kNotReady);
}

TEST(AdaptiveBuffer, ConstantActivityGetsTheFloorBandNotAHairTrigger) {
  AdaptiveBuffer buffer({.n = 10});
  for (int i = 0; i < 10; ++i)
    buffer.update(100.0);
  // sigma == 0, CV == 0: the band is the 10 % floor around the baseline.
  const Band band = buffer.update(100.0);
  EXPECT_EQ(band.baseline, 0.8 * 100.0 + 0.2 * 100.0);
  EXPECT_EQ(band.upper, band.baseline + (1.0 * band.baseline) * 0.10);
  EXPECT_EQ(band.lower, band.baseline - (1.0 * band.baseline) * 0.10);
  EXPECT_EQ(band.zone, Zone::kNeutral);
}

TEST(AdaptiveBuffer, ComparisonsAreStrict) {
  for (const auto& [s, zone] : std::vector<std::pair<double, Zone>>{{110.0, Zone::kNeutral},
                                                                    {110.00000000001, Zone::kHigh},
                                                                    {90.0, Zone::kNeutral},
                                                                    {89.99999999999, Zone::kLow}}) {
    AdaptiveBuffer buffer({.n = 10});
    for (int i = 0; i < 10; ++i)
      buffer.update(100.0);
    EXPECT_EQ(buffer.update(s).zone, zone) << s;
  }
}

TEST(AdaptiveBuffer, BandIsFromPreviousValuesOnly) {
  AdaptiveBuffer a({.n = 10});
  AdaptiveBuffer b({.n = 10});
  for (int i = 0; i < 10; ++i) {
    a.update(100.0 + i);
    b.update(100.0 + i);
  }
  const Band low = a.update(0.0);
  const Band high = b.update(1e6);  // the current value must not move its own band
  EXPECT_EQ(low.baseline, high.baseline);
  EXPECT_EQ(low.upper, high.upper);
  EXPECT_EQ(low.zone, Zone::kLow);
  EXPECT_EQ(high.zone, Zone::kHigh);
}

TEST(AdaptiveBuffer, LowerEdgeClampsAtZeroAndCvIsCapped) {
  AdaptiveBuffer buffer({.n = 10});
  // Wildly dispersed activity: CV > 1 makes B - H negative; clamped to 0.
  for (int i = 0; i < 10; ++i)
    buffer.update(i % 5 == 0 ? 1000.0 : 0.0);
  const Band band = buffer.update(0.0);
  EXPECT_EQ(band.lower, 0.0);
  EXPECT_EQ(band.zone, Zone::kNeutral);  // 0 is not strictly below 0
  EXPECT_LE(band.upper, band.baseline + band.baseline * 3.0);
}

// Issue 9: a CV above the cap (19 zeros and one 100 over N = 20: CV = 4.36) gives a
// half-width of exactly 3.0 baselines, and the baseline weighs the long mean 0.8 and the
// short (last 20 %) mean 0.2 on input where the two differ.
TEST(AdaptiveBuffer, CvAboveTheCapGivesExactlyThreeBaselines) {
  AdaptiveBuffer buffer({.n = 20});
  for (int i = 0; i < 20; ++i)
    buffer.update(i == 0 ? 100.0 : 0.0);  // the 100 is outside the short window of 4
  const Band band = buffer.update(0.0);
  EXPECT_DOUBLE_EQ(band.baseline, 0.8 * 5.0 + 0.2 * 0.0);
  EXPECT_EQ(band.upper, band.baseline + (1.0 * band.baseline) * 3.0);
  EXPECT_EQ(band.lower, 0.0);
}

TEST(AdaptiveBuffer, BaselineWeighsTheLongMeanPointEightAndTheShortMeanPointTwo) {
  AdaptiveBuffer buffer({.n = 10});  // short window: 2
  for (const double s : {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0})
    buffer.update(s);
  const Band band = buffer.update(2.0);
  // mean_10 = 1.4, mean_2 = 3: B = 0.8 * 1.4 + 0.2 * 3 = 1.72 (not 1.4, 3 or 2.2).
  EXPECT_DOUBLE_EQ(band.baseline, 1.72);
  EXPECT_EQ(band.zone, Zone::kNeutral);
}

TEST(AdaptiveBuffer, SnapshotAndRestoreContinueBitForBit) {
  AdaptiveBuffer a({.n = 50});
  for (int i = 0; i < 123; ++i)
    a.update(100.0 + (i * 37 % 11));
  StateWriter w;
  a.save(w);
  AdaptiveBuffer b({.n = 50});
  StateReader r(w.bytes());
  b.load(r);
  for (int i = 123; i < 500; ++i) {
    const double s = 100.0 + (i * 53 % 17);
    const Band x = a.update(s);
    const Band y = b.update(s);
    ASSERT_EQ(x.upper, y.upper);
    ASSERT_EQ(x.lower, y.lower);
    ASSERT_EQ(x.zone, y.zone);
  }
}

}  // namespace
}  // namespace spacetime::indicators
