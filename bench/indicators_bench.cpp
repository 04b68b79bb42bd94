// Cost of each indicator per update, and of everything one tick does (candles on seven
// timeframes + bar indicators + intensity + buffer + spikes + v1-v4) on 1 and 1000 symbols.
#include <benchmark/benchmark.h>

#include <vector>

#include "feed/simulator.hpp"
#include "indicators/pipeline.hpp"

namespace {

using namespace spacetime;
using namespace spacetime::indicators;

std::vector<double> series(std::size_t n) {
  feed::Simulator sim({.symbols = 1, .rate = 100, .seed = 2});
  std::vector<double> out(n);
  for (auto& x : out)
    x = static_cast<double>(sim.next().price);
  return out;
}

std::vector<market::Tick> ticks(std::size_t symbols, std::size_t n) {
  feed::Simulator sim({.symbols = symbols, .rate = 20.0 * static_cast<double>(symbols), .seed = 3});
  std::vector<market::Tick> out(n);
  for (auto& t : out)
    t = sim.next();
  return out;
}

template <typename T>
void smoother(benchmark::State& state) {
  const auto xs = series(1 << 16);
  T s(20);
  std::size_t i = 0;
  for (auto _ : state) {
    s.update(xs[i++ & (xs.size() - 1)]);
    benchmark::DoNotOptimize(s.value());
  }
  state.counters["updates/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_Sma20(benchmark::State& s) {
  smoother<Sma>(s);
}
void BM_Ema20(benchmark::State& s) {
  smoother<Ema>(s);
}
void BM_Zlma20(benchmark::State& s) {
  smoother<Zlma>(s);
}
BENCHMARK(BM_Sma20);
BENCHMARK(BM_Ema20);
BENCHMARK(BM_Zlma20);

void BM_IntensityWindow(benchmark::State& state) {
  const auto data = ticks(1, 1 << 16);
  IntensityWindow w(1'000'000'000);
  std::size_t i = 0;
  std::int64_t offset = 0;
  for (auto _ : state) {
    const auto& t = data[i & (data.size() - 1)];
    if ((++i & (data.size() - 1)) == 0) offset += data.back().ts_ns - data.front().ts_ns + 1;
    w.update(t.ts_ns + offset, t.size, t.price);
    benchmark::DoNotOptimize(w.rate(IntensityMode::kVolumeRate));
  }
}
BENCHMARK(BM_IntensityWindow);

void BM_AdaptiveBuffer(benchmark::State& state) {
  const auto xs = series(1 << 16);
  AdaptiveBuffer b;
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(b.update(xs[i++ & (xs.size() - 1)]));
}
BENCHMARK(BM_AdaptiveBuffer);

void BM_SpikeDetector(benchmark::State& state) {
  const auto xs = series(1 << 16);
  SpikeDetector d;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++;
    benchmark::DoNotOptimize(d.update(xs[k & (xs.size() - 1)], k, static_cast<std::int64_t>(k), 1));
  }
}
BENCHMARK(BM_SpikeDetector);

void BM_ReversalV2(benchmark::State& state) {
  const auto xs = series(1 << 16);
  ReversalV2 v2;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++;
    benchmark::DoNotOptimize(v2.update(static_cast<std::int64_t>(xs[k & (xs.size() - 1)]),
                                       k % 7 == 0 ? market::Zone::kHigh : market::Zone::kNeutral));
  }
}
BENCHMARK(BM_ReversalV2);

void BM_BarIndicatorsOnClose(benchmark::State& state) {
  const auto xs = series(1 << 16);
  BarIndicators bars(BarParams{}, 60'000'000'000);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto q = static_cast<std::int64_t>(xs[i++ & (xs.size() - 1)]);
    benchmark::DoNotOptimize(bars.on_close(
        market::Candle{.open = q, .high = q + 3, .low = q - 2, .close = q + 1, .volume = 1000}));
  }
}
BENCHMARK(BM_BarIndicatorsOnClose);

// Everything one tick does, in the engine's per-symbol loop, for `symbols` symbols.
void BM_AllIndicatorsPerTick(benchmark::State& state) {
  const auto symbols = static_cast<std::size_t>(state.range(0));
  const auto data = ticks(symbols, 1 << 21);
  std::vector<SymbolIndicators> states;
  for (std::size_t s = 0; s < symbols; ++s) {
    states.emplace_back(static_cast<market::SymbolId>(s), IndicatorParams{});
  }
  std::vector<market::Event> out;
  out.reserve(64);
  // Warm up every symbol's state once (past the 1000-tick windows for most).
  for (const auto& t : data) {
    out.clear();
    states[t.symbol].on_tick(t, out);
  }
  const std::int64_t span = data.back().ts_ns - data.front().ts_ns + 1;
  std::int64_t offset = span;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& t = data[i];
    market::Tick tick = t;
    tick.ts_ns += offset;
    out.clear();
    states[t.symbol].on_tick(tick, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == data.size()) {
      i = 0;
      offset += span;
    }
  }
  state.counters["ticks/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AllIndicatorsPerTick)->Arg(1)->Arg(1000);

}  // namespace
