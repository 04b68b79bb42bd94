#include "engine/engine.hpp"

#include <pthread.h>
#include <array>
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include "indicators/pipeline.hpp"
#include "market/spsc_ring.hpp"

namespace spacetime::engine {
namespace {

using market::Tick;

// Per-symbol pipeline state, touched only by the symbol's shard thread. Created on the
// symbol's first tick, so idle symbols cost nothing.
struct SymbolState {
  SymbolState(market::SymbolId id, const indicators::IndicatorParams& params,
              std::shared_ptr<const market::Session> session)
      : indicators(id, params, std::move(session)) {}
  indicators::SymbolIndicators indicators;
  bool dirty = false;  // traded since its bars in progress were last published
};

// Spin, then yield, then sleep: low latency under load, little CPU when idle (Aeron's
// BackoffIdleStrategy). The sleep bounds the added latency of an idle shard to ~100 us.
class BackoffIdle {
 public:
  void idle() {
    if (spins_ < 64) {
      ++spins_;
    } else if (spins_ < 96) {
      ++spins_;
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  void reset() { spins_ = 0; }

 private:
  int spins_ = 0;
};

}  // namespace

class Engine::Shard {
 public:
  // sessions[id]: the symbol's session (null: UTC days); params[id]: its indicator
  // parameters (shared by the symbols no override matches); both resolved once by the engine.
  Shard(const EngineConfig& config, std::vector<std::shared_ptr<const market::Session>> sessions,
        std::vector<std::shared_ptr<const indicators::IndicatorParams>> params,
        market::EventSink& sink, market::LatencyHistogram& latency)
      : ring_(config.queue_capacity),
        batch_(config.batch),
        open_bars_every_ns_(config.open_bars_every_ns),
        params_(std::move(params)),
        sessions_(std::move(sessions)),
        states_(sessions_.size()),
        sink_(sink),
        latency_(latency) {}

  market::SpscRing<Tick>& ring() { return ring_; }
  // Feed side: the ticks from ring position `start` on were offered at `now`.
  void stamp(std::size_t start, std::int64_t now) {
    stamps_.push({.start = start, .origin_ns = now, .at_ns = now});
  }

  void continue_sequences(market::SymbolId symbol, const market::ChannelSequences& last) {
    if (symbol >= states_.size()) return;
    auto& slot = states_[symbol];
    if (!slot) slot = make_state(symbol);
    slot->indicators.continue_sequences(last);
  }

  std::size_t restore_bars(market::SymbolId symbol, std::span<const market::CandleEvent> bars) {
    if (symbol >= states_.size()) return 0;
    auto& slot = states_[symbol];
    if (!slot) slot = make_state(symbol);
    std::size_t n = 0;
    for (const auto& bar : bars)
      n += slot->indicators.restore_bar(bar) ? 1 : 0;
    return n;
  }

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) {
      pthread_setname_np(pthread_self(), "engine");  // in top -H, perf, gdb
      run(stop);
    });
  }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  void add_stats(EngineStats& s) const {
    s.ticks += ticks_.load(std::memory_order_relaxed);
    s.ticks_clamped += clamped_.load(std::memory_order_relaxed);
    s.ticks_unknown += unknown_.load(std::memory_order_relaxed);
    s.events += events_.load(std::memory_order_relaxed);
    s.bars_flushed += flushed_.load(std::memory_order_relaxed);
    s.corrections += corrections_.load(std::memory_order_relaxed);
    s.corrections_unmatched += unmatched_.load(std::memory_order_relaxed);
    s.bars_revised += revised_.load(std::memory_order_relaxed);
    s.bars_revision_missed += missed_.load(std::memory_order_relaxed);
    s.bars_revised_inexact += inexact_.load(std::memory_order_relaxed);
    s.queue_depth += ring_.size();
  }

 private:
  std::unique_ptr<SymbolState> make_state(market::SymbolId id) const {
    return std::make_unique<SymbolState>(id, *params_[id], sessions_[id]);
  }

  void run(std::stop_token stop) {
    std::vector<Tick> batch(batch_);
    BackoffIdle idle;
    std::int64_t carried = 0;  // origin of the batch the last pop ended in
    for (;;) {
      const std::size_t head = ring_.popped();
      const std::size_t n = ring_.pop(batch);
      if (n == 0) {
        // Stop only once the ring is drained: accepted ticks are never lost. The bars in
        // progress held back (see process()) go out once their interval is over, and
        // before the thread ends.
        const bool stopping = stop.stop_requested() && ring_.size() == 0;
        if (!dirty_.empty() && (stopping || open_bars_due())) {
          add_open_bars();
          if (!events_out_.empty()) publish(0, 0, 0, 0, carried);
        }
        if (stopping) return;
        idle.idle();
        continue;
      }
      idle.reset();
      // Feed -> engine latency, per offered batch whose first tick this pop took. The
      // oldest tick's hand-over time goes with the events for the end-to-end latency: the
      // batch this pop continues (carried), or the first one it starts.
      std::int64_t origin = carried;
      bool first = true;
      std::int64_t now = 0;
      stamps_.take(ring_.popped(), [&](const market::Stamp& s) {
        if (now == 0) now = market::steady_ns();
        latency_.observe_ns(now - s.at_ns);
        if (first && (s.start == head || origin == 0)) origin = s.origin_ns;
        first = false;
        carried = s.origin_ns;
      });
      process(std::span<const Tick>(batch.data(), n), origin);
    }
  }

  void process(std::span<const Tick> ticks, std::int64_t origin_ns) {
    std::uint64_t clamped = 0;
    std::uint64_t unknown = 0;
    std::uint64_t clocks = 0;
    std::uint64_t corrections = 0;
    for (const Tick& tick : ticks) {
      if (market::is_clock(tick)) {  // a clock advance for every symbol of this shard
        ++clocks;
        clock(tick.ts_ns);
        continue;
      }
      if (tick.symbol >= states_.size()) {
        ++unknown;
        continue;
      }
      auto& slot = states_[tick.symbol];
      if (!slot) slot = make_state(tick.symbol);
      SymbolState& s = *slot;
      if (market::is_correction(tick)) {  // revises bars; the bar in progress may change
        ++corrections;
        const indicators::RevisionStats before = s.indicators.revisions();
        s.indicators.on_correction(tick, events_out_);
        const indicators::RevisionStats& after = s.indicators.revisions();
        unmatched_.fetch_add(after.unmatched - before.unmatched, std::memory_order_relaxed);
        revised_.fetch_add(after.bars_revised - before.bars_revised, std::memory_order_relaxed);
        missed_.fetch_add(after.bars_missed - before.bars_missed, std::memory_order_relaxed);
        inexact_.fetch_add(after.bars_inexact - before.bars_inexact, std::memory_order_relaxed);
      } else {
        const std::uint64_t clamped_before = s.indicators.clamped();
        s.indicators.on_tick(tick, events_out_);
        clamped += s.indicators.clamped() - clamped_before;
      }
      if (!s.dirty) {
        s.dirty = true;
        dirty_.push_back(tick.symbol);
      }
    }
    // Bars in progress are display-only: one update per (symbol, timeframe) touched since
    // the last is enough, at most one per open_bars_every_ns (also when the shard then runs
    // out of ticks: run()): each update costs every subscription that takes values a slot
    // write, and a client sees them only at its flush interval (100 ms by default) anyway.
    if (!dirty_.empty() && open_bars_due()) add_open_bars();
    publish(ticks.size() - unknown - clocks - corrections, clamped, unknown, corrections,
            origin_ns);
  }

  // True (and the interval restarts) when bars in progress may be published now.
  bool open_bars_due() {
    if (open_bars_every_ns_ <= 0) return true;
    const std::int64_t now = market::steady_ns();
    if (now - open_bars_ns_ < open_bars_every_ns_) return false;
    open_bars_ns_ = now;
    return true;
  }

  void add_open_bars() {
    for (const market::SymbolId id : dirty_) {
      SymbolState& s = *states_[id];
      s.dirty = false;
      for (const market::Timeframe tf : market::kAllTimeframes) {
        const auto& agg = s.indicators.candles(tf);
        if (!agg.has_current()) continue;  // closed since (a clock close, a flush)
        events_out_.push_back(market::CandleEvent{
            .symbol = id, .tf = tf, .closed = false, .seq = agg.bars(), .candle = agg.current()});
      }
    }
    dirty_.clear();
  }

  void publish(std::uint64_t ticks, std::uint64_t clamped, std::uint64_t unknown,
               std::uint64_t corrections, std::int64_t origin_ns) {
    sink_.publish(events_out_, origin_ns);
    ticks_.fetch_add(ticks, std::memory_order_relaxed);
    corrections_.fetch_add(corrections, std::memory_order_relaxed);
    clamped_.fetch_add(clamped, std::memory_order_relaxed);
    unknown_.fetch_add(unknown, std::memory_order_relaxed);
    events_.fetch_add(events_out_.size(), std::memory_order_relaxed);
    events_out_.clear();
  }

  // Clock advances (docs/INDICATORS.md § 9) in symbol order; kFlushTime closes every bar.
  void clock(std::int64_t t) {
    std::uint64_t flushed = 0;
    for (auto& slot : states_) {
      if (!slot) continue;
      if (t == market::kFlushTime) {
        flushed += slot->indicators.flush(events_out_);
      } else {
        slot->indicators.on_clock(t, events_out_);
      }
    }
    flushed_.fetch_add(flushed, std::memory_order_relaxed);
  }

  market::SpscRing<Tick> ring_;
  std::size_t batch_;
  const std::int64_t open_bars_every_ns_;
  std::vector<std::shared_ptr<const indicators::IndicatorParams>> params_;
  std::vector<std::shared_ptr<const market::Session>> sessions_;
  std::vector<std::unique_ptr<SymbolState>> states_;
  std::vector<market::SymbolId> dirty_;
  // When bars in progress were last published (so long ago at first that the first batch does).
  std::int64_t open_bars_ns_ = std::numeric_limits<std::int64_t>::min() / 2;
  std::vector<market::Event> events_out_;
  market::EventSink& sink_;
  market::LatencyHistogram& latency_;
  market::StampRing stamps_;
  std::atomic<std::uint64_t> ticks_{0};
  std::atomic<std::uint64_t> clamped_{0};
  std::atomic<std::uint64_t> unknown_{0};
  std::atomic<std::uint64_t> events_{0};
  std::atomic<std::uint64_t> flushed_{0};
  std::atomic<std::uint64_t> corrections_{0};
  std::atomic<std::uint64_t> unmatched_{0};
  std::atomic<std::uint64_t> revised_{0};
  std::atomic<std::uint64_t> missed_{0};
  std::atomic<std::uint64_t> inexact_{0};
  std::jthread thread_;
};

Engine::Engine(EngineConfig config, const market::SymbolRegistry& symbols, market::EventSink& sink)
    : config_(config), symbols_(symbols) {
  indicators::validate(config_.indicators);
  if (config_.shards == 0) config_.shards = 1;
  if (config_.batch == 0) config_.batch = 1;
  // A backlog lets the feed go on with other shards; with one shard there are none, and
  // it would only copy every tick twice while the shard is behind.
  if (config_.shards == 1) config_.backlog_capacity = 0;
  std::vector<std::shared_ptr<const market::Session>> sessions;
  std::vector<std::shared_ptr<const indicators::IndicatorParams>> params;
  sessions.reserve(symbols_.size());
  params.reserve(symbols_.size());
  const auto base = std::make_shared<const indicators::IndicatorParams>(config_.indicators);
  for (const auto& info : symbols_.all()) {
    sessions.push_back(config_.sessions.find(info.name));
    params.push_back(config_.overrides.resolve(base, info.name));
  }
  for (std::size_t i = 0; i < config_.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(config_, sessions, params, sink, feed_latency_));
  }
  backlogs_.resize(config_.shards);
}

Engine::~Engine() {
  stop();
}

void Engine::continue_sequences(market::SymbolId symbol, const market::ChannelSequences& last) {
  shards_[symbol % shards_.size()]->continue_sequences(symbol, last);
}

std::size_t Engine::restore_bars(market::SymbolId symbol,
                                 std::span<const market::CandleEvent> bars) {
  return shards_[symbol % shards_.size()]->restore_bars(symbol, bars);
}

void Engine::start() {
  started_ = true;
  for (auto& shard : shards_)
    shard->start();
}

void Engine::stop() {
  // Accepted ticks still in a backlog (and a clock advance not yet queued) go to the rings
  // first, while the shards run and make room.
  while (started_) {
    start_offer();
    if (drain_all() && push_pending_clock()) break;
    std::this_thread::sleep_for(retry_after());
  }
  started_ = false;
  for (auto& shard : shards_)
    shard->stop();
}

// Clock advances (docs/INDICATORS.md § 9): after a tick that moves the feed's clock into a
// later second, and for every clock tick the feed sends, a clock tick goes to every shard,
// behind the ticks before it (in the ring, or in the backlog behind the ticks waiting
// there). One that a full backlog refuses waits in pending_clock_ and goes first at the
// next offer().
bool Engine::push_pending_clock() {
  if (!pending_clock_) return true;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!pending_shards_[i]) continue;
    if (enqueue(i, std::span<const Tick>(&*pending_clock_, 1)) == 0) return false;
    pending_shards_[i] = false;
  }
  pending_clock_.reset();
  return true;
}

// The first push to a shard in one offer() is stamped with the offer's time, the stamp
// before the ticks (market/latency.hpp), clock ticks included: a bar the feed's clock
// closes carries the time of the offer that moved the clock, not an older one. False when
// the ring has no room: then nothing may go in unstamped.
bool Engine::ready_to_push(std::size_t shard) {
  if (stamped_[shard]) return true;
  auto& ring = shards_[shard]->ring();
  if (!ring.has_room()) return false;
  stamped_[shard] = 1;
  shards_[shard]->stamp(ring.pushed(), offer_now_);
  return true;
}

void Engine::start_offer() {
  offer_now_ = market::steady_ns();  // one clock read per offer
  stamped_.assign(shards_.size(), 0);
}

void Engine::queue_clock(std::int64_t t) {
  pending_clock_ = market::clock_tick(t);
  pending_shards_.assign(shards_.size(), true);
}

// Into the shard's ring while its backlog is empty and the ring has room, the rest behind
// the backlog while it has room. Returns how many of `ticks` were taken, in order.
std::size_t Engine::enqueue(std::size_t shard, std::span<const Tick> ticks) {
  Backlog& b = backlogs_[shard];
  std::size_t taken = 0;
  if (b.ticks.empty() && ready_to_push(shard)) taken = shards_[shard]->ring().push(ticks);
  if (taken == ticks.size()) return taken;
  const std::size_t room = config_.backlog_capacity - b.ticks.size();
  const std::size_t more = std::min(room, ticks.size() - taken);
  if (more == 0) return taken;
  if (b.marks.empty() || b.marks.back().offered_ns != offer_now_)
    b.marks.push_back({.at = b.head + b.ticks.size(), .offered_ns = offer_now_});
  b.ticks.insert(b.ticks.end(), ticks.begin() + static_cast<std::ptrdiff_t>(taken),
                 ticks.begin() + static_cast<std::ptrdiff_t>(taken + more));
  backlog_size_.fetch_add(more, std::memory_order_relaxed);
  backlogged_.fetch_add(more, std::memory_order_relaxed);
  return taken + more;
}

// Moves the shard's backlog into its ring as far as it has room, each offer's ticks
// stamped with the time they were offered (their wait in the backlog is feed -> engine
// latency too). True when the backlog is empty.
bool Engine::drain(std::size_t shard) {
  Backlog& b = backlogs_[shard];
  auto& ring = shards_[shard]->ring();
  std::array<Tick, 256> chunk;
  std::size_t moved = 0;
  bool first = true;
  while (!b.ticks.empty() && ring.has_room()) {
    // The ticks of the front mark (up to the next one), at most a chunk at a time; a stamp
    // before the first push of this call and before each mark's first tick.
    const std::uint64_t end = b.marks.size() > 1 ? b.marks[1].at : b.head + b.ticks.size();
    const std::size_t n = std::min<std::size_t>(chunk.size(), end - b.head);
    std::copy_n(b.ticks.begin(), n, chunk.begin());
    if (first || b.marks.front().at == b.head) {
      shards_[shard]->stamp(ring.pushed(), b.marks.front().offered_ns);
      stamped_[shard] = 0;  // a later push of this offer needs its own stamp
    }
    first = false;
    const std::size_t pushed = ring.push(std::span<const Tick>(chunk.data(), n));
    b.ticks.erase(b.ticks.begin(), b.ticks.begin() + static_cast<std::ptrdiff_t>(pushed));
    b.head += pushed;
    moved += pushed;
    if (b.marks.size() > 1 && b.head == b.marks[1].at) b.marks.pop_front();
    if (b.ticks.empty()) b.marks.clear();
    if (pushed < n) break;
  }
  backlog_size_.fetch_sub(moved, std::memory_order_relaxed);
  return b.ticks.empty();
}

bool Engine::drain_all() {
  bool empty = true;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!backlogs_[i].ticks.empty()) empty = drain(i) && empty;
  }
  return empty;
}

std::chrono::nanoseconds Engine::retry_after() const {
  const auto shard_lasts = std::chrono::nanoseconds(
      static_cast<std::int64_t>(std::min<std::size_t>(config_.queue_capacity, 1 << 24)) * 100);
  return std::clamp<std::chrono::nanoseconds>(shard_lasts / 8, std::chrono::microseconds(50),
                                              std::chrono::milliseconds(1));
}

void Engine::idle() {
  if (backlog_size_.load(std::memory_order_relaxed) == 0 && !pending_clock_) return;
  start_offer();
  drain_all();
  push_pending_clock();
}

std::size_t Engine::offer(std::span<const Tick> ticks) {
  start_offer();
  if (backlog_size_.load(std::memory_order_relaxed) != 0) drain_all();
  if (!push_pending_clock()) {
    backpressured_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  // Keep per-symbol order by queueing runs of the same shard in order (a symbol has one
  // shard) and stopping at the first tick that neither its ring nor its backlog takes; a
  // run also ends at a tick that advances the clock.
  std::size_t done = 0;
  while (done < ticks.size()) {
    if (market::is_clock(ticks[done])) {
      if (ticks[done].ts_ns != market::kFlushTime) feed_clock_.observe(ticks[done].ts_ns);
      queue_clock(ticks[done].ts_ns);
      ++done;
      if (!push_pending_clock()) return done;
      continue;
    }
    const std::size_t shard = ticks[done].symbol % shards_.size();
    indicators::FeedClock probe = feed_clock_;
    bool advances = false;
    std::size_t end = done;
    while (end < ticks.size() && !market::is_clock(ticks[end]) &&
           ticks[end].symbol % shards_.size() == shard) {
      // A correction's time is a past trade's: it moves no clock.
      advances = !market::is_correction(ticks[end]) && probe.advance(ticks[end].ts_ns);
      ++end;
      if (advances) break;
    }
    const std::size_t want = end - done;
    const std::size_t pushed = enqueue(shard, ticks.subspan(done, want));
    if (pushed < want) {
      // No advance: only the last of a run can.
      for (std::size_t i = done; i < done + pushed; ++i)
        if (!market::is_correction(ticks[i])) feed_clock_.advance(ticks[i].ts_ns);
      backpressured_.fetch_add(1, std::memory_order_relaxed);
      return done + pushed;
    }
    feed_clock_ = probe;
    done = end;
    if (advances) {
      queue_clock(ticks[end - 1].ts_ns);
      if (!push_pending_clock()) return done;
    }
  }
  return done;
}

void Engine::flush_bars() {
  const Tick flush = market::clock_tick(market::kFlushTime);
  while (offer(std::span<const Tick>(&flush, 1)) == 0)
    std::this_thread::sleep_for(retry_after());
  for (;;) {
    start_offer();
    if (drain_all() && push_pending_clock()) break;
    std::this_thread::sleep_for(retry_after());
  }
}

EngineStats Engine::stats() const {
  EngineStats s;
  for (const auto& shard : shards_)
    shard->add_stats(s);
  s.backlog = backlog_size_.load(std::memory_order_relaxed);
  s.backlogged = backlogged_.load(std::memory_order_relaxed);
  s.backpressured = backpressured_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace spacetime::engine
