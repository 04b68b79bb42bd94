#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "feed/simulator.hpp"

namespace spacetime::engine {
namespace {

using market::CandleEvent;
using market::Tick;
using market::Timeframe;
constexpr std::int64_t kSec = market::kNanosPerSecond;

class CollectingSink : public market::EventSink {
 public:
  void on_publish(std::span<const market::Event> events, std::int64_t) override {
    std::lock_guard lock(mutex_);
    for (const auto& e : events) {
      if (const auto* c = std::get_if<CandleEvent>(&e)) events_.push_back(*c);
    }
  }
  std::vector<CandleEvent> closed(market::SymbolId symbol, Timeframe tf) {
    std::lock_guard lock(mutex_);
    std::vector<CandleEvent> out;
    for (const auto& e : events_) {
      if (e.closed && e.symbol == symbol && e.tf == tf) out.push_back(e);
    }
    return out;
  }
  std::vector<CandleEvent> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<CandleEvent> events_;
};

market::SymbolRegistry registry(std::size_t n) {
  market::SymbolRegistry reg;
  for (std::size_t i = 0; i < n; ++i)
    reg.add({.name = "S" + std::to_string(i)});
  return reg;
}

void offer_all(Engine& engine, std::span<const Tick> ticks) {
  while (!ticks.empty()) {
    ticks = ticks.subspan(engine.offer(ticks));
    if (!ticks.empty()) std::this_thread::yield();
  }
}

// A feed refused by a full shard waits an eighth of the time the shard needs for a full
// ring at 100 ns a tick, between 50 us and 1 ms (market::TickSink::retry_after).
TEST(Engine, AFeedWaitsForRoomInProportionToTheRing) {
  const auto reg = registry(1);
  CollectingSink sink;
  using std::chrono::microseconds;
  EXPECT_EQ(Engine(EngineConfig{}, reg, sink).retry_after(), std::chrono::nanoseconds(819'200));
  EXPECT_EQ(Engine(EngineConfig{.queue_capacity = 1024}, reg, sink).retry_after(),
            microseconds(50));
  EXPECT_EQ(Engine(EngineConfig{.queue_capacity = 1 << 20}, reg, sink).retry_after(),
            microseconds(1000));
}

// Issue 9 item 6: a symbol-pattern override reaches the state of the symbols it matches,
// whichever shard they are on, and no other: the same ticks give S1 other output.
TEST(Engine, ASymbolPatternOverrideChangesOnlyTheSymbolsItMatches) {
  struct AllSink final : market::EventSink {
    void on_publish(std::span<const market::Event> events, std::int64_t) override {
      std::lock_guard lock(mutex);
      all.insert(all.end(), events.begin(), events.end());
    }
    std::mutex mutex;
    std::vector<market::Event> all;
  } sink;
  const auto reg = registry(3);
  EngineConfig config{.shards = 2};
  // One closed 1 s bar kept for corrections instead of 32, and one sample a second.
  config.overrides.add({.pattern = "S1",
                        .values = {{"correction_bars", "1"}, {"sample_ms", "1000"}},
                        .apply = [](indicators::IndicatorParams& p) {
                          p.corrections.max_bars = 1;
                          p.sample.period_ns = kSec;
                        }});
  config.overrides.add(
      {.pattern = "X*", .values = {}, .apply = [](auto& p) { p.v1.cooldown = 0; }});
  Engine engine(config, reg, sink);
  engine.start();
  std::vector<Tick> ticks;
  for (int i = 0; i < 40; ++i) {
    for (market::SymbolId s = 0; s < 3; ++s) {
      ticks.push_back({.ts_ns = i * kSec / 2,
                       .price = 100 + i % 3,
                       .size = 1,
                       .seq = static_cast<std::uint64_t>(i + 1),
                       .symbol = s});
    }
  }
  // Cancels trade 3 (t = 1 s), whose 1 s bar closed 18 bars ago.
  for (market::SymbolId s = 0; s < 3; ++s)
    ticks.push_back(market::correction_tick(s, 3, 0, 0, 0));
  offer_all(engine, ticks);
  engine.stop();
  auto count = [&](market::SymbolId symbol, auto pred) {
    std::size_t n = 0;
    for (const auto& e : sink.all)
      n += market::symbol_of(e) == symbol && pred(e) ? 1 : 0;
    return n;
  };
  auto samples = [](const market::Event& e) {
    return std::holds_alternative<market::SampleEvent>(e);
  };
  auto revised_1s = [](const market::Event& e) {
    const auto* c = std::get_if<CandleEvent>(&e);
    return c != nullptr && c->revised && c->tf == Timeframe::k1s;
  };
  EXPECT_EQ(count(0, samples), count(2, samples));  // S0 and S2: the run's parameters
  EXPECT_EQ(count(0, revised_1s), 1u);
  EXPECT_EQ(count(2, revised_1s), 1u);
  EXPECT_LT(count(1, samples), count(0, samples));  // S1: one sample a second, not ten
  EXPECT_GT(count(1, samples), 0u);
  EXPECT_EQ(count(1, revised_1s), 0u);  // its bar was no longer kept
  EXPECT_GE(engine.stats().bars_revision_missed, 1u);
}

TEST(Engine, ClosesCandlesOnEveryTimeframeWithSequenceNumbers) {
  const auto reg = registry(1);
  CollectingSink sink;
  Engine engine({}, reg, sink);
  engine.start();
  const std::vector<Tick> ticks = {
      {.ts_ns = 0 * kSec, .price = 100, .size = 1, .seq = 1, .symbol = 0},
      {.ts_ns = 1 * kSec, .price = 101, .size = 2, .seq = 2, .symbol = 0},
      {.ts_ns = 61 * kSec, .price = 99, .size = 3, .seq = 3, .symbol = 0},
  };
  offer_all(engine, ticks);
  engine.stop();

  const auto secs = sink.closed(0, Timeframe::k1s);
  ASSERT_EQ(secs.size(), 2u);
  EXPECT_EQ(secs[0].seq, 1u);
  EXPECT_EQ(secs[0].candle.start_ns, 0);
  EXPECT_EQ(secs[1].seq, 2u);
  EXPECT_EQ(secs[1].candle.close, 101);
  const auto mins = sink.closed(0, Timeframe::k1m);
  ASSERT_EQ(mins.size(), 1u);
  EXPECT_EQ(mins[0].candle.open, 100);
  EXPECT_EQ(mins[0].candle.close, 101);
  EXPECT_EQ(mins[0].candle.volume, 3);
  EXPECT_TRUE(sink.closed(0, Timeframe::k1h).empty());
  EXPECT_EQ(engine.stats().ticks, 3u);

  // The last word on each channel is the bar in progress.
  const auto all = sink.all();
  const auto last_hour = std::find_if(all.rbegin(), all.rend(),
                                      [](const CandleEvent& e) { return e.tf == Timeframe::k1h; });
  ASSERT_NE(last_hour, all.rend());
  EXPECT_FALSE(last_hour->closed);
  EXPECT_EQ(last_hour->candle.volume, 6);
  EXPECT_EQ(last_hour->seq, 1u);
}

// Each offered batch is stamped: the shard observes feed -> engine latency and hands the
// batch's time to the sink as the events' origin (the end-to-end latency starts there).
TEST(Engine, StampsOfferedBatchesForLatency) {
  struct OriginSink final : market::EventSink {
    void on_publish(std::span<const market::Event>, std::int64_t origin_ns) override {
      std::lock_guard lock(mutex);
      origins.push_back(origin_ns);
    }
    std::mutex mutex;
    std::vector<std::int64_t> origins;
  } sink;
  const auto reg = registry(1);
  Engine engine({.shards = 1}, reg, sink);
  engine.start();
  const std::int64_t before = market::steady_ns();
  for (int i = 0; i < 3; ++i) {
    const Tick t{
        .ts_ns = (i + 1) * kSec, .price = 100, .size = 1, .seq = static_cast<std::uint64_t>(i + 1)};
    offer_all(engine, std::span(&t, 1));
    // Taken, and the clock advance it queued too: the next offer starts a pop of its own.
    while (engine.stats().ticks < static_cast<std::uint64_t>(i + 1) ||
           engine.stats().queue_depth != 0)
      std::this_thread::yield();
  }
  engine.stop();
  const std::int64_t after = market::steady_ns();
  EXPECT_EQ(engine.feed_latency().snapshot().count, 3u);  // one per offer, none lost
  std::lock_guard lock(sink.mutex);
  // A tick in a later second also queues a clock advance, which a shard may take in a pop
  // of its own: that publish carries the origin of the batch before it. So: every publish
  // has an origin from this run, and each of the three offers gave one, in order.
  ASSERT_GE(sink.origins.size(), 3u);
  std::vector<std::int64_t> distinct;
  for (const std::int64_t o : sink.origins) {
    EXPECT_GE(o, before);
    EXPECT_LE(o, after);
    if (distinct.empty() || distinct.back() != o) distinct.push_back(o);
  }
  ASSERT_EQ(distinct.size(), 3u);
  EXPECT_LT(distinct[0], distinct[1]);
  EXPECT_LT(distinct[1], distinct[2]);
}

TEST(Engine, ClampsAndCountsOutOfOrderTimestamps) {
  const auto reg = registry(1);
  CollectingSink sink;
  Engine engine({}, reg, sink);
  engine.start();
  const std::vector<Tick> ticks = {
      {.ts_ns = 5 * kSec, .price = 100, .size = 1, .seq = 1, .symbol = 0},
      {.ts_ns = 3 * kSec, .price = 90, .size = 1, .seq = 2, .symbol = 0},  // late
      {.ts_ns = 6 * kSec, .price = 101, .size = 1, .seq = 3, .symbol = 0},
  };
  offer_all(engine, ticks);
  engine.stop();
  EXPECT_EQ(engine.stats().ticks_clamped, 1u);
  const auto secs = sink.closed(0, Timeframe::k1s);
  ASSERT_EQ(secs.size(), 1u);
  EXPECT_EQ(secs[0].candle.start_ns, 5 * kSec);  // the late tick joined the 5 s bar
  EXPECT_EQ(secs[0].candle.low, 90);
  EXPECT_EQ(secs[0].candle.ticks, 2u);
}

TEST(Engine, SkipsAndCountsUnknownSymbols) {
  const auto reg = registry(2);
  CollectingSink sink;
  Engine engine({}, reg, sink);
  engine.start();
  const std::vector<Tick> ticks = {{.ts_ns = 1, .price = 1, .size = 1, .seq = 1, .symbol = 7}};
  offer_all(engine, ticks);
  engine.stop();
  EXPECT_EQ(engine.stats().ticks_unknown, 1u);
  EXPECT_EQ(engine.stats().ticks, 0u);
}

// Sharding changes which thread owns a symbol, never what the symbol's candles are; a
// tiny ring forces the feed through backpressure, and stop() drains everything accepted.
TEST(Engine, ShardsAndBackpressureDoNotChangeResults) {
  const feed::SimulatorConfig sc{.symbols = 12, .rate = 2'000, .seed = 5, .start_ns = 0};
  feed::Simulator sim(sc);
  std::vector<Tick> ticks;
  for (int i = 0; i < 60'000; ++i)
    ticks.push_back(sim.next());
  market::SymbolRegistry reg;
  for (const auto& s : sim.symbols())
    reg.add(s);

  CollectingSink one_sink;
  Engine one({.shards = 1}, reg, one_sink);
  one.start();
  offer_all(one, ticks);
  one.stop();
  EXPECT_EQ(one.stats().ticks, ticks.size());
  // Tiny rings with no backlog, a tiny backlog (full often: refused ticks and clock
  // advances that wait), and the default backlog.
  for (const std::size_t backlog : {std::size_t{0}, std::size_t{5}, std::size_t{1} << 16}) {
    SCOPED_TRACE(backlog);
    CollectingSink four_sink;
    Engine four({.shards = 4, .queue_capacity = 64, .backlog_capacity = backlog, .batch = 7}, reg,
                four_sink);
    four.start();
    offer_all(four, ticks);
    four.stop();
    EXPECT_EQ(four.stats().ticks, ticks.size());
    EXPECT_EQ(four.stats().backlog, 0u);
    for (market::SymbolId s = 0; s < reg.size(); ++s) {
      for (const Timeframe tf : {Timeframe::k1s, Timeframe::k10s}) {
        const auto a = one_sink.closed(s, tf);
        const auto b = four_sink.closed(s, tf);
        ASSERT_EQ(a.size(), b.size());
        ASSERT_FALSE(a.empty());
        for (std::size_t i = 0; i < a.size(); ++i) {
          EXPECT_EQ(a[i].candle, b[i].candle);
          EXPECT_EQ(a[i].seq, i + 1);
          EXPECT_EQ(b[i].seq, i + 1);
        }
      }
    }
  }
}

// Issue 11: a shard whose consumer is stalled does not stop the feed for the others. Its
// ticks wait in order in its backlog; only when that is full does offer() refuse (counted)
// and only at that shard's ticks; once the consumer moves again, a quiet feed's idle()
// hands the backlog on, and every tick arrives once, in order.
TEST(Engine, AStalledShardDoesNotStopTheOthers) {
  // Blocks the shard thread publishing symbol 0's events until released. Keeps, per
  // symbol, the 1 s bar in progress of every publish (volume = ticks so far, close = the
  // last tick's price).
  class GatedSink final : public market::EventSink {
   public:
    void on_publish(std::span<const market::Event> events, std::int64_t) override {
      std::unique_lock lock(mutex_);
      for (const auto& e : events) {
        const auto* c = std::get_if<CandleEvent>(&e);
        if (c == nullptr || c->closed || c->tf != Timeframe::k1s) continue;
        if (c->symbol == 0) {
          stalled_ = true;
          changed_.notify_all();
          changed_.wait(lock, [&] { return open_; });
        }
        bars_[c->symbol].push_back(c->candle);
      }
      changed_.notify_all();
    }
    void release() {
      std::lock_guard lock(mutex_);
      open_ = true;
      changed_.notify_all();
    }
    void wait_stalled() {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stalled_; });
    }
    bool has_volume(market::SymbolId s, std::int64_t volume) {
      std::lock_guard lock(mutex_);
      return !bars_[s].empty() && bars_[s].back().volume >= volume;
    }
    std::vector<market::Candle> bars(market::SymbolId s) {
      std::lock_guard lock(mutex_);
      return bars_[s];
    }

   private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
    bool stalled_ = false;
    std::map<market::SymbolId, std::vector<market::Candle>> bars_;
  } sink;

  constexpr std::size_t kRing = 16;
  constexpr std::size_t kBacklog = 64;
  const auto reg = registry(2);  // symbol 0 on shard 0, symbol 1 on shard 1
  Engine engine({.shards = 2, .queue_capacity = kRing, .backlog_capacity = kBacklog, .batch = 4},
                reg, sink);
  engine.start();
  // The feed's idle path while waiting: ticks waiting in a backlog move on.
  auto wait_volume = [&](market::SymbolId s, std::int64_t volume) {
    while (!sink.has_volume(s, volume)) {
      engine.idle();
      std::this_thread::yield();
    }
  };
  std::map<market::SymbolId, int> sent;
  auto tick = [&](market::SymbolId s) {
    const int n = sent[s]++;
    // One second of feed time: no clock advances, so only the ticks fill the backlog.
    return Tick{.ts_ns = n * 1000,
                .price = 100 + n,
                .size = 1,
                .seq = static_cast<std::uint64_t>(n + 1),
                .symbol = s};
  };

  // Symbol 0's shard takes its first tick and stalls in publish.
  const Tick first = tick(0);
  ASSERT_EQ(engine.offer(std::span(&first, 1)), 1u);
  sink.wait_stalled();

  // Interleaved ticks: symbol 0's fill its ring and wait in its backlog, symbol 1's flow.
  std::vector<Tick> mixed;
  for (std::size_t i = 0; i < kRing + kBacklog; ++i) {
    mixed.push_back(tick(0));
    if (i % 2 == 0) mixed.push_back(tick(1));  // fit in ring + backlog even if not consumed
  }
  ASSERT_EQ(engine.offer(mixed), mixed.size());  // all taken: no backpressure yet
  wait_volume(1, sent[1]);
  EXPECT_EQ(engine.stats().backlog, kBacklog);
  EXPECT_EQ(engine.stats().backpressured, 0u);

  // The backlog is full: a tick of symbol 0 is refused (counted); symbol 1's still go.
  const std::uint64_t refused_seq = static_cast<std::uint64_t>(sent[0] + 1);
  const std::vector<Tick> more = {tick(0), tick(1)};
  EXPECT_EQ(engine.offer(more), 0u);
  EXPECT_EQ(engine.stats().backpressured, 1u);
  EXPECT_EQ(engine.offer(std::span(&more[1], 1)), 1u);
  wait_volume(1, sent[1]);
  EXPECT_EQ(engine.offer(std::span(&more[0], 1)), 0u);  // still full
  EXPECT_EQ(engine.stats().backpressured, 2u);
  EXPECT_EQ(more[0].seq, refused_seq);

  // The consumer moves again; the feed is quiet: idle() alone hands the backlog on.
  sink.release();
  while (engine.stats().backlog != 0)
    engine.idle();
  wait_volume(0, sent[0] - 1);  // all but the refused one
  ASSERT_EQ(engine.offer(std::span(&more[0], 1)), 1u);
  engine.stop();

  EXPECT_EQ(engine.stats().ticks, static_cast<std::uint64_t>(sent[0] + sent[1]));
  EXPECT_GE(engine.stats().backlogged, kBacklog);  // symbol 1's too, if its ring was full
  EXPECT_EQ(engine.stats().backlog, 0u);
  // Every tick once, in order: each publish's bar in progress is a longer prefix of the
  // ticks, and its close is the price of the prefix's last tick.
  for (const market::SymbolId s : {0u, 1u}) {
    const auto bars = sink.bars(s);
    ASSERT_FALSE(bars.empty());
    std::int64_t volume = 0;
    for (const auto& bar : bars) {
      EXPECT_GT(bar.volume, volume);
      volume = bar.volume;
      EXPECT_EQ(bar.close, 100 + bar.volume - 1);
      EXPECT_EQ(bar.open, 100);
    }
    EXPECT_EQ(volume, sent[s]);
  }
}

}  // namespace
}  // namespace spacetime::engine

namespace spacetime::engine {
namespace {

class EventLog : public market::EventSink {
 public:
  void on_publish(std::span<const market::Event> events, std::int64_t) override {
    std::lock_guard lock(mutex_);
    for (const auto& e : events) {
      const auto* c = std::get_if<CandleEvent>(&e);
      if (c && !c->closed) continue;  // bars in progress: display only, batch-dependent
      events_.push_back(e);
    }
  }
  std::vector<market::Event> of_symbol(market::SymbolId s) {
    std::lock_guard lock(mutex_);
    std::vector<market::Event> out;
    for (const auto& e : events_) {
      const auto symbol = std::visit([](const auto& ev) { return ev.symbol; }, e);
      if (symbol == s) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<market::Event> events_;
};

// Issue 9: symbol 1 stops trading after 3 s while symbol 0 goes on. Its bars close when the
// feed's clock passes their end, on whichever shard it lives; an explicit clock tick from
// the feed does the same; a flush closes what is left.
TEST(Engine, AQuietSymbolsBarsCloseOnTheFeedsClock) {
  const auto reg = registry(3);
  std::vector<Tick> ticks;
  std::uint64_t seq[3] = {0, 0, 0};
  for (std::int64_t ms = 0; ms < 70'000; ms += 100) {
    const market::SymbolId sym = ms < 3'000 && ms % 200 == 0 ? 1 : 0;
    ticks.push_back(
        {.ts_ns = ms * 1'000'000, .price = 100, .size = 1, .seq = ++seq[sym], .symbol = sym});
  }
  for (const std::size_t shards : {1u, 2u}) {
    CollectingSink sink;
    Engine engine({.shards = shards, .queue_capacity = 1024, .batch = 16}, reg, sink);
    engine.start();
    offer_all(engine, ticks);
    const Tick clock = market::clock_tick(ticks.back().ts_ns);
    offer_all(engine, std::span<const Tick>(&clock, 1));
    // Symbol 2 traded once; an explicit clock tick from the feed closes its 1 s bar.
    const Tick late[] = {{.ts_ns = 70 * kSec, .price = 5, .size = 1, .seq = 1, .symbol = 2},
                         market::clock_tick(71 * kSec)};
    offer_all(engine, late);
    engine.stop();
    const auto secs = sink.closed(1, Timeframe::k1s);
    ASSERT_EQ(secs.size(), 3u) << shards;
    EXPECT_EQ(secs.back().candle.start_ns, 2 * kSec);
    EXPECT_EQ(secs.back().seq, 3u);
    EXPECT_EQ(sink.closed(1, Timeframe::k10s).size(), 1u);
    EXPECT_EQ(sink.closed(1, Timeframe::k1m).size(), 1u);
    EXPECT_EQ(sink.closed(2, Timeframe::k1s).size(), 1u);
    EXPECT_EQ(engine.stats().ticks, ticks.size() + 1);  // clock ticks are not ticks
  }
}

// Issue 9: the engine gives each symbol the session of the first pattern its name matches;
// a symbol matching none keeps UTC days. A feed clock tick past the session open closes the
// daily bar of the session symbol only.
TEST(Engine, SymbolsGetTheSessionTheirNameMatches) {
  market::SymbolRegistry reg;
  reg.add({.name = "AAPL"});
  reg.add({.name = "SIM1"});
  // 2024-07-01 (EDT): 09:30 New York is 13:30 UTC, 1'719'840'600 s.
  constexpr std::int64_t kOpen = 1'719'840'600 * kSec;
  for (const std::size_t shards : {1u, 2u}) {
    EngineConfig config{.shards = shards, .queue_capacity = 1024, .batch = 16};
    config.sessions.add("AAPL=us-equities");
    CollectingSink sink;
    Engine engine(config, reg, sink);
    engine.start();
    const Tick ticks[] = {
        {.ts_ns = kOpen - 600 * kSec, .price = 100, .size = 1, .seq = 1, .symbol = 0},
        {.ts_ns = kOpen - 600 * kSec, .price = 200, .size = 1, .seq = 1, .symbol = 1},
        market::clock_tick(kOpen)};
    offer_all(engine, ticks);
    engine.stop();
    const auto aapl = sink.closed(0, Timeframe::k1d);
    ASSERT_EQ(aapl.size(), 1u) << shards;
    EXPECT_EQ(aapl[0].candle.start_ns, kOpen - 86'400 * kSec);  // Sunday's open
    EXPECT_TRUE(sink.closed(1, Timeframe::k1d).empty());        // UTC day still open
  }
}

// The live path (feed thread, SPSC rings, shard threads, sink) and the batch path over
// columns produce the same indicator events, compared with == on every double.
TEST(Engine, LivePathEqualsTheBatchPathBitForBit) {
  feed::Simulator sim({.symbols = 6, .rate = 300, .seed = 21, .start_ns = 0});
  std::vector<Tick> ticks(150'000);
  for (auto& t : ticks)
    t = sim.next();
  market::SymbolRegistry reg;
  for (const auto& s : sim.symbols())
    reg.add(s);

  EventLog live;
  Engine engine({.shards = 3, .queue_capacity = 256, .batch = 64}, reg, live);
  engine.start();
  offer_all(engine, ticks);
  engine.flush_bars();
  engine.stop();

  indicators::TickColumnBuffer columns;
  for (const auto& t : ticks)
    columns.push(t);
  std::vector<indicators::SymbolIndicators> states;
  for (market::SymbolId s = 0; s < reg.size(); ++s)
    states.emplace_back(s, indicators::IndicatorParams{});
  std::vector<market::Event> batch;
  indicators::run_batch(columns.view(), states, batch);
  std::uint64_t flushed = 0;
  for (auto& st : states)
    flushed += st.flush(batch);
  EXPECT_EQ(engine.stats().bars_flushed, flushed);
  EXPECT_GE(flushed, 6u * (market::kTimeframeCount - 1));  // a 1 s bar may be closed by the clock

  std::size_t compared = 0;
  for (market::SymbolId s = 0; s < reg.size(); ++s) {
    const auto a = live.of_symbol(s);
    std::vector<market::Event> b;
    for (const auto& e : batch) {
      if (std::visit([](const auto& ev) { return ev.symbol; }, e) == s) b.push_back(e);
    }
    ASSERT_EQ(a.size(), b.size()) << "symbol " << s;
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_TRUE(a[i] == b[i]) << "symbol " << s << " event " << i;
    compared += a.size();
  }
  EXPECT_GT(compared, ticks.size());  // intensity and buffer events at least, per tick
}

// Bars in progress go out at most once per open_bars_every_ns, and before the shard stops,
// with every tick in them. With 0, every batch publishes.
TEST(Engine, BarsInProgressAreThrottledWhileTicksKeepComing) {
  for (const std::int64_t every : {std::int64_t{0}, std::int64_t{3'600} * kSec}) {
    SCOPED_TRACE(every);
    CollectingSink sink;
    const auto reg = registry(1);
    Engine engine({.shards = 1, .batch = 1, .open_bars_every_ns = every}, reg, sink);
    // Queued before the shard starts: it then works through a backlog, one tick a batch.
    constexpr int kTicks = 200;
    std::vector<Tick> ticks;
    for (int i = 0; i < kTicks; ++i) {
      ticks.push_back({.ts_ns = kSec + i * 1'000'000,  // all in one second: no bar closes
                       .price = 100 + i % 3,
                       .size = 1,
                       .seq = static_cast<std::uint64_t>(i + 1)});
    }
    offer_all(engine, ticks);
    engine.start();
    engine.stop();
    std::vector<CandleEvent> open;
    for (const auto& e : sink.all()) {
      EXPECT_FALSE(e.closed);
      if (e.tf == Timeframe::k1s) open.push_back(e);
    }
    ASSERT_FALSE(open.empty());
    EXPECT_EQ(open.back().candle.volume, kTicks);  // the last batch's update has every tick
    if (every == 0) {
      EXPECT_EQ(open.size(), static_cast<std::size_t>(kTicks));
    } else {
      // The first batch (nothing published yet), then the shard's stop.
      EXPECT_EQ(open.size(), 2u);
      EXPECT_EQ(open.front().candle.volume, 1);
    }
  }
}
// A shard out of ticks publishes the bars in progress it held back once their interval is
// over: a quiet feed's last bar is not left out until the next tick or the stop.
TEST(Engine, HeldBarsInProgressGoOutWhenTheFeedGoesQuiet) {
  CollectingSink sink;
  const auto reg = registry(1);
  Engine engine({.shards = 1, .batch = 1, .open_bars_every_ns = 200'000'000}, reg, sink);
  engine.start();
  const auto offer_tick = [&](int i) {
    const Tick t{
        .ts_ns = kSec + i, .price = 100, .size = 1, .seq = static_cast<std::uint64_t>(i + 1)};
    offer_all(engine, std::span(&t, 1));
  };
  const auto has_volume = [&](std::int64_t volume) {
    for (const auto& e : sink.all()) {
      if (!e.closed && e.tf == Timeframe::k1s && e.candle.volume == volume) return true;
    }
    return false;
  };
  // Polls (10 s at most): no timing is asserted, only that it comes without a stop.
  const auto wait_for = [&](std::int64_t volume) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!has_volume(volume) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return has_volume(volume);
  };
  offer_tick(0);
  ASSERT_TRUE(wait_for(1));  // the first batch publishes: nothing was published yet
  offer_tick(1);             // later batches within the interval are held back...
  offer_tick(2);
  EXPECT_TRUE(wait_for(3));  // ...and go out from the idle shard
  engine.stop();
}

// A bar that a flush (or a clock close) ended is not published as in progress afterwards,
// also when its last tick was held back.
TEST(Engine, ABarEndedByAFlushIsNotPublishedAsInProgress) {
  CollectingSink sink;
  const auto reg = registry(1);
  Engine engine({.shards = 1, .batch = 1, .open_bars_every_ns = std::int64_t{3'600} * kSec}, reg,
                sink);
  for (int i = 0; i < 2; ++i) {  // the first is published, the second held back
    const Tick t{
        .ts_ns = kSec + i, .price = 100, .size = 1, .seq = static_cast<std::uint64_t>(i + 1)};
    offer_all(engine, std::span(&t, 1));
  }
  engine.start();
  engine.flush_bars();
  engine.stop();
  const auto all = sink.all();
  for (const Timeframe tf : market::kAllTimeframes) {
    SCOPED_TRACE(market::to_string(tf));
    const auto close = std::find_if(all.begin(), all.end(),
                                    [&](const CandleEvent& e) { return e.closed && e.tf == tf; });
    ASSERT_NE(close, all.end());
    EXPECT_EQ(close->candle.volume, 2);
    for (auto it = close + 1; it != all.end(); ++it)
      EXPECT_FALSE(!it->closed && it->tf == tf) << "in progress after its close";
  }
}

}  // namespace
}  // namespace spacetime::engine
