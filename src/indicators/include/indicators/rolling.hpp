// Rolling statistics over a fixed window (docs/INDICATORS.md § 2.4 and § 2.7): the sliding
// Welford form with an exact re-sum every N replacements (D7), a running mean in the SMA's
// order, and rolling max/min of int64 values with monotonic deques. Fixed-size rings:
// no allocation after construction.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "indicators/state_io.hpp"

namespace spacetime::indicators {

// Visits a full ring oldest to newest, where `head` is the oldest slot.
template <typename F>
void for_each_oldest_first(const std::vector<double>& ring, std::size_t head, F&& f) {
  for (std::size_t i = head; i < ring.size(); ++i)
    f(ring[i]);
  for (std::size_t i = 0; i < head; ++i)
    f(ring[i]);
}

// § 2.4 RollStats(N): mean, population variance, sd and CV of the last N values.
class RollStats {
 public:
  explicit RollStats(std::size_t n)
      : ring_(n == 0 ? throw std::invalid_argument("RollStats N >= 1") : n) {}

  void push(double x) {
    const std::size_t n = ring_.size();
    if (count_ < n) {
      count_ = count_ + 1;
      const double delta = x - mean_;
      mean_ = mean_ + delta / static_cast<double>(count_);
      m2_ = m2_ + delta * (x - mean_);
      ring_[count_ - 1] = x;
      return;
    }
    const double x_old = ring_[head_];
    const double mean_new = mean_ + (x - x_old) / static_cast<double>(n);
    m2_ = m2_ + (x - x_old) * ((x - mean_new) + (x_old - mean_));
    mean_ = mean_new;
    ring_[head_] = x;
    head_ = head_ + 1 == n ? 0 : head_ + 1;
    // Exact re-sum every N replacements (a countdown: no division per tick).
    replacements_ = replacements_ + 1 == n ? 0 : replacements_ + 1;
    if (replacements_ == 0) resum();
    // § 2.4 "Then: if (M2 < 0.0) M2 = 0.0" is a state update: a negative M2 from rounding
    // must not carry into the next replacement. At M2 == 0.0 `<=` would only turn -0.0 into
    // +0.0, which no comparison, sum or output distinguishes:
    // mutate: equivalent: at m2_ == 0.0 it stores an equal 0.0.
    if (m2_ < 0.0) m2_ = 0.0;
  }

  bool ready() const { return count_ == ring_.size(); }
  double mean() const { return mean_; }
  double variance() const { return m2_ / static_cast<double>(ring_.size()); }
  double sd() const { return std::sqrt(variance()); }
  double cv() const { return mean_ > 0.0 ? sd() / mean_ : 0.0; }

  void save(StateWriter& w) const {
    w.put(mean_);
    w.put(m2_);
    w.put(count_);
    w.put(head_);
    w.put(replacements_);
    w.put_vector(ring_);
  }
  void load(StateReader& r) {
    r.get(mean_);
    r.get(m2_);
    r.get(count_);
    r.get(head_);
    r.get(replacements_);
    r.get_vector(ring_);
  }

 private:
  // Exact recomputation, oldest to newest (head_ is the oldest once full).
  void resum() {
    const std::size_t n = ring_.size();
    double s = 0.0;
    for_each_oldest_first(ring_, head_, [&s](double x) { s = s + x; });
    mean_ = s / static_cast<double>(n);
    double m2 = 0.0;
    for_each_oldest_first(ring_, head_, [this, &m2](double x) {
      const double d = x - mean_;
      m2 = m2 + d * d;
    });
    m2_ = m2;
  }

  std::vector<double> ring_;
  double mean_ = 0.0;
  double m2_ = 0.0;
  std::size_t count_ = 0;
  std::size_t head_ = 0;
  std::uint64_t replacements_ = 0;  // since the last exact re-sum
};

// § 2.4 RollMean(N): running sum in the SMA's order (subtract the oldest, then add), with
// an exact re-sum every N replacements.
class RollMean {
 public:
  explicit RollMean(std::size_t n)
      : ring_(n == 0 ? throw std::invalid_argument("RollMean N >= 1") : n) {}

  void push(double x) {
    const std::size_t n = ring_.size();
    if (count_ < n) {
      sum_ = sum_ + x;
      ring_[count_] = x;
      ++count_;
      return;
    }
    sum_ = sum_ - ring_[head_];
    sum_ = sum_ + x;
    ring_[head_] = x;
    head_ = head_ + 1 == n ? 0 : head_ + 1;
    replacements_ = replacements_ + 1 == n ? 0 : replacements_ + 1;
    if (replacements_ == 0) {
      double s = 0.0;
      for_each_oldest_first(ring_, head_, [&s](double v) { s = s + v; });
      sum_ = s;
    }
  }
  bool ready() const { return count_ == ring_.size(); }
  double mean() const { return sum_ / static_cast<double>(ring_.size()); }

  void save(StateWriter& w) const {
    w.put(sum_);
    w.put(count_);
    w.put(head_);
    w.put(replacements_);
    w.put_vector(ring_);
  }
  void load(StateReader& r) {
    r.get(sum_);
    r.get(count_);
    r.get(head_);
    r.get(replacements_);
    r.get_vector(ring_);
  }

 private:
  std::vector<double> ring_;
  double sum_ = 0.0;
  std::size_t count_ = 0;
  std::size_t head_ = 0;
  std::uint64_t replacements_ = 0;  // since the last exact re-sum
};

// Max (Greater = true) or min of the last M int64 values, by a monotonic deque kept in a
// fixed ring of M slots. max()/min() is over what was pushed so far (at most M values).
template <bool kMax>
class RollingExtreme {
 public:
  explicit RollingExtreme(std::size_t m)
      : values_(m == 0 ? throw std::invalid_argument("window >= 1") : m), index_(m) {}

  void push(std::int64_t x) {
    const std::size_t m = values_.size();
    // Drop what fell out of the window, then what x dominates.
    while (size_ > 0 && index_[front_] + m <= k_)
      pop_front();
    while (size_ > 0 && dominated(values_[back()], x))
      --size_;
    const std::size_t slot = wrap(front_ + size_);
    values_[slot] = x;
    index_[slot] = k_;
    ++size_;
    ++k_;
  }
  bool empty() const { return size_ == 0; }
  // mutate: equivalent: at k_ == size both branches give the same count.
  std::size_t count() const { return k_ < values_.size() ? k_ : values_.size(); }
  bool full() const { return k_ >= values_.size(); }
  std::int64_t value() const { return values_[front_]; }

  void save(StateWriter& w) const {
    w.put(front_);
    w.put(size_);
    w.put(k_);
    w.put_vector(values_);
    w.put_vector(index_);
  }
  void load(StateReader& r) {
    r.get(front_);
    r.get(size_);
    r.get(k_);
    r.get_vector(values_);
    r.get_vector(index_);
  }

 private:
  // An older value equal to x may go or stay: the extreme is the same value either way, and
  // the window drop keeps at most M entries in the M slots.
  // mutate: equivalent: at old == x only which of two equal values is kept changes.
  static bool dominated(std::int64_t old, std::int64_t x) { return kMax ? old <= x : old >= x; }
  // Index arithmetic without a division: every sum here is below twice the capacity.
  std::size_t wrap(std::size_t i) const { return i >= values_.size() ? i - values_.size() : i; }
  std::size_t back() const { return wrap(front_ + size_ - 1); }
  void pop_front() {
    front_ = wrap(front_ + 1);
    --size_;
  }

  std::vector<std::int64_t> values_;
  std::vector<std::uint64_t> index_;  // push number of each kept value
  std::size_t front_ = 0;
  std::size_t size_ = 0;
  std::uint64_t k_ = 0;  // values pushed so far
};

using RollingMax = RollingExtreme<true>;
using RollingMin = RollingExtreme<false>;

}  // namespace spacetime::indicators
