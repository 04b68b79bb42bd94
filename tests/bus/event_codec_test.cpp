#include "bus/event_codec.hpp"

#include <gtest/gtest.h>

#include <random>

#include "support/event_stream.hpp"

namespace spacetime::bus {
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

TEST(EventCodec, RejectsOutOfRangeEnumerationsInsteadOfPassingThemOn) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "A"});
  const std::vector<market::Event> events = {market::CandleEvent{.symbol = 0, .seq = 1}};
  std::string bytes;
  encode_events(events, symbols, bytes);
  // version, 1 symbol, "A" (length 1), 1 event, kind 0, symbol 0, then the timeframe.
  ASSERT_EQ(bytes.substr(0, 7), std::string("\x02\x01\x01"
                                            "A\x01\x00\x00",
                                            7));
  bytes[7] = 2 * 7;  // zigzag(7): one past the last timeframe
  EXPECT_THROW(decode_events(bytes, symbols), CodecError);
}

// Codec version 2: a revised closed bar (after a trade correction) keeps its flag, which
// sits right after `closed`.
TEST(EventCodec, CarriesTheRevisedFlagOfACorrectedBar) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "A"});
  const market::CandleEvent bar{.symbol = 0,
                                .tf = market::Timeframe::k1m,
                                .closed = true,
                                .seq = 3,
                                .candle = {.start_ns = 60'000'000'000, .open = 5, .high = 6},
                                .revised = true};
  const std::vector<market::Event> events = {bar};
  std::string bytes;
  encode_events(events, symbols, bytes);
  const auto back = decode_events(bytes, symbols).events;
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(std::get<market::CandleEvent>(back[0]).revised);
  EXPECT_TRUE(market::is_revision(back[0]));
  EXPECT_TRUE(back == events);
  auto plain = bar;
  plain.revised = false;
  std::string plain_bytes;
  encode_events(std::vector<market::Event>{plain}, symbols, plain_bytes);
  EXPECT_EQ(plain_bytes.size(), bytes.size());
  EXPECT_NE(plain_bytes, bytes);
}

// The example of docs/PROTOCOL.md § Redis bus codec, byte for byte.
TEST(EventCodec, MatchesTheDocumentedExampleByteForByte) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "A"});
  const std::vector<market::Event> events = {market::TickEvent{.symbol = 0,
                                                               .seq = 7,
                                                               .tick_seq = 9,
                                                               .t = 1'000'000'000,
                                                               .price = 10012,
                                                               .size = 3,
                                                               .bid = 10011,
                                                               .ask = 10013}};
  std::string bytes;
  encode_events(events, symbols, bytes);
  const std::string expected(
      "\x02\x01\x01\x41\x01\x06\x00\x0e\x80\xa8\xd6\xb9\x07\x12\xb8\x9c\x01\x06\xb6\x9c\x01"
      "\xba\x9c\x01",
      24);
  EXPECT_EQ(bytes, expected);
  EXPECT_TRUE(decode_events(bytes, symbols).events == events);
}

TEST(EventCodec, CorruptBatchesThrowOrDecodeButNeverCrash) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 2'000);
  std::string good;
  encode_events(std::span(events).first(300), symbols, good);
  std::mt19937_64 rng(11);
  std::size_t rejected = 0;
  std::vector<market::Event> out = {events[0]};
  for (int round = 0; round < 5'000; ++round) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) bad.resize(rng() % bad.size());
    try {
      decode_events_into(bad, symbols, out);
    } catch (const CodecError&) {
      ++rejected;
      EXPECT_EQ(out.size(), 1u) << "a rejected batch leaves nothing behind";
    }
    out.resize(1);
  }
  EXPECT_GT(rejected, 1'000u);
}

TEST(EventCodec, HugeCountsAreRejectedWithoutAllocating) {
  market::SymbolRegistry symbols;
  // version 2, 0 symbols, an event count of 2^62.
  const std::string bytes("\x02\x00\x80\x80\x80\x80\x80\x80\x80\x80\x40", 11);
  EXPECT_THROW(decode_events(bytes, symbols), CodecError);
}

}  // namespace
}  // namespace spacetime::bus
