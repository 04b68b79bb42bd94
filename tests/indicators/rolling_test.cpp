#include "indicators/rolling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>

namespace spacetime::indicators {
namespace {

TEST(RollStats, MatchesATwoPassComputationOverTheWindow) {
  RollStats stats(50);
  std::deque<double> window;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.0, 1000.0);
  for (int i = 0; i < 1000; ++i) {
    const double x = u(rng);
    stats.push(x);
    window.push_back(x);
    if (window.size() > 50) window.pop_front();
    EXPECT_EQ(stats.ready(), window.size() == 50);
    if (!stats.ready()) continue;
    double mean = 0;
    for (double v : window)
      mean += v;
    mean /= 50.0;
    double m2 = 0;
    for (double v : window)
      m2 += (v - mean) * (v - mean);
    EXPECT_NEAR(stats.mean(), mean, 1e-9);
    EXPECT_NEAR(stats.sd(), std::sqrt(m2 / 50.0), 1e-9);
    EXPECT_NEAR(stats.cv(), std::sqrt(m2 / 50.0) / mean, 1e-12);
  }
}

TEST(RollStats, ExactResumEveryNReplacementsGivesTheTwoPassBits) {
  RollStats stats(4);
  const std::vector<double> xs = {0.1, 0.7, 0.3, 0.9, 1e9 + 0.1, 0.2, 0.6, 0.4};
  for (double x : xs)
    stats.push(x);  // 4 replacements: re-summed exactly just now
  double s = 0.0;
  for (double v : {1e9 + 0.1, 0.2, 0.6, 0.4})
    s = s + v;
  EXPECT_EQ(stats.mean(), s / 4.0);
}

TEST(RollStats, ConstantInputHasZeroSigmaAndZeroCvForNonPositiveMean) {
  RollStats stats(10);
  for (int i = 0; i < 25; ++i)
    stats.push(3.0);
  EXPECT_EQ(stats.mean(), 3.0);
  EXPECT_EQ(stats.sd(), 0.0);
  EXPECT_EQ(stats.cv(), 0.0);
  RollStats zeros(5);
  for (int i = 0; i < 5; ++i)
    zeros.push(0.0);
  EXPECT_EQ(zeros.cv(), 0.0);  // D8: no division by a zero mean
  RollStats negative(3);
  for (double x : {-1.0, -2.0, -3.0})
    negative.push(x);
  EXPECT_EQ(negative.cv(), 0.0);
}

// § 2.4 clamps M2 in the state, not only when reading: with 0.3, 40, 40, 40 the sliding
// update leaves M2 slightly negative; clamped, the next sd is the spec's exact value.
TEST(RollStats, NegativeM2FromRoundingIsClampedInTheState) {
  RollStats stats(3);
  for (double x : {0.3, 40.0, 40.0, 40.0})
    stats.push(x);
  EXPECT_EQ(stats.variance(), 0.0);
  stats.push(0.0);
  // Reference: the spec's steps, with the clamp after each replacement.
  double mean = 0.0, m2 = 0.0;
  std::vector<double> ring;
  for (double x : {0.3, 40.0, 40.0}) {
    ring.push_back(x);
    const double delta = x - mean;
    mean = mean + delta / static_cast<double>(ring.size());
    m2 = m2 + delta * (x - mean);
  }
  std::size_t head = 0;
  for (double x : {40.0, 0.0}) {
    const double x_old = ring[head];
    const double mean_new = mean + (x - x_old) / 3.0;
    m2 = m2 + (x - x_old) * ((x - mean_new) + (x_old - mean));
    mean = mean_new;
    ring[head] = x;
    head = (head + 1) % 3;
    if (m2 < 0.0) m2 = 0.0;
  }
  EXPECT_EQ(stats.sd(), std::sqrt(m2 / 3.0));
  EXPECT_EQ(stats.sd(), 18.856180831641264);
}

TEST(RollMean, RunningMeanOfTheLastN) {
  RollMean m(3);
  m.push(1);
  m.push(2);
  EXPECT_FALSE(m.ready());
  m.push(3);
  EXPECT_EQ(m.mean(), 2.0);
  m.push(7);
  EXPECT_EQ(m.mean(), 4.0);
  for (int i = 0; i < 10; ++i)
    m.push(5);
  EXPECT_EQ(m.mean(), 5.0);
}

// Found by the mutation check: the running sum loses the 1.0s next to 1e17 (ulp 16), so
// only the exact re-sum on exactly the N-th replacement brings the mean back to 0.
TEST(RollMean, ExactResumEveryNReplacements) {
  RollMean m(4);
  for (const double x : {1e17, 1.0, 1.0, 1.0})
    m.push(x);
  for (int i = 0; i < 3; ++i)
    m.push(0.0);
  EXPECT_EQ(m.mean(), -0.5);  // running sum: (1e17 - 1e17) + 0 - 1 - 1 = -2
  m.push(0.0);                // the 4th replacement: re-summed exactly
  EXPECT_EQ(m.mean(), 0.0);
}

TEST(RollingExtreme, MatchesANaiveWindowMaxAndMin) {
  RollingMax mx(7);
  RollingMin mn(7);
  std::deque<std::int64_t> window;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t x = static_cast<std::int64_t>(rng() % 50);  // many ties
    mx.push(x);
    mn.push(x);
    window.push_back(x);
    if (window.size() > 7) window.pop_front();
    ASSERT_EQ(mx.value(), *std::max_element(window.begin(), window.end()));
    ASSERT_EQ(mn.value(), *std::min_element(window.begin(), window.end()));
    ASSERT_EQ(mx.full(), i >= 6);
  }
}

}  // namespace
}  // namespace spacetime::indicators
