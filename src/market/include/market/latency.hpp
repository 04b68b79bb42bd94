// Latency measurement across threads at batch granularity: a histogram that many threads
// observe into without locks, and stamps that travel beside a ring's items (never inside
// them) to say when a batch was handed over and when its oldest tick left the feed.
// One steady-clock read per batch, not per item: the hot path stays as it was.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace spacetime::market {

// Nanoseconds on the steady clock (CLOCK_MONOTONIC: one clock for every thread and every
// process of the machine).
inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Fixed buckets from 10 us to 10 s. observe() is wait-free (relaxed atomics); a reader on
// another thread sees each counter exactly, the set of them nearly at one instant, which
// is what a scrape needs.
class LatencyHistogram {
 public:
  static constexpr std::array<std::int64_t, 19> kBoundsNs = {
      10'000,        25'000,        50'000,        100'000,       250'000,
      500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
      25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr std::size_t kBuckets = kBoundsNs.size() + 1;  // the last one is +Inf

  void observe_ns(std::int64_t ns) {
    ns = std::max<std::int64_t>(ns, 0);  // a caller's two clock reads in the wrong order
    const auto it = std::lower_bound(kBoundsNs.begin(), kBoundsNs.end(), ns);
    counts_[static_cast<std::size_t>(it - kBoundsNs.begin())].fetch_add(1,
                                                                        std::memory_order_relaxed);
    // Seconds as a double: a sum in integer nanoseconds would wrap within months of
    // end-to-end observations, and Prometheus would see _sum go backwards.
    sum_s_.fetch_add(static_cast<double>(ns) / 1e9, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::array<std::uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum_s = 0.0;
    // The upper bound (seconds) below which a fraction q of the observations fall.
    double quantile(double q) const {
      if (count == 0) return 0.0;
      const auto want = static_cast<std::uint64_t>(q * static_cast<double>(count) + 0.999999);
      std::uint64_t seen = 0;
      for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts[i];
        if (seen >= want && i < kBoundsNs.size()) return static_cast<double>(kBoundsNs[i]) / 1e9;
      }
      return std::numeric_limits<double>::infinity();
    }
  };

  Snapshot snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
      s.count += s.counts[i];
    }
    s.sum_s = sum_s_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<double> sum_s_{0.0};
};

// Origins are steady_ns() values where 0 means unknown: keeps in `into` the oldest known.
inline void keep_oldest(std::int64_t& into, std::int64_t origin_ns) {
  if (origin_ns != 0 && (into == 0 || origin_ns < into)) into = origin_ns;
}

// A batch handed over through a ring: `start` is the ring position of its first item,
// `origin_ns` when its oldest tick was handed to the engine (0: unknown), `at_ns` when the
// batch was handed over. Both times are steady_ns().
struct Stamp {
  std::uint64_t start = 0;
  std::int64_t origin_ns = 0;
  std::int64_t at_ns = 0;
};

// The stamps of one single-producer single-consumer ring, in their own small SPSC ring.
// The producer pushes a batch's stamp BEFORE its first item, and only when that item is
// sure to fit: a consumer that pops the item then always finds the stamp, never early
// (its `start` is not yet popped) and never late. When the stamp ring is full a stamp is
// skipped: latency is then sampled, and nothing else changes.
class StampRing {
  static_assert(sizeof(std::size_t) == 8, "ring positions must not wrap");

 public:
  static constexpr std::size_t kCapacity = 256;

  // Producer side.
  void push(const Stamp& s) {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ >= kCapacity) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ >= kCapacity) return;
    }
    slots_[tail % kCapacity] = s;
    tail_.store(tail + 1, std::memory_order_release);
  }

  // Consumer side: once the consumer has taken the ring's items up to position `popped`,
  // calls f(stamp) for every batch whose first item is among them, oldest first.
  template <typename F>
  void take(std::uint64_t popped, F&& f) {
    std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    while (head != tail && slots_[head % kCapacity].start < popped) {
      f(slots_[head % kCapacity]);
      ++head;
    }
    head_.store(head, std::memory_order_release);
  }

 private:
  static constexpr std::size_t kLine = 64;
  std::array<Stamp, kCapacity> slots_{};
  alignas(kLine) std::atomic<std::uint64_t> head_{0};
  alignas(kLine) std::atomic<std::uint64_t> tail_{0};
  alignas(kLine) std::uint64_t head_cache_ = 0;  // producer's view of head_
};

}  // namespace spacetime::market
