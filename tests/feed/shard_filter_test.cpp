#include "feed/shard_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace spacetime::feed {
namespace {

// Takes at most `room` ticks per offer and remembers them.
class Taker final : public market::TickSink {
 public:
  std::size_t offer(std::span<const market::Tick> ticks) override {
    const auto n = std::min(room, ticks.size());
    got.insert(got.end(), ticks.begin(), ticks.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }
  void dropped(std::span<const market::Tick> ticks) override {
    lost.insert(lost.end(), ticks.begin(), ticks.end());
  }
  std::size_t room = 1'000'000;
  std::vector<market::Tick> got;
  std::vector<market::Tick> lost;
};

market::SymbolRegistry registry(std::size_t n) {
  market::SymbolRegistry r;
  for (std::size_t i = 0; i < n; ++i)
    r.add({.name = "SYM" + std::to_string(i)});
  return r;
}

TEST(ShardFilter, TheHashIsStableAcrossRunsAndMachines) {
  // FNV-1a 64 of "AAPL": a fixed value, so shards never move between versions.
  EXPECT_EQ(stable_hash("AAPL"), 0x89106b8b9f086ccbull);
  EXPECT_EQ(stable_hash(""), 14695981039346656037ull);
  EXPECT_EQ(shard_of("AAPL", 1), 0u);
}

// A live feed's drops reach a recording behind the filter: only this shard's ticks.
TEST(ShardFilter, PassesOnTheDropsOfItsOwnSymbolsOnly) {
  const auto symbols = registry(20);
  Taker next;
  ShardFilter filter(symbols, 1, 2, next);
  std::vector<market::Tick> ticks;
  for (market::SymbolId s = 0; s < 20; ++s)
    ticks.push_back({.ts_ns = s, .price = 1, .size = 1, .seq = 1, .symbol = s});
  ticks.push_back(market::clock_tick(100));
  filter.dropped(ticks);
  ASSERT_FALSE(next.lost.empty());
  EXPECT_LT(next.lost.size(), 20u);
  for (const auto& t : next.lost)
    EXPECT_TRUE(!market::is_clock(t) && filter.takes(t.symbol)) << t.symbol;
  EXPECT_EQ(next.lost.size(), filter.symbols_taken());
}

TEST(ShardFilter, NShardsTakeEverySymbolExactlyOnce) {
  const auto symbols = registry(50);
  Taker sinks[3];
  std::vector<ShardFilter> shards;
  for (std::size_t i = 0; i < 3; ++i)
    shards.emplace_back(symbols, i, 3, sinks[i]);
  std::size_t taken = 0;
  for (const auto& s : shards) {
    EXPECT_GT(s.symbols_taken(), 0u);
    taken += s.symbols_taken();
  }
  EXPECT_EQ(taken, 50u);
  std::vector<market::Tick> ticks;
  for (market::SymbolId s = 0; s < 50; ++s)
    ticks.push_back({.ts_ns = 1, .price = 1, .size = 1, .seq = 1, .symbol = s});
  ticks.push_back(market::clock_tick(5));
  for (auto& s : shards)
    EXPECT_EQ(s.offer(ticks), ticks.size());
  std::vector<int> seen(50, 0);
  for (auto& sink : sinks) {
    EXPECT_TRUE(market::is_clock(sink.got.back())) << "every shard gets the clock";
    for (const auto& t : sink.got)
      if (!market::is_clock(t)) ++seen[t.symbol];
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

TEST(ShardFilter, BackpressureAcceptsThePrefixUpToTheFirstTickNotTaken) {
  const auto symbols = registry(20);
  Taker sink;
  ShardFilter shard(symbols, 0, 2, sink);
  std::vector<market::Tick> ticks;
  for (market::SymbolId s = 0; s < 20; ++s)
    ticks.push_back({.ts_ns = 1, .seq = 1, .symbol = s});
  sink.room = 2;
  const auto n = shard.offer(ticks);
  ASSERT_EQ(sink.got.size(), 2u);
  ASSERT_LT(n, ticks.size());
  // The returned prefix holds exactly the two taken ticks of this shard, and the next one
  // of this shard is at index n: nothing of ours is skipped, nothing is offered twice.
  std::size_t ours = 0;
  for (std::size_t i = 0; i < n; ++i)
    ours += shard.takes(ticks[i].symbol);
  EXPECT_EQ(ours, 2u);
  EXPECT_TRUE(shard.takes(ticks[n].symbol));
}

}  // namespace
}  // namespace spacetime::feed
