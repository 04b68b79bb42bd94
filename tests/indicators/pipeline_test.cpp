#include "indicators/pipeline.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "feed/normalizer.hpp"
#include "feed/simulator.hpp"
#include "market/time.hpp"

namespace spacetime::indicators {
namespace {

using market::Event;

std::vector<market::Tick> simulated(std::size_t symbols, std::size_t n, std::uint64_t seed = 5,
                                    double per_symbol = 50.0) {
  feed::Simulator sim({.symbols = symbols,
                       .rate = per_symbol * static_cast<double>(symbols),
                       .seed = seed,
                       .start_ns = 1'767'364'200'000'000'000});
  std::vector<market::Tick> ticks(n);
  for (auto& t : ticks)
    t = sim.next();
  return ticks;
}

std::vector<Event> run_live(const std::vector<market::Tick>& ticks, std::size_t symbols,
                            const IndicatorParams& params = {}) {
  std::vector<SymbolIndicators> states;
  for (std::size_t s = 0; s < symbols; ++s)
    states.emplace_back(static_cast<market::SymbolId>(s), params);
  std::vector<Event> out;
  FeedClock clock;
  for (const auto& t : ticks) {
    states[t.symbol].on_tick(t, out);
    if (clock.advance(t.ts_ns)) {
      for (auto& s : states)
        s.on_clock(t.ts_ns, out);
    }
  }
  return out;
}

TEST(SymbolIndicators, BatchPathOverColumnsIsBitIdenticalToTickByTick) {
  const auto ticks = simulated(3, 60'000);
  indicators::TickColumnBuffer columns;
  for (const auto& t : ticks)
    columns.push(t);
  std::vector<SymbolIndicators> states;
  for (market::SymbolId s = 0; s < 3; ++s)
    states.emplace_back(s, IndicatorParams{});
  std::vector<Event> batch;
  run_batch(columns.view(), states, batch);
  const auto live = run_live(ticks, 3);
  ASSERT_EQ(batch.size(), live.size());
  for (std::size_t i = 0; i < live.size(); ++i)
    ASSERT_TRUE(batch[i] == live[i]) << "event " << i;
}

TEST(SymbolIndicators, TheBatchPathSkipsTicksAndCorrectionsOfASymbolWithoutAState) {
  const auto ticks = simulated(2, 5'000);
  TickColumnBuffer with, without;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    with.push(ticks[i]);
    without.push(ticks[i]);
    if (i % 100 == 0) {  // symbol 2 == states.size(): at the same time, so no clock advance
      market::Tick stray = ticks[i];
      stray.symbol = 2;
      with.push(stray);
      with.push(market::correction_tick(2, stray.seq, stray.ts_ns, stray.price, 1));
    }
  }
  const auto run = [](const TickColumnBuffer& columns) {
    std::vector<SymbolIndicators> states;
    states.reserve(2);
    for (market::SymbolId s = 0; s < 2; ++s)
      states.emplace_back(s, IndicatorParams{});
    std::vector<Event> out;
    run_batch(columns.view(), states, out);
    return out;
  };
  const auto expected = run(without);
  const auto got = run(with);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_TRUE(got[i] == expected[i]) << "event " << i;
}

TEST(SymbolIndicators, SnapshotRestoreContinueIsByteIdentical) {
  const auto ticks = simulated(1, 30'000);
  const IndicatorParams params;
  SymbolIndicators whole(0, params);
  std::vector<Event> expected;
  for (const auto& t : ticks)
    whole.on_tick(t, expected);

  for (const std::size_t k : {0ul, 1ul, 999ul, 12'345ul, 29'999ul}) {
    SymbolIndicators first(0, params);
    std::vector<Event> got;
    for (std::size_t i = 0; i < k; ++i)
      first.on_tick(ticks[i], got);
    SymbolIndicators second(0, params);
    second.load(first.save());
    EXPECT_TRUE(second.save() == first.save()) << "k=" << k;
    for (std::size_t i = k; i < ticks.size(); ++i)
      second.on_tick(ticks[i], got);
    ASSERT_EQ(got.size(), expected.size()) << "k=" << k;
    for (std::size_t i = 0; i < got.size(); ++i)
      ASSERT_TRUE(got[i] == expected[i]) << "k=" << k << " event " << i;
    EXPECT_TRUE(second.save() == whole.save()) << "k=" << k;
  }
}

// docs/INDICATORS.md § 10, "Limits": each parameter at its smallest valid value is accepted
// and one below it is refused (base: the other parameters, defaults unless set).
#define EXPECT_LIMIT(base, field, ok_value, bad_value)                           \
  do {                                                                           \
    IndicatorParams p = base;                                                    \
    p.field = ok_value;                                                          \
    EXPECT_NO_THROW(validate(p)) << #field " = " #ok_value;                      \
    p.field = bad_value;                                                         \
    EXPECT_THROW(validate(p), std::invalid_argument) << #field " = " #bad_value; \
  } while (0)

TEST(IndicatorParams, EachLimitAcceptsItsSmallestValueAndRefusesOneBelow) {
  const IndicatorParams d{};
  EXPECT_NO_THROW(validate(d));
  EXPECT_LIMIT(d, intensity.window_ns, 1, 0);
  EXPECT_LIMIT(d, intensity.n_smooth, 1u, 0u);
  EXPECT_LIMIT(d, intensity.max_window_ticks, 1u, 0u);
  // buffer_n >= 2 and N_short = buffer_n * short_percent / 100 >= 1 (integer division)
  IndicatorParams half = d;
  half.buffer.short_percent = 50;
  EXPECT_LIMIT(half, buffer.n, 2u, 1u);
  EXPECT_LIMIT(d, buffer.n, 5u, 4u);  // short_percent 20
  EXPECT_LIMIT(d, spike.n, 2u, 1u);
  IndicatorParams z_on_2 = d;
  z_on_2.spike.z_on = 2.0;
  EXPECT_LIMIT(z_on_2, spike.z_off, 2.0, 2.5);  // z_off == z_on is allowed
  EXPECT_LIMIT(d, bars.ema_fast, 1u, 0u);
  EXPECT_LIMIT(d, bars.ema_slow, 1u, 0u);
  EXPECT_LIMIT(d, bars.chop_n, 2u, 1u);
  EXPECT_LIMIT(d, bars.volume_n, 1u, 0u);
  EXPECT_LIMIT(d, bars.zlma_n, 1u, 0u);
  EXPECT_LIMIT(d, bars.spike_window, 1u, 0u);
  EXPECT_LIMIT(d, bars.intensity_n, 1u, 0u);
  EXPECT_LIMIT(d, v2.extreme_window, 1u, 0u);
  EXPECT_LIMIT(d, v2.momentum, 1u, 0u);
  EXPECT_LIMIT(d, v1.min_move, 1, 0);
  EXPECT_LIMIT(d, v2.min_retrace, 1, 0);
  IndicatorParams htf_10s = d;
  htf_10s.v3.htf = market::Timeframe::k10s;
  EXPECT_LIMIT(htf_10s, v3.ltf, market::Timeframe::k1s, market::Timeframe::k10s);
  EXPECT_LIMIT(d, sample.period_ns, 1, 0);
  EXPECT_LIMIT(d, corrections.max_trades, 1u, 0u);
  EXPECT_LIMIT(d, corrections.max_bars, 1u, 0u);
}
#undef EXPECT_LIMIT

// What validate() refuses, building a symbol's state refuses with the same one line (the
// error serve, record and replay stop with at start-up), not a message of a member's own.
TEST(IndicatorParams, BuildingAStateRefusesWhatValidateRefusesWithItsMessage) {
  const auto message_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  const auto check = [&](IndicatorParams p, const char* what) {
    const std::string expected = message_of([&] { validate(p); });
    EXPECT_NE(expected, "(no error)") << what;
    EXPECT_EQ(message_of([&] { SymbolIndicators s(0, p); }), expected) << what;
  };
  IndicatorParams p{};
  p.bars.spike_window = 0;
  check(p, "volume_spike_window = 0");
  EXPECT_EQ(message_of([&] { validate(p); }), "volume spike window must be >= 1");
  p = {};
  p.bars.intensity_n = 0;
  check(p, "bar intensity smoothing period 0");
  p = {};
  p.bars.chop_n = 1;
  check(p, "chop_n = 1");
  p = {};
  p.buffer.n = 2;  // a value buffer_n's own range takes; N_short = 2 * 20 / 100 = 0
  check(p, "buffer_n = 2");
  EXPECT_EQ(message_of([&] { validate(p); }), "adaptive buffer window too small");
}

TEST(SymbolIndicators, RejectsASnapshotOfTheWrongShape) {
  IndicatorParams small;
  small.buffer.n = 100;
  SymbolIndicators a(0, small);
  SymbolIndicators b(0, IndicatorParams{});
  EXPECT_THROW(b.load(a.save()), std::runtime_error);
  EXPECT_THROW(b.load(a.save().substr(0, 10)), std::runtime_error);
}

TEST(SymbolIndicators, RefusesASnapshotSavedUnderOtherParametersNamingThem) {
  IndicatorParams other;
  other.v1.cooldown = 7;
  other.spike.z_on = 2.5;
  SymbolIndicators a(0, other);
  SymbolIndicators b(0, IndicatorParams{});
  try {
    b.load(a.save());
    FAIL() << "loaded a snapshot saved under other parameters";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("spike_z_on=2.5 (now 3)"), std::string::npos) << what;
    EXPECT_NE(what.find("v1_cooldown=7 (now 50)"), std::string::npos) << what;
  }
  SymbolIndicators c(0, other);  // the same parameters: fine
  EXPECT_NO_THROW(c.load(a.save()));
  EXPECT_EQ(describe(other).find("buffer_n=1000\n"),
            describe(IndicatorParams{}).find("buffer_n=1000\n"));
}

// Issue 9 item 6: a symbol-pattern override is part of that symbol's parameters, so its
// snapshot restores only where the same override applies.
TEST(SymbolIndicators, ASnapshotUnderASymbolOverrideRestoresOnlyUnderTheSameOverride) {
  ParamOverrides overrides;
  overrides.add({.pattern = "ES*",
                 .values = {{"spike_z_on", "4"}, {"correction_bars", "8"}},
                 .apply = [](IndicatorParams& p) {
                   p.spike.z_on = 4.0;
                   p.corrections.max_bars = 8;
                 }});
  const auto base = std::make_shared<const IndicatorParams>();
  const auto es = overrides.resolve(base, "ESZ6");
  ASSERT_NE(es, base);
  EXPECT_EQ(overrides.resolve(base, "NQZ6"), base);
  SymbolIndicators a(0, *es);
  std::vector<Event> out;
  for (const auto& t : simulated(1, 300))
    a.on_tick(t, out);
  const std::string snap = a.save();
  SymbolIndicators nq(0, *overrides.resolve(base, "NQZ6"));  // the run's set: refused
  try {
    nq.load(snap);
    FAIL() << "an ES* snapshot restored under NQZ6's parameters";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("spike_z_on=4 (now 3)"), std::string::npos) << what;
    EXPECT_NE(what.find("correction_bars=8 (now 32)"), std::string::npos) << what;
  }
  SymbolIndicators esh7(0, *overrides.resolve(base, "ESH7"));  // the same override: fine
  EXPECT_NO_THROW(esh7.load(snap));
  EXPECT_EQ(esh7.save(), snap);
}

TEST(SymbolIndicators, WarmUpEmitsNothingDownstreamOfANotReadyInput) {
  const auto ticks = simulated(1, 3000);
  SymbolIndicators s(0, IndicatorParams{});
  std::vector<Event> out;
  std::int64_t first_t = ticks.front().ts_ns;
  std::size_t ready_intensity = 0;
  std::size_t k = 0;
  for (const auto& t : ticks) {
    out.clear();
    s.on_tick(t, out);
    ++k;
    for (const auto& e : out) {
      if (const auto* i = std::get_if<market::IntensityEvent>(&e)) {
        EXPECT_GE(i->t - first_t, 1'000'000'000) << "intensity before a full window";
        ++ready_intensity;
        EXPECT_EQ(i->ema_ready, ready_intensity >= 20);
        EXPECT_EQ(i->zlma_ready, ready_intensity >= 9 + 20);
      }
      if (std::holds_alternative<market::BufferEvent>(e)) {
        EXPECT_GE(ready_intensity, 20u + 1000u) << "band before 1000 smoothed values";
      }
      if (std::holds_alternative<market::SpikeStartEvent>(e)) {
        EXPECT_GE(ready_intensity, 1001u);
      }
      if (const auto* r = std::get_if<market::ReversalEvent>(&e)) {
        if (r->version == 1) {
          EXPECT_GE(ready_intensity, 1021u);
        }
        if (r->version == 2) {
          EXPECT_GT(k, 200u);
        }
      }
    }
  }
}

// The downsampled series (docs/INDICATORS.md § 9): one sample per bucket of the period, closed
// by the first intensity value of a later bucket; a value exactly at a bucket's start opens
// that bucket.
TEST(SymbolIndicators, ASampleClosesOncePerBucketWhenALaterBucketStarts) {
  IndicatorParams p;
  p.intensity.window_ns = 10'000'000;  // ready from the tick at 20 ms
  p.sample.period_ns = 100'000'000;
  SymbolIndicators s(0, p);
  std::vector<Event> out;
  for (std::int64_t k = 0; k <= 15; ++k)  // 0, 20, ..., 300 ms
    s.on_tick({.ts_ns = k * 20'000'000,
               .price = 100 + k % 3,
               .size = 1 + k % 4,
               .seq = static_cast<std::uint64_t>(k + 1)},
              out);
  std::vector<market::SampleEvent> samples;
  for (const auto& e : out) {
    if (const auto* x = std::get_if<market::SampleEvent>(&e)) samples.push_back(*x);
  }
  ASSERT_EQ(samples.size(), 3u);  // buckets 0, 100 and 200 ms; 300 ms is still open
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(samples[i].seq, i + 1);
    EXPECT_EQ(samples[i].t, static_cast<std::int64_t>(i) * 100'000'000);
    EXPECT_EQ(samples[i].t_last, static_cast<std::int64_t>(i) * 100'000'000 + 80'000'000);
    EXPECT_LE(samples[i].raw_min, samples[i].raw_last);
    EXPECT_GE(samples[i].raw_max, samples[i].raw_last);
  }
}

TEST(SymbolIndicators, EventsOfOneTickComeInTheNormativeOrder) {
  const auto ticks = simulated(1, 40'000);
  SymbolIndicators s(0, IndicatorParams{});
  std::vector<Event> out;
  // Rank of each event type in § 2.9: the trade itself first, then candles (2), v3/v4 (3),
  // intensity (5), buffer (6) and the history sample it closes, spikes (7), v1/v2 (8).
  auto rank = [](const Event& e) {
    if (const auto* r = std::get_if<market::ReversalEvent>(&e)) return r->version >= 3 ? 1 : 5;
    if (std::holds_alternative<market::TickEvent>(e)) return -1;
    if (std::holds_alternative<market::SampleEvent>(e)) return 3;
    switch (e.index()) {
      case 0:
        return 0;
      case 1:
        return 2;
      case 2:
        return 3;
      default:
        return 4;
    }
  };
  std::size_t multi = 0;
  for (const auto& t : ticks) {
    out.clear();
    s.on_tick(t, out);
    for (std::size_t i = 1; i < out.size(); ++i)
      ASSERT_LE(rank(out[i - 1]), rank(out[i]));
    // Candles close in ascending timeframe order.
    for (std::size_t i = 1; i < out.size(); ++i) {
      const auto* a = std::get_if<market::CandleEvent>(&out[i - 1]);
      const auto* b = std::get_if<market::CandleEvent>(&out[i]);
      if (a && b) {
        ++multi;
        EXPECT_LT(market::index_of(a->tf), market::index_of(b->tf));
      }
    }
  }
  EXPECT_GT(multi, 0u);
}

// The simulator's bursty feed gives every reversal version something to do: over a day of
// symbol-hours each fires, at well under one signal per evaluation step.
// § 9: within one tick v3 comes before v4, v4 before v1, v1 before v2. Returns how often
// two versions fired on one tick, by (earlier, later) version. One tick is one symbol,
// seq and time: a bar the feed's clock closes later carries the symbol's last seq too
// (with the clock's time), and its v3 or v4 comes after that tick's v1 or v2.
std::map<std::pair<int, int>, std::size_t> same_tick_pairs(const std::vector<Event>& events) {
  // Position in v3 v4 v1 v2, by (symbol, seq, t).
  std::map<std::tuple<market::SymbolId, std::uint64_t, std::int64_t>, int> last;
  std::map<std::pair<int, int>, std::size_t> pairs;
  for (const auto& e : events) {
    const auto* r = std::get_if<market::ReversalEvent>(&e);
    if (!r) continue;
    const int order = r->version >= 3 ? r->version - 2 : r->version + 2;
    auto [it, first] = last.try_emplace({r->symbol, r->seq, r->t}, order);
    if (first) continue;
    EXPECT_LT(it->second, order) << "v" << r->version << " out of order at seq " << r->seq;
    const int earlier = it->second <= 2 ? it->second + 2 : it->second - 2;
    ++pairs[{earlier, r->version}];
    it->second = order;
  }
  return pairs;
}

TEST(SymbolIndicators, EveryReversalVersionFiresOnTheSimulatedFeed) {
  const auto ticks = simulated(8, 1'700'000, 11, 20.0);  // 8 symbols x 20 ticks/s: ~3 hours
  const auto events = run_live(ticks, 8);
  std::map<int, std::size_t> by_version;
  std::size_t spikes = 0;
  for (const auto& e : events) {
    if (const auto* r = std::get_if<market::ReversalEvent>(&e)) ++by_version[r->version];
    if (std::holds_alternative<market::SpikeStartEvent>(e)) ++spikes;
  }
  EXPECT_GT(spikes, 0u);
  for (int v = 1; v <= 4; ++v) {
    EXPECT_GT(by_version[v], 0u) << "v" << v << " never fired";
    EXPECT_LT(by_version[v], ticks.size() / 50) << "v" << v << " fires on noise";
  }
  // Issue 9: v1 and v2 on one tick happen on this feed, and come in that order.
  const auto pairs = same_tick_pairs(events);
  EXPECT_GT(pairs.count({1, 2}), 0u);
}

// v3 and v4 on one tick: with v4 on v3's lower timeframe (10 s) both evaluate on the same
// bar closes, so coincidences happen; v3 must come first (§ 9 step 3).
TEST(SymbolIndicators, V3ComesBeforeV4OnTheSameTick) {
  IndicatorParams params;
  params.v4.tf = market::Timeframe::k10s;
  const auto ticks = simulated(8, 1'700'000, 11, 20.0);
  const auto pairs = same_tick_pairs(run_live(ticks, 8, params));
  for (const auto& [pair, n] : pairs)
    std::printf("v%d then v%d on one tick: %zu\n", pair.first, pair.second, n);
  EXPECT_GT(pairs.count({3, 4}), 0u);
}

TEST(FeedClock, AdvancesAfterATickThatEntersALaterSecond) {
  constexpr std::int64_t kSec = market::kNanosPerSecond;
  FeedClock c;
  EXPECT_FALSE(c.advance(10 * kSec + 5));  // the first tick starts the clock
  EXPECT_FALSE(c.advance(10 * kSec + 999));
  EXPECT_FALSE(c.advance(10 * kSec));  // older: no move
  EXPECT_TRUE(c.advance(11 * kSec));   // exactly the next second
  EXPECT_FALSE(c.advance(11 * kSec + 1));
  EXPECT_TRUE(c.advance(15 * kSec + 7));
  EXPECT_EQ(c.time(), 15 * kSec + 7);
  c.observe(20 * kSec);  // an explicit clock advance moves it without a crossing
  EXPECT_FALSE(c.advance(20 * kSec + 1));
}

// Issue 9: a symbol that stops trading while another continues has its bars closed on
// time, by the feed's clock, with the bar indicators run as for a tick-driven close.
TEST(SymbolIndicators, AQuietSymbolsBarsCloseOnTheFeedsClock) {
  constexpr std::int64_t kSec = market::kNanosPerSecond;
  constexpr std::int64_t kStart = 1'767'364'200 * kSec;  // a whole minute
  TickColumnBuffer columns;
  std::uint64_t seq[2] = {0, 0};
  for (std::int64_t ms = 0; ms < 150'000; ms += 250) {
    const market::SymbolId sym = ms < 5'000 && ms % 500 == 0 ? 1 : 0;
    columns.push({.ts_ns = kStart + ms * 1'000'000,
                  .price = 1000 + (ms / 250) % 5,
                  .size = 1,
                  .seq = ++seq[sym],
                  .symbol = sym});
  }
  std::vector<SymbolIndicators> states;
  states.emplace_back(0, IndicatorParams{});
  states.emplace_back(1, IndicatorParams{});
  std::vector<Event> out;
  run_batch(columns.view(), states, out);
  // Symbol 1 traded in seconds 0..4 only: five 1 s bars, one 10 s bar and one 1 m bar closed,
  // each right after the first tick (of symbol 0) at or past its end.
  std::vector<std::pair<market::Timeframe, std::int64_t>> closes;  // tf, start
  std::int64_t feed_time = 0;
  for (const auto& e : out) {
    if (const auto* t = std::get_if<market::TickEvent>(&e)) feed_time = t->t;
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (!c || c->symbol != 1 || !c->closed) continue;
    closes.emplace_back(c->tf, c->candle.start_ns);
    EXPECT_EQ(feed_time, c->candle.start_ns + market::duration_ns(c->tf)) << "closed late";
    EXPECT_EQ(c->seq, 1u + (c->tf == market::Timeframe::k1s
                                ? static_cast<std::uint64_t>((c->candle.start_ns - kStart) / kSec)
                                : 0u));
  }
  ASSERT_EQ(closes.size(), 7u);
  EXPECT_EQ(closes[4], std::make_pair(market::Timeframe::k1s, kStart + 4 * kSec));
  EXPECT_EQ(closes[5], std::make_pair(market::Timeframe::k10s, kStart));
  EXPECT_EQ(closes[6], std::make_pair(market::Timeframe::k1m, kStart));
  EXPECT_FALSE(states[1].candles(market::Timeframe::k1m).has_current());
  // The end of the stream: flush closes every bar still open (symbol 0: 1s, 10s, 1m, 5m,
  // 15m, 1h, 1d, numbered after the ones before; symbol 1: 5m, 15m, 1h, 1d).
  std::vector<Event> tail;
  EXPECT_EQ(states[0].flush(tail), 7u);
  EXPECT_EQ(states[1].flush(tail), 4u);
  ASSERT_EQ(tail.size(), 11u);
  const auto& last_1s = std::get<market::CandleEvent>(tail.front());
  EXPECT_EQ(last_1s.candle.start_ns, kStart + 149 * kSec);
  EXPECT_EQ(last_1s.seq, 150u);
  EXPECT_EQ(states[0].flush(tail), 0u);  // nothing left open
}

TEST(SymbolIndicators, AClockAdvanceMovesTheSymbolsTimeSoALateTickCannotReopenABar) {
  constexpr std::int64_t kSec = market::kNanosPerSecond;
  SymbolIndicators s(0, IndicatorParams{});
  std::vector<Event> out;
  s.on_clock(5 * kSec, out);  // before the first tick: nothing at all
  EXPECT_TRUE(out.empty());
  s.on_tick({.ts_ns = 10 * kSec, .price = 100, .size = 1, .seq = 1}, out);
  s.on_clock(11 * kSec, out);
  s.on_tick({.ts_ns = 10 * kSec + 500, .price = 101, .size = 1, .seq = 2}, out);  // late
  EXPECT_EQ(s.clamped(), 1u);
  const auto& bar = s.candles(market::Timeframe::k1s).current();
  EXPECT_EQ(bar.start_ns, 11 * kSec);  // joined a later bar
  EXPECT_EQ(s.candles(market::Timeframe::k1s).bars(), 2u);
}

// Issue 9: 20 good ticks, one stamped 2099, 20 more. Through the feed boundary and the
// pipeline, the later 20 are processed normally: their own times, candles close, the
// intensity window evicts.
TEST(SymbolIndicators, ATickFrom2099DoesNotFreezeTheSymbol) {
  constexpr std::int64_t kSec = market::kNanosPerSecond;
  constexpr std::int64_t kStart = 1'767'364'200 * kSec;
  market::SymbolRegistry reg;
  reg.add({.name = "AAA"});
  feed::TickNormalizer normalizer(reg);
  IndicatorParams params;
  params.intensity.mode = IntensityMode::kTickRate;
  SymbolIndicators s(0, params);
  std::vector<Event> out;
  auto feed_tick = [&](std::int64_t ts) {
    if (auto t = normalizer.normalize(0, ts, 100.0 + static_cast<double>(ts % 7) * 0.01, 1)) {
      s.on_tick(*t, out);
    }
  };
  for (int i = 0; i < 20; ++i)
    feed_tick(kStart + i * kSec);
  feed_tick(4'070'908'800 * kSec);  // 2099-01-01
  out.clear();
  for (int i = 20; i < 40; ++i)
    feed_tick(kStart + i * kSec);
  EXPECT_EQ(normalizer.rejected()[feed::RejectReason::kFutureTime], 1u);
  EXPECT_EQ(s.clamped(), 0u);
  std::size_t ticks = 0, closed_1s = 0, intensity = 0;
  for (const auto& e : out) {
    if (const auto* t = std::get_if<market::TickEvent>(&e)) {
      EXPECT_EQ(t->t, kStart + static_cast<std::int64_t>(20 + ticks) * kSec);
      ++ticks;
    }
    if (const auto* c = std::get_if<market::CandleEvent>(&e)) {
      if (c->closed && c->tf == market::Timeframe::k1s) ++closed_1s;
    }
    if (const auto* i = std::get_if<market::IntensityEvent>(&e)) {
      EXPECT_EQ(i->raw, 1.0);  // one tick per second: the window evicts
      ++intensity;
    }
  }
  EXPECT_EQ(ticks, 20u);
  EXPECT_EQ(closed_1s, 20u);  // each tick closes the previous second's bar
  EXPECT_EQ(intensity, 20u);
}

}  // namespace
}  // namespace spacetime::indicators

namespace spacetime::indicators {
namespace {

// Every event channel numbers its events 1, 2, 3... without gap; continue_sequences() makes
// a restarted symbol carry on from the stored numbers.
TEST(SymbolIndicators, EventChannelsAreNumberedWithoutGapAndContinueAfterARestart) {
  const auto ticks = simulated(1, 40'000);
  SymbolIndicators s(0, IndicatorParams{});
  std::vector<market::Event> out;
  for (const auto& t : ticks)
    s.on_tick(t, out);
  std::array<std::uint64_t, market::kStreamCount> last{};
  std::size_t spikes = 0, reversals = 0, samples = 0;
  for (const auto& e : out) {
    if (market::is_value(e)) continue;
    const auto stream = static_cast<std::size_t>(market::channel_of(e).stream);
    ASSERT_EQ(market::channel_seq(e), last[stream] + 1) << "stream " << stream;
    last[stream] = market::channel_seq(e);
    spikes += std::holds_alternative<market::SpikeStartEvent>(e);
    reversals += std::holds_alternative<market::ReversalEvent>(e);
    samples += std::holds_alternative<market::SampleEvent>(e);
  }
  EXPECT_EQ(last[static_cast<std::size_t>(market::Stream::kTick)], ticks.size());
  EXPECT_GT(spikes, 0u);
  EXPECT_GT(reversals, 0u);
  EXPECT_GT(samples, 0u);
  const auto seqs = s.sequences();
  EXPECT_EQ(seqs.ticks, ticks.size());
  EXPECT_EQ(seqs.reversals, last[static_cast<std::size_t>(market::Stream::kReversal)]);
  EXPECT_EQ(seqs.samples, last[static_cast<std::size_t>(market::Stream::kSample)]);

  SymbolIndicators restarted(0, IndicatorParams{});
  restarted.continue_sequences(seqs);
  std::vector<market::Event> more;
  restarted.on_tick(ticks.back(), more);
  const auto& tick = std::get<market::TickEvent>(more.front());
  EXPECT_EQ(tick.seq, ticks.size() + 1);
  auto next = ticks.back();
  next.ts_ns += 120 * market::kNanosPerSecond;
  restarted.on_tick(next, more);
  bool saw_1m = false;
  for (const auto& e : more) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (c && c->closed && c->tf == market::Timeframe::k1m) {
      EXPECT_EQ(c->seq, seqs.bars[market::index_of(market::Timeframe::k1m)] + 1);
      saw_1m = true;
    }
  }
  EXPECT_TRUE(saw_1m);
}

}  // namespace
}  // namespace spacetime::indicators

namespace spacetime::indicators {
namespace {

// A restart inside a bar: the bar in progress at the stop (as the store keeps it) restored
// into a fresh symbol makes the same bar, with the same number, as one uninterrupted run;
// a first tick in a later bucket closes the restored bar as it stood.
TEST(SymbolIndicators, ARestoredBarInProgressContinuesAsIfThereWasNoRestart) {
  const auto ticks = simulated(1, 6'000);
  const std::size_t cut = ticks.size() / 2;
  const auto tf = market::Timeframe::k1m;
  SymbolIndicators whole(0, IndicatorParams{});
  SymbolIndicators before(0, IndicatorParams{});
  std::vector<market::Event> out;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    whole.on_tick(ticks[i], out);
    if (i < cut) before.on_tick(ticks[i], out);
  }
  const auto& agg = before.candles(tf);
  ASSERT_TRUE(agg.has_current());
  const market::CandleEvent stored{
      .symbol = 0, .tf = tf, .closed = false, .seq = agg.bars(), .candle = agg.current()};

  auto restart = [&](bool restore) {
    auto after = std::make_unique<SymbolIndicators>(0, IndicatorParams{});
    after->continue_sequences(before.sequences());
    if (restore) {
      EXPECT_TRUE(after->restore_bar(stored));
    }
    std::vector<market::Event> events;
    for (std::size_t i = cut; i < ticks.size(); ++i)
      after->on_tick(ticks[i], events);
    std::optional<market::CandleEvent> first_close;
    for (const auto& e : events) {
      const auto* c = std::get_if<market::CandleEvent>(&e);
      if (c && c->closed && c->tf == tf) {
        first_close = *c;
        break;
      }
    }
    return first_close;
  };
  std::optional<market::CandleEvent> expected;
  for (const auto& e : out) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (c && c->closed && c->tf == tf && c->seq == stored.seq) expected = *c;
  }
  ASSERT_TRUE(expected);
  const auto restored = restart(true);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->seq, stored.seq);
  EXPECT_EQ(restored->candle, expected->candle);  // open, high, low, close, volume, ticks
  const auto forked = restart(false);             // what a restart without the store did
  ASSERT_TRUE(forked);
  EXPECT_NE(forked->candle, expected->candle);

  // The stop came after the bar closed (a stale row): nothing is restored.
  SymbolIndicators late(0, IndicatorParams{});
  auto seqs = before.sequences();
  seqs.bars[market::index_of(tf)] = stored.seq;
  late.continue_sequences(seqs);
  EXPECT_FALSE(late.restore_bar(stored));

  // A first tick in a later bucket closes the restored bar unchanged, with its number.
  SymbolIndicators gap(0, IndicatorParams{});
  gap.continue_sequences(before.sequences());
  ASSERT_TRUE(gap.restore_bar(stored));
  auto later = ticks[cut];
  later.ts_ns = stored.candle.start_ns + 5 * 60 * market::kNanosPerSecond;
  std::vector<market::Event> events;
  gap.on_tick(later, events);
  bool closed = false;
  for (const auto& e : events) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (c && c->closed && c->tf == tf) {
      EXPECT_EQ(c->seq, stored.seq);
      EXPECT_EQ(c->candle, stored.candle);
      closed = true;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(gap.candles(tf).bars(), stored.seq + 1);
}

}  // namespace
}  // namespace spacetime::indicators

namespace spacetime::indicators {
namespace {

constexpr std::int64_t at_utc(std::int64_t y, unsigned m, unsigned d, int hh, int mm) {
  return (market::days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60) * market::kNanosPerSecond;
}

std::shared_ptr<const market::Session> us_equities() {
  return std::make_shared<const market::Session>("America/New_York", "09:30");
}

// Issue 9: the daily bar of a US equity opens at 09:30 New York on both sides of a DST
// change: 14:30 UTC before the March change, 13:30 UTC after it, and back in November.
TEST(SymbolIndicators, AUsEquitysDailyBarStartsAtTheSessionOpenAcrossDstChanges) {
  SymbolIndicators s(0, IndicatorParams{}, us_equities());
  std::vector<Event> out;
  std::uint64_t seq = 0;
  std::vector<std::int64_t> starts;  // of the daily bars, in order of closing
  auto trade = [&](std::int64_t ts) {
    out.clear();
    s.on_tick({.ts_ns = ts, .price = 100, .size = 1, .seq = ++seq}, out);
    for (const auto& e : out) {
      const auto* c = std::get_if<market::CandleEvent>(&e);
      if (c && c->tf == market::Timeframe::k1d) starts.push_back(c->candle.start_ns);
    }
  };
  trade(at_utc(2024, 3, 8, 15, 0));    // Friday 10:00 EST
  trade(at_utc(2024, 3, 11, 13, 15));  // Monday 09:15 EDT, pre-market: Sunday's day
  trade(at_utc(2024, 3, 11, 13, 30));  // Monday 09:30 EDT: opens Monday's day
  trade(at_utc(2024, 11, 1, 13, 45));  // Friday 09:45 EDT
  trade(at_utc(2024, 11, 4, 14, 29));  // Monday 09:29 EST: Sunday's day
  trade(at_utc(2024, 11, 4, 14, 30));  // Monday 09:30 EST
  EXPECT_EQ(starts,
            (std::vector<std::int64_t>{at_utc(2024, 3, 8, 14, 30), at_utc(2024, 3, 10, 13, 30),
                                       at_utc(2024, 3, 11, 13, 30), at_utc(2024, 11, 1, 13, 30),
                                       at_utc(2024, 11, 3, 14, 30)}));
  EXPECT_EQ(s.candles(market::Timeframe::k1d).current().start_ns, at_utc(2024, 11, 4, 14, 30));
  // Hours count from the open; the shorter timeframes keep the epoch grid.
  EXPECT_EQ(s.candles(market::Timeframe::k1h).current().start_ns, at_utc(2024, 11, 4, 14, 30));
  EXPECT_EQ(s.candles(market::Timeframe::k15m).current().start_ns, at_utc(2024, 11, 4, 14, 30));
}

// With a 09:30 open the hourly bars run 09:30-10:30, ...; the last one before the next open
// ends there. Without a session they stay on the UTC hour.
TEST(SymbolIndicators, HourlyBarsOfASessionSymbolCountWholeHoursFromTheOpen) {
  SymbolIndicators s(0, IndicatorParams{}, us_equities());
  SymbolIndicators utc(1, IndicatorParams{});
  std::vector<Event> out;
  std::vector<std::pair<std::int64_t, std::int64_t>> hours;  // start, volume of closed 1h bars
  std::uint64_t seq = 0;
  for (const std::int64_t ts :
       {at_utc(2024, 7, 1, 13, 29), at_utc(2024, 7, 1, 13, 30), at_utc(2024, 7, 1, 14, 29),
        at_utc(2024, 7, 1, 14, 30), at_utc(2024, 7, 2, 13, 15), at_utc(2024, 7, 2, 13, 31)}) {
    out.clear();
    ++seq;
    s.on_tick({.ts_ns = ts, .price = 100, .size = static_cast<std::int64_t>(seq), .seq = seq}, out);
    utc.on_tick({.ts_ns = ts, .price = 100, .size = 1, .seq = seq}, out);
    for (const auto& e : out) {
      const auto* c = std::get_if<market::CandleEvent>(&e);
      if (c && c->symbol == 0 && c->tf == market::Timeframe::k1h) {
        hours.emplace_back(c->candle.start_ns, c->candle.volume);
      }
    }
  }
  using H = std::pair<std::int64_t, std::int64_t>;
  EXPECT_EQ(hours, (std::vector<H>{{at_utc(2024, 7, 1, 12, 30), 1},  // 08:30 EDT
                                   {at_utc(2024, 7, 1, 13, 30), 2 + 3},
                                   {at_utc(2024, 7, 1, 14, 30), 4},
                                   {at_utc(2024, 7, 2, 12, 30), 5}}));  // the day's last hour
  EXPECT_EQ(s.candles(market::Timeframe::k1h).current().start_ns, at_utc(2024, 7, 2, 13, 30));
  EXPECT_EQ(utc.candles(market::Timeframe::k1h).current().start_ns, at_utc(2024, 7, 2, 13, 0));
}

TEST(SymbolIndicators, ACmeDailyBarStartsAt1800NewYorkTheEveningBefore) {
  SymbolIndicators s(0, IndicatorParams{},
                     std::make_shared<const market::Session>("America/New_York", "18:00"));
  std::vector<Event> out;
  s.on_tick({.ts_ns = at_utc(2024, 1, 15, 15, 0), .price = 100, .size = 1, .seq = 1}, out);
  // Monday 15 January 10:00 EST: the day opened Sunday 18:00 EST (23:00 UTC).
  EXPECT_EQ(s.candles(market::Timeframe::k1d).current().start_ns, at_utc(2024, 1, 14, 23, 0));
  s.on_tick({.ts_ns = at_utc(2024, 1, 15, 23, 0), .price = 101, .size = 1, .seq = 2}, out);
  EXPECT_EQ(s.candles(market::Timeframe::k1d).last_closed().start_ns, at_utc(2024, 1, 14, 23, 0));
  EXPECT_EQ(s.candles(market::Timeframe::k1d).current().start_ns, at_utc(2024, 1, 15, 23, 0));
}

// A symbol with a session stops trading before the open; another one, without a session,
// trades on. The first one's daily bar closes on the feed's clock exactly at the open
// (13:30 UTC in summer), the second's stays open until UTC midnight.
TEST(SymbolIndicators, ADailyBarClosesOnTheFeedsClockAtTheSessionOpen) {
  TickColumnBuffer columns;
  std::uint64_t seq[2] = {0, 0};
  const std::int64_t from = at_utc(2024, 7, 1, 13, 0);  // Monday 09:00 EDT
  columns.push({.ts_ns = from, .price = 500, .size = 3, .seq = ++seq[1], .symbol = 1});
  for (std::int64_t m = 1; m <= 60; ++m) {
    columns.push({.ts_ns = from + m * 60 * market::kNanosPerSecond,
                  .price = 100 + m % 3,
                  .size = 1,
                  .seq = ++seq[0],
                  .symbol = 0});
  }
  std::vector<SymbolIndicators> states;
  states.emplace_back(0, IndicatorParams{});  // no session: UTC days
  states.emplace_back(1, IndicatorParams{}, us_equities());
  std::vector<Event> out;
  run_batch(columns.view(), states, out);
  std::int64_t feed_time = 0;
  int daily_closes = 0;
  for (const auto& e : out) {
    if (const auto* t = std::get_if<market::TickEvent>(&e)) feed_time = t->t;
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (!c || !c->closed || c->tf != market::Timeframe::k1d) continue;
    ++daily_closes;
    EXPECT_EQ(c->symbol, 1u);
    EXPECT_EQ(c->candle.start_ns, at_utc(2024, 6, 30, 13, 30));  // Sunday's open
    EXPECT_EQ(c->candle.volume, 3);
    EXPECT_EQ(feed_time, at_utc(2024, 7, 1, 13, 30)) << "closed late or early";
  }
  EXPECT_EQ(daily_closes, 1);
  EXPECT_EQ(states[0].candles(market::Timeframe::k1d).current().start_ns, at_utc(2024, 7, 1, 0, 0));
  EXPECT_FALSE(states[1].candles(market::Timeframe::k1d).has_current());
}

TEST(SymbolIndicators, RefusesASnapshotSavedUnderAnotherSession) {
  SymbolIndicators a(0, IndicatorParams{}, us_equities());
  std::vector<Event> out;
  a.on_tick({.ts_ns = at_utc(2024, 7, 1, 15, 0), .price = 100, .size = 1, .seq = 1}, out);
  const std::string bytes = a.save();
  SymbolIndicators utc_days(0, IndicatorParams{});
  try {
    utc_days.load(bytes);
    ADD_FAILURE() << "restored under UTC days";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("session=America/New_York@09:30 (now none)"),
              std::string::npos)
        << e.what();
  }
  SymbolIndicators cme(0, IndicatorParams{},
                       std::make_shared<const market::Session>("America/New_York", "18:00"));
  try {
    cme.load(bytes);
    ADD_FAILURE() << "restored under another session";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("session=America/New_York@09:30 (now America/New_York@18:00)"),
        std::string::npos)
        << e.what();
  }
  SymbolIndicators other(0, IndicatorParams{});
  std::vector<Event> ignored;
  other.on_tick({.ts_ns = at_utc(2024, 7, 1, 15, 0), .price = 100, .size = 1, .seq = 1}, ignored);
  try {
    a.load(other.save());
    ADD_FAILURE() << "restored a UTC-day snapshot under a session";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("session=none (now America/New_York@09:30)"),
              std::string::npos)
        << e.what();
  }
  SymbolIndicators same(0, IndicatorParams{}, us_equities());
  same.load(bytes);
  EXPECT_EQ(same.save(), bytes);
  // The restored bar keeps its session end: a tick before the next open stays in it.
  same.on_tick({.ts_ns = at_utc(2024, 7, 2, 13, 29), .price = 101, .size = 1, .seq = 2}, out);
  EXPECT_EQ(same.candles(market::Timeframe::k1d).bars(), 1u);
  same.on_tick({.ts_ns = at_utc(2024, 7, 2, 13, 30), .price = 101, .size = 1, .seq = 3}, out);
  EXPECT_EQ(same.candles(market::Timeframe::k1d).bars(), 2u);
}

}  // namespace
}  // namespace spacetime::indicators
