// Tick intensity (docs/INDICATORS.md § 2.3): the rate of ticks, volume or price travel over
// a trailing time window W, evaluated at every tick (no timer decay), then smoothed on the
// tick clock. Aggregates are int64, so the raw rate is exact for any summation order.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "indicators/smoothers.hpp"
#include "indicators/state_io.hpp"

namespace spacetime::indicators {

enum class IntensityMode : std::uint8_t { kVolumeRate, kTickRate, kSpaceRate };

struct IntensityParams {
  IntensityMode mode = IntensityMode::kVolumeRate;
  std::int64_t window_ns = 1'000'000'000;
  SmootherType smoother = SmootherType::kEma;  // the one the adaptive buffer follows
  std::size_t n_smooth = 20;
  // Hard bound on the ticks one window holds, whatever the timestamps (§ 3, Decided): past
  // it the oldest tick leaves as if it were W old.
  std::size_t max_window_ticks = 262'144;
};

// The trailing window: ticks j with t_j > t_k - W, at most max_ticks of them. A ring that
// doubles when full, so the capacity settles at the busiest second seen (or the bound) and
// then never allocates again.
class IntensityWindow {
 public:
  explicit IntensityWindow(std::int64_t window_ns, std::size_t max_ticks = 262'144)
      : window_ns_(window_ns > 0 ? window_ns
                                 : throw std::invalid_argument("intensity window must be > 0")),
        max_ticks_(max_ticks > 0
                       ? max_ticks
                       : throw std::invalid_argument("intensity window bound must be > 0")),
        ring_(64) {}

  // Adds tick k (effective time t, volume v in lots, price q in ticks) and evicts what is
  // W or more older. Returns true once the window has seen a full W (t_k - t_first >= W).
  bool update(std::int64_t t, std::int64_t v, std::int64_t q) {
    // mutate: equivalent: at q == prev_q_ both branches give 0.
    const std::int64_t a = has_prev_ ? (q > prev_q_ ? q - prev_q_ : prev_q_ - q) : 0;
    if (!has_prev_) {
      t_first_ = t;
      has_prev_ = true;
    }
    prev_q_ = q;
    if (size_ == max_ticks_) {
      evict_front();  // the hard bound (§ 3, Decided)
      ++capped_;
    }
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = Entry{t, v, a};
    ++size_;
    n_ += 1;
    v_sum_ += v;
    a_sum_ += a;
    while (ring_[head_].t <= t - window_ns_)
      evict_front();
    return t - t_first_ >= window_ns_;
  }
  // Ticks that left the window by the bound rather than by age (not part of a snapshot).
  std::uint64_t capped() const { return capped_; }

  // § 2.3 raw intensity, units per second.
  double rate(IntensityMode mode) const {
    const std::int64_t x = mode == IntensityMode::kTickRate     ? n_
                           : mode == IntensityMode::kVolumeRate ? v_sum_
                                                                : a_sum_;
    return static_cast<double>(x) * 1.0e9 / static_cast<double>(window_ns_);
  }
  std::int64_t count() const { return n_; }
  std::int64_t volume() const { return v_sum_; }
  std::int64_t travel() const { return a_sum_; }

  void save(StateWriter& w) const {
    w.put(t_first_);
    w.put(prev_q_);
    w.put(has_prev_);
    w.put(n_);
    w.put(v_sum_);
    w.put(a_sum_);
    w.put<std::uint64_t>(size_);
    for (std::size_t i = 0; i < size_; ++i)
      w.put(ring_[(head_ + i) & (ring_.size() - 1)]);
  }
  void load(StateReader& r) {
    r.get(t_first_);
    r.get(prev_q_);
    r.get(has_prev_);
    r.get(n_);
    r.get(v_sum_);
    r.get(a_sum_);
    std::uint64_t size = 0;
    r.get(size);
    std::size_t cap = 64;
    // mutate: equivalent: `<=` only doubles a capacity that fits exactly; no value changes.
    while (cap < size)
      cap *= 2;
    ring_.assign(cap, Entry{});
    for (std::size_t i = 0; i < size; ++i)
      r.get(ring_[i]);
    head_ = 0;
    size_ = size;
  }

 private:
  struct Entry {
    std::int64_t t = 0;
    std::int64_t v = 0;
    std::int64_t a = 0;
  };
  void evict_front() {
    const Entry& e = ring_[head_];
    n_ -= 1;
    v_sum_ -= e.v;
    a_sum_ -= e.a;
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  void grow() {
    std::vector<Entry> bigger(ring_.size() * 2);
    // mutate: equivalent: `<=` also copies slot size_, which update() overwrites right after.
    for (std::size_t i = 0; i < size_; ++i)
      bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::int64_t window_ns_;
  std::size_t max_ticks_;
  std::uint64_t capped_ = 0;
  std::vector<Entry> ring_;  // power-of-two capacity
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::int64_t t_first_ = 0;
  std::int64_t prev_q_ = 0;
  bool has_prev_ = false;
  std::int64_t n_ = 0;
  std::int64_t v_sum_ = 0;
  std::int64_t a_sum_ = 0;
};

}  // namespace spacetime::indicators
