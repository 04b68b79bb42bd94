// Candle aggregation on the bar clock (docs/INDICATORS.md § 2.1 and § 2.11) and the
// effective-time clamp (D5). Pure value types: no I/O, no allocation after construction.
#pragma once

#include <cstdint>

#include <limits>

#include "indicators/state_io.hpp"
#include "market/candle.hpp"
#include "market/session.hpp"
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
    if (t > last_) last_ = t;  // mutate: equivalent: at t == last_ it stores the same time.
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
// into the current bar, as the clamp would have done. Buckets are epoch-aligned, except
// with a session (§ 1, "Sessions"): a daily bucket runs from one session open to the next,
// and hourly buckets are whole hours counted from the day's open. The open bar's end is kept, so a
// tick costs one comparison and only a tick past it computes a bucket (the only call into the tz
// database).
class CandleAggregator {
 public:
  // `session` applies to the 1h and 1d timeframes only and must outlive the aggregator.
  explicit CandleAggregator(market::Timeframe tf, const market::Session* session = nullptr)
      : tf_ns_(market::duration_ns(tf)),
        session_(tf == market::Timeframe::k1d || tf == market::Timeframe::k1h ? session : nullptr),
        daily_(tf == market::Timeframe::k1d) {}

  // Adds a trade. Returns true when it closed the previous bar; that bar is then
  // last_closed() and the trade opened a new current() bar.
  bool update(std::int64_t t, std::int64_t price, std::int64_t size) {
    if (!open_ || t >= end_ns_) {
      const market::Bucket b = bucket_of(t);
      const bool closes = open_;
      if (closes) last_closed_ = current_;
      open_bar(b, t, price, size);
      return closes;
    }
    // mutate: equivalent: at price == high it stores the same value.
    if (price > current_.high) current_.high = price;
    // mutate: equivalent: at price == low it stores the same value.
    if (price < current_.low) current_.low = price;
    current_.close = price;
    current_.volume += size;
    // mutate: equivalent: at t == last_ns both branches give the same value.
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
    if (!open_ || t < end_ns_) return false;
    return flush();
  }

  // A correction changed the bar in progress (revisions.hpp): its new values, same bucket.
  void revise_current(const market::Candle& bar) {
    if (open_) current_ = bar;
  }

  bool has_current() const { return open_; }
  const market::Candle& current() const { return current_; }
  const market::Candle& last_closed() const { return last_closed_; }
  // The end of the current bar's bucket (exclusive): a clock advance at or past it closes it.
  std::int64_t current_end() const { return end_ns_; }
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
    end_ns_ = bucket_of(bar.start_ns).end_ns;
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
    // Derived, not stored: the bucket that starts at the bar's start (a session open or a
    // grid point), so snapshots keep their layout.
    end_ns_ = open_ ? bucket_of(current_.start_ns).end_ns : 0;
  }

  // The bucket holding t: the session's day, whole hours from its open, or the epoch grid.
  market::Bucket bucket_of(std::int64_t t) const {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    if (session_ != nullptr) {
      const market::Bucket day = session_->daily_bucket(t);
      if (daily_) return day;
      // t >= day.start_ns; the last hour of a day ends at the next open at the latest.
      const std::int64_t start = day.start_ns + (t - day.start_ns) / tf_ns_ * tf_ns_;
      // mutate: equivalent: at start == kMax - tf_ns_ both branches give kMax.
      const std::int64_t end = start > kMax - tf_ns_ ? kMax : start + tf_ns_;
      // mutate: equivalent: at end == day.end_ns both branches give the same end.
      return {start, end < day.end_ns ? end : day.end_ns};
    }
    const std::int64_t start = (t / tf_ns_) * tf_ns_;
    // mutate: equivalent: at start == kMax - tf_ns_ both branches give kMax.
    return {start, start > kMax - tf_ns_ ? kMax : start + tf_ns_};
  }

 private:
  void open_bar(const market::Bucket& b, std::int64_t t, std::int64_t price, std::int64_t size) {
    end_ns_ = b.end_ns;
    current_ = market::Candle{.start_ns = b.start_ns,
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
  const market::Session* session_;
  bool daily_;
  std::int64_t end_ns_ = 0;
  market::Candle current_{};
  market::Candle last_closed_{};
  std::uint64_t bars_ = 0;
  bool open_ = false;
};

}  // namespace spacetime::indicators
