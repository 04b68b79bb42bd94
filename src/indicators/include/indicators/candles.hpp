// Candle aggregation on the bar clock (docs/INDICATORS.md § 2.1 and § 2.11) and the
// effective-time clamp (D5). Pure value types: no I/O, no allocation after construction.
#pragma once

#include <cstdint>

#include "indicators/state_io.hpp"
#include "market/candle.hpp"
#include "market/timeframe.hpp"

namespace spacetime::indicators {

// D5: effective time t = max(ts_raw, t_prev). Counts the ticks it had to clamp.
class TimeClamp {
 public:
  std::int64_t update(std::int64_t ts_raw) {
    if (ts_raw < last_) {
      ++clamped_;
      return last_;
    }
    last_ = ts_raw;
    return ts_raw;
  }
  std::uint64_t clamped() const { return clamped_; }
  std::int64_t last() const { return last_; }
  // A clock advance (§ 9): the effective time moves to t when t is later, uncounted, so a
  // tick stamped before a bar the clock has closed joins a later bar instead of reopening it.
  std::int64_t advance(std::int64_t t) {
    if (t > last_) last_ = t;
    return last_;
  }

  void save(StateWriter& w) const {
    w.put(last_);
    w.put(clamped_);
  }
  void load(StateReader& r) {
    r.get(last_);
    r.get(clamped_);
  }

 private:
  std::int64_t last_ = 0;
  std::uint64_t clamped_ = 0;
};

// One symbol's bars on one timeframe. A bar closes when the first tick of a later bucket
// arrives (or on flush()); empty buckets produce no bar. Times must be effective times
// (non-decreasing, >= 0): a tick from an earlier bucket than the current bar is folded
// into the current bar, as the clamp would have done.
class CandleAggregator {
 public:
  explicit CandleAggregator(market::Timeframe tf) : tf_ns_(market::duration_ns(tf)) {}

  // Adds a trade. Returns true when it closed the previous bar; that bar is then
  // last_closed() and the trade opened a new current() bar.
  bool update(std::int64_t t, std::int64_t price, std::int64_t size) {
    const std::int64_t start = (t / tf_ns_) * tf_ns_;
    if (!open_) {
      open_bar(start, t, price, size);
      return false;
    }
    if (start > current_.start_ns) {
      last_closed_ = current_;
      open_bar(start, t, price, size);
      return true;
    }
    if (price > current_.high) current_.high = price;
    if (price < current_.low) current_.low = price;
    current_.close = price;
    current_.volume += size;
    current_.last_ns = t > current_.last_ns ? t : current_.last_ns;
    ++current_.ticks;
    return false;
  }

  // Closes the current bar without a new tick (end of a replay). Returns false when there
  // is no open bar.
  bool flush() {
    if (!open_) return false;
    last_closed_ = current_;
    open_ = false;
    return true;
  }

  // A clock advance (§ 9): closes the current bar when its bucket has ended by t (t at or
  // after its end). Returns true when it closed it; the bar is then last_closed().
  bool close_if_ended(std::int64_t t) {
    if (!open_ || t - current_.start_ns < tf_ns_) return false;
    return flush();
  }

  bool has_current() const { return open_; }
  const market::Candle& current() const { return current_; }
  const market::Candle& last_closed() const { return last_closed_; }
  // Bars opened so far: the channel sequence number of current().
  std::uint64_t bars() const { return bars_; }
  // Before the first trade: the next bar opened gets number bars + 1.
  void continue_from(std::uint64_t bars) {
    if (!open_) bars_ = bars;
  }
  // Before the first trade: `bar` (number `seq`) is the bar in progress again, as a restart
  // found it stored. The next trade in its bucket joins it; a later one closes it first.
  void restore(std::uint64_t seq, const market::Candle& bar) {
    current_ = bar;
    bars_ = seq;
    open_ = true;
  }

  // Field by field: struct padding must never reach a snapshot (D9 asks for equal bytes).
  void save(StateWriter& w) const {
    save_candle(w, current_);
    save_candle(w, last_closed_);
    w.put(bars_);
    w.put(open_);
  }
  void load(StateReader& r) {
    load_candle(r, current_);
    load_candle(r, last_closed_);
    r.get(bars_);
    r.get(open_);
  }

 private:
  void open_bar(std::int64_t start, std::int64_t t, std::int64_t price, std::int64_t size) {
    current_ = market::Candle{.start_ns = start,
                              .open = price,
                              .high = price,
                              .low = price,
                              .close = price,
                              .volume = size,
                              .first_ns = t,
                              .last_ns = t,
                              .ticks = 1};
    open_ = true;
    ++bars_;
  }

  static void save_candle(StateWriter& w, const market::Candle& c) {
    for (const std::int64_t v :
         {c.start_ns, c.open, c.high, c.low, c.close, c.volume, c.first_ns, c.last_ns}) {
      w.put(v);
    }
    w.put(c.ticks);
  }
  static void load_candle(StateReader& r, market::Candle& c) {
    for (std::int64_t* v :
         {&c.start_ns, &c.open, &c.high, &c.low, &c.close, &c.volume, &c.first_ns, &c.last_ns}) {
      r.get(*v);
    }
    r.get(c.ticks);
  }

  std::int64_t tf_ns_;
  market::Candle current_{};
  market::Candle last_closed_{};
  std::uint64_t bars_ = 0;
  bool open_ = false;
};

}  // namespace spacetime::indicators
