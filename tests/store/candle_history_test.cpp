#include "store/candle_history.hpp"

#include <gtest/gtest.h>

namespace spacetime::store {
namespace {

using market::CandleEvent;
using market::Timeframe;

CandleEvent bar(std::uint64_t seq, bool closed, std::int64_t close = 0) {
  return CandleEvent{.symbol = 1,
                     .tf = Timeframe::k1m,
                     .closed = closed,
                     .seq = seq,
                     .candle = {.start_ns = static_cast<std::int64_t>(seq) * 60, .close = close}};
}

TEST(CandleHistory, KeepsTheLastNClosedAndTheBarInProgress) {
  CandleHistory history(2, 3);
  for (std::uint64_t s = 1; s <= 5; ++s) {
    history.apply(bar(s, false, 1));
    history.apply(bar(s, true, 2));
  }
  history.apply(bar(6, false, 7));
  const auto snap = history.snapshot(1, Timeframe::k1m);
  ASSERT_EQ(snap.closed.size(), 3u);
  EXPECT_EQ(snap.closed.front().seq, 3u);
  EXPECT_EQ(snap.closed.back().seq, 5u);
  ASSERT_TRUE(snap.current);
  EXPECT_EQ(snap.current->seq, 6u);
  EXPECT_EQ(snap.current->candle.close, 7);
  EXPECT_TRUE(history.snapshot(0, Timeframe::k1m).closed.empty());
  EXPECT_TRUE(history.snapshot(1, Timeframe::k1s).closed.empty());
}

TEST(CandleHistory, CloseRetiresTheBarInProgressAndStaleUpdatesAreIgnored) {
  CandleHistory history(2, 10);
  history.apply(bar(1, false, 1));
  history.apply(bar(1, true, 2));
  EXPECT_FALSE(history.snapshot(1, Timeframe::k1m).current);
  history.apply(bar(1, false, 3));  // late update of a closed bar
  history.apply(bar(1, true, 4));   // duplicate close
  const auto snap = history.snapshot(1, Timeframe::k1m);
  EXPECT_FALSE(snap.current);
  ASSERT_EQ(snap.closed.size(), 1u);
  EXPECT_EQ(snap.closed[0].candle.close, 2);
}

TEST(CandleHistory, KeepsTheBarIndicatorsOfClosedCandles) {
  CandleHistory history(2, 10);
  auto e = bar(1, true, 5);
  e.volume_zlma_ready = true;
  e.volume_zlma = 1234.5;
  history.apply(e);
  const auto snap = history.snapshot(1, Timeframe::k1m);
  ASSERT_EQ(snap.closed.size(), 1u);
  EXPECT_TRUE(snap.closed[0].volume_zlma_ready);
  EXPECT_EQ(snap.closed[0].volume_zlma, 1234.5);
  EXPECT_FALSE(snap.closed[0].bar_intensity_ready);
}

TEST(CandleHistory, IgnoresSymbolsOutOfRange) {
  CandleHistory history(1, 10);
  auto e = bar(1, true);
  e.symbol = 9;
  history.apply(e);
  EXPECT_TRUE(history.snapshot(9, Timeframe::k1m).closed.empty());
}

}  // namespace
}  // namespace spacetime::store
