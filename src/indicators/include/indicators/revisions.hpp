// Trade corrections applied to the bars they touch (docs/INDICATORS.md § 1, "Corrections").
// One symbol's recent trades and recently closed bars, bounded, so that a correction
// (market::correction_tick) can rebuild the bars its cancelled or inserted trade belongs to.
// Only bars change: tick-driven indicators (intensity, band, spikes, v1-v4) and the bar
// indicators of a closed bar are not rewound.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "indicators/candles.hpp"
#include "indicators/state_io.hpp"
#include "market/event.hpp"
#include "market/tick.hpp"
#include "market/timeframe.hpp"

namespace spacetime::indicators {

struct RevisionStats {
  std::uint64_t applied = 0;       // corrections that changed at least one bar's trades
  std::uint64_t unmatched = 0;     // the cancelled trade is not among the kept ones: ignored
  std::uint64_t bars_revised = 0;  // closed bars sent again (CandleEvent::revised)
  std::uint64_t bars_missed = 0;   // a touched bar no longer kept, or no bar for the time
  std::uint64_t bars_inexact = 0;  // revised without all its trades: high/low/open/close kept
};

// How much a symbol keeps for corrections (settings correction_trades, correction_bars).
struct CorrectionParams {
  std::size_t max_trades = 4096;  // trades kept per symbol
  std::size_t max_bars = 32;      // closed bars kept per timeframe
};

class CandleRevisions {
 public:
  static constexpr std::size_t kTrades = CorrectionParams{}.max_trades;  // the defaults
  static constexpr std::size_t kBars = CorrectionParams{}.max_bars;

  CandleRevisions() = default;
  explicit CandleRevisions(const CorrectionParams& p) : p_(p) {}

  // The symbol's bars may hold trades this object never saw (restored from a store).
  void history_incomplete() { incomplete_ = true; }

  // An accepted trade at effective time t, after it joined its bars.
  void on_trade(std::uint64_t seq, std::int64_t t, std::int64_t price, std::int64_t size) {
    if (!started_) {
      started_ = true;
      complete_from_ = incomplete_ ? t : std::numeric_limits<std::int64_t>::min();
    }
    trades_.push_back({seq, t, price, size});
    evict();
  }

  // A closed bar as it went out.
  void on_closed(std::size_t tf, const market::CandleEvent& bar) {
    auto& ring = closed_[tf];
    ring.push_back(bar);
    if (ring.size() > p_.max_bars) ring.pop_front();
  }

  // Applies correction c (market::is_correction) to `candles`; `now` is the symbol's
  // effective time. Revised closed bars are appended to out; a revised bar in progress is
  // changed in place (the engine publishes it as usual).
  void apply(const market::Tick& c, std::int64_t now,
             std::array<CandleAggregator, market::kTimeframeCount>& candles,
             std::vector<market::Event>& out);

  const RevisionStats& stats() const { return stats_; }

  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  struct Trade {
    std::uint64_t seq = 0;  // 0: inserted by a correction
    std::int64_t t = 0;
    std::int64_t price = 0;
    std::int64_t size = 0;
  };

  void evict() {
    while (trades_.size() > p_.max_trades) {
      // Bars starting after the evicted trade's time still have all their trades.
      const std::int64_t t = trades_.front().t;
      complete_from_ = std::max(complete_from_, t + 1);
      trades_.pop_front();
    }
  }
  // Rebuilds bar (start..end) from the kept trades, or adjusts it when some are gone.
  // Returns false when it had to keep values it could not recompute.
  bool revise(market::Candle& bar, std::int64_t end, const Trade* removed,
              const Trade* inserted) const;

  CorrectionParams p_;
  std::deque<Trade> trades_;  // in effective-time order
  std::array<std::deque<market::CandleEvent>, market::kTimeframeCount> closed_;
  std::int64_t complete_from_ = std::numeric_limits<std::int64_t>::max();
  bool started_ = false;
  bool incomplete_ = false;
  RevisionStats stats_;
};

}  // namespace spacetime::indicators
