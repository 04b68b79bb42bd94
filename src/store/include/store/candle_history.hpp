// Candle history held in memory: the last N closed candles and the candle in progress for
// every (symbol, timeframe), kept up to date from the engine's candle events. This is the
// store's first backend; the recorder and the SQL/time-series backends come later behind
// the same queries. Not thread-safe: one owner thread applies events and answers queries.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "market/event.hpp"

namespace spacetime::store {

struct StoredCandle {
  std::uint64_t seq = 0;
  market::Candle candle;
  // The closed bar's indicators (the volume ZLMA line, bar intensity), once ready: a chart
  // that subscribes gets the line's history with the candles.
  bool volume_zlma_ready = false;
  double volume_zlma = 0.0;
  bool bar_intensity_ready = false;
  double bar_intensity = 0.0;

  static StoredCandle of(const market::CandleEvent& e) {
    return {e.seq,          e.candle, e.volume_zlma_ready, e.volume_zlma, e.bar_intensity_ready,
            e.bar_intensity};
  }
};

struct CandleSnapshot {
  std::vector<StoredCandle> closed;  // oldest first
  std::optional<StoredCandle> current;
};

class CandleHistory {
 public:
  // depth: closed candles kept per (symbol, timeframe); the oldest are forgotten first.
  CandleHistory(std::size_t symbols, std::size_t depth);

  void apply(const market::CandleEvent& event);
  CandleSnapshot snapshot(market::SymbolId symbol, market::Timeframe tf) const;

 private:
  struct Series {
    std::deque<StoredCandle> closed;
    std::optional<StoredCandle> current;
  };
  std::size_t depth_;
  std::vector<Series> series_;  // index: symbol * kTimeframeCount + timeframe
};

}  // namespace spacetime::store
