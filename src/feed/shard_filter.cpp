#include "feed/shard_filter.hpp"

#include <algorithm>

namespace spacetime::feed {

ShardFilter::ShardFilter(const market::SymbolRegistry& symbols, std::size_t shard,
                         std::size_t shards, market::TickSink& next)
    : next_(next) {
  mine_.reserve(symbols.size());
  for (const auto& info : symbols.all())
    mine_.push_back(shard_of(info.name, shards) == shard);
}

std::size_t ShardFilter::symbols_taken() const {
  return static_cast<std::size_t>(std::count(mine_.begin(), mine_.end(), true));
}

std::size_t ShardFilter::offer(std::span<const market::Tick> ticks) {
  kept_.clear();
  index_.clear();
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    // Unknown symbols go on, for the engine to count.
    if (market::is_clock(ticks[i]) || takes(ticks[i].symbol)) {
      kept_.push_back(ticks[i]);
      index_.push_back(i);
    }
  }
  if (kept_.empty()) return ticks.size();
  const std::size_t taken = next_.offer(kept_);
  return taken >= kept_.size() ? ticks.size() : index_[taken];
}

void ShardFilter::dropped(std::span<const market::Tick> ticks) {
  kept_.clear();
  for (const auto& t : ticks)
    if (!market::is_clock(t) && takes(t.symbol)) kept_.push_back(t);
  if (!kept_.empty()) next_.dropped(kept_);
}

}  // namespace spacetime::feed
