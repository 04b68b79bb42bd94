// Trade corrections applied to bars (docs/INDICATORS.md § 1, "Corrections"): the pipeline,
// the engine, and a .stt record -> replay round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "feed/files/stt_format.hpp"
#include "feed/tick_file.hpp"
#include "indicators/pipeline.hpp"
#include "market/event.hpp"
#include "market/tick.hpp"

namespace spacetime::indicators {
namespace {

using market::CandleEvent;
using market::Tick;
using market::Timeframe;
constexpr std::int64_t kSec = market::kNanosPerSecond;
constexpr std::int64_t kMs = kSec / 1000;

Tick trade(std::int64_t ts, std::int64_t price, std::int64_t size, std::uint64_t seq,
           market::SymbolId symbol = 0) {
  return {.ts_ns = ts, .price = price, .size = size, .seq = seq, .symbol = symbol};
}

std::vector<CandleEvent> candles(const std::vector<market::Event>& events, Timeframe tf,
                                 bool revised) {
  std::vector<CandleEvent> out;
  for (const auto& e : events) {
    if (const auto* c = std::get_if<CandleEvent>(&e); c && c->tf == tf && c->revised == revised)
      out.push_back(*c);
  }
  return out;
}

// Three trades: two in second 0, one in second 1, which closes the first 1 s bar.
struct ThreeTrades : ::testing::Test {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  void SetUp() override {
    s.on_tick(trade(0, 100, 10, 1), out);
    s.on_tick(trade(500 * kMs, 105, 20, 2), out);
    s.on_tick(trade(1200 * kMs, 103, 30, 3), out);
  }
};

TEST_F(ThreeTrades, AReplacedTradeRevisesItsClosedBarWithTheSameSeq) {
  const auto closed = candles(out, Timeframe::k1s, false);
  ASSERT_EQ(closed.size(), 1u);
  out.clear();
  s.on_correction(market::correction_tick(0, 2, 500 * kMs, 102, 25), out);
  const auto revised = candles(out, Timeframe::k1s, true);
  ASSERT_EQ(revised.size(), 1u) << "only the closed 1 s bar goes out again";
  const CandleEvent& r = revised[0];
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.seq, closed[0].seq);
  EXPECT_EQ(r.candle.start_ns, 0);
  EXPECT_EQ(r.candle.open, 100);
  EXPECT_EQ(r.candle.high, 102) << "the replaced 105 was the high";
  EXPECT_EQ(r.candle.low, 100);
  EXPECT_EQ(r.candle.close, 102);
  EXPECT_EQ(r.candle.volume, 35);
  EXPECT_EQ(r.candle.ticks, 2u);
  // The bar indicators are the ones it closed with.
  EXPECT_EQ(r.volume_zlma_ready, closed[0].volume_zlma_ready);
  EXPECT_EQ(r.bar_intensity, closed[0].bar_intensity);
  // Bars in progress (10 s and up hold all three trades) change in place, no event.
  EXPECT_EQ(s.candles(Timeframe::k1m).current().volume, 10 + 25 + 30);
  EXPECT_EQ(s.candles(Timeframe::k1m).current().high, 103);
  EXPECT_EQ(s.revisions().applied, 1u);
  EXPECT_EQ(s.revisions().bars_revised, 1u);
  EXPECT_EQ(s.revisions().bars_inexact, 0u);
  // Nothing but candles: indicators are not rewound.
  for (const auto& e : out)
    EXPECT_TRUE(std::holds_alternative<CandleEvent>(e));
}

TEST_F(ThreeTrades, ACancelRebuildsOpenHighLowCloseFromTheKeptTrades) {
  out.clear();
  s.on_correction(market::correction_tick(0, 1, 0, 0, 0), out);  // cancels the opening trade
  const auto revised = candles(out, Timeframe::k1s, true);
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_EQ(revised[0].candle.open, 105);
  EXPECT_EQ(revised[0].candle.low, 105);
  EXPECT_EQ(revised[0].candle.first_ns, 500 * kMs);
  EXPECT_EQ(revised[0].candle.volume, 20);
  EXPECT_EQ(revised[0].candle.ticks, 1u);
  // Cancelling the same trade again matches nothing.
  out.clear();
  s.on_correction(market::correction_tick(0, 1, 0, 0, 0), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.revisions().unmatched, 1u);
}

TEST_F(ThreeTrades, ACorrectionInTheBarInProgressSendsNoRevision) {
  out.clear();
  s.on_correction(market::correction_tick(0, 3, 1200 * kMs, 90, 30), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.candles(Timeframe::k1s).current().low, 90);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().close, 90);
}

TEST_F(ThreeTrades, AnInsertionJoinsTheBarOfItsTimeAndNeverALaterOne) {
  out.clear();
  s.on_correction(market::correction_tick(0, 0, 300 * kMs, 99, 5), out);
  auto revised = candles(out, Timeframe::k1s, true);
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_EQ(revised[0].candle.low, 99);
  EXPECT_EQ(revised[0].candle.close, 105) << "inserted before the bar's last trade";
  EXPECT_EQ(revised[0].candle.volume, 35);
  EXPECT_EQ(revised[0].candle.ticks, 3u);
  // One from the future is placed at the symbol's clock (D5): the bar in progress.
  out.clear();
  s.on_correction(market::correction_tick(0, 0, 99 * kSec, 104, 1), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.candles(Timeframe::k1s).current().close, 104);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().last_ns, 1200 * kMs);
}

TEST_F(ThreeTrades, SnapshotsKeepWhatCorrectionsNeed) {
  SymbolIndicators restored{0, IndicatorParams{}};
  restored.load(s.save());
  std::vector<market::Event> a, b;
  const Tick c = market::correction_tick(0, 2, 500 * kMs, 102, 25);
  s.on_correction(c, a);
  restored.on_correction(c, b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(s.save(), restored.save());
}

TEST(Revisions, BeforeAnyTradeACorrectionIsCountedAndIgnored) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  s.on_correction(market::correction_tick(0, 0, 0, 100, 1), out);
  s.on_correction(market::correction_tick(0, 7, 0, 0, 0), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.revisions().unmatched, 2u);
  EXPECT_EQ(s.revisions().applied, 0u);
}

TEST(Revisions, OnlyTheLastTradesAndBarsAreKept) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  const std::uint64_t n = CandleRevisions::kTrades + 10;
  for (std::uint64_t i = 1; i <= n; ++i)
    s.on_tick(
        trade(static_cast<std::int64_t>(i) * kSec, 100 + static_cast<std::int64_t>(i % 7), 1, i),
        out);
  out.clear();
  s.on_correction(market::correction_tick(0, 5, 0, 0, 0), out);  // evicted long ago
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.revisions().unmatched, 1u);
  // Kept, but its 1 s and 10 s bars closed more than kBars bars ago: those are missed; the
  // 1 m bar holding it is still kept and revised exactly.
  const std::uint64_t old = n - 400;  // 1 s bars keep 32 s, 10 s bars 320 s
  s.on_correction(market::correction_tick(0, old, 0, 0, 0), out);
  EXPECT_EQ(s.revisions().applied, 1u);
  EXPECT_EQ(s.revisions().bars_missed, 2u);
  EXPECT_EQ(candles(out, Timeframe::k1s, true).size(), 0u);
  const auto minute = candles(out, Timeframe::k1m, true);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0].candle.ticks, 59u);
}

// A correction that neither cancels (seq 0) nor inserts (size 0) changes nothing and is
// counted unmatched.
TEST(Revisions, ACorrectionThatCancelsAndInsertsNothingIsCountedAndIgnored) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  s.on_tick(trade(0, 100, 10, 1), out);
  s.on_tick(trade(1200 * kMs, 103, 30, 2), out);
  out.clear();
  s.on_correction(market::correction_tick(0, 0, 500 * kMs, 99, 0), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.revisions().unmatched, 1u);
  EXPECT_EQ(s.revisions().applied, 0u);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().volume, 30);
}

// An insertion exactly at the end of the newest closed bar, in an empty bucket: no bar
// holds it on that timeframe, so nothing is revised there and it is counted.
TEST(Revisions, AnInsertionAtTheEndOfAClosedBarInAnEmptyBucketIsMissed) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  s.on_tick(trade(1 * kSec, 100, 10, 1), out);
  s.on_tick(trade(1500 * kMs, 101, 10, 2), out);
  s.on_tick(trade(3500 * kMs, 102, 10, 3), out);  // [1 s, 2 s) closed, [2 s, 3 s) empty
  out.clear();
  s.on_correction(market::correction_tick(0, 0, 2 * kSec, 99, 5), out);
  EXPECT_TRUE(candles(out, Timeframe::k1s, true).empty());
  EXPECT_EQ(s.revisions().applied, 1u);
  EXPECT_EQ(s.revisions().bars_missed, 1u);  // 1 s only: the 10 s bar in progress holds it
  EXPECT_EQ(s.candles(Timeframe::k10s).current().volume, 35);
}

// The limits exactly: the oldest kept trade and the oldest kept closed bar are still
// corrected; one older is unmatched / missed.
TEST(Revisions, TheOldestKeptTradeAndBarAreCorrectedAndOneOlderIsNot) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  for (std::uint64_t i = 1; i <= 40; ++i)  // one trade per 1 s bar: bars 1..39 closed
    s.on_tick(trade(static_cast<std::int64_t>(i) * kSec, 100, 1, i), out);
  out.clear();
  s.on_correction(market::correction_tick(0, 8, 8 * kSec, 101, 2), out);  // bar 8: kept
  auto revised = candles(out, Timeframe::k1s, true);
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_EQ(revised[0].candle.start_ns, 8 * kSec);
  EXPECT_EQ(revised[0].candle.volume, 2);
  EXPECT_EQ(s.revisions().bars_missed, 0u);
  out.clear();
  s.on_correction(market::correction_tick(0, 7, 7 * kSec, 101, 2), out);  // bar 7: not kept
  EXPECT_TRUE(candles(out, Timeframe::k1s, true).empty());
  EXPECT_EQ(s.revisions().bars_missed, 1u);  // the 10 s bar [0, 10 s) is still kept

  SymbolIndicators t{0, IndicatorParams{}};
  const std::uint64_t n = CandleRevisions::kTrades + 10;
  for (std::uint64_t i = 1; i <= n; ++i)
    t.on_tick(trade(static_cast<std::int64_t>(i) * kMs, 100, 1, i), out);
  t.on_correction(market::correction_tick(0, 10, 0, 0, 0), out);  // evicted
  EXPECT_EQ(t.revisions().unmatched, 1u);
  EXPECT_EQ(t.revisions().applied, 0u);
  t.on_correction(market::correction_tick(0, 11, 0, 0, 0), out);  // the oldest kept
  EXPECT_EQ(t.revisions().unmatched, 1u);
  EXPECT_EQ(t.revisions().applied, 1u);
}

// Evicting a trade makes the bars starting at or before its time incomplete: the bar
// starting exactly at the last evicted trade's time is adjusted, not rebuilt (rebuilding
// it from the kept trades would lose the evicted trade's volume).
TEST(Revisions, TheBarStartingAtTheLastEvictedTradeIsAdjustedNotRebuilt) {
  SymbolIndicators s{0, IndicatorParams{}};
  std::vector<market::Event> out;
  std::uint64_t seq = 0;
  for (std::int64_t k = 1; k <= 8; ++k)
    s.on_tick(trade(k * kMs, 100, 1, ++seq), out);
  s.on_tick(trade(kSec - 1, 100, 1, ++seq), out);  // 1 ns before the bar [1 s, 2 s)
  s.on_tick(trade(kSec, 100, 1, ++seq), out);      // at its start, the 10th trade
  for (std::int64_t j = 1; j < static_cast<std::int64_t>(CandleRevisions::kTrades); ++j)
    s.on_tick(trade(kSec + j * 100'000, 100, 1, ++seq), out);
  // 4,105 trades: the first 9 are evicted, the 4,096 kept ones are the bar's.
  const market::Candle before = s.candles(Timeframe::k1s).current();
  ASSERT_EQ(before.start_ns, kSec);
  ASSERT_EQ(before.volume, 4096);
  // The insertion makes 4,097 kept trades: the 10th, at 1 s, is evicted by it.
  s.on_correction(market::correction_tick(0, 0, kSec + 50 * kMs, 100, 5), out);
  EXPECT_EQ(s.revisions().applied, 1u);
  const market::Candle after = s.candles(Timeframe::k1s).current();
  EXPECT_EQ(after.volume, 4101);  // adjusted: 4096 + 5
  EXPECT_EQ(after.ticks, 4097u);
  EXPECT_EQ(after.first_ns, kSec);
  // An insertion goes after the trades of its time: at the bar's first time it is not the
  // open; at its last time it is the close.
  s.on_correction(market::correction_tick(0, 0, kSec, 90, 1), out);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().open, 100);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().low, 90);
  const std::int64_t last = s.candles(Timeframe::k1s).current().last_ns;
  s.on_correction(market::correction_tick(0, 0, last, 110, 1), out);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().close, 110);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().last_ns, last);
  EXPECT_EQ(s.candles(Timeframe::k1s).current().volume, 4103);
}

// A snapshot holds exactly what is kept (kTrades trades, kBars bars per timeframe) and
// restores it; a timeframe byte past the last timeframe is refused, the last one is not.
TEST(Revisions, ASnapshotAtTheLimitsRestoresAndABadTimeframeIsRefused) {
  CandleRevisions full;
  for (std::uint64_t i = 1; i <= CandleRevisions::kTrades; ++i)
    full.on_trade(i, static_cast<std::int64_t>(i) * kSec, 100, 1);
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf) {
    for (std::uint64_t b = 1; b <= CandleRevisions::kBars; ++b)
      full.on_closed(tf, CandleEvent{.tf = market::kAllTimeframes[tf], .closed = true, .seq = b});
  }
  StateWriter w;
  full.save(w);
  CandleRevisions back;
  StateReader r(w.bytes());
  ASSERT_NO_THROW(back.load(r));
  EXPECT_TRUE(r.done());
  StateWriter again;
  back.save(again);
  EXPECT_EQ(again.bytes(), w.bytes());

  CandleRevisions one;
  one.on_closed(6, CandleEvent{.tf = Timeframe::k1d, .closed = true, .seq = 1});
  StateWriter w1;
  one.save(w1);
  std::string bytes = w1.bytes();
  // u64 trade count, six empty rings (u64 0 each), ring 6's u64 size, the u32 symbol: tf.
  const std::size_t at = 8 + 6 * 8 + 8 + sizeof(market::SymbolId);
  ASSERT_EQ(bytes.at(at), 6);
  CandleRevisions ok;
  StateReader r1(bytes);
  EXPECT_NO_THROW(ok.load(r1));
  bytes[at] = 7;
  CandleRevisions bad;
  StateReader r2(bytes);
  EXPECT_THROW(bad.load(r2), std::runtime_error);
}

TEST(Revisions, ABarRestoredFromAStoreIsAdjustedNotRebuiltAndSaysSo) {
  SymbolIndicators s{0, IndicatorParams{}};
  // A 1 m bar in progress from a previous run: 4 trades, high 110, volume 40.
  ASSERT_TRUE(s.restore_bar(CandleEvent{.symbol = 0,
                                        .tf = Timeframe::k1m,
                                        .seq = 1,
                                        .candle = {.start_ns = 0,
                                                   .open = 100,
                                                   .high = 110,
                                                   .low = 95,
                                                   .close = 104,
                                                   .volume = 40,
                                                   .first_ns = 1 * kSec,
                                                   .last_ns = 20 * kSec,
                                                   .ticks = 4}}));
  std::vector<market::Event> out;
  s.on_tick(trade(30 * kSec, 110, 5, 1), out);
  s.on_tick(trade(61 * kSec, 101, 1, 2), out);  // closes the restored minute
  out.clear();
  s.on_correction(market::correction_tick(0, 1, 30 * kSec, 0, 0), out);
  const auto minute = candles(out, Timeframe::k1m, true);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0].candle.volume, 40) << "volume and count stay exact";
  EXPECT_EQ(minute[0].candle.ticks, 4u);
  EXPECT_EQ(minute[0].candle.high, 110) << "the earlier trades may hold the high: kept";
  EXPECT_EQ(s.revisions().bars_inexact, 1u);
}

class Collect final : public market::EventSink {
 public:
  std::vector<market::Event> events;

 protected:
  void on_publish(std::span<const market::Event> e, std::int64_t) override {
    std::lock_guard lock(m_);
    events.insert(events.end(), e.begin(), e.end());
  }

 private:
  std::mutex m_;
};

std::vector<Tick> session_with_corrections() {
  std::vector<Tick> ticks;
  std::uint64_t seq[2] = {0, 0};
  for (int i = 0; i < 400; ++i) {
    const market::SymbolId sym = static_cast<market::SymbolId>(i % 2);
    ticks.push_back(trade(i * 150 * kMs, 1000 + (i * 7) % 23, 1 + i % 5, ++seq[sym], sym));
    if (i % 37 == 36) ticks.push_back(market::correction_tick(sym, seq[sym] - 3, 0, 0, 0));
    if (i % 53 == 52) ticks.push_back(market::correction_tick(sym, seq[sym] - 9, 0, 1050, 2));
    if (i % 71 == 70)
      ticks.push_back(market::correction_tick(sym, 0, (i - 20) * 150 * kMs, 990, 3));
  }
  return ticks;
}

std::vector<market::Event> run_engine(const std::vector<Tick>& ticks,
                                      const market::SymbolRegistry& reg,
                                      engine::EngineStats* stats = nullptr) {
  Collect sink;
  engine::Engine e({.shards = 2}, reg, sink);
  e.start();
  std::span<const Tick> rest(ticks);
  while (!rest.empty()) {
    rest = rest.subspan(e.offer(rest));
    if (!rest.empty()) std::this_thread::yield();
  }
  e.flush_bars();
  e.stop();
  if (stats) *stats = e.stats();
  return std::move(sink.events);
}

// One symbol's events (shards interleave symbols in any order), without the value samples.
std::vector<market::Event> of_symbol(const std::vector<market::Event>& events,
                                     market::SymbolId id) {
  std::vector<market::Event> out;
  for (const auto& e : events)
    if (market::symbol_of(e) == id && !market::is_value(e)) out.push_back(e);
  return out;
}

std::vector<market::Event> closed_only(const std::vector<market::Event>& events) {
  std::vector<market::Event> out;
  for (const auto& e : events)
    if (!market::is_value(e)) out.push_back(e);
  return out;
}

TEST(Revisions, TheEngineAppliesCorrectionsInOrderAndMovesNoClock) {
  market::SymbolRegistry reg;
  reg.add({.name = "A"});
  reg.add({.name = "B"});
  const auto ticks = session_with_corrections();
  engine::EngineStats stats;
  const auto events = closed_only(run_engine(ticks, reg, &stats));
  std::size_t revised = 0;
  for (const auto& e : events)
    revised += market::is_revision(e) ? 1 : 0;
  EXPECT_GT(revised, 0u);
  EXPECT_EQ(stats.corrections, 10u + 7u + 5u);
  EXPECT_EQ(stats.ticks, 400u);
  EXPECT_EQ(stats.bars_revised, revised);
  // The batch path (one stream, no shards) gives the same events: the corrections are
  // part of the deterministic input.
  TickColumnBuffer cols;
  for (const auto& t : ticks)
    cols.push(t);
  std::vector<SymbolIndicators> states;
  states.emplace_back(0, IndicatorParams{});
  states.emplace_back(1, IndicatorParams{});
  std::vector<market::Event> batch;
  run_batch(cols.view(), states, batch);
  for (auto& s : states)
    s.flush(batch);
  for (market::SymbolId id : {0u, 1u})
    EXPECT_TRUE(of_symbol(events, id) == of_symbol(batch, id)) << "symbol " << id;
}

// Record -> replay: a .stt file keeps the corrections, and the replay applies them.
TEST(Revisions, SttFilesRecordCorrectionsSoAReplayAppliesThem) {
  market::SymbolRegistry reg;
  reg.add({.name = "A", .tick_size = 0.01});
  reg.add({.name = "B", .tick_size = 0.01});
  const auto ticks = session_with_corrections();
  for (const bool zstd : {false, true}) {
    std::string file;
    {
      auto w = feed::TickFileWriter::to_buffer(
          file, reg, {.format = feed::TickFileFormat::kStt, .zstd = zstd, .block_ticks = 64});
      w.write(ticks);
      w.close();
      EXPECT_EQ(w.ticks_written(), ticks.size());
    }
    market::SymbolRegistry replay_reg;
    auto r = feed::TickFileReader::from_buffer(file, replay_reg);
    std::vector<Tick> back(ticks.size() + 1);
    std::size_t n = 0;
    while (std::size_t k = r.read(std::span(back).subspan(n)))
      n += k;
    ASSERT_EQ(n, ticks.size()) << "zstd " << zstd;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(back[i].kind, ticks[i].kind) << i;
      EXPECT_EQ(back[i].seq, ticks[i].seq) << i;
      EXPECT_EQ(back[i].ts_ns, ticks[i].ts_ns) << i;
      EXPECT_EQ(back[i].price, ticks[i].price) << i;
      EXPECT_EQ(back[i].size, ticks[i].size) << i;
    }
    back.resize(n);
    const auto replayed = run_engine(back, replay_reg);
    const auto live = run_engine(ticks, reg);
    for (market::SymbolId id : {0u, 1u}) {
      const auto a = of_symbol(replayed, id);
      EXPECT_TRUE(a == of_symbol(live, id)) << "symbol " << id << " zstd " << zstd;
      EXPECT_TRUE(std::any_of(a.begin(), a.end(), market::is_revision)) << "symbol " << id;
    }
  }
}

TEST(Revisions, VersionOneFilesStillReadAndCsvCountsTheCorrectionsItCannotHold) {
  market::SymbolRegistry reg;
  reg.add({.name = "A", .tick_size = 0.01});
  const std::vector<Tick> ticks = {trade(0, 100, 1, 1), trade(kSec, 101, 2, 2),
                                   market::correction_tick(0, 1, 0, 0, 0)};
  std::string file;
  {
    auto w = feed::TickFileWriter::to_buffer(file, reg, {.format = feed::TickFileFormat::kStt});
    w.write(std::span(ticks).first(2));
    w.close();
  }
  ASSERT_EQ(static_cast<unsigned char>(file[8]), 3u) << "written as version 3";
  // The same records as a version 1 file (the kind field was reserved, written 0).
  namespace stt = feed::files::stt;
  file[stt::kOffVersion] = 1;
  const auto header = stt::load<std::uint32_t>(file.data() + stt::kOffHeaderSize);
  stt::store(file.data() + stt::kOffChecksum,
             stt::header_checksum(std::string_view(file).substr(0, header)));
  market::SymbolRegistry r1;
  auto r = feed::TickFileReader::from_buffer(file, r1);
  std::vector<Tick> back(4);
  EXPECT_EQ(r.read(back), 2u);
  EXPECT_EQ(back[1].price, 101);

  std::string csv;
  auto w = feed::TickFileWriter::to_buffer(csv, reg, {.format = feed::TickFileFormat::kCsv});
  w.write(ticks);
  w.close();
  EXPECT_EQ(w.ticks_written(), 2u);
  EXPECT_EQ(w.corrections_skipped(), 1u);
}

}  // namespace
}  // namespace spacetime::indicators
