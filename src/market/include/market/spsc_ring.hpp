// A bounded single-producer single-consumer ring (the shape of Aeron's OneToOneRingBuffer):
// head and tail on their own cache lines, each side caching the other's index so that a
// push or pop touches shared memory only when its cached view runs out.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

namespace spacetime::market {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit SpscRing(std::size_t capacity)
      : capacity_(std::bit_ceil(std::max<std::size_t>(capacity, 2))),
        mask_(capacity_ - 1),
        slots_(std::make_unique<T[]>(capacity_)) {}

  std::size_t capacity() const { return capacity_; }

  // Producer side: copies as many items as fit and returns how many.
  std::size_t push(std::span<const T> items) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    std::size_t free = capacity_ - (tail - head_cache_);
    if (free < items.size()) {
      head_cache_ = head_.load(std::memory_order_acquire);
      free = capacity_ - (tail - head_cache_);
    }
    const std::size_t n = std::min(free, items.size());
    for (std::size_t i = 0; i < n; ++i)
      slots_[(tail + i) & mask_] = items[i];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer side: moves up to out.size() items into out and returns how many.
  std::size_t pop(std::span<T> out) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    std::size_t avail = tail_cache_ - head;
    if (avail == 0) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      avail = tail_cache_ - head;
    }
    const std::size_t n = std::min(avail, out.size());
    for (std::size_t i = 0; i < n; ++i)
      out[i] = slots_[(head + i) & mask_];
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  // Items pushed so far (producer side only) and popped so far (consumer side only): the
  // ring positions that latency stamps refer to.
  std::size_t pushed() const { return tail_.load(std::memory_order_relaxed); }
  // Producer side: whether the next push() takes at least one item (the consumer only
  // ever frees room).
  bool has_room() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ < capacity_) return true;
    head_cache_ = head_.load(std::memory_order_acquire);
    return tail - head_cache_ < capacity_;
  }
  std::size_t popped() const { return head_.load(std::memory_order_relaxed); }

  // Approximate, for metrics: exact only when both sides are quiet. Head first: read from
  // another thread, a head loaded after tail could be past it and the difference wrap.
  std::size_t size() const {
    const std::size_t head = head_.load(std::memory_order_acquire);
    return tail_.load(std::memory_order_acquire) - head;
  }

 private:
  static constexpr std::size_t kLine = 64;
  const std::size_t capacity_;
  const std::size_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // consumer writes
  alignas(kLine) std::size_t tail_cache_ = 0;        // consumer's view of tail_
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // producer writes
  alignas(kLine) std::size_t head_cache_ = 0;        // producer's view of head_
};

}  // namespace spacetime::market
