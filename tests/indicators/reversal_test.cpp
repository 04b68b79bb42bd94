#include "indicators/reversal.hpp"

#include <gtest/gtest.h>

namespace spacetime::indicators {
namespace {

using market::Zone;

Band band(Zone zone, double baseline = 10.0) {
  return Band{.upper = baseline * 1.5, .baseline = baseline, .lower = baseline * 0.5, .zone = zone};
}

// v1 scenario: a burst above the band lasting `burst` ticks while the price moves `move`
// ticks, then intensity falls back to the baseline.
std::optional<Signal> run_v1(ReversalV1& v1, std::int64_t move, int burst,
                             std::int64_t start = 1000) {
  std::optional<Signal> out;
  std::int64_t q = start;
  Zone prev = Zone::kNeutral;
  v1.update(10.0, band(Zone::kNeutral), prev, q, q);
  for (int i = 0; i < burst; ++i) {
    const std::int64_t q_prev = q;
    q = start + move * (i + 1) / burst;
    v1.update(20.0, band(Zone::kHigh), prev, q, q_prev);
    prev = Zone::kHigh;
  }
  out = v1.update(9.0, band(Zone::kNeutral), prev, q, q);  // S <= B: the climax fades
  return out;
}

TEST(ReversalV1, BuyingClimaxThatFadesIsASell) {
  ReversalV1 v1;
  const auto s = run_v1(v1, +6, 3);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, -1);
  EXPECT_EQ(s->strength, 6.0);
}

TEST(ReversalV1, SellingClimaxThatFadesIsABuy) {
  ReversalV1 v1;
  const auto s = run_v1(v1, -4, 5);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, +1);
}

TEST(ReversalV1, NearMissesDoNotFire) {
  ReversalV1 a;
  EXPECT_FALSE(run_v1(a, +3, 3)) << "a 3-tick move is below min_move 4";
  ReversalV1 b;
  EXPECT_FALSE(run_v1(b, +6, 1)) << "a burst of 2 ticks is below min_burst 3";
  ReversalV1 c;
  EXPECT_FALSE(run_v1(c, +20, 1001)) << "a burst longer than max_burst is abandoned";
}

TEST(ReversalV1, NotReadyZoneIsANoOp) {
  ReversalV1 v1;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(v1.update(20.0, Band{}, Zone::kNotReady, 1000 + i, 1000 + i - 1));
  }
  // Without a HIGH entry recorded, the fade does nothing either.
  EXPECT_FALSE(v1.update(5.0, band(Zone::kNeutral), Zone::kNotReady, 1010, 1009));
}

TEST(ReversalV1, CooldownSuppressesButConsumes) {
  ReversalV1 v1({.cooldown = 50});
  ASSERT_TRUE(run_v1(v1, +6, 3));  // 5 steps used: cooldown 50 set at the last
  // A second climax right away is consumed (back to IDLE) without a signal.
  EXPECT_FALSE(run_v1(v1, +6, 3));
  // Quiet steps: 5 + 39 + 5 = 49 steps after the signal, one short of the cooldown.
  for (int i = 0; i < 39; ++i)
    v1.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
  EXPECT_FALSE(run_v1(v1, +6, 3)) << "49 steps after: still cooling down";
  for (int i = 0; i < 50; ++i)
    v1.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
  EXPECT_TRUE(run_v1(v1, +6, 3));
}

// v2 scenario: 200 flat-ish ticks, a new high on a HIGH zone, then a retrace with negative
// momentum.
struct V2Run {
  ReversalV2 v2{V2Params{}};
  std::vector<Signal> signals;
  void tick(std::int64_t q, Zone zone) {
    if (auto s = v2.update(q, zone)) signals.push_back(*s);
  }
};

// Boundaries (issue 9, found by the mutation check): each rule at equality.
TEST(ReversalV1, IntensityExactlyAtTheBaselineEndsTheBurst) {
  ReversalV1 v1;
  v1.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
  v1.update(20.0, band(Zone::kHigh), Zone::kNeutral, 1002, 1000);                 // n = 1
  v1.update(20.0, band(Zone::kHigh), Zone::kHigh, 1004, 1002);                    // n = 2
  const auto s = v1.update(10.0, band(Zone::kNeutral), Zone::kHigh, 1006, 1004);  // S == B
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, -1);
}

TEST(ReversalV1, FiresAtExactlyMinBurstTicksAndMinMove) {
  // Start (n = 1), one more HIGH tick (n = 2), the fading tick (n = 3 = min_burst).
  ReversalV1 v1({.min_burst = 3, .min_move = 4});
  v1.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
  v1.update(20.0, band(Zone::kHigh), Zone::kNeutral, 1002, 1000);
  v1.update(20.0, band(Zone::kHigh), Zone::kHigh, 1003, 1002);
  const auto s = v1.update(9.0, band(Zone::kNeutral), Zone::kHigh, 1004, 1003);  // |m| = 4
  ASSERT_TRUE(s);
  EXPECT_EQ(s->strength, 4.0);
  // One tick short of min_burst: n = 2 when it fades.
  ReversalV1 short_burst({.min_burst = 3, .min_move = 4});
  short_burst.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
  short_burst.update(20.0, band(Zone::kHigh), Zone::kNeutral, 1002, 1000);
  EXPECT_FALSE(short_burst.update(9.0, band(Zone::kNeutral), Zone::kHigh, 1010, 1002));
}

TEST(ReversalV1, ABurstOfExactlyMaxBurstTicksStillFires) {
  // max_burst = 5: after n = 5 HIGH ticks the burst is still on, so fading on the next tick
  // (n = 6) fires; one more HIGH tick (n = 6 > max_burst) drops it silently.
  auto run = [](int high_ticks) {
    ReversalV1 v1({.min_burst = 3, .min_move = 4, .max_burst = 5, .cooldown = 0});
    v1.update(10.0, band(Zone::kNeutral), Zone::kNeutral, 1000, 1000);
    Zone prev = Zone::kNeutral;
    std::int64_t q = 1000;
    for (int i = 0; i < high_ticks; ++i) {
      v1.update(20.0, band(Zone::kHigh), prev, q + 1, q);
      q = q + 1;
      prev = Zone::kHigh;
    }
    return v1.update(9.0, band(Zone::kNeutral), prev, q, q);
  };
  EXPECT_TRUE(run(5));
  EXPECT_FALSE(run(6));
}

// v2 with small windows: M_ext = 3, m_mom = 2, confirm = 5, min_retrace = 2, no cooldown.
V2Params small_v2() {
  return {.extreme_window = 3, .momentum = 2, .confirm = 5, .min_retrace = 2, .cooldown = 0};
}

TEST(ReversalV2, ConfirmsExactlyConfirmTicksAfterArmingButNotOneLater) {
  auto run = [](int waiting) {
    ReversalV2 v2(small_v2());
    for (int i = 0; i < 3; ++i)
      v2.update(10, Zone::kNeutral);
    EXPECT_FALSE(v2.update(11, Zone::kHigh));  // k = 4: a new high in the HIGH zone arms BEAR
    for (int i = 0; i < waiting; ++i)
      EXPECT_FALSE(v2.update(11, Zone::kNeutral));  // no new high, no retrace
    return v2.update(9, Zone::kNeutral);            // retrace exactly 2, momentum 9 - 11 < 0
  };
  const auto on_time = run(4);  // confirms at k = 9: k - armed_at = 5 = confirm
  ASSERT_TRUE(on_time);
  EXPECT_EQ(on_time->direction, -1);
  EXPECT_EQ(on_time->strength, 2.0);
  EXPECT_FALSE(run(5));  // k - armed_at = 6 > confirm: expired
}

TEST(ReversalV2, ARetraceOneTickShortOfMinRetraceDoesNotConfirm) {
  ReversalV2 v2(small_v2());
  for (int i = 0; i < 3; ++i)
    v2.update(10, Zone::kNeutral);
  v2.update(11, Zone::kHigh);
  v2.update(11, Zone::kNeutral);
  v2.update(11, Zone::kNeutral);
  EXPECT_FALSE(v2.update(10, Zone::kNeutral));  // retrace 1
  EXPECT_TRUE(v2.update(9, Zone::kNeutral));    // retrace 2
}

TEST(ReversalV2, AnArmTheOtherWayReplacesTheCandidate) {
  ReversalV2 v2(small_v2());
  for (int i = 0; i < 3; ++i)
    v2.update(10, Zone::kNeutral);
  EXPECT_FALSE(v2.update(11, Zone::kHigh));      // BEAR armed at 11
  EXPECT_FALSE(v2.update(8, Zone::kHigh));       // a new low in the HIGH zone: BULL replaces it
  EXPECT_FALSE(v2.update(10, Zone::kNeutral));   // retrace 2 but momentum 10 - 11 < 0
  const auto s = v2.update(10, Zone::kNeutral);  // momentum 10 - 8 > 0, retrace 2
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, +1);
}

// Found by the mutation check: ties and readiness.
TEST(ReversalV2, ATieWithThePreviousLowIsNotANewLow) {
  ReversalV2 v2(small_v2());
  for (int i = 0; i < 3; ++i)
    v2.update(10, Zone::kNeutral);
  EXPECT_FALSE(v2.update(10, Zone::kHigh));     // equals the low: arms nothing
  EXPECT_FALSE(v2.update(12, Zone::kNeutral));  // would confirm a BULL armed at 10
}

TEST(ReversalV2, ZeroMomentumConfirmsNeitherWay) {
  {
    ReversalV2 v2(small_v2());
    for (int i = 0; i < 3; ++i)
      v2.update(9, Zone::kNeutral);
    EXPECT_FALSE(v2.update(11, Zone::kHigh));    // BEAR armed at 11
    EXPECT_FALSE(v2.update(9, Zone::kNeutral));  // retrace 2, momentum 9 - 9 = 0
  }
  {
    ReversalV2 v2(small_v2());
    for (int i = 0; i < 3; ++i)
      v2.update(11, Zone::kNeutral);
    EXPECT_FALSE(v2.update(9, Zone::kHigh));      // BULL armed at 9
    EXPECT_FALSE(v2.update(11, Zone::kNeutral));  // retrace 2, momentum 11 - 11 = 0
  }
}

TEST(ReversalV2, NotReadyUntilTheMomentumHasMPreviousTicks) {
  // M_ext = 1 < m_mom = 3: the extreme window is full at k = 2, momentum only at k = 4.
  ReversalV2 v2(
      {.extreme_window = 1, .momentum = 3, .confirm = 100, .min_retrace = 1, .cooldown = 0});
  v2.update(10, Zone::kNeutral);
  v2.update(10, Zone::kNeutral);
  EXPECT_FALSE(v2.update(12, Zone::kHigh));  // k = 3: a new high, but not ready: no arm
  EXPECT_FALSE(v2.update(10, Zone::kNeutral));
  EXPECT_FALSE(v2.update(9, Zone::kNeutral));  // would confirm a BEAR armed at 12
}

TEST(ReversalV2, NewHighOnHighIntensityThenRetraceIsASell) {
  V2Run run;
  for (int i = 0; i < 250; ++i)
    run.tick(1000 + (i % 5), Zone::kNeutral);
  run.tick(1010, Zone::kHigh);     // strict new high with HIGH zone: arm BEAR at 1010
  run.tick(1012, Zone::kNeutral);  // further new high, any zone: extreme moves to 1012
  EXPECT_TRUE(run.signals.empty());
  run.tick(1009, Zone::kNeutral);  // retrace 3 >= 2 and MOM = 1009 - q[k-20] > 0: no
  EXPECT_TRUE(run.signals.empty()) << "momentum is still positive";
  for (int i = 0; i < 17; ++i)
    run.tick(1009, Zone::kNeutral);
  run.tick(1002, Zone::kNeutral);  // MOM < 0 now (q 20 ticks ago was 1009+)
  ASSERT_EQ(run.signals.size(), 1u);
  EXPECT_EQ(run.signals[0].direction, -1);
  EXPECT_EQ(run.signals[0].strength, 10.0);  // 1012 - 1002
}

TEST(ReversalV2, NearMissesDoNotFire) {
  {
    V2Run run;  // new high but the zone is not HIGH: never armed
    for (int i = 0; i < 250; ++i)
      run.tick(1000 + (i % 5), Zone::kNeutral);
    run.tick(1010, Zone::kNeutral);
    for (int i = 0; i < 30; ++i)
      run.tick(1000, Zone::kNeutral);
    EXPECT_TRUE(run.signals.empty());
  }
  {
    V2Run run;  // armed, but the retrace is 1 tick < min_retrace 2
    for (int i = 0; i < 250; ++i)
      run.tick(1000 + (i % 5), Zone::kNeutral);
    run.tick(1010, Zone::kHigh);
    for (int i = 0; i < 60; ++i)
      run.tick(1009, Zone::kNeutral);
    EXPECT_TRUE(run.signals.empty());
  }
  {
    V2Run run;  // armed, but confirmation comes after `confirm` ticks: expired
    for (int i = 0; i < 250; ++i)
      run.tick(1000 + (i % 5), Zone::kNeutral);
    run.tick(1010, Zone::kHigh);
    for (int i = 0; i < 101; ++i)
      run.tick(1010 - (i % 2), Zone::kNeutral);
    run.tick(1000, Zone::kNeutral);
    EXPECT_TRUE(run.signals.empty());
  }
}

TEST(ReversalV2, NotArmedBeforeMExtPreviousTicks) {
  V2Run run;
  for (int i = 0; i < 150; ++i)
    run.tick(1000, Zone::kNeutral);
  run.tick(2000, Zone::kHigh);  // tick 151 <= M_ext: no-op
  for (int i = 0; i < 30; ++i)
    run.tick(1000, Zone::kNeutral);
  EXPECT_TRUE(run.signals.empty());
}

TEST(ReversalV2, NewLowOnHighIntensityThenBounceIsABuy) {
  V2Run run;
  for (int i = 0; i < 250; ++i)
    run.tick(1000 + (i % 5), Zone::kNeutral);
  run.tick(990, Zone::kHigh);
  for (int i = 0; i < 20; ++i)
    run.tick(991, Zone::kNeutral);
  run.tick(995, Zone::kNeutral);
  ASSERT_EQ(run.signals.size(), 1u);
  EXPECT_EQ(run.signals[0].direction, +1);
}

BarClose ltf_bar(int cross, std::int64_t volume, double volume_sma) {
  BarClose c;
  c.volume = volume;
  c.trend_ready = c.cross_ready = true;
  c.cross = cross;
  c.volume_sma_ready = true;
  c.volume_sma = volume_sma;
  return c;
}

BarClose htf_bar(int trend) {
  BarClose c;
  c.trend_ready = true;
  c.fast = trend > 0 ? 11.0 : 9.0;
  c.slow = 10.0;
  return c;
}

TEST(ReversalV3, PullbackFlipIntoTheHigherTrendWithActivityAndVolumeFires) {
  ReversalV3 v3;
  v3.on_htf_close(htf_bar(+1));
  const auto s = v3.on_ltf_close(ltf_bar(+1, 120, 100.0), /*had_high_zone=*/true);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, +1);
  EXPECT_EQ(s->strength, 1.2);
}

TEST(ReversalV3, NearMissesDoNotFire) {
  ReversalV3 a;
  a.on_htf_close(htf_bar(+1));
  EXPECT_FALSE(a.on_ltf_close(ltf_bar(+1, 120, 100.0), false)) << "no HIGH zone in the bar";
  ReversalV3 b;
  b.on_htf_close(htf_bar(-1));
  EXPECT_FALSE(b.on_ltf_close(ltf_bar(+1, 120, 100.0), true)) << "against the HTF trend";
  ReversalV3 c;
  c.on_htf_close(htf_bar(+1));
  EXPECT_FALSE(c.on_ltf_close(ltf_bar(+1, 99, 100.0), true)) << "volume below the gate";
  ReversalV3 d;
  EXPECT_FALSE(d.on_ltf_close(ltf_bar(+1, 120, 100.0), true)) << "HTF trend not ready";
}

// Found by the mutation check: the gate at equality, a flat HTF trend, a zero volume SMA.
TEST(ReversalV3, VolumeExactlyAtTheGateFires) {
  ReversalV3 v3;
  v3.on_htf_close(htf_bar(+1));
  const auto s = v3.on_ltf_close(ltf_bar(+1, 100, 100.0), true);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->strength, 1.0);
}

TEST(ReversalV3, EqualHtfEmasAreNoTrendEitherWay) {
  for (const int cross : {+1, -1}) {
    ReversalV3 v3;
    BarClose flat = htf_bar(+1);
    flat.fast = flat.slow;  // EMA9 == EMA21: trend 0
    v3.on_htf_close(flat);
    EXPECT_FALSE(v3.on_ltf_close(ltf_bar(cross, 200, 100.0), true)) << cross;
  }
}

TEST(ReversalV3, AZeroVolumeAverageGivesStrengthZeroNotInfinity) {
  ReversalV3 v3;
  v3.on_htf_close(htf_bar(+1));
  const auto s = v3.on_ltf_close(ltf_bar(+1, 0, 0.0), true);  // 0 >= 1.0 * 0: the gate passes
  ASSERT_TRUE(s);
  EXPECT_EQ(s->strength, 0.0);
}

TEST(ReversalV4, AZeroVolumeAverageGivesStrengthZeroNotInfinity) {
  ReversalV4 v4;
  BarClose c = ltf_bar(+1, 5, 0.0);
  c.chop_ready = c.chop_pass = c.spike_in_window = true;
  const auto s = v4.on_close(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->strength, 0.0);
}

TEST(ReversalV3, CooldownIsThreeLtfBars) {
  ReversalV3 v3;
  v3.on_htf_close(htf_bar(-1));
  EXPECT_TRUE(v3.on_ltf_close(ltf_bar(-1, 200, 100.0), true));
  EXPECT_FALSE(v3.on_ltf_close(ltf_bar(-1, 200, 100.0), true));
  EXPECT_FALSE(v3.on_ltf_close(ltf_bar(-1, 200, 100.0), true));
  EXPECT_TRUE(v3.on_ltf_close(ltf_bar(-1, 200, 100.0), true));
}

// v4 end to end through BarIndicators: 22 flat bars, then a bar that crosses EMA9 over
// EMA21 on a volume spike. The 14 bars up to it are built so that CHOP is just below or
// just above 61.8: the filter decides.
std::optional<Signal> run_v4(std::int64_t last_bar_heights, double* chop_out) {
  BarIndicators bars(BarParams{}, 60'000'000'000);
  ReversalV4 v4;
  std::optional<Signal> out;
  // TR_b = H_b - 1000 for these bars (low 1000, previous close 1000). The last 14 bars:
  // 12 of height 32, one of `last_bar_heights`, and the crossing bar of height 100 (the
  // range). SumTR = 100 + 384 + h.
  for (int b = 1; b <= 23; ++b) {
    std::int64_t h = 32;
    if (b == 22) h = last_bar_heights;
    if (b == 23) h = 100;
    const market::Candle candle{.open = 1000,
                                .high = 1000 + h,
                                .low = 1000,
                                .close = b == 23 ? 1010 : 1000,
                                .volume = b == 23 ? 200 : 100};
    const BarClose c = bars.on_close(candle);
    if (b == 23) {
      EXPECT_EQ(c.cross, +1);
      EXPECT_TRUE(c.spike_in_window);
      *chop_out = c.chop;
    }
    if (auto s = v4.on_close(c)) out = s;
  }
  return out;
}

TEST(ReversalV4, CrossOutsideAChoppyMarketWithVolumeSpikeFires) {
  double chop = 0;
  const auto s = run_v4(26, &chop);  // SumTR 510, range 100: CHOP 61.74
  EXPECT_NEAR(chop, 61.74, 0.01);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->direction, +1);
  EXPECT_EQ(s->strength, 2.0);
}

TEST(ReversalV4, TheSameCrossWithChop62DoesNotFire) {
  double chop = 0;
  EXPECT_FALSE(run_v4(29, &chop));  // SumTR 513, range 100: CHOP 61.96
  EXPECT_NEAR(chop, 61.96, 0.01);
}

}  // namespace
}  // namespace spacetime::indicators
