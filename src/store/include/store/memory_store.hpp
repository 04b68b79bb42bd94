// The in-memory backend: the newest rows of every (symbol, series, timeframe), bounded by
// count. What serve answers history from when no persistent store is configured, and the
// reference the persistent backends are tested against.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::store {

class MemoryStore final : public Backend {
 public:
  // depth: rows kept per (symbol, series, timeframe); the oldest go first.
  MemoryStore(const market::SymbolRegistry& symbols, std::size_t depth);

  void write(std::span<const market::Event> events) override;
  HistoryPage query(const HistoryQuery& q) const override;
  std::string describe() const override;
  std::uint64_t apply_retention(std::int64_t now_ns, const Retention& retention) override;
  market::ChannelSequences last_sequences(market::SymbolId symbol) const override;
  std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const override;

 private:
  static constexpr std::size_t kLanes = market::kTimeframeCount + kSeriesCount - 1;
  static std::size_t lane_of(Series series, market::Timeframe tf);
  std::deque<market::Event>* lane(market::SymbolId symbol, std::size_t lane);

  const market::SymbolRegistry& symbols_;
  std::size_t depth_;
  mutable std::mutex mutex_;
  std::vector<std::deque<market::Event>> lanes_;          // symbol * kLanes + lane
  std::vector<std::optional<market::CandleEvent>> open_;  // symbol * kTimeframeCount + tf
};

}  // namespace spacetime::store
