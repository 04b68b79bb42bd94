#include "store/memory_store.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace spacetime::store {

MemoryStore::MemoryStore(const market::SymbolRegistry& symbols, std::size_t depth)
    : symbols_(symbols),
      depth_(depth == 0 ? 1 : depth),
      lanes_(symbols.size() * kLanes),
      open_(symbols.size() * market::kTimeframeCount) {}

std::size_t MemoryStore::lane_of(Series series, market::Timeframe tf) {
  if (series == Series::kCandles) return market::index_of(tf);
  return market::kTimeframeCount + static_cast<std::size_t>(series) - 1;
}

std::deque<market::Event>* MemoryStore::lane(market::SymbolId symbol, std::size_t lane) {
  const std::size_t i = static_cast<std::size_t>(symbol) * kLanes + lane;
  return i < lanes_.size() ? &lanes_[i] : nullptr;
}

void MemoryStore::write(std::span<const market::Event> events) {
  std::lock_guard lock(mutex_);
  for (const auto& e : events) {
    if (const auto* bar = open_bar_of(e)) {
      const std::size_t i = static_cast<std::size_t>(bar->symbol) * market::kTimeframeCount +
                            market::index_of(bar->tf);
      if (i < open_.size()) open_[i] = *bar;
      continue;
    }
    const auto series = series_of(e);
    if (!series) continue;
    const auto* candle = std::get_if<market::CandleEvent>(&e);
    auto* rows =
        lane(market::symbol_of(e), lane_of(*series, candle ? candle->tf : market::Timeframe::k1s));
    if (!rows) continue;
    const std::uint64_t seq = market::channel_seq(e);
    if (rows->empty() || market::channel_seq(rows->back()) < seq) {
      rows->push_back(e);
    } else {
      // A replay after an outage, or a revision: replace in place, keep seq order.
      auto it = std::lower_bound(rows->begin(), rows->end(), seq, [](const auto& row, auto s) {
        return market::channel_seq(row) < s;
      });
      if (it != rows->end() && market::channel_seq(*it) == seq) {
        *it = e;
      } else {
        rows->insert(it, e);
      }
    }
    while (rows->size() > depth_)
      rows->pop_front();
  }
}

HistoryPage MemoryStore::query(const HistoryQuery& q) const {
  HistoryPage page;
  std::lock_guard lock(mutex_);
  const std::size_t i = static_cast<std::size_t>(q.symbol) * kLanes + lane_of(q.series, q.tf);
  if (i >= lanes_.size() || q.limit == 0) return page;
  const auto& rows = lanes_[i];
  auto matches = [&](const market::Event& e) {
    const std::int64_t t = market::event_time(e);
    return t >= q.from_ns && t < q.to_ns && market::channel_seq(e) > q.after_seq;
  };
  if (!q.newest) {
    auto it = std::upper_bound(rows.begin(), rows.end(), q.after_seq, [](auto s, const auto& row) {
      return s < market::channel_seq(row);
    });
    for (; it != rows.end(); ++it) {
      if (!matches(*it)) {
        if (market::event_time(*it) >= q.to_ns) break;
        continue;
      }
      if (page.rows.size() == q.limit) {
        page.more = true;
        break;
      }
      page.rows.push_back(*it);
    }
  } else {
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (market::channel_seq(*it) <= q.after_seq) break;
      if (!matches(*it)) {
        if (market::event_time(*it) < q.from_ns) break;
        continue;
      }
      if (page.rows.size() == q.limit) {
        page.more = true;
        break;
      }
      page.rows.push_back(*it);
    }
    std::reverse(page.rows.begin(), page.rows.end());
  }
  return page;
}

std::string MemoryStore::describe() const {
  return fmt::format("memory (newest {} rows per series)", depth_);
}

std::uint64_t MemoryStore::apply_retention(std::int64_t now_ns, const Retention& r) {
  std::lock_guard lock(mutex_);
  std::uint64_t deleted = 0;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    const std::size_t l = i % kLanes;
    std::int64_t keep = 0;
    if (l < market::kTimeframeCount) {
      keep = r.candles_ns[l];
    } else {
      const auto series = static_cast<Series>(l - market::kTimeframeCount + 1);
      keep = series == Series::kTicks     ? r.ticks_ns
             : series == Series::kSamples ? r.samples_ns
             : series == Series::kSpikes  ? r.spikes_ns
                                          : r.reversals_ns;
    }
    if (keep <= 0) continue;
    auto& rows = lanes_[i];
    while (!rows.empty() && market::event_time(rows.front()) < now_ns - keep) {
      rows.pop_front();
      ++deleted;
    }
  }
  return deleted;
}

market::ChannelSequences MemoryStore::last_sequences(market::SymbolId symbol) const {
  market::ChannelSequences out;
  std::lock_guard lock(mutex_);
  const std::size_t base = static_cast<std::size_t>(symbol) * kLanes;
  if (base >= lanes_.size()) return out;
  auto last = [&](std::size_t l) {
    const auto& rows = lanes_[base + l];
    return rows.empty() ? std::uint64_t{0} : market::channel_seq(rows.back());
  };
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
    out.bars[tf] = last(tf);
  out.ticks = last(lane_of(Series::kTicks, {}));
  out.samples = last(lane_of(Series::kSamples, {}));
  out.spikes = last(lane_of(Series::kSpikes, {}));
  out.reversals = last(lane_of(Series::kReversals, {}));
  return out;
}

std::vector<market::CandleEvent> MemoryStore::open_bars(market::SymbolId symbol) const {
  std::vector<market::CandleEvent> out;
  std::lock_guard lock(mutex_);
  const std::size_t base = static_cast<std::size_t>(symbol) * market::kTimeframeCount;
  for (std::size_t tf = 0; tf < market::kTimeframeCount && base + tf < open_.size(); ++tf) {
    if (open_[base + tf]) out.push_back(*open_[base + tf]);
  }
  return out;
}

}  // namespace spacetime::store
