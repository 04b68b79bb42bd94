// How often each indicator event fires on the simulator's feed: signals per hour per
// symbol, for the PR notes and docs/INDICATORS.md. Not a speed benchmark.
//
//   signal_rates [hours=8] [symbols=10] [ticks_per_second_per_symbol=20] [seed=1]
#include <fmt/format.h>

#include <array>
#include <cstdlib>

#include "feed/simulator.hpp"
#include "indicators/pipeline.hpp"

int main(int argc, char** argv) {
  using namespace spacetime;
  const double hours = argc > 1 ? std::atof(argv[1]) : 8.0;
  const std::size_t symbols = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10;
  const double per_symbol = argc > 3 ? std::atof(argv[3]) : 20.0;
  const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;

  feed::Simulator sim({.symbols = symbols,
                       .rate = per_symbol * static_cast<double>(symbols),
                       .seed = seed,
                       .start_ns = 1'767'364'200'000'000'000});
  std::vector<indicators::SymbolIndicators> states;
  for (std::size_t s = 0; s < symbols; ++s) {
    states.emplace_back(static_cast<market::SymbolId>(s), indicators::IndicatorParams{});
  }
  const std::int64_t end = 1'767'364'200'000'000'000 + static_cast<std::int64_t>(hours * 3600e9);
  std::array<std::uint64_t, 5> reversals{};
  std::uint64_t spikes = 0, ticks = 0, high_zone = 0, buffer = 0;
  std::vector<market::Event> out;
  while (sim.peek_time() < end) {
    const market::Tick t = sim.next();
    ++ticks;
    out.clear();
    states[t.symbol].on_tick(t, out);
    for (const auto& e : out) {
      if (const auto* r = std::get_if<market::ReversalEvent>(&e)) ++reversals[r->version];
      if (std::holds_alternative<market::SpikeStartEvent>(e)) ++spikes;
      if (const auto* b = std::get_if<market::BufferEvent>(&e)) {
        ++buffer;
        if (b->zone == market::Zone::kHigh) ++high_zone;
      }
    }
  }
  const double symbol_hours = hours * static_cast<double>(symbols);
  fmt::print(
      "signal_rates: {} simulated hours x {} symbols, {:.0f} ticks/s/symbol, seed {} ({} "
      "ticks)\n\n",
      hours, symbols, per_symbol, seed, ticks);
  fmt::print("{:<28} {:>10} {:>22}\n", "event", "count", "per hour per symbol");
  for (int v = 1; v <= 4; ++v) {
    fmt::print("{:<28} {:>10} {:>22.2f}\n", fmt::format("reversal v{}", v), reversals[v],
               static_cast<double>(reversals[v]) / symbol_hours);
  }
  fmt::print("{:<28} {:>10} {:>22.2f}\n", "spike start", spikes,
             static_cast<double>(spikes) / symbol_hours);
  fmt::print("\nshare of ticks in the HIGH zone: {:.1f} %\n",
             buffer ? 100.0 * static_cast<double>(high_zone) / static_cast<double>(buffer) : 0.0);
  return 0;
}
