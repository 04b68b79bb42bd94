#include "indicators/revisions.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace spacetime::indicators {
namespace {

constexpr std::int64_t kNoEnd = std::numeric_limits<std::int64_t>::max();

void save_event(StateWriter& w, const market::CandleEvent& e) {
  w.put(e.symbol);
  w.put(static_cast<std::uint8_t>(market::index_of(e.tf)));
  w.put(e.seq);
  for (const std::int64_t v :
       {e.candle.start_ns, e.candle.open, e.candle.high, e.candle.low, e.candle.close,
        e.candle.volume, e.candle.first_ns, e.candle.last_ns}) {
    w.put(v);
  }
  w.put(e.candle.ticks);
  for (const bool v : {e.closed, e.revised, e.volume_zlma_ready, e.bar_intensity_ready})
    w.put(v);
  w.put(e.volume_zlma);
  w.put(e.bar_intensity);
}

void load_event(StateReader& r, market::CandleEvent& e) {
  r.get(e.symbol);
  std::uint8_t tf = 0;
  r.get(tf);
  if (tf >= market::kTimeframeCount) throw std::runtime_error("indicator state: bad timeframe");
  e.tf = market::kAllTimeframes[tf];
  r.get(e.seq);
  for (std::int64_t* v :
       {&e.candle.start_ns, &e.candle.open, &e.candle.high, &e.candle.low, &e.candle.close,
        &e.candle.volume, &e.candle.first_ns, &e.candle.last_ns}) {
    r.get(*v);
  }
  r.get(e.candle.ticks);
  for (bool* v : {&e.closed, &e.revised, &e.volume_zlma_ready, &e.bar_intensity_ready})
    r.get(*v);
  r.get(e.volume_zlma);
  r.get(e.bar_intensity);
}

}  // namespace

bool CandleRevisions::revise(market::Candle& bar, std::int64_t end, const Trade* removed,
                             const Trade* inserted) const {
  if (bar.start_ns >= complete_from_) {
    // Every trade of the bar is kept: rebuild it.
    const auto first = std::lower_bound(trades_.begin(), trades_.end(), bar.start_ns,
                                        [](const Trade& tr, std::int64_t v) { return tr.t < v; });
    market::Candle b{.start_ns = bar.start_ns};
    for (auto it = first; it != trades_.end() && it->t < end; ++it) {
      if (b.ticks == 0) {
        b.open = b.high = b.low = it->price;
        b.first_ns = it->t;
      }
      b.high = std::max(b.high, it->price);
      b.low = std::min(b.low, it->price);
      b.close = it->price;
      b.volume += it->size;
      b.last_ns = it->t;
      ++b.ticks;
    }
    if (b.ticks == 0) {
      // Its only trades were cancelled: no volume left; the prices stay as they were.
      bar.volume = 0;
      bar.ticks = 0;
    } else {
      bar = b;
    }
    return true;
  }
  // Some of its trades are gone: what can be adjusted exactly is.
  bool exact = true;
  if (removed != nullptr) {
    bar.volume -= removed->size;
    // mutate: equivalent: unreachable at 0, the bar counts the kept trade being cancelled.
    if (bar.ticks > 0) --bar.ticks;
    if (removed->price == bar.high || removed->price == bar.low || removed->t == bar.first_ns ||
        removed->t == bar.last_ns) {
      exact = false;
    }
  }
  if (inserted != nullptr) {
    bar.volume += inserted->size;
    ++bar.ticks;
    bar.high = std::max(bar.high, inserted->price);
    bar.low = std::min(bar.low, inserted->price);
    if (inserted->t < bar.first_ns) {
      bar.open = inserted->price;
      bar.first_ns = inserted->t;
    }
    if (inserted->t >= bar.last_ns) {
      bar.close = inserted->price;
      bar.last_ns = inserted->t;
    }
  }
  return exact;
}

void CandleRevisions::apply(const market::Tick& c, std::int64_t now,
                            std::array<CandleAggregator, market::kTimeframeCount>& candles,
                            std::vector<market::Event>& out) {
  std::optional<Trade> removed;
  if (c.seq != 0) {
    const auto it = std::find_if(trades_.rbegin(), trades_.rend(),
                                 [&](const Trade& tr) { return tr.seq == c.seq; });
    if (it == trades_.rend()) {
      ++stats_.unmatched;
      return;
    }
    removed = *it;
    trades_.erase(std::next(it).base());
  } else if (c.size <= 0 || !started_) {
    ++stats_.unmatched;  // inserts nothing, or into no bar
    return;
  }
  std::optional<Trade> inserted;
  if (c.size > 0) {
    // A replacement takes the cancelled trade's place; an insertion its own time, never
    // later than the symbol's clock (D5).
    const std::int64_t t = removed ? removed->t : std::min(c.ts_ns, now);
    inserted = Trade{.seq = 0, .t = t, .price = c.price, .size = c.size};
    const auto pos = std::upper_bound(trades_.begin(), trades_.end(), t,
                                      [](std::int64_t v, const Trade& tr) { return v < tr.t; });
    trades_.insert(pos, *inserted);
    evict();
  }
  ++stats_.applied;
  const std::int64_t t = removed ? removed->t : inserted->t;
  const Trade* rm = removed ? &*removed : nullptr;
  const Trade* in = inserted ? &*inserted : nullptr;
  for (std::size_t i = 0; i < market::kTimeframeCount; ++i) {
    CandleAggregator& agg = candles[i];
    if (agg.has_current() && agg.current().start_ns <= t) {
      market::Candle bar = agg.current();
      revise(bar, kNoEnd, rm, in);
      agg.revise_current(bar);
      continue;
    }
    auto& ring = closed_[i];
    const auto it = std::find_if(ring.rbegin(), ring.rend(), [&](const market::CandleEvent& e) {
      return e.candle.start_ns <= t;
    });
    if (it == ring.rend()) {
      ++stats_.bars_missed;
      continue;
    }
    const std::int64_t end = agg.bucket_of(it->candle.start_ns).end_ns;
    if (t >= end) {
      ++stats_.bars_missed;  // an empty bucket: no bar to revise
      continue;
    }
    market::Candle bar = it->candle;
    if (!revise(bar, end, rm, in)) ++stats_.bars_inexact;
    if (bar == it->candle) continue;
    it->candle = bar;
    market::CandleEvent e = *it;
    e.revised = true;
    out.push_back(e);
    ++stats_.bars_revised;
  }
}

void CandleRevisions::save(StateWriter& w) const {
  w.put<std::uint64_t>(trades_.size());
  for (const Trade& tr : trades_) {
    w.put(tr.seq);
    w.put(tr.t);
    w.put(tr.price);
    w.put(tr.size);
  }
  for (const auto& ring : closed_) {
    w.put<std::uint64_t>(ring.size());
    for (const auto& e : ring)
      save_event(w, e);
  }
  w.put(complete_from_);
  w.put(started_);
  w.put(incomplete_);
  for (const std::uint64_t v : {stats_.applied, stats_.unmatched, stats_.bars_revised,
                                stats_.bars_missed, stats_.bars_inexact}) {
    w.put(v);
  }
}

void CandleRevisions::load(StateReader& r) {
  std::uint64_t n = 0;
  r.get(n);
  if (n > p_.max_trades) throw std::runtime_error("indicator state: too many kept trades");
  trades_.assign(n, Trade{});
  for (Trade& tr : trades_) {
    r.get(tr.seq);
    r.get(tr.t);
    r.get(tr.price);
    r.get(tr.size);
  }
  for (auto& ring : closed_) {
    r.get(n);
    if (n > p_.max_bars) throw std::runtime_error("indicator state: too many kept bars");
    ring.assign(n, market::CandleEvent{});
    for (auto& e : ring)
      load_event(r, e);
  }
  r.get(complete_from_);
  r.get(started_);
  r.get(incomplete_);
  for (std::uint64_t* v : {&stats_.applied, &stats_.unmatched, &stats_.bars_revised,
                           &stats_.bars_missed, &stats_.bars_inexact}) {
    r.get(*v);
  }
}

}  // namespace spacetime::indicators
