// The three smoothing types of docs/INDICATORS.md § 2.2: SMA, EMA and ZLMA (zero-lag EMA).
// Small value types: update(x), ready(), value(); no allocation after construction; the
// expressions and their order are the spec's, so the results are bit-identical to TA-Lib's
// SMA and EMA (and to TA-Lib's EMA of the de-lagged series for ZLMA).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "indicators/state_io.hpp"

namespace spacetime::indicators {

// § 2.2 SMA(n): ring of the last n inputs; subtract the oldest first, then add (TA-Lib).
class Sma {
 public:
  explicit Sma(std::size_t n) : ring_(check(n)) {}

  void update(double x) {
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
  }
  bool ready() const { return count_ >= ring_.size(); }
  double value() const { return sum_ / static_cast<double>(ring_.size()); }
  std::size_t period() const { return ring_.size(); }

  void save(StateWriter& w) const {
    w.put(sum_);
    w.put(count_);
    w.put(head_);
    w.put_vector(ring_);
  }
  void load(StateReader& r) {
    r.get(sum_);
    r.get(count_);
    r.get(head_);
    r.get_vector(ring_);
  }

 private:
  static std::size_t check(std::size_t n) {
    if (n == 0) throw std::invalid_argument("SMA period must be >= 1");
    return n;
  }
  std::vector<double> ring_;
  double sum_ = 0.0;
  std::size_t count_ = 0;  // inputs seen, saturating at n
  std::size_t head_ = 0;   // oldest element once full
};

// § 2.2 EMA(n): seeded with the SMA of the first n inputs, then y = (x - y) * alpha + y.
class Ema {
 public:
  explicit Ema(std::size_t n)
      : n_(n == 0 ? throw std::invalid_argument("EMA period must be >= 1") : n),
        alpha_(2.0 / static_cast<double>(n + 1)) {}

  void update(double x) {
    if (count_ < n_) {
      acc_ = acc_ + x;
      ++count_;
      if (count_ == n_) y_ = acc_ / static_cast<double>(n_);
      return;
    }
    y_ = (x - y_) * alpha_ + y_;
  }
  bool ready() const { return count_ >= n_; }
  double value() const { return y_; }
  std::size_t period() const { return n_; }

  void save(StateWriter& w) const {
    w.put(acc_);
    w.put(y_);
    w.put(count_);
  }
  void load(StateReader& r) {
    r.get(acc_);
    r.get(y_);
    r.get(count_);
  }

 private:
  std::size_t n_;
  double alpha_;
  double acc_ = 0.0;
  double y_ = 0.0;
  std::size_t count_ = 0;
};

// § 2.2 ZLMA(n): EMA(n) of d = 2.0 * x_k - x_{k-L}, L = (n - 1) / 2, ready at k = L + n.
class Zlma {
 public:
  explicit Zlma(std::size_t n) : ema_(n), lag_((n == 0 ? 0 : (n - 1) / 2) + 1) {}

  void update(double x) {
    const std::size_t size = lag_.size();  // L + 1
    lag_[head_] = x;
    head_ = head_ + 1 == size ? 0 : head_ + 1;
    // mutate: equivalent: `<=` saturates count_ at size + 1, not size; both read as full below.
    if (count_ < size) ++count_;
    if (count_ < size) return;  // k <= L: no x_{k-L} yet
    // The ring holds x_{k-L} .. x_k; the oldest, x_{k-L}, sits at head_.
    ema_.update(2.0 * x - lag_[head_]);
  }
  bool ready() const { return ema_.ready(); }
  double value() const { return ema_.value(); }
  std::size_t period() const { return ema_.period(); }
  std::size_t lag() const { return lag_.size() - 1; }

  void save(StateWriter& w) const {
    ema_.save(w);
    w.put(count_);
    w.put(head_);
    w.put_vector(lag_);
  }
  void load(StateReader& r) {
    ema_.load(r);
    r.get(count_);
    r.get(head_);
    r.get_vector(lag_);
  }

 private:
  Ema ema_;
  std::vector<double> lag_;
  std::size_t count_ = 0;
  std::size_t head_ = 0;
};

enum class SmootherType : std::uint8_t { kSma, kEma, kZlma };

// One of the three, chosen at run time (per run, per client request). A switch on a tag,
// not a virtual base: no virtual call per tick. The two types not chosen stay at period 1
// and are never updated.
class Smoother {
 public:
  Smoother(SmootherType type, std::size_t n)
      : type_(type),
        sma_(type == SmootherType::kSma ? n : 1),
        ema_(type == SmootherType::kEma ? n : 1),
        zlma_(type == SmootherType::kZlma ? n : 1) {}

  void update(double x) {
    switch (type_) {
      case SmootherType::kSma:
        sma_.update(x);
        break;
      case SmootherType::kEma:
        ema_.update(x);
        break;
      case SmootherType::kZlma:
        zlma_.update(x);
        break;
    }
  }
  bool ready() const {
    switch (type_) {
      case SmootherType::kSma:
        return sma_.ready();
      case SmootherType::kEma:
        return ema_.ready();
      case SmootherType::kZlma:
        return zlma_.ready();
    }
    return false;
  }
  double value() const {
    switch (type_) {
      case SmootherType::kSma:
        return sma_.value();
      case SmootherType::kEma:
        return ema_.value();
      case SmootherType::kZlma:
        return zlma_.value();
    }
    return 0.0;
  }
  SmootherType type() const { return type_; }

  void save(StateWriter& w) const {
    sma_.save(w);
    ema_.save(w);
    zlma_.save(w);
  }
  void load(StateReader& r) {
    sma_.load(r);
    ema_.load(r);
    zlma_.load(r);
  }

 private:
  SmootherType type_;
  Sma sma_;
  Ema ema_;
  Zlma zlma_;
};

}  // namespace spacetime::indicators
