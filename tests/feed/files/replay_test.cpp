#include "feed/replay.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "tick_files_support.hpp"

namespace spacetime::feed {
namespace {

using namespace std::chrono_literals;
using market::Tick;
using Clock = std::chrono::steady_clock;

// Takes at most `limit` ticks per offer and refuses every other offer, as a full ring would.
class StingySink final : public market::TickSink {
 public:
  explicit StingySink(std::size_t limit) : limit_(limit) {}
  std::size_t offer(std::span<const Tick> ticks) override {
    if (++calls_ % 2 == 0) return 0;
    const std::size_t n = std::min(ticks.size(), limit_);
    for (std::size_t i = 0; i < n; ++i) {
      received.push_back(ticks[i]);
      arrived.push_back(Clock::now());
    }
    return n;
  }
  std::vector<Tick> received;
  std::vector<Clock::time_point> arrived;

 private:
  std::size_t limit_;
  std::uint64_t calls_ = 0;
};

// Ticks `gap` apart on one symbol, as a CSV file.
std::string spaced_csv(int count, std::chrono::nanoseconds gap) {
  std::string csv = "ts,symbol,price,size\n";
  for (int i = 0; i < count; ++i)
    csv +=
        std::to_string(testing::kStart + i * gap.count()) + ",AAA,1.00," + std::to_string(i) + "\n";
  return csv;
}

TEST(Replay, AsFastAsPossibleDeliversEveryTickInOrderThroughAStingySink) {
  const auto sim = testing::simulate(10, 20'000);
  const std::string stt =
      testing::write_to_string(sim.symbols, sim.ticks, {.format = TickFileFormat::kStt});
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(stt, symbols);
  StingySink sink(7);
  const auto stats = replay(reader, sink, kMaxSpeed, {});
  EXPECT_FALSE(stats.stopped);
  EXPECT_EQ(stats.ticks, sim.ticks.size());
  EXPECT_GT(stats.backpressured, 0u);
  ASSERT_EQ(sink.received.size(), sim.ticks.size());
  for (std::size_t i = 0; i < sim.ticks.size(); ++i)
    ASSERT_TRUE(testing::same(sink.received[i], sim.ticks[i])) << i;
}

TEST(Replay, FollowsTheRecordedClockScaledBySpeed) {
  const std::string csv = spaced_csv(11, 20ms);  // 200 ms of recording
  for (const double speed : {1.0, 4.0}) {
    market::SymbolRegistry symbols;
    auto reader = TickFileReader::from_buffer(csv, symbols);
    StingySink sink(1000);
    const auto start = Clock::now();
    const auto stats = replay(reader, sink, speed, {});
    ASSERT_EQ(sink.received.size(), 11u);
    for (std::size_t i = 0; i < sink.arrived.size(); ++i) {
      const auto due =
          std::chrono::duration_cast<Clock::duration>(20ms * static_cast<int>(i) / speed);
      EXPECT_GE(sink.arrived[i] - start, due) << "tick " << i << " at speed " << speed;
    }
    const auto span = std::chrono::duration_cast<Clock::duration>(200ms / speed);
    EXPECT_GE(stats.elapsed, span);
    EXPECT_LT(stats.elapsed, span + 150ms) << "speed " << speed;  // generous: shared machine
  }
}

TEST(Replay, StopEndsAWaitAtOnce) {
  const std::string csv = spaced_csv(3, 10s);
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(csv, symbols);
  StingySink sink(1000);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  const auto stats = replay(reader, sink, 1.0, stop.get_token());
  EXPECT_TRUE(stats.stopped);
  EXPECT_EQ(stats.ticks, 1u);
  EXPECT_LT(stats.elapsed, 2s);
}

TEST(Replay, ReportsProgressAFewTimesASecondAndOnceAtTheEnd) {
  const std::string csv = spaced_csv(60, 10ms);  // 600 ms
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(csv, symbols);
  StingySink sink(1000);
  std::vector<ReplayProgress> calls;
  const auto stats =
      replay(reader, sink, 1.0, {}, [&](const ReplayProgress& p) { calls.push_back(p); });
  ASSERT_GE(calls.size(), 2u);
  EXPECT_LE(calls.size(), 1 + static_cast<std::size_t>(stats.elapsed / kProgressInterval) + 1);
  EXPECT_TRUE(calls.back().finished);
  EXPECT_EQ(calls.back().ticks, 60u);
  EXPECT_EQ(calls.back().bytes_done, csv.size());
  EXPECT_EQ(calls.back().bytes_total, csv.size());
  EXPECT_EQ(calls.back().expected_ticks, 60u);
  EXPECT_GT(calls.back().ticks_per_s, 0.0);
  for (std::size_t i = 0; i + 1 < calls.size(); ++i) {
    EXPECT_FALSE(calls[i].finished);
    EXPECT_LE(calls[i].ticks, calls[i + 1].ticks);
  }
}

TEST(Replay, ParsesSpeeds) {
  EXPECT_EQ(parse_speed("max"), kMaxSpeed);
  EXPECT_EQ(parse_speed("1"), 1.0);
  EXPECT_EQ(parse_speed("10x"), 10.0);
  EXPECT_EQ(parse_speed("0.5X"), 0.5);
  for (const char* bad : {"", "x", "0", "-1", "abc", "inf", "nan", "1e400", "2xx"})
    EXPECT_FALSE(parse_speed(bad).has_value()) << bad;
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer("", symbols);
  StingySink sink(1);
  EXPECT_THROW(replay(reader, sink, 0.0, {}), std::invalid_argument);
}

}  // namespace
}  // namespace spacetime::feed
