// Candle aggregation cost per tick: one timeframe, and all seven as the engine runs them.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "feed/simulator.hpp"
#include "indicators/candles.hpp"

namespace {

using spacetime::indicators::CandleAggregator;
using spacetime::market::Tick;
using spacetime::market::Timeframe;

const std::vector<Tick>& ticks() {
  static const std::vector<Tick> t = [] {
    spacetime::feed::Simulator sim({.symbols = 1, .rate = 10'000, .seed = 1, .start_ns = 0});
    std::vector<Tick> out(1 << 20);
    for (auto& tick : out)
      tick = sim.next();
    return out;
  }();
  return t;
}

void BM_CandleAggregator_OneTimeframe(benchmark::State& state) {
  const auto& data = ticks();
  CandleAggregator agg(static_cast<Timeframe>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const Tick& t = data[i++ & (data.size() - 1)];
    benchmark::DoNotOptimize(agg.update(t.ts_ns, t.price, t.size));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["ticks/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CandleAggregator_OneTimeframe)->Arg(0)->Arg(2)->Arg(6);

void BM_CandleAggregator_AllTimeframes(benchmark::State& state) {
  const auto& data = ticks();
  std::array<CandleAggregator, 7> aggs = {
      CandleAggregator(Timeframe::k1s),  CandleAggregator(Timeframe::k10s),
      CandleAggregator(Timeframe::k1m),  CandleAggregator(Timeframe::k5m),
      CandleAggregator(Timeframe::k15m), CandleAggregator(Timeframe::k1h),
      CandleAggregator(Timeframe::k1d)};
  std::size_t i = 0;
  for (auto _ : state) {
    const Tick& t = data[i++ & (data.size() - 1)];
    for (auto& agg : aggs)
      benchmark::DoNotOptimize(agg.update(t.ts_ns, t.price, t.size));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["ticks/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CandleAggregator_AllTimeframes);

void BM_Simulator_Next(benchmark::State& state) {
  spacetime::feed::Simulator sim(
      {.symbols = static_cast<std::size_t>(state.range(0)), .rate = 10'000, .seed = 1});
  for (auto _ : state)
    benchmark::DoNotOptimize(sim.next());
  state.counters["ticks/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Simulator_Next)->Arg(50)->Arg(1000);

}  // namespace
