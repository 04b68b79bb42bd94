#include "store/memory_store.hpp"

#include <gtest/gtest.h>

namespace spacetime::store {
namespace {

market::ReversalEvent reversal(std::uint64_t seq, std::int64_t t) {
  return {.symbol = 0, .seq = seq * 10, .channel_seq = seq, .t = t, .version = 1, .direction = 1};
}

market::CandleEvent candle(std::uint64_t seq, std::int64_t start, bool closed = true) {
  return {.symbol = 0,
          .tf = market::Timeframe::k1m,
          .closed = closed,
          .seq = seq,
          .candle = {.start_ns = start, .open = 1, .high = 1, .low = 1, .close = 1}};
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  MemoryStoreTest() {
    symbols.add({.name = "ALFA"});
    symbols.add({.name = "BETA"});
  }
  market::SymbolRegistry symbols;
};

TEST_F(MemoryStoreTest, PagesByCursorInSeqOrderWithinTheTimeRange) {
  MemoryStore store(symbols, 100);
  std::vector<market::Event> events;
  for (std::uint64_t s = 1; s <= 10; ++s)
    events.emplace_back(reversal(s, static_cast<std::int64_t>(s) * 100));
  store.write(events);
  HistoryQuery q{
      .symbol = 0, .series = Series::kReversals, .from_ns = 200, .to_ns = 900, .limit = 3};
  auto page = store.query(q);
  ASSERT_EQ(page.rows.size(), 3u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(market::channel_seq(page.rows.front()), 2u);
  q.after_seq = market::channel_seq(page.rows.back());
  page = store.query(q);
  ASSERT_EQ(page.rows.size(), 3u);
  EXPECT_EQ(market::channel_seq(page.rows.front()), 5u);
  q.after_seq = 7;
  page = store.query(q);
  ASSERT_EQ(page.rows.size(), 1u);  // seq 8 at t=800; seq 9 is at 900, outside [200, 900)
  EXPECT_FALSE(page.more);
}

TEST_F(MemoryStoreTest, NewestQueryReturnsTheLatestRowsOldestFirst) {
  MemoryStore store(symbols, 100);
  std::vector<market::Event> events;
  for (std::uint64_t s = 1; s <= 10; ++s)
    events.emplace_back(candle(s, static_cast<std::int64_t>(s) * 60));
  store.write(events);
  const auto page = store.query({.symbol = 0,
                                 .series = Series::kCandles,
                                 .tf = market::Timeframe::k1m,
                                 .limit = 4,
                                 .newest = true});
  ASSERT_EQ(page.rows.size(), 4u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(market::channel_seq(page.rows.front()), 7u);
  EXPECT_EQ(market::channel_seq(page.rows.back()), 10u);
}

TEST_F(MemoryStoreTest, RewritingABatchIsIdempotentAndValueSamplesAreNotStored) {
  MemoryStore store(symbols, 100);
  std::vector<market::Event> events = {candle(1, 0), candle(2, 60), candle(3, 120, false),
                                       market::IntensityEvent{.symbol = 0, .seq = 5}};
  store.write(events);
  store.write(events);
  auto revised = candle(2, 60);
  revised.candle.close = 7;
  store.write(std::vector<market::Event>{revised});
  const auto page =
      store.query({.symbol = 0, .series = Series::kCandles, .tf = market::Timeframe::k1m});
  ASSERT_EQ(page.rows.size(), 2u);
  EXPECT_EQ(std::get<market::CandleEvent>(page.rows[1]).candle.close, 7);
  EXPECT_EQ(store.last_sequences(0).bars[market::index_of(market::Timeframe::k1m)], 2u);
  EXPECT_EQ(store.last_sequences(1).bars[market::index_of(market::Timeframe::k1m)], 0u);
}

TEST_F(MemoryStoreTest, KeepsOnlyTheNewestDepthRowsAndAppliesRetention) {
  MemoryStore store(symbols, 5);
  std::vector<market::Event> events;
  for (std::uint64_t s = 1; s <= 8; ++s)
    events.emplace_back(reversal(s, static_cast<std::int64_t>(s) * 100));
  store.write(events);
  auto page = store.query({.symbol = 0, .series = Series::kReversals});
  ASSERT_EQ(page.rows.size(), 5u);
  EXPECT_EQ(market::channel_seq(page.rows.front()), 4u);
  Retention r;
  r.reversals_ns = 350;
  EXPECT_EQ(store.apply_retention(1000, r), 3u);  // t 400, 500, 600 < 1000 - 350
  page = store.query({.symbol = 0, .series = Series::kReversals});
  EXPECT_EQ(page.rows.size(), 2u);
}

}  // namespace
}  // namespace spacetime::store
