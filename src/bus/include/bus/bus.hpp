// Publish/subscribe of engine events by channel (symbol x stream). Every subscription is
// a bounded queue: a slow subscriber loses what does not fit, and the loss is counted,
// never hidden and never pushed back onto the publisher (the engine must not stall).
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "market/event.hpp"

namespace spacetime::bus {

// Which channels a subscription wants: a set of streams, for one symbol or for all.
struct Filter {
  std::bitset<market::kStreamCount> streams;  // empty set means every stream
  std::optional<market::SymbolId> symbol;     // nullopt means every symbol

  bool matches(const market::Channel& c) const {
    if (symbol && *symbol != c.symbol) return false;
    return streams.none() || streams.test(static_cast<std::size_t>(c.stream));
  }
};

class Subscription {
 public:
  Subscription(Filter filter, std::size_t capacity) : filter_(filter), capacity_(capacity) {}

  // Moves every queued event into out (after what out already holds); returns how many.
  std::size_t drain(std::vector<market::Event>& out);

  // Events that did not fit in the queue since the subscription began.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  const Filter& filter() const { return filter_; }

  // Called by the bus.
  void deliver(std::span<const market::Event> events);

 private:
  const Filter filter_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::vector<market::Event> queue_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> delivered_{0};
};

class Bus : public market::EventSink {
 public:
  // capacity: the most events the subscription holds between two drain() calls.
  virtual std::shared_ptr<Subscription> subscribe(Filter filter, std::size_t capacity) = 0;
  virtual void unsubscribe(const std::shared_ptr<Subscription>& subscription) = 0;
  // Events lost across all subscriptions so far.
  virtual std::uint64_t dropped() const = 0;
};

// The embedded default: publish() delivers to subscribers in the caller's thread.
// Thread-safe: any number of publishers and subscribers.
class InprocBus final : public Bus {
 public:
  void publish(std::span<const market::Event> events) override;
  std::shared_ptr<Subscription> subscribe(Filter filter, std::size_t capacity) override;
  void unsubscribe(const std::shared_ptr<Subscription>& subscription) override;
  std::uint64_t dropped() const override;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Subscription>> subscribers_;
  std::uint64_t dropped_by_gone_ = 0;  // drops of subscriptions already removed
};

}  // namespace spacetime::bus
