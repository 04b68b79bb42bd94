#include "store/event_codec.hpp"

#include <gtest/gtest.h>

#include "support/event_stream.hpp"

namespace spacetime::store {
namespace {

TEST(EventCodec, RoundTripsEveryKindOfEventExactly) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 20'000);
  std::size_t kinds[std::variant_size_v<market::Event>] = {};
  for (const auto& e : events)
    ++kinds[e.index()];
  for (const auto n : kinds)
    EXPECT_GT(n, 0u);
  std::string bytes;
  encode_events(events, symbols, bytes);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), kEventCodecVersion);
  const auto back = decode_events(bytes, symbols);
  EXPECT_EQ(back.unknown_symbol, 0u);
  ASSERT_EQ(back.events.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i)
    ASSERT_TRUE(back.events[i] == events[i]) << "event " << i;
}

TEST(EventCodec, MapsSymbolsByNameAndCountsUnknownOnes) {
  market::SymbolRegistry first;
  const auto events = testing::simulated_events(first, 2, 2'000);
  std::string bytes;
  encode_events(events, first, bytes);
  market::SymbolRegistry second;
  second.add({.name = "SYM1"});  // SYM0 is not in this run
  const auto back = decode_events(bytes, second);
  std::size_t sym1 = 0;
  for (const auto& e : events)
    sym1 += market::symbol_of(e) == 1;
  ASSERT_EQ(back.events.size(), sym1);
  EXPECT_EQ(back.unknown_symbol, events.size() - sym1);
  for (const auto& e : back.events)
    EXPECT_EQ(market::symbol_of(e), 0u);
}

TEST(EventCodec, RejectsTruncatedAndForeignBatches) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 1, 1'000);
  std::string bytes;
  encode_events(events, symbols, bytes);
  for (const std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_THROW(decode_events(std::string_view(bytes).substr(0, cut), symbols), CodecError);
  auto other = bytes;
  other[0] = 99;
  EXPECT_THROW(decode_events(other, symbols), CodecError);
  EXPECT_THROW(decode_events(bytes + "x", symbols), CodecError);
}

}  // namespace
}  // namespace spacetime::store
