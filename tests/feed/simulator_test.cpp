#include "feed/simulator.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include <cmath>
#include <map>
#include <set>

namespace spacetime::feed {
namespace {

using market::Tick;

std::vector<Tick> generate(const SimulatorConfig& config, std::size_t n) {
  Simulator sim(config);
  std::vector<Tick> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(sim.next());
  return out;
}

bool same(const Tick& a, const Tick& b) {
  return a.ts_ns == b.ts_ns && a.price == b.price && a.size == b.size && a.bid == b.bid &&
         a.ask == b.ask && a.seq == b.seq && a.symbol == b.symbol;
}

constexpr std::int64_t kStart = 1'767'364'200'000'000'000;  // 2026-01-02T14:30:00Z
constexpr std::int64_t kSec = 1'000'000'000;

TEST(Simulator, SameSeedGivesTheSameTicks) {
  const SimulatorConfig config{.symbols = 20, .rate = 5000, .seed = 42, .start_ns = kStart};
  const auto a = generate(config, 50'000);
  const auto b = generate(config, 50'000);
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_TRUE(same(a[i], b[i])) << "tick " << i;
}

TEST(Simulator, DifferentSeedGivesDifferentTicks) {
  SimulatorConfig config{.symbols = 5, .rate = 1000, .seed = 1, .start_ns = kStart};
  const auto a = generate(config, 1000);
  config.seed = 2;
  const auto b = generate(config, 1000);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    differ += same(a[i], b[i]) ? 0 : 1;
  EXPECT_GT(differ, 900u);
}

TEST(Simulator, TicksAreOrderedSequencedAndSane) {
  const SimulatorConfig config{.symbols = 10, .rate = 10'000, .seed = 7, .start_ns = kStart};
  const auto ticks = generate(config, 100'000);
  std::vector<std::uint64_t> seq(config.symbols, 0);
  std::int64_t last_ts = kStart;
  for (const Tick& t : ticks) {
    ASSERT_GE(t.ts_ns, last_ts);
    last_ts = t.ts_ns;
    ASSERT_LT(t.symbol, config.symbols);
    ASSERT_EQ(t.seq, ++seq[t.symbol]);  // 1-based, no gaps, per symbol
    ASSERT_GT(t.price, 0);
    ASSERT_GT(t.size, 0);
    ASSERT_LT(t.bid, t.ask);
    ASSERT_TRUE(t.price == t.bid || t.price == t.ask);
  }
  for (auto s : seq)
    EXPECT_GT(s, 0u) << "every symbol trades";
}

double mean_rate(const SimulatorConfig& config, std::size_t n) {
  const auto ticks = generate(config, n);
  const double seconds = static_cast<double>(ticks.back().ts_ns - kStart) * 1e-9;
  return static_cast<double>(ticks.size()) / seconds;
}

TEST(Simulator, MeanRateMatchesTheConfiguredRate) {
  EXPECT_NEAR(mean_rate({.symbols = 20,
                         .rate = 2000,
                         .seed = 3,
                         .start_ns = kStart,
                         .regimes = false,
                         .jumps_per_hour = 0},
                        400'000),
              2000.0, 2000.0 * 0.05);
  // With regimes the rate wanders for minutes at a time; over many symbol-hours the mean
  // is still the configured one.
  EXPECT_NEAR(mean_rate({.symbols = 20, .rate = 100, .seed = 3, .start_ns = kStart}, 2'000'000),
              100.0, 100.0 * 0.1);
}

// Issue 9: `record --rate 10000 --seconds 100` wrote ~15,000 ticks per simulated second:
// every symbol started in a regime drawn by `draw` (a bursty start four times too likely)
// instead of by its share of time. The documented tolerance (docs/FEEDS.md): the mean over
// several seeds is within 10 % of --rate for every branching ratio over two simulated hours,
// and within 15 % over the first 100 s (the case, where it was +49 % to +57 %).
TEST(Simulator, LongRunMeanRateIsTheConfiguredRateForEveryBranchingRatio) {
  for (const double branching : {0.0, 0.5, 0.7, 0.9}) {
    double long_sum = 0.0, short_sum = 0.0;
    const std::uint64_t seeds[] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (const std::uint64_t seed : seeds) {
      const SimulatorConfig config{
          .symbols = 50, .rate = 200, .seed = seed, .start_ns = kStart, .branching = branching};
      Simulator sim(config);
      const std::int64_t end = kStart + 7200 * kSec;
      std::uint64_t n = 0, first_100s = 0;
      while (sim.peek_time() < end) {
        const auto t = sim.next();
        ++n;
        if (t.ts_ns < kStart + 100 * kSec) ++first_100s;
      }
      const double rate = static_cast<double>(n) / 7200.0;
      EXPECT_NEAR(rate, 200.0, 200.0 * 0.2) << "branching " << branching << " seed " << seed;
      long_sum += rate;
      short_sum += static_cast<double>(first_100s) / 100.0;
    }
    const double long_mean = long_sum / std::size(seeds);
    const double short_mean = short_sum / std::size(seeds);
    EXPECT_NEAR(long_mean, 200.0, 200.0 * 0.1) << "branching " << branching;
    EXPECT_NEAR(short_mean, 200.0, 200.0 * 0.15) << "branching " << branching;
    std::printf("branching %.1f: mean rate %.1f over 2 h, %.1f over the first 100 s\n", branching,
                long_mean, short_mean);
  }
}

// Regimes make activity vary from minute to minute far more than a stationary process.
TEST(Simulator, RegimesMakeMinuteVolumesVary) {
  auto minute_volume_cv = [](bool regimes) {
    const auto ticks = generate({.symbols = 1,
                                 .rate = 20,
                                 .seed = 4,
                                 .start_ns = 0,
                                 .regimes = regimes,
                                 .jumps_per_hour = 0},
                                200'000);
    std::map<std::int64_t, double> per_minute;
    for (const Tick& t : ticks)
      per_minute[t.ts_ns / 60'000'000'000] += static_cast<double>(t.size);
    double sum = 0, sum2 = 0;
    for (auto& [m, v] : per_minute) {
      sum += v;
      sum2 += v * v;
    }
    const double n = static_cast<double>(per_minute.size());
    const double mean = sum / n;
    return std::sqrt(sum2 / n - mean * mean) / mean;
  };
  EXPECT_GT(minute_volume_cv(true), 2.0 * minute_volume_cv(false));
}

// Hawkes arrivals cluster: counts per second are over-dispersed (variance well above the
// mean), where a Poisson stream of the same rate has variance == mean.
TEST(Simulator, ArrivalsAreBurstyNotPoisson) {
  auto dispersion = [](double branching) {
    const SimulatorConfig config{.symbols = 1,
                                 .rate = 200,
                                 .seed = 11,
                                 .start_ns = 0,
                                 .branching = branching,
                                 .regimes = false,
                                 .jumps_per_hour = 0};
    const auto ticks = generate(config, 200'000);
    std::map<std::int64_t, double> per_second;
    for (const Tick& t : ticks)
      per_second[t.ts_ns / 1'000'000'000] += 1.0;
    double sum = 0, sum2 = 0;
    for (auto& [s, n] : per_second) {
      sum += n;
      sum2 += n * n;
    }
    const double n = static_cast<double>(per_second.size());
    const double mean = sum / n;
    return (sum2 / n - mean * mean) / mean;
  };
  EXPECT_NEAR(dispersion(0.0), 1.0, 0.15);  // no self-excitation: Poisson
  EXPECT_GT(dispersion(0.7), 3.0);          // self-excited: bursts
}

TEST(Simulator, RunHandsTheSameTicksToTheSinkWithoutLoss) {
  const SimulatorConfig config{.symbols = 8, .rate = 5000, .seed = 9, .start_ns = kStart};
  // A sink that takes at most 100 ticks per offer forces the simulator to retry.
  struct Stingy : market::TickSink {
    std::vector<Tick> got;
    std::size_t offer(std::span<const Tick> ticks) override {
      const std::size_t n = std::min<std::size_t>(ticks.size(), 100);
      got.insert(got.end(), ticks.begin(), ticks.begin() + static_cast<std::ptrdiff_t>(n));
      return n;
    }
  } sink;
  Simulator sim(config);
  std::stop_source stop;
  sim.run(sink, stop.get_token(), /*paced=*/false, /*max_ticks=*/20'000);
  const auto expected = generate(config, 20'000);
  ASSERT_EQ(sink.got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    ASSERT_TRUE(same(sink.got[i], expected[i]));
  EXPECT_GT(sim.stats().backpressured, 0u);
}

TEST(Simulator, RejectsConfigsThatCannotRun) {
  EXPECT_THROW(Simulator(SimulatorConfig{.symbols = 0}), std::invalid_argument);
  EXPECT_THROW(Simulator(SimulatorConfig{.rate = 0}), std::invalid_argument);
  EXPECT_THROW(Simulator(SimulatorConfig{.rate = NAN}), std::invalid_argument);
  EXPECT_THROW(Simulator(SimulatorConfig{.branching = 1.0}), std::invalid_argument);
  EXPECT_THROW(Simulator(SimulatorConfig{.start_ns = -1}), std::invalid_argument);
  EXPECT_THROW(Simulator(SimulatorConfig{.jumps_per_hour = -1}), std::invalid_argument);
}

TEST(Simulator, NamesAreUniqueTickers) {
  Simulator sim(SimulatorConfig{.symbols = 60});
  std::set<std::string> names;
  for (const auto& s : sim.symbols()) {
    EXPECT_FALSE(s.name.empty());
    EXPECT_DOUBLE_EQ(s.tick_size, 0.01);
    names.insert(s.name);
  }
  EXPECT_EQ(names.size(), 60u);
}

}  // namespace
}  // namespace spacetime::feed
