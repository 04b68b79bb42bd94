#include "feed/random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace spacetime::feed::random {
namespace {

constexpr std::size_t kDraws = 1'000'000;

// Kolmogorov-Smirnov distance between the sample and the law's CDF.
double ks_distance(std::vector<double> xs, const std::function<double(double)>& cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}

// Pearson's chi-square of the sample over 100 bins of equal probability under the law
// (binned by the CDF), which sees a local excess that the KS distance averages away.
double chi_square(const std::vector<double>& xs, const std::function<double(double)>& cdf) {
  constexpr std::size_t kBins = 100;
  std::vector<double> counts(kBins, 0.0);
  for (double x : xs)
    counts[std::min(kBins - 1, static_cast<std::size_t>(cdf(x) * kBins))] += 1.0;
  const double expected = static_cast<double>(xs.size()) / kBins;
  double chi2 = 0.0;
  for (double c : counts)
    chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}
constexpr double kChiSquareLimit = 148.2;  // 99 degrees of freedom, the 0.1 % level

// The critical KS distance at the 0.1 % level.
double ks_limit(std::size_t n) {
  return 1.95 / std::sqrt(static_cast<double>(n));
}

// A count of events of probability p in n draws, within five standard deviations.
void expect_count_near(std::size_t count, std::size_t n, double p) {
  const double mean = p * static_cast<double>(n);
  const double sd = std::sqrt(mean * (1.0 - p));
  EXPECT_NEAR(static_cast<double>(count), mean, 5.0 * sd) << "p = " << p;
}

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// Each layer of a ziggurat has the same area: if the published r and v did not fit the
// density, the recurrence would not reach the top, and the top layer's area would differ.
TEST(Ziggurat, TheTopLayerHasTheAreaOfEveryOther) {
  const auto& e = exp_ziggurat();
  const double e_top = e.width[255] * 0x1.0p53 * (e.height[256] - e.height[255]);
  EXPECT_NEAR(e_top, 3.949659822581572e-3, 1e-9);
  const auto& n = normal_ziggurat();
  const double n_top = n.width[127] * 0x1.0p53 * (n.height[128] - n.height[127]);
  EXPECT_NEAR(n_top, 9.91256303526217e-3, 1e-9);
  // The widths fall from the base to the top, and each layer's inner share is below one.
  for (std::size_t i = 1; i < 256; ++i)
    EXPECT_LT(e.width[i], e.width[i - 1]) << i;
  for (std::size_t i = 0; i < 128; ++i)
    EXPECT_LT(n.inner[i], std::uint64_t{1} << 53) << i;
}

TEST(Rng, ExponentialFollowsItsLaw) {
  Rng rng(7);
  std::vector<double> xs(kDraws);
  double sum = 0.0, sum2 = 0.0;
  std::size_t tail = 0, far_tail = 0;
  for (auto& x : xs) {
    x = rng.exponential();
    ASSERT_GE(x, 0.0);
    sum += x;
    sum2 += x * x;
    tail += x > kExpR;
    far_tail += x > 5.0;
  }
  const auto cdf = [](double x) { return -std::expm1(-x); };
  EXPECT_LT(ks_distance(xs, cdf), ks_limit(kDraws));
  EXPECT_LT(chi_square(xs, cdf), kChiSquareLimit);
  const double n = static_cast<double>(kDraws);
  EXPECT_NEAR(sum / n, 1.0, 0.005);                   // sd of the mean: 0.001
  EXPECT_NEAR(sum2 / n - 1.0, 1.0, 0.02);             // the variance
  expect_count_near(tail, kDraws, std::exp(-kExpR));  // drawn by the tail's own path
  expect_count_near(far_tail, kDraws, std::exp(-5.0));
}

TEST(Rng, NormalFollowsItsLaw) {
  Rng rng(11);
  std::vector<double> xs(kDraws);
  double sum = 0.0, sum2 = 0.0, sum4 = 0.0;
  std::size_t negative = 0, tail = 0, wedge = 0;
  for (auto& x : xs) {
    x = rng.normal();
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
    negative += x < 0.0;
    tail += std::abs(x) > kNormalR;
    wedge += std::abs(x) > 2.0 && std::abs(x) < 2.1;
  }
  EXPECT_LT(ks_distance(xs, normal_cdf), ks_limit(kDraws));
  EXPECT_LT(chi_square(xs, normal_cdf), kChiSquareLimit);
  const double n = static_cast<double>(kDraws);
  EXPECT_NEAR(sum / n, 0.0, 0.005);
  EXPECT_NEAR(sum2 / n, 1.0, 0.01);
  EXPECT_NEAR(sum4 / n, 3.0, 0.05);  // the kurtosis: the tails carry the right mass
  expect_count_near(negative, kDraws, 0.5);
  expect_count_near(tail, kDraws, 2.0 * normal_cdf(-kNormalR));
  expect_count_near(wedge, kDraws, 2.0 * (normal_cdf(2.1) - normal_cdf(2.0)));
}

// Beyond r a draw takes its own path (a few in 10,000 draws): the excess over r must follow
// the law's tail, Exp(1) for the exponential and the normal's tail beyond r. 20,000 of
// them each, out of ~40 M draws.
TEST(Rng, TheTailsBeyondTheZigguratsFollowTheirLaws) {
  constexpr std::size_t kTail = 20'000;
  Rng rng(5);
  std::vector<double> excess;
  for (std::size_t n = 0; excess.size() < kTail && n < 200'000'000; ++n) {
    const double x = rng.exponential();
    if (x > kExpR) excess.push_back(x - kExpR);
  }
  ASSERT_EQ(excess.size(), kTail);
  EXPECT_LT(ks_distance(excess, [](double y) { return -std::expm1(-y); }), ks_limit(kTail));

  excess.clear();
  std::size_t negative = 0;
  for (std::size_t n = 0; excess.size() < kTail && n < 200'000'000; ++n) {
    const double x = rng.normal();
    if (std::abs(x) > kNormalR) {
      excess.push_back(std::abs(x) - kNormalR);
      negative += x < 0.0;
    }
  }
  ASSERT_EQ(excess.size(), kTail);
  const double beyond_r = normal_cdf(-kNormalR);
  EXPECT_LT(
      ks_distance(excess, [&](double y) { return 1.0 - normal_cdf(-(kNormalR + y)) / beyond_r; }),
      ks_limit(kTail));
  expect_count_near(negative, kTail, 0.5);
}

TEST(Rng, TheSameSeedDrawsTheSameNumbers) {
  Rng a(3), b(3), c(4);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.normal(), y = a.exponential();
    EXPECT_EQ(x, b.normal());
    EXPECT_EQ(y, b.exponential());
    differs |= x != c.normal();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace spacetime::feed::random
