#include "store/tick_block.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "support/tick_block_v1.hpp"

namespace spacetime::store::detail {
namespace {

constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
constexpr auto kMax = std::numeric_limits<std::int64_t>::max();

std::vector<market::TickEvent> sample() {
  return {
      {.symbol = 3,
       .seq = 1,
       .tick_seq = 10,
       .t = 1'700'000'000'000'000'000,
       .price = 450'25,
       .size = 100,
       .bid = 450'24,
       .ask = 450'26},
      {.symbol = 3,
       .seq = 2,
       .tick_seq = 11,
       .t = 1'700'000'000'000'000'000,
       .price = 450'26,
       .size = 1,
       .bid = 0,
       .ask = 0},
      {.symbol = 3,
       .seq = 9,
       .tick_seq = 5,
       .t = kMax,
       .price = kMin,
       .size = kMax,
       .bid = kMin,
       .ask = kMax},
      {.symbol = 3,
       .seq = std::numeric_limits<std::uint64_t>::max(),
       .tick_seq = std::numeric_limits<std::uint64_t>::max(),
       .t = kMin,
       .price = kMax,
       .size = kMin,
       .bid = -1,
       .ask = 1},
  };
}

TEST(TickBlock, EveryValueRoundTripsExactly) {
  const auto ticks = sample();
  std::string bytes;
  encode_ticks(ticks, bytes);
  ASSERT_EQ(static_cast<std::uint8_t>(bytes[0]), kTickBlockFormat);
  std::vector<market::TickEvent> back;
  ASSERT_TRUE(decode_ticks({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                           ticks.size(), 3, back));
  EXPECT_EQ(back, ticks);
}

TEST(TickBlock, ALiveRunTakesAFewBytesPerTick) {
  std::vector<market::TickEvent> ticks;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    const auto p = static_cast<std::int64_t>(450'00 + (i * 7919) % 13);
    ticks.push_back({.seq = i,
                     .tick_seq = 5000 + i,
                     .t = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 250'000,
                     .price = p,
                     .size = static_cast<std::int64_t>(i % 5) * 100,
                     .bid = p - 1,
                     .ask = p + 1});
  }
  std::string bytes;
  encode_ticks(ticks, bytes);
  EXPECT_LT(bytes.size(), 1 + 12 * ticks.size());
}

// Trades at the bid or the ask, the same size and spread, the price a few ticks away, the
// next tick_seq: the tag settles every field but seq and t.
TEST(TickBlock, AQuotedTradeTakesATagSeqAndTime) {
  std::vector<market::TickEvent> ticks;
  std::int64_t bid = 450'00;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    bid += static_cast<std::int64_t>(i % 3) - 1;  // the price then moves -3 to +3
    ticks.push_back({.seq = 10 * i,
                     .tick_seq = 5000 + i,
                     .t = static_cast<std::int64_t>(i) * 8'000,
                     .price = i % 2 ? bid : bid + 2,
                     .size = 100,
                     .bid = bid,
                     .ask = bid + 2});
  }
  std::string bytes;
  encode_ticks(ticks, bytes);
  // The first tick spells out its fields; each later one: tag, seq (+10: 1 byte), t (+8,000
  // ns: 2 bytes).
  std::string first;
  encode_ticks(std::span(ticks).first(1), first);
  EXPECT_EQ(bytes.size(), first.size() + 999 * 4);
  std::vector<market::TickEvent> back;
  ASSERT_TRUE(decode_ticks({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                           ticks.size(), 0, back));
  EXPECT_EQ(back, ticks);
}

// Format 2's bytes, spelled out: what databases hold must keep reading the same way even if
// the encoder and the decoder were changed together.
TEST(TickBlock, Format2BytesAreAsDocumented) {
  const std::vector<market::TickEvent> ticks = {
      // At the bid; the next tick number; a price move beyond 3 and a new size and spread.
      {.symbol = 4, .seq = 5, .tick_seq = 1, .t = 100, .price = 7, .size = 1, .bid = 7, .ask = 8},
      // At the ask; price +1 (in the tag); the same size and spread.
      {.symbol = 4, .seq = 6, .tick_seq = 2, .t = 90, .price = 8, .size = 1, .bid = 7, .ask = 8},
      // Inside the quote: bid offset and spread as fields; tick number +3.
      {.symbol = 4, .seq = 9, .tick_seq = 5, .t = 95, .price = 20, .size = 3, .bid = 18, .ask = 21},
  };
  const std::uint8_t want[] = {
      0x02,                                            // format
      0xE8, 0x0A, 0xC8, 0x01, 0x0E, 0x02, 0x02,        // tag, seq +5, t +100, price +7, size +1,
                                                       // spread +1
      0x9D, 0x02, 0x13,                                // tag, seq +1, t -10
      0xE2, 0x06, 0x0A, 0x06, 0x18, 0x04, 0x01, 0x04,  // tag, seq +3, t +5, tick_seq +3,
                                                       // price +12, size +2, offset -1, spread +2
  };
  std::string bytes;
  encode_ticks(ticks, bytes);
  EXPECT_EQ(bytes, std::string(reinterpret_cast<const char*>(want), sizeof want));
  std::vector<market::TickEvent> back;
  ASSERT_TRUE(decode_ticks(want, ticks.size(), 4, back));
  EXPECT_EQ(back, ticks);
}

// Every way a tag can settle or defer a field, in many orders, decodes to what went in.
TEST(TickBlock, EveryTagCaseRoundTrips) {
  std::vector<market::TickEvent> ticks;
  market::TickEvent k{
      .seq = 0, .tick_seq = 7, .t = 0, .price = 100, .size = 5, .bid = 99, .ask = 101};
  std::uint64_t r = 88172645463325252ull;  // xorshift: the same cases every run
  for (int i = 0; i < 5000; ++i) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    k.seq += 1 + (r & 3);
    k.t += static_cast<std::int64_t>((r >> 2) & 0xffff);
    k.tick_seq += (r >> 18) & 1 ? 1 : (r >> 19) & 7;  // next, or a jump (0: the same)
    const std::int64_t moves[] = {0, 1, -1, 3, -3, 4, -4, 1000};
    k.price += moves[(r >> 22) & 7];
    if ((r >> 25) & 1) k.size = static_cast<std::int64_t>((r >> 26) & 0x3ff) - 100;
    const std::int64_t spread = static_cast<std::int64_t>((r >> 36) & 3) - 1;  // -1 (crossed) to 2
    switch ((r >> 38) & 3) {
      case 0:
        k.bid = k.price;
        break;
      case 1:
        k.bid = k.price - spread;
        break;  // ask = price
      case 2:
        k.bid = k.price - 1 - static_cast<std::int64_t>((r >> 40) & 3);
        break;
      default:
        k.bid = 0;
        break;  // no quote
    }
    k.ask = (r >> 38) % 4 == 3 ? 0 : k.bid + spread;
    ticks.push_back(k);
  }
  std::string bytes;
  encode_ticks(ticks, bytes);
  std::vector<market::TickEvent> back;
  ASSERT_TRUE(decode_ticks({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                           ticks.size(), 0, back));
  EXPECT_EQ(back, ticks);
}

// Format 1, written before 2026-12-04: seven delta varints a tick. Blocks in databases of
// that time still read.
TEST(TickBlock, Format1BlocksStillDecode) {
  const auto ticks = sample();
  const std::string bytes = testing::encode_ticks_v1(ticks);
  std::vector<market::TickEvent> back;
  ASSERT_TRUE(decode_ticks({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                           ticks.size(), 3, back));
  EXPECT_EQ(back, ticks);
  // Two ticks by hand: seq 5 and 6, t 100 and 90, tick_seq 1 and 2, price 7 and 8, size 1 and
  // 1, bid 6 and 7, ask 8 and 9.
  const std::uint8_t two[] = {1, 10, 200, 1, 2, 14, 2, 12, 16, 2, 19, 2, 2, 0, 2, 2};
  back.clear();
  ASSERT_TRUE(decode_ticks(two, 2, 4, back));
  EXPECT_EQ(back[1], (market::TickEvent{.symbol = 4,
                                        .seq = 6,
                                        .tick_seq = 2,
                                        .t = 90,
                                        .price = 8,
                                        .size = 1,
                                        .bid = 7,
                                        .ask = 9}));
}

TEST(TickBlock, RefusesWhatIsNotExactlyTheBlockItClaims) {
  const auto ticks = sample();
  std::string bytes;
  encode_ticks(ticks, bytes);
  auto decode = [](const std::string& b, std::size_t count) {
    std::vector<market::TickEvent> out{market::TickEvent{.seq = 77}};
    const bool ok =
        decode_ticks({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()}, count, 0, out);
    EXPECT_EQ(out.size(), ok ? 1 + count : 1u) << "a refused block appends nothing";
    return ok;
  };
  EXPECT_TRUE(decode(bytes, ticks.size()));
  EXPECT_FALSE(decode(bytes, ticks.size() - 1)) << "bytes left over";
  EXPECT_FALSE(decode(bytes, ticks.size() + 1)) << "bytes end early";
  EXPECT_FALSE(decode(bytes.substr(0, bytes.size() - 1), ticks.size()));
  EXPECT_FALSE(decode("", 0));
  std::string other = bytes;
  other[0] = 3;
  EXPECT_FALSE(decode(other, ticks.size())) << "unknown format";
  other = bytes;
  other[1] = static_cast<char>(other[1] | 0x03);
  EXPECT_FALSE(decode(other, ticks.size())) << "quote mode 3 is no tick";
  EXPECT_FALSE(decode(std::string(1, '\x01') + std::string(20, '\xff'), 2)) << "endless varint";
  EXPECT_FALSE(decode(bytes, std::size_t{1} << 60)) << "a count the bytes cannot hold";
  // Numbers must rise: the same tick twice is not a block.
  std::string twice;
  encode_ticks(std::vector<market::TickEvent>{ticks[0], ticks[0]}, twice);
  EXPECT_FALSE(decode(twice, 2));
}

// The recorder's batch: per symbol, runs of at most kTickBlockMax in arrival order, each a
// block that decodes to what went in; a run out of order says so; clear() starts over.
TEST(TickBatch, CutsEachSymbolsTicksIntoBlocksThatDecodeExactly) {
  TickBatch batch;
  std::vector<market::TickEvent> in;
  for (std::uint64_t i = 1; i <= kTickBlockMax + 10; ++i) {
    for (market::SymbolId s : {2, 0}) {
      in.push_back({.symbol = s,
                    .seq = i,
                    .tick_seq = i * 3,
                    .t = static_cast<std::int64_t>(i) * 1'000,
                    .price = 100 + static_cast<std::int64_t>(i % 7),
                    .size = 1,
                    .bid = 99,
                    .ask = 101});
    }
  }
  in.push_back({.symbol = 0, .seq = 5, .t = 1});  // out of order: its run is not rising
  for (const auto& k : in)
    batch.add(k);
  EXPECT_EQ(batch.size(), in.size());
  const auto runs = batch.runs();
  ASSERT_EQ(runs.size(), 4u);  // per symbol a full block and the rest
  EXPECT_EQ(runs[0].symbol, 2u);
  EXPECT_EQ(runs[0].count, kTickBlockMax);
  EXPECT_TRUE(runs[0].rising);
  EXPECT_EQ(runs[2].symbol, 2u);
  EXPECT_EQ(runs[2].count, 10u);
  EXPECT_EQ(runs[3].symbol, 0u);
  EXPECT_EQ(runs[3].count, 11u);
  EXPECT_FALSE(runs[3].rising);
  EXPECT_EQ(runs[3].max_seq, kTickBlockMax + 10);
  EXPECT_EQ(runs[3].first_seq, kTickBlockMax + 1);
  EXPECT_EQ(runs[3].last_seq(), 5u);

  std::vector<market::Event> out;
  batch.append_events(out);
  ASSERT_EQ(out.size(), in.size());
  // Runs in order: symbol 2's first block, symbol 0's, then the rest of each.
  std::vector<market::TickEvent> got;
  for (const auto& e : out)
    got.push_back(std::get<market::TickEvent>(e));
  std::size_t at = 0;
  for (const auto& run : runs) {
    std::vector<market::TickEvent> mine;
    for (const auto& k : in)
      if (k.symbol == run.symbol) mine.push_back(k);
    const std::size_t skip = run.first_seq == 1 ? 0 : kTickBlockMax;
    for (std::size_t i = 0; i < run.count; ++i, ++at)
      ASSERT_TRUE(got[at] == mine[skip + i]) << "tick " << at;
  }

  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(batch.runs().empty());
  batch.add(in[1]);
  ASSERT_EQ(batch.runs().size(), 1u);
  EXPECT_EQ(batch.runs()[0].count, 1u);
  EXPECT_TRUE(batch.runs()[0].rising);
  out.clear();
  batch.append_events(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::get<market::TickEvent>(out[0]) == in[1]);
}

}  // namespace
}  // namespace spacetime::store::detail
