#include <algorithm>

#include "bus/bus.hpp"

namespace spacetime::bus {

void Subscription::deliver(std::span<const market::Event> events) {
  std::uint64_t dropped = 0;
  std::uint64_t delivered = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : events) {
      if (!filter_.matches(market::channel_of(e))) continue;
      if (queue_.size() >= capacity_) {
        ++dropped;
        continue;
      }
      queue_.push_back(e);
      ++delivered;
    }
  }
  if (dropped) dropped_.fetch_add(dropped, std::memory_order_relaxed);
  if (delivered) delivered_.fetch_add(delivered, std::memory_order_relaxed);
}

std::size_t Subscription::drain(std::vector<market::Event>& out) {
  std::lock_guard lock(mutex_);
  const std::size_t n = queue_.size();
  if (out.empty()) {
    out.swap(queue_);  // keeps both buffers' capacity in circulation: no allocation
  } else {
    out.insert(out.end(), queue_.begin(), queue_.end());
  }
  queue_.clear();
  return n;
}

void InprocBus::publish(std::span<const market::Event> events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& sub : subscribers_)
    sub->deliver(events);
}

std::shared_ptr<Subscription> InprocBus::subscribe(Filter filter, std::size_t capacity) {
  auto sub = std::make_shared<Subscription>(filter, capacity);
  std::lock_guard lock(mutex_);
  subscribers_.push_back(sub);
  return sub;
}

void InprocBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mutex_);
  auto it = std::find(subscribers_.begin(), subscribers_.end(), subscription);
  if (it == subscribers_.end()) return;
  dropped_by_gone_ += (*it)->dropped();
  subscribers_.erase(it);
}

std::uint64_t InprocBus::dropped() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = dropped_by_gone_;
  for (const auto& sub : subscribers_)
    total += sub->dropped();
  return total;
}

}  // namespace spacetime::bus
