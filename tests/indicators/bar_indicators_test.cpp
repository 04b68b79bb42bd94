// BarIndicators (docs/INDICATORS.md § 8, v3 and v4): the Pine crossover at equality, CHOP's
// TR sum, range and strict filter, the volume spike at exactly k × SMA and its window of
// the last spike_window bars, each against the spec's formula over many bars.
#include "indicators/bar_indicators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace spacetime::indicators {
namespace {

constexpr std::int64_t kMinute = 60'000'000'000;

market::Candle bar(std::int64_t high, std::int64_t low, std::int64_t close,
                   std::int64_t volume = 100) {
  return market::Candle{.open = close, .high = high, .low = low, .close = close, .volume = volume};
}

market::Candle flat(std::int64_t close, std::int64_t volume = 100) {
  return bar(close, close, close, volume);
}

// EMA(1) is the close itself and EMA(3) has alpha = 0.5, so both are exact on integers.
BarParams cross_params() {
  BarParams p;
  p.ema_fast = 1;
  p.ema_slow = 3;
  return p;
}

TEST(BarIndicators, CrossUpFromEqualEmasAndNotAtEquality) {
  BarIndicators b(cross_params(), kMinute);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(b.on_close(flat(10)).cross, 0);  // slow ready at the 3rd bar: f = s = 10
  BarClose c = b.on_close(flat(6));            // f 6 < s 8, after f == s: a cross down
  ASSERT_TRUE(c.cross_ready);
  EXPECT_EQ(c.fast, 6.0);
  EXPECT_EQ(c.slow, 8.0);
  EXPECT_EQ(c.cross, -1);
  c = b.on_close(flat(8));  // f 8 == s 8 after f < s: not a cross up
  EXPECT_EQ(c.fast, c.slow);
  EXPECT_EQ(c.cross, 0);
  c = b.on_close(flat(12));  // f 12 > s 10 after f == s: a cross up
  EXPECT_EQ(c.slow, 10.0);
  EXPECT_EQ(c.cross, +1);
}

TEST(BarIndicators, CrossDownFromEqualEmasAndNotAtEquality) {
  BarIndicators b(cross_params(), kMinute);
  for (int i = 0; i < 3; ++i)
    b.on_close(flat(10));
  BarClose c = b.on_close(flat(14));  // f 14 > s 12 after f == s: a cross up
  EXPECT_EQ(c.cross, +1);
  c = b.on_close(flat(12));  // f 12 == s 12 after f > s: not a cross down
  EXPECT_EQ(c.fast, c.slow);
  EXPECT_EQ(c.cross, 0);
  c = b.on_close(flat(8));  // f 8 < s 10 after f == s: a cross down
  EXPECT_EQ(c.cross, -1);
}

TEST(BarIndicators, ChopPeriodTwoIsTheSmallestAccepted) {
  BarParams p;
  p.chop_n = 1;
  EXPECT_THROW(BarIndicators(p, kMinute), std::invalid_argument);
  p.chop_n = 2;
  BarIndicators b(p, kMinute);
  EXPECT_FALSE(b.on_close(bar(12, 10, 11)).chop_ready);
  const BarClose c = b.on_close(bar(14, 11, 12));  // TR 2 + 3, range 14 - 10
  ASSERT_TRUE(c.chop_ready);
  EXPECT_EQ(c.chop, 100.0 * std::log10(5.0 / 4.0) / std::log10(2.0));
}

// CHOP(n) over many bars against the spec's formula, computed naively: TR_b =
// max(H_b, C_{b-1}) - min(L_b, C_{b-1}) (H - L for the first bar), SumTR of the last n,
// Range = max H - min L of the last n.
TEST(BarIndicators, ChopFollowsTheFormulaOverManyTurnsOfItsRing) {
  BarParams p;
  p.chop_n = 4;
  BarIndicators b(p, kMinute);
  const double c_const = chop_constant(4, 61.8);
  std::vector<std::int64_t> high, low, close, tr;
  for (int k = 0; k < 50; ++k) {
    const std::int64_t mid = 1000 + (k * k * 7 + 3 * k) % 41;
    high.push_back(mid + (k * 5) % 9);
    low.push_back(mid - (k * 3) % 7);
    close.push_back(low.back() + (k * 11) % (high.back() - low.back() + 1));
    tr.push_back(k == 0 ? high[0] - low[0]
                        : std::max(high[k], close[k - 1]) - std::min(low[k], close[k - 1]));
    const BarClose c = b.on_close(bar(high[k], low[k], close[k]));
    ASSERT_EQ(c.chop_ready, k >= 3) << "k=" << k;
    if (k < 3) continue;
    std::int64_t sum = 0, hi = high[k], lo = low[k];
    for (int j = k - 3; j <= k; ++j) {
      sum += tr[j];
      hi = std::max(hi, high[j]);
      lo = std::min(lo, low[j]);
    }
    const std::int64_t range = hi - lo;
    ASSERT_GT(range, 0);
    EXPECT_EQ(c.chop, 100.0 * std::log10(static_cast<double>(sum) / static_cast<double>(range)) /
                          std::log10(4.0))
        << "k=" << k;
    EXPECT_EQ(c.chop_pass, static_cast<double>(sum) < c_const * static_cast<double>(range))
        << "k=" << k;
  }
}

TEST(BarIndicators, ChopFilterIsStrictAtSumTrEqualToCTimesRange) {
  // T = 100: C = n^1 = 3 exactly. Three bars 0..10 closing at 5: SumTR 30 = 3 × range 10.
  BarParams p;
  p.chop_n = 3;
  p.chop_threshold = 100.0;
  ASSERT_EQ(chop_constant(3, 100.0), 3.0);
  BarIndicators b(p, kMinute);
  b.on_close(bar(10, 0, 5));
  b.on_close(bar(10, 0, 5));
  BarClose c = b.on_close(bar(10, 0, 5));
  ASSERT_TRUE(c.chop_ready);
  EXPECT_FALSE(c.chop_pass);
  EXPECT_DOUBLE_EQ(c.chop, 100.0);  // 100 log10(30 / 10) / log10(3)
  c = b.on_close(bar(10, 1, 5));    // SumTR 29 < 30: passes
  EXPECT_TRUE(c.chop_pass);
}

TEST(BarIndicators, ChopOfAFlatRangeIsOneHundredAndNeverPasses) {
  BarParams p;
  p.chop_n = 3;
  BarIndicators b(p, kMinute);
  for (int i = 0; i < 6; ++i) {
    const BarClose c = b.on_close(flat(500));
    EXPECT_EQ(c.chop_ready, i >= 2);
    EXPECT_EQ(c.chop, 100.0);
    EXPECT_FALSE(c.chop_pass);
  }
}

TEST(BarIndicators, VolumeSpikeAtExactlyKTimesTheSmaOfTheBarsBefore) {
  BarParams p;
  p.volume_n = 2;
  p.spike_k = 1.5;
  p.spike_window = 1;
  BarIndicators b(p, kMinute);
  EXPECT_FALSE(b.on_close(flat(10, 10)).volume_sma_ready);
  EXPECT_FALSE(b.on_close(flat(10, 10)).spike_in_window);  // SMA not ready before bar 3
  BarClose c = b.on_close(flat(10, 15));                   // 15 >= 1.5 × 10
  EXPECT_EQ(c.volume_sma, 10.0);
  EXPECT_TRUE(c.spike_in_window);
  c = b.on_close(flat(10, 18));  // SMA (10 + 15) / 2 = 12.5: 18 < 18.75
  EXPECT_EQ(c.volume_sma, 12.5);
  EXPECT_FALSE(c.spike_in_window);
}

// The flag counts on bar b and the spike_window - 1 bars before it, over many turns of
// its ring, against a naive recomputation.
TEST(BarIndicators, SpikeWindowHoldsExactlyTheLastBarsFlags) {
  BarParams p;
  p.volume_n = 2;
  p.spike_k = 1.5;
  p.spike_window = 3;
  BarIndicators b(p, kMinute);
  std::vector<std::int64_t> v;
  std::vector<bool> spike;
  for (int k = 0; k < 60; ++k) {
    v.push_back(k % 7 == 3 || k % 11 == 5 ? 40 : 10 + (k * 3) % 5);
    spike.push_back(k >= 2 && static_cast<double>(v[k]) >=
                                  1.5 * (static_cast<double>(v[k - 1] + v[k - 2]) / 2.0));
    bool any = false;
    for (int j = std::max(0, k - 2); j <= k; ++j)
      any = any || spike[j];
    EXPECT_EQ(b.on_close(flat(10, v[k])).spike_in_window, any) << "k=" << k;
  }
}

}  // namespace
}  // namespace spacetime::indicators
