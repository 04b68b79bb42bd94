#include "indicators/smoothers.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spacetime::indicators {
namespace {

TEST(Sma, ReadyAtExactlyNAndAveragesTheLastN) {
  Sma sma(3);
  sma.update(1);
  sma.update(2);
  EXPECT_FALSE(sma.ready());
  sma.update(3);
  ASSERT_TRUE(sma.ready());
  EXPECT_EQ(sma.value(), 2.0);
  sma.update(10);
  EXPECT_EQ(sma.value(), 5.0);  // (2 + 3 + 10) / 3
  EXPECT_THROW(Sma(0), std::invalid_argument);
}

TEST(Sma, SlidesOverManyTurnsOfItsRing) {
  // Integer inputs keep every sum exact, so y_k is exactly (x_k + x_{k-1} + x_{k-2}) / 3
  // long after the ring has wrapped (the oldest is the one that leaves, every time).
  Sma sma(3);
  std::vector<double> x;
  for (int k = 0; k < 40; ++k) {
    x.push_back(static_cast<double>((k * k * 7 + k) % 23));
    sma.update(x.back());
    if (k >= 2) {
      ASSERT_TRUE(sma.ready());
      ASSERT_EQ(sma.value(), (x[k] + x[k - 1] + x[k - 2]) / 3.0) << "k=" << k;
    }
  }
}

TEST(Sma, SubtractsTheOldestBeforeAddingLikeTaLib) {
  // With 1e16 in the window, the order of (sum - old) + x decides the last bits.
  Sma sma(2);
  sma.update(1e16);
  sma.update(1.0);
  sma.update(3.0);  // sum = (1e16 + 1 - 1e16) + 3, not (1e16 + 1 + 3) - 1e16
  double expected = 0.0;
  expected = expected + 1e16;
  expected = expected + 1.0;
  expected = expected - 1e16;
  expected = expected + 3.0;
  EXPECT_EQ(sma.value(), expected / 2.0);
}

TEST(Ema, SeedsWithTheSmaThenSmooths) {
  Ema ema(3);  // alpha = 0.5
  ema.update(1);
  ema.update(2);
  EXPECT_FALSE(ema.ready());
  ema.update(3);
  ASSERT_TRUE(ema.ready());
  EXPECT_EQ(ema.value(), 2.0);
  ema.update(4);
  EXPECT_EQ(ema.value(), 3.0);  // (4 - 2) * 0.5 + 2
  ema.update(0);
  EXPECT_EQ(ema.value(), 1.5);
}

TEST(Ema, PeriodOneFollowsTheInput) {
  Ema ema(1);
  for (double x : {5.0, -2.0, 7.25}) {
    ema.update(x);
    ASSERT_TRUE(ema.ready());
    EXPECT_EQ(ema.value(), x);
  }
}

TEST(Zlma, LagIsHalfThePeriodAndWarmUpIsLPlusN) {
  EXPECT_EQ(Zlma(1).lag(), 0u);
  EXPECT_EQ(Zlma(2).lag(), 0u);
  EXPECT_EQ(Zlma(3).lag(), 1u);
  EXPECT_EQ(Zlma(10).lag(), 4u);
  EXPECT_EQ(Zlma(21).lag(), 10u);
  for (std::size_t n : {1, 2, 3, 10, 21}) {
    Zlma z(n);
    const std::size_t ready_at = (n - 1) / 2 + n;
    for (std::size_t k = 1; k <= ready_at; ++k) {
      EXPECT_FALSE(z.ready()) << "n=" << n << " k=" << k;
      z.update(static_cast<double>(k));
    }
    EXPECT_TRUE(z.ready()) << "n=" << n;
  }
}

TEST(Zlma, IsTheEmaOfTheDelaggedSeries) {
  const std::vector<double> x = {10, 11, 13, 12, 15, 14, 18, 17, 20, 22, 21, 25};
  Zlma z(5);  // L = 2
  Ema e(5);
  for (std::size_t k = 0; k < x.size(); ++k) {
    z.update(x[k]);
    if (k >= 2) e.update(2.0 * x[k] - x[k - 2]);
    ASSERT_EQ(z.ready(), e.ready());
    if (z.ready()) {
      EXPECT_EQ(z.value(), e.value());
    }
  }
}

TEST(Zlma, DelagsByExactlyLOverManyTurnsOfItsRing) {
  // n = 4: L = 1, a ring of 2; n = 7: L = 3, a ring of 4. Integer inputs, so d is exact.
  for (std::size_t n : {4, 7}) {
    const std::size_t lag = (n - 1) / 2;
    Zlma z(n);
    Ema e(n);
    std::vector<double> x;
    for (std::size_t k = 0; k < 60; ++k) {
      x.push_back(static_cast<double>((k * k * 5 + 3 * k) % 31));
      z.update(x.back());
      if (k >= lag) e.update(2.0 * x[k] - x[k - lag]);
      ASSERT_EQ(z.ready(), e.ready()) << "n=" << n << " k=" << k;
      if (z.ready()) {
        ASSERT_EQ(z.value(), e.value()) << "n=" << n << " k=" << k;
      }
    }
  }
}

TEST(Smoothers, ConstantInputGivesTheConstant) {
  for (auto type : {SmootherType::kSma, SmootherType::kEma, SmootherType::kZlma}) {
    Smoother s(type, 7);
    for (int i = 0; i < 100; ++i)
      s.update(42.5);
    ASSERT_TRUE(s.ready());
    EXPECT_EQ(s.value(), 42.5);
  }
}

TEST(Smoothers, SnapshotAndRestoreContinueBitForBit) {
  for (auto type : {SmootherType::kSma, SmootherType::kEma, SmootherType::kZlma}) {
    Smoother a(type, 10);
    double x = 100.0;
    for (int i = 0; i < 37; ++i)
      a.update(x += std::sin(i) * 3.0);
    StateWriter w;
    a.save(w);
    Smoother b(type, 10);
    StateReader r(w.bytes());
    b.load(r);
    EXPECT_TRUE(r.done());
    for (int i = 37; i < 200; ++i) {
      x += std::cos(i) * 2.0;
      a.update(x);
      b.update(x);
      ASSERT_EQ(a.value(), b.value());
    }
  }
}

TEST(StateReader, RejectsTruncatedAndMisshapenSnapshots) {
  Sma a(4);
  a.update(1);
  StateWriter w;
  a.save(w);
  const std::string cut = w.bytes().substr(0, w.bytes().size() - 1);
  Sma b(4);
  StateReader r(cut);
  EXPECT_THROW(b.load(r), std::runtime_error);
  Sma c(5);  // another period: another ring size
  StateReader r2(w.bytes());
  EXPECT_THROW(c.load(r2), std::runtime_error);
}

}  // namespace
}  // namespace spacetime::indicators
