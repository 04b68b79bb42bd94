#include <gtest/gtest.h>

#include "market/event.hpp"
#include "market/symbol.hpp"
#include "market/timeframe.hpp"

namespace spacetime::market {

TEST(Timeframe, NamesRoundTripAndDurationsAscend) {
  std::int64_t previous = 0;
  for (const Timeframe tf : kAllTimeframes) {
    EXPECT_EQ(parse_timeframe(to_string(tf)), tf);
    EXPECT_GT(duration_ns(tf), previous);
    previous = duration_ns(tf);
  }
  EXPECT_EQ(duration_ns(Timeframe::k1m), 60 * kNanosPerSecond);
  EXPECT_EQ(duration_ns(Timeframe::k1d), 86'400 * kNanosPerSecond);
  EXPECT_FALSE(parse_timeframe("2m"));
  EXPECT_FALSE(parse_timeframe(""));
}

TEST(SymbolRegistry, AssignsDenseIdsAndFindsByName) {
  SymbolRegistry reg;
  EXPECT_EQ(reg.add({.name = "AAA"}), 0u);
  EXPECT_EQ(reg.add({.name = "BBB", .tick_size = 0.25}), 1u);
  EXPECT_EQ(reg.add({.name = "AAA"}), 0u);  // same name, same id
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_EQ(reg.find("BBB"), 1u);
  EXPECT_FALSE(reg.find("CCC"));
  EXPECT_DOUBLE_EQ(reg.to_price(1, 7), 1.75);
}

TEST(SymbolRegistry, RejectsBadSymbols) {
  SymbolRegistry reg;
  EXPECT_THROW(reg.add({.name = ""}), std::invalid_argument);
  EXPECT_THROW(reg.add({.name = "X", .tick_size = 0.0}), std::invalid_argument);
  EXPECT_THROW(reg.add({.name = "X", .tick_size = -0.01}), std::invalid_argument);
  EXPECT_THROW(reg.add({.name = "X", .tick_size = 0.01, .size_scale = 0.0}), std::invalid_argument);
}

TEST(Symbol, DecimalsFollowTheTickSize) {
  EXPECT_EQ(decimals_for(0.01), 2);
  EXPECT_EQ(decimals_for(0.25), 2);
  EXPECT_EQ(decimals_for(0.0001), 4);
  EXPECT_EQ(decimals_for(0.5), 1);
  EXPECT_EQ(decimals_for(1.0), 0);
  EXPECT_EQ(decimals_for(5.0), 0);
}

TEST(Event, CandleEventsLiveOnTheirTimeframesChannel) {
  const Event e = CandleEvent{.symbol = 3, .tf = Timeframe::k5m};
  EXPECT_EQ(channel_of(e), (Channel{3, Stream::kCandle5m}));
}

}  // namespace spacetime::market
