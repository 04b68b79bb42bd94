// The Space-Time Reversal Indicator, versions 1-4 (docs/INDICATORS.md § 2.7, § 2.8). Each
// is a small state machine with a cooldown: at the start of each evaluation step (a tick for
// v1/v2, a closed bar for v3/v4) the cooldown counts down; a signal is emitted only at zero
// and sets it to C; a signal suppressed by the cooldown is still consumed. A step with a
// NOT_READY input is a no-op. At most one transition per step.
#pragma once

#include <cstdint>
#include <optional>

#include "indicators/adaptive_buffer.hpp"
#include "indicators/bar_indicators.hpp"
#include "indicators/rolling.hpp"
#include "market/event.hpp"

namespace spacetime::indicators {

struct Signal {
  int direction = 0;  // +1 BUY, -1 SELL
  double strength = 0.0;
};

class Cooldown {
 public:
  explicit Cooldown(std::uint32_t steps) : steps_(steps) {}
  void step() {
    if (left_ > 0) left_ = left_ - 1;
  }
  // True when a signal may be emitted now; either way the caller's transition happens.
  bool fire() {
    if (left_ != 0) return false;
    left_ = steps_;
    return true;
  }
  void save(StateWriter& w) const { w.put(left_); }
  void load(StateReader& r) { r.get(left_); }

 private:
  std::uint32_t steps_;
  std::uint32_t left_ = 0;
};

// v1: intensity climax + adaptive buffer with CV scaling (tick clock).
struct V1Params {
  std::uint64_t min_burst = 3;
  std::int64_t min_move = 4;  // price ticks
  std::uint64_t max_burst = 1000;
  std::uint32_t cooldown = 50;
};

class ReversalV1 {
 public:
  explicit ReversalV1(const V1Params& p = {}) : p_(p), cooldown_(p.cooldown) {}

  // zone/baseline are NOT_READY-aware: a kNotReady zone makes the step a no-op. q_prev is
  // the previous accepted tick's price (q itself for the first tick).
  std::optional<Signal> update(double s, const Band& band, market::Zone prev_zone, std::int64_t q,
                               std::int64_t q_prev) {
    if (band.zone == market::Zone::kNotReady) return std::nullopt;
    cooldown_.step();
    if (!in_burst_) {
      if (band.zone == market::Zone::kHigh && prev_zone != market::Zone::kHigh) {
        in_burst_ = true;
        q_start_ = q_prev;
        n_ = 1;
      }
      return std::nullopt;
    }
    n_ = n_ + 1;
    if (s <= band.baseline) {
      in_burst_ = false;
      const std::int64_t m = q - q_start_;
      // mutate: equivalent: at m == 0, -m == m.
      const std::int64_t move = m < 0 ? -m : m;
      if (n_ >= p_.min_burst && move >= p_.min_move && cooldown_.fire()) {
        // mutate: equivalent: m == 0 cannot get here, as validate() requires min_move >= 1.
        return Signal{m > 0 ? -1 : +1, static_cast<double>(move)};
      }
      return std::nullopt;
    }
    if (n_ > p_.max_burst) in_burst_ = false;
    return std::nullopt;
  }

  void save(StateWriter& w) const {
    cooldown_.save(w);
    w.put(in_burst_);
    w.put(q_start_);
    w.put(n_);
  }
  void load(StateReader& r) {
    cooldown_.load(r);
    r.get(in_burst_);
    r.get(q_start_);
    r.get(n_);
  }

 private:
  V1Params p_;
  Cooldown cooldown_;
  bool in_burst_ = false;
  std::int64_t q_start_ = 0;
  std::uint64_t n_ = 0;
};

// v2: price extreme + intensity, with momentum confirmation (tick clock).
struct V2Params {
  std::size_t extreme_window = 200;  // M_ext
  std::size_t momentum = 20;         // m_mom
  std::uint64_t confirm = 100;
  std::int64_t min_retrace = 2;  // price ticks
  std::uint32_t cooldown = 50;
};

class ReversalV2 {
 public:
  explicit ReversalV2(const V2Params& p = {})
      : p_(p),
        cooldown_(p.cooldown),
        highs_(p.extreme_window),
        lows_(p.extreme_window),
        prices_(p.momentum + 1) {}

  // Every accepted tick, in order. The price history always advances; the state machine
  // only once M_ext previous ticks and the momentum exist.
  std::optional<Signal> update(std::int64_t q, market::Zone zone) {
    k_ = k_ + 1;
    const bool ready = highs_.full() && k_ > p_.momentum;
    const bool new_high = highs_.full() && q > highs_.value();
    const bool new_low = lows_.full() && q < lows_.value();
    // MOM_k = q_k - q_{k-m}: the ring holds the last m+1 prices once k > m.
    prices_[price_head_] = q;
    price_head_ = price_head_ + 1 == prices_.size() ? 0 : price_head_ + 1;
    const std::int64_t momentum = q - prices_[price_head_];
    highs_.push(q);
    lows_.push(q);
    if (!ready) return std::nullopt;

    cooldown_.step();
    const bool high_zone = zone == market::Zone::kHigh;
    // Arm, or update the armed candidate; an arm the other way replaces it.
    if (new_high && (armed_ == -1 || high_zone)) {
      armed_ = -1;  // BEAR
      extreme_ = q;
      armed_at_ = k_;
      return std::nullopt;
    }
    if (new_low && (armed_ == +1 || high_zone)) {
      armed_ = +1;  // BULL
      extreme_ = q;
      armed_at_ = k_;
      return std::nullopt;
    }
    if (armed_ == 0) return std::nullopt;
    if (k_ - armed_at_ > p_.confirm) {
      armed_ = 0;  // expired
      return std::nullopt;
    }
    const std::int64_t retrace = armed_ == -1 ? extreme_ - q : q - extreme_;
    const bool confirmed = armed_ == -1 ? momentum < 0 : momentum > 0;
    // mutate: equivalent: k_ == armed_at_ never gets here (an arming step returns above).
    if (k_ > armed_at_ && confirmed && retrace >= p_.min_retrace) {
      const int dir = armed_;
      armed_ = 0;
      if (cooldown_.fire()) return Signal{dir, static_cast<double>(retrace)};
    }
    return std::nullopt;
  }

  void save(StateWriter& w) const {
    cooldown_.save(w);
    highs_.save(w);
    lows_.save(w);
    w.put_vector(prices_);
    w.put(price_head_);
    w.put(k_);
    w.put(armed_);
    w.put(extreme_);
    w.put(armed_at_);
  }
  void load(StateReader& r) {
    cooldown_.load(r);
    highs_.load(r);
    lows_.load(r);
    r.get_vector(prices_);
    r.get(price_head_);
    r.get(k_);
    r.get(armed_);
    r.get(extreme_);
    r.get(armed_at_);
  }

 private:
  V2Params p_;
  Cooldown cooldown_;
  RollingMax highs_;  // over the previous M_ext prices
  RollingMin lows_;
  std::vector<std::int64_t> prices_;
  std::size_t price_head_ = 0;
  std::uint64_t k_ = 0;
  int armed_ = 0;  // -1 BEAR, +1 BULL, 0 none
  std::int64_t extreme_ = 0;
  std::uint64_t armed_at_ = 0;
};

// v3: LTF EMA flip back into the HTF trend, with intensity and a volume gate (bar clock).
struct V3Params {
  market::Timeframe ltf = market::Timeframe::k10s;
  market::Timeframe htf = market::Timeframe::k1m;
  double gate = 1.0;
  std::uint32_t cooldown = 3;  // LTF bars
};

class ReversalV3 {
 public:
  explicit ReversalV3(const V3Params& p = {}) : p_(p), cooldown_(p.cooldown) {}

  // The latest closed HTF bar sets the trend (step 2 of § 2.9, before v3 is evaluated).
  void on_htf_close(const BarClose& c) {
    htf_ready_ = c.trend_ready;
    htf_trend_ = c.fast > c.slow ? 1 : (c.fast < c.slow ? -1 : 0);
  }

  std::optional<Signal> on_ltf_close(const BarClose& c, bool had_high_zone) {
    if (!c.cross_ready || !c.volume_sma_ready || !htf_ready_) return std::nullopt;
    cooldown_.step();
    const bool gate = static_cast<double>(c.volume) >= p_.gate * c.volume_sma;
    if (c.cross != 0 && c.cross == htf_trend_ && had_high_zone && gate && cooldown_.fire()) {
      return Signal{c.cross,
                    c.volume_sma > 0.0 ? static_cast<double>(c.volume) / c.volume_sma : 0.0};
    }
    return std::nullopt;
  }

  void save(StateWriter& w) const {
    cooldown_.save(w);
    w.put(htf_ready_);
    w.put(htf_trend_);
  }
  void load(StateReader& r) {
    cooldown_.load(r);
    r.get(htf_ready_);
    r.get(htf_trend_);
  }

 private:
  V3Params p_;
  Cooldown cooldown_;
  bool htf_ready_ = false;
  int htf_trend_ = 0;
};

// v4: EMA crossover + choppy-market filter + volume-spike confirmation (bar clock).
struct V4Params {
  market::Timeframe tf = market::Timeframe::k1m;
  std::uint32_t cooldown = 3;  // bars
};

class ReversalV4 {
 public:
  explicit ReversalV4(const V4Params& p = {}) : cooldown_(p.cooldown) {}

  std::optional<Signal> on_close(const BarClose& c) {
    if (!c.cross_ready || !c.chop_ready) return std::nullopt;
    cooldown_.step();
    if (c.cross != 0 && c.chop_pass && c.spike_in_window && cooldown_.fire()) {
      return Signal{c.cross,
                    c.volume_sma > 0.0 ? static_cast<double>(c.volume) / c.volume_sma : 0.0};
    }
    return std::nullopt;
  }

  void save(StateWriter& w) const { cooldown_.save(w); }
  void load(StateReader& r) { cooldown_.load(r); }

 private:
  Cooldown cooldown_;
};

}  // namespace spacetime::indicators
