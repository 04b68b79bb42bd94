#include "feed/replay_pacer.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace spacetime::feed {
namespace {

using namespace std::chrono_literals;
using market::Tick;
using Clock = ReplayPacer::Clock;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;  // file time of the first tick (ns)

std::vector<Tick> ticks_at(std::initializer_list<std::int64_t> offsets_ms) {
  std::vector<Tick> out;
  for (const auto ms : offsets_ms) {
    Tick t{};
    t.ts_ns = kT0 + ms * 1'000'000;
    out.push_back(t);
  }
  return out;
}

TEST(ReplayPacer, FirstTickSetsTheClockAndLaterOnesComeAtSpeedTimesTheWallClock) {
  ReplayPacer pacer(10.0);
  const auto t = Clock::now();
  EXPECT_FALSE(pacer.state(t).started);
  EXPECT_EQ(pacer.state(t).clock_ns, 0);
  const auto ticks = ticks_at({0, 500, 1000, 2000});
  EXPECT_EQ(pacer.due(ticks, t), 1u);                                // the first, at once
  EXPECT_EQ(pacer.due(std::span(ticks).subspan(1), t + 50ms), 1u);   // 500 ms of file in 50 ms
  EXPECT_EQ(pacer.due(std::span(ticks).subspan(2), t + 120ms), 1u);  // 1200 ms: 1000 is due
  EXPECT_EQ(pacer.state(t + 150ms).clock_ns, kT0 + 1'500'000'000);
}

TEST(ReplayPacer, PausedClockStandsStillAndReleasesNothingUntilResumed) {
  ReplayPacer pacer(1.0);
  const auto t = Clock::now();
  const auto ticks = ticks_at({0, 100});
  ASSERT_EQ(pacer.due(ticks, t), 1u);
  pacer.pause(t + 50ms);
  EXPECT_TRUE(pacer.state(t + 50ms).paused);
  EXPECT_EQ(pacer.state(t + 50ms).clock_ns, kT0 + 50'000'000);
  EXPECT_EQ(pacer.state(t + 5s).clock_ns, kT0 + 50'000'000);
  EXPECT_EQ(pacer.due(std::span(ticks).subspan(1), t + 5s), 0u);
  pacer.resume(t + 5s);
  EXPECT_FALSE(pacer.state(t + 5s).paused);
  EXPECT_EQ(pacer.due(std::span(ticks).subspan(1), t + 5s + 40ms), 0u);  // at 90 ms of file
  EXPECT_EQ(pacer.due(std::span(ticks).subspan(1), t + 5s + 60ms), 1u);  // at 110 ms
  EXPECT_EQ(pacer.state(t + 5s + 60ms).clock_ns, kT0 + 110'000'000);
}

TEST(ReplayPacer, NewSpeedGoesOnFromWhereTheClockIs) {
  ReplayPacer pacer(1.0);
  const auto t = Clock::now();
  const auto ticks = ticks_at({0});
  ASSERT_EQ(pacer.due(ticks, t), 1u);
  pacer.set_speed(100.0, t + 1s);  // 1 s of file so far
  EXPECT_EQ(pacer.state(t + 1s).speed, 100.0);
  EXPECT_EQ(pacer.state(t + 1s + 10ms).clock_ns, kT0 + 2'000'000'000);
  EXPECT_THROW(pacer.set_speed(0.0), std::invalid_argument);
  EXPECT_THROW(pacer.set_speed(5000.0), std::invalid_argument);
  EXPECT_THROW(ReplayPacer(-1.0), std::invalid_argument);
}

TEST(ReplayPacer, FinishedClockStopsAtTheLastTick) {
  ReplayPacer pacer(1.0);
  const auto t = Clock::now();
  const auto ticks = ticks_at({0});
  ASSERT_EQ(pacer.due(ticks, t), 1u);
  pacer.finish();
  const auto s = pacer.state(t + 1h);
  EXPECT_TRUE(s.finished);
  EXPECT_LT(s.clock_ns, kT0 + 3'600'000'000'000);
}

}  // namespace
}  // namespace spacetime::feed
