// The engine: turns validated ticks into events. Symbols are split across shards by id;
// each shard is one thread that alone owns its symbols' state (single writer, no locks on
// the hot path). The feed hands ticks over through one bounded SPSC ring per shard; ticks
// for a shard whose ring is full wait, in order, in that shard's bounded backlog on the
// feeding thread, so that one busy shard does not hold up the others.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "indicators/pipeline.hpp"
#include "market/event.hpp"
#include "market/latency.hpp"
#include "market/session.hpp"
#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::engine {

struct EngineConfig {
  std::size_t shards = 1;
  std::size_t queue_capacity = 1 << 16;  // ticks per shard ring
  // Ticks per shard that wait on the feeding thread while the shard's ring is full (0: no
  // backlog, offer() stops at the first full ring; always 0 with one shard).
  std::size_t backlog_capacity = 1 << 16;
  std::size_t batch = 1024;  // ticks a shard takes from its ring at once
  // Bars in progress (display-only) are published at most once per this interval (0: after
  // every batch); a shard out of ticks publishes the held ones when it is over, and before
  // it stops. Each update costs every subscriber taking values a slot write.
  std::int64_t open_bars_every_ns = 2'000'000;
  indicators::IndicatorParams indicators{};  // the run's set: every symbol's, unless
  // a symbol-pattern rule changes some of them for the symbols it matches (resolved when
  // the engine is built; a set that cannot run throws std::invalid_argument there).
  indicators::ParamOverrides overrides{};
  // Exchange sessions by symbol pattern (daily bars); a symbol matching none keeps UTC days.
  market::SessionRules sessions{};
};

struct EngineStats {
  std::uint64_t ticks = 0;  // processed
  // Trade corrections (docs/INDICATORS.md § 1, "Corrections"): processed; of them, those
  // whose cancelled trade was no longer kept (ignored); closed bars sent again revised;
  // touched bars no longer kept (not revised); revised bars missing some of their trades.
  std::uint64_t corrections = 0;
  std::uint64_t corrections_unmatched = 0;
  std::uint64_t bars_revised = 0;
  std::uint64_t bars_revision_missed = 0;
  std::uint64_t bars_revised_inexact = 0;
  std::uint64_t ticks_clamped = 0;  // out-of-order timestamps clamped (D5)
  std::uint64_t ticks_unknown = 0;  // symbol id not in the registry: skipped
  std::uint64_t events = 0;         // published to the sink
  std::uint64_t queue_depth = 0;    // ticks waiting in the rings now
  std::uint64_t backlog = 0;        // ticks waiting in the feeding thread's backlogs now
  std::uint64_t backlogged = 0;     // ticks that went through a backlog (their ring was full)
  std::uint64_t backpressured = 0;  // offer() calls cut short: a shard's backlog was full
  std::uint64_t bars_flushed = 0;   // open bars closed by a flush (market::kFlushTime)
};

class Engine final : public market::TickSink {
 public:
  // The registry and the sink must outlive the engine.
  Engine(EngineConfig config, const market::SymbolRegistry& symbols, market::EventSink& sink);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Before start(): the symbol's event channels continue numbering after `last` (what a
  // store already holds), so numbers never repeat across a restart.
  void continue_sequences(market::SymbolId symbol, const market::ChannelSequences& last);
  // Before start(), after continue_sequences(): the bars in progress a previous run stored
  // (indicators::SymbolIndicators::restore_bar). Returns how many were taken up.
  std::size_t restore_bars(market::SymbolId symbol, std::span<const market::CandleEvent> bars);

  void start();
  // Processes every tick already accepted (the backlogs too), flushes nothing else, then
  // joins the threads. From the producer thread, or once it no longer offers.
  void stop();

  // TickSink: routes each tick to its shard's ring, or behind the ticks already waiting in
  // the shard's backlog when the ring is full or the backlog is not empty; backlogs are
  // drained first, in order. Accepts the longest prefix that fits: it stops only at a tick
  // whose shard's backlog is full (counted in EngineStats::backpressured). One producer
  // thread only. Clock advances (market::clock_tick, and the ones the engine
  // derives from the ticks' times: docs/INDICATORS.md § 9) go to every shard; a clock tick
  // at market::kFlushTime closes every open bar (the end of a replay).
  std::size_t offer(std::span<const market::Tick> ticks) override;
  // TickSink: the feed has nothing to offer now. Moves waiting backlog ticks into the rings
  // that have room, so a feed that goes quiet does not leave ticks behind. Producer thread.
  void idle() override;
  // TickSink: a refused offer means a full shard (its ring, and its backlog when there are
  // several shards), which takes the shard at least capacity x 100 ns to work through (it
  // spends ~250 ns a tick on the project's machine). The feed waits an eighth of that,
  // between 50 us and 1 ms: 0.8 ms at the default 65,536, so it wakes ~16 times less
  // often than every 50 us and the shard still never runs dry.
  std::chrono::nanoseconds retry_after() const override;

  // The end of a stream (a replay, a recording): queues a clock tick at market::kFlushTime
  // behind every tick offered so far, waiting while a ring is full, so that every open bar
  // closes. From the producer thread, before stop().
  void flush_bars();

  EngineStats stats() const;
  // Feed -> engine: from offer() handing a batch over to a shard starting on it, one
  // observation per shard per offer() call.
  const market::LatencyHistogram& feed_latency() const { return feed_latency_; }

 private:
  class Shard;
  EngineConfig config_;
  const market::SymbolRegistry& symbols_;
  market::LatencyHistogram feed_latency_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Producer side: the feed's clock and a clock advance not yet in every ring.
  indicators::FeedClock feed_clock_;
  std::optional<market::Tick> pending_clock_;
  std::vector<bool> pending_shards_;
  std::vector<std::uint8_t> stamped_;  // offer(): shards stamped in this call
  std::int64_t offer_now_ = 0;         // offer(): its time, for the stamps
  // Ticks of one shard waiting for room in its ring, and when each was offered (a mark
  // where the offer time changes), for the latency stamps. Producer thread only.
  struct Backlog {
    struct Mark {
      std::uint64_t at = 0;  // position of its first tick
      std::int64_t offered_ns = 0;
    };
    std::deque<market::Tick> ticks;
    std::deque<Mark> marks;
    std::uint64_t head = 0;  // position of ticks.front()
  };
  std::vector<Backlog> backlogs_;
  std::atomic<std::uint64_t> backlog_size_{0};  // for stats(): all backlogs together
  std::atomic<std::uint64_t> backlogged_{0};
  std::atomic<std::uint64_t> backpressured_{0};
  bool started_ = false;
  void start_offer();
  bool ready_to_push(std::size_t shard);
  std::size_t enqueue(std::size_t shard, std::span<const market::Tick> ticks);
  bool drain(std::size_t shard);
  bool drain_all();
  bool push_pending_clock();
  void queue_clock(std::int64_t t);
};

}  // namespace spacetime::engine
