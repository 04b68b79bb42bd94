// Exactly-once delivery across live updates and history backfill, per symbol. History is
// requested from the start of the second of the last trade delivered (HTT takes whole
// seconds), so its first lines repeat trades already delivered; this window remembers the
// trades of that last second and the newest time seen, which is all a duplicate can match.
// Two trades are the same when their times are equal and their IQFeed TickIDs are equal
// (or, when either side has no TickID, their price and size are).
#pragma once

#include <cstdint>
#include <vector>

#include "feed/iqfeed/clock.hpp"

namespace spacetime::feed::iqfeed {

struct TradeKey {
  std::int64_t local_us = 0;
  std::uint64_t tick_id = 0;  // 0: not given
  double price = 0.0;
  std::int64_t size = 0;

  bool same_trade(const TradeKey& o) const {
    if (local_us != o.local_us) return false;
    if (tick_id != 0 && o.tick_id != 0) return tick_id == o.tick_id;
    return price == o.price && size == o.size;
  }
};

class TradeWindow {
 public:
  // A hot symbol can trade many thousand times a second; past this many remembered trades
  // in one second the oldest are not compared any more (they are still covered by floor()).
  static constexpr std::size_t kMaxRemembered = 1 << 16;

  bool empty() const { return !has_; }
  std::int64_t watermark() const { return watermark_; }  // newest trade time delivered
  std::int64_t floor() const { return floor_; }          // history older than this is old

  // A live trade is new unless it repeats a remembered one (out-of-order prints with older
  // times are legitimate live trades and pass).
  bool is_duplicate_live(const TradeKey& k) const {
    if (!has_ || k.local_us > watermark_ || k.local_us < floor_) return false;
    return remembered(k);
  }

  // A history trade older than the window was delivered before; inside it, it is new
  // unless remembered; after the watermark it is new.
  bool is_duplicate_history(const TradeKey& k) const {
    if (!has_) return false;
    if (k.local_us < floor_) return true;
    if (k.local_us > watermark_) return false;
    return remembered(k);
  }

  // Records a delivered trade.
  void record(const TradeKey& k) {
    const std::int64_t second = floor_div(k.local_us, kMicrosPerSecond) * kMicrosPerSecond;
    if (!has_ || second > floor_) {
      floor_ = second;
      recent_.clear();
      has_ = true;
    }
    if (k.local_us >= floor_ && recent_.size() < kMaxRemembered) recent_.push_back(k);
    if (k.local_us > watermark_) watermark_ = k.local_us;
  }

  // Marks a trade that happened before this client started (the P snapshot's last trade)
  // as seen: it and everything before it are never delivered from history.
  void seed(const TradeKey& k) {
    if (has_) return;
    has_ = true;
    floor_ = k.local_us;
    watermark_ = k.local_us;
    recent_.assign(1, k);
  }

 private:
  bool remembered(const TradeKey& k) const {
    for (auto it = recent_.rbegin(); it != recent_.rend(); ++it)
      if (it->same_trade(k)) return true;
    return false;
  }

  bool has_ = false;
  std::int64_t floor_ = 0;
  std::int64_t watermark_ = INT64_MIN;
  std::vector<TradeKey> recent_;  // trades delivered at or after floor_
};

}  // namespace spacetime::feed::iqfeed
