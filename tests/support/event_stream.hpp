// A real event stream for store tests: the indicator pipeline run over simulated ticks, so
// that closed candles of every timeframe, ticks, samples, spikes and reversals all occur.
#pragma once

#include <string>
#include <vector>

#include "feed/simulator.hpp"
#include "indicators/pipeline.hpp"
#include "market/event.hpp"
#include "market/symbol.hpp"

namespace spacetime::testing {

inline std::vector<market::Tick> simulated_ticks(std::size_t symbols, std::size_t n,
                                                 std::uint64_t seed = 5, double per_symbol = 50.0) {
  feed::Simulator sim({.symbols = symbols,
                       .rate = per_symbol * static_cast<double>(symbols),
                       .seed = seed,
                       .start_ns = 1'767'364'200'000'000'000});
  std::vector<market::Tick> ticks(n);
  for (auto& t : ticks)
    t = sim.next();
  return ticks;
}

// Registers <prefix>SYM0, <prefix>SYM1, ... and returns every event the pipeline emits for
// n ticks. A prefix keeps tests that share a server apart.
inline std::vector<market::Event> simulated_events(market::SymbolRegistry& registry,
                                                   std::size_t symbols, std::size_t n,
                                                   std::uint64_t seed = 5,
                                                   const std::string& prefix = "") {
  for (std::size_t s = 0; s < symbols; ++s)
    registry.add({.name = prefix + "SYM" + std::to_string(s)});
  std::vector<indicators::SymbolIndicators> states;
  for (std::size_t s = 0; s < symbols; ++s)
    states.emplace_back(static_cast<market::SymbolId>(s), indicators::IndicatorParams{});
  std::vector<market::Event> out;
  for (const auto& t : simulated_ticks(symbols, n, seed))
    states[t.symbol].on_tick(t, out);
  return out;
}

}  // namespace spacetime::testing
