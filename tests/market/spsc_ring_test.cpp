// The single-producer single-consumer rings under stress: two threads, tiny capacities so
// that both sides wrap and wait constantly, every item checked for order and loss. Run
// under ThreadSanitizer by `make test` (the tsan preset) as well as normally.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "market/latency.hpp"
#include "market/spsc_ring.hpp"

namespace spacetime::market {
namespace {

struct Item {
  std::uint64_t n = 0;
  std::uint64_t check = 0;  // ~n: a torn copy would not match
};

class SpscRingStress : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SpscRingStress, EveryItemArrivesOnceInOrderWhateverTheCapacity) {
  constexpr std::uint64_t kItems = 200'000;
  SpscRing<Item> ring(GetParam());
  std::thread producer([&] {
    std::vector<Item> batch;
    std::uint64_t next = 0;
    while (next < kItems) {
      batch.clear();
      const std::uint64_t want = 1 + next % 7;  // batches of 1..7 items
      for (std::uint64_t i = 0; i < want && next + i < kItems; ++i)
        batch.push_back({next + i, ~(next + i)});
      std::span<const Item> rest(batch);
      while (!rest.empty()) {
        rest = rest.subspan(ring.push(rest));
        if (!rest.empty()) std::this_thread::yield();
      }
      next += batch.size();
    }
  });
  std::vector<Item> out(5);
  std::uint64_t expect = 0;
  std::uint64_t bad = 0;
  while (expect < kItems) {
    const std::size_t n = ring.pop(out);
    if (n == 0) std::this_thread::yield();
    for (std::size_t i = 0; i < n; ++i) {
      bad += out[i].n != expect || out[i].check != ~expect;
      ++expect;
    }
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.pushed(), kItems);
  EXPECT_EQ(ring.popped(), kItems);
}

INSTANTIATE_TEST_SUITE_P(Capacities, SpscRingStress, ::testing::Values(2, 3, 8, 1024));

// Stamps beside a ring, pushed before their batch's first item as the engine and the bus
// do: each is taken exactly in the pop that takes its first item, never earlier (its item
// not yet popped) and never later (the consumer would then measure a stale time).
TEST(StampRing, StampsAreTakenInThePopThatTakesTheirFirstItem) {
  constexpr std::uint64_t kBatches = 50'000;
  SpscRing<std::uint64_t> ring(16);
  StampRing stamps;
  std::thread producer([&] {
    for (std::uint64_t b = 0; b < kBatches; ++b) {
      const std::uint64_t items[3] = {b, b, b};
      std::span<const std::uint64_t> rest(items);
      bool stamped = false;
      while (!rest.empty()) {
        if (!stamped) {
          // No room now: wait, rather than push an item the stamp would not cover (the
          // consumer may free room between has_room() and push()).
          if (!ring.has_room()) {
            std::this_thread::yield();
            continue;
          }
          stamps.push(
              {.start = ring.pushed(), .origin_ns = static_cast<std::int64_t>(b), .at_ns = 1});
          stamped = true;
        }
        const std::size_t n = ring.push(rest);
        rest = rest.subspan(n);
        if (!rest.empty()) std::this_thread::yield();
      }
    }
  });
  std::vector<std::uint64_t> out(4);
  std::uint64_t popped = 0;
  std::uint64_t taken = 0;
  std::uint64_t bad = 0;
  std::int64_t last = -1;
  while (popped < kBatches * 3) {
    const std::size_t before = ring.popped();
    const std::size_t n = ring.pop(out);
    if (n == 0) {
      std::this_thread::yield();
      continue;
    }
    popped += n;
    stamps.take(ring.popped(), [&](const Stamp& s) {
      ++taken;
      // Batch b starts at position 3b, and that position was popped just now.
      bad += s.start != static_cast<std::uint64_t>(s.origin_ns) * 3;
      bad += s.start < before;
      bad += s.origin_ns <= last;  // in order, each once
      last = s.origin_ns;
    });
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(taken, kBatches);  // the stamp ring never filled: every batch measured
}

TEST(LatencyHistogram, CountsFromManyThreadsAddUp) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10'000; ++i)
        h.observe_ns((t + 1) * 1'000'000);  // 1..4 ms
    });
  }
  for (auto& t : threads)
    t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 40'000u);
  EXPECT_NEAR(s.sum_s, 10'000 * (0.001 + 0.002 + 0.003 + 0.004), 1e-6);
  EXPECT_DOUBLE_EQ(s.quantile(0.25), 0.001);  // 1 ms lands in the (0.5, 1] ms bucket
  EXPECT_DOUBLE_EQ(s.quantile(1.0), 0.005);   // 3 and 4 ms land in (2.5, 5] ms
  h.observe_ns(-5);                           // clamped to 0, never a negative sum
  EXPECT_EQ(h.snapshot().counts[0], 1u);
}

}  // namespace
}  // namespace spacetime::market
