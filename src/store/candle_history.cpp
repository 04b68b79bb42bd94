#include "store/candle_history.hpp"

namespace spacetime::store {

CandleHistory::CandleHistory(std::size_t symbols, std::size_t depth)
    : depth_(depth), series_(symbols * market::kTimeframeCount) {}

void CandleHistory::apply(const market::CandleEvent& e) {
  const std::size_t index = e.symbol * market::kTimeframeCount + market::index_of(e.tf);
  if (index >= series_.size()) return;
  Series& s = series_[index];
  const StoredCandle stored = StoredCandle::of(e);
  if (e.closed) {
    // A close is final; the bar in progress it replaces is gone with it.
    if (!s.closed.empty() && s.closed.back().seq >= e.seq) return;  // duplicate or stale
    s.closed.push_back(stored);
    while (s.closed.size() > depth_)
      s.closed.pop_front();
    if (s.current && s.current->seq <= e.seq) s.current.reset();
  } else {
    if (s.current && s.current->seq > e.seq) return;                // stale update
    if (!s.closed.empty() && s.closed.back().seq >= e.seq) return;  // already closed
    s.current = stored;
  }
}

CandleSnapshot CandleHistory::snapshot(market::SymbolId symbol, market::Timeframe tf) const {
  CandleSnapshot out;
  const std::size_t index = symbol * market::kTimeframeCount + market::index_of(tf);
  if (index >= series_.size()) return out;
  const Series& s = series_[index];
  out.closed.assign(s.closed.begin(), s.closed.end());
  out.current = s.current;
  return out;
}

}  // namespace spacetime::store
