#include "store/tick_block.hpp"

#include <gtest/gtest.h>

#include <limits>

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
  other[0] = 2;
  EXPECT_FALSE(decode(other, ticks.size())) << "unknown format";
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
  EXPECT_EQ(runs[3].first.seq, kTickBlockMax + 1);
  EXPECT_EQ(runs[3].last.seq, 5u);

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
    const std::size_t skip = run.first.seq == 1 ? 0 : kTickBlockMax;
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
