// The built-in market simulator: many symbols with geometric-Brownian prices quantised
// to their tick size, a bid/ask around the trade, and trade arrivals from a self-exciting
// Hawkes process per symbol, so bursts of activity (intensity spikes) happen on their own.
// Each symbol moves between regimes (calm, normal, trending, bursty) that set its activity,
// volatility, drift and trade sizes for minutes at a time, and now and then its price
// jumps (a news shock) and a bursty regime follows. docs/FEEDS.md lists the parameters.
// Everything follows from the seed: the same config gives the same ticks, bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

struct SimulatorConfig {
  std::size_t symbols = 50;
  double rate = 10'000.0;  // mean ticks per second, all symbols together
  std::uint64_t seed = 1;
  std::int64_t start_ns = 0;    // simulated time of the first tick's clock; >= 0
  double branching = 0.7;       // Hawkes branching ratio: share of trades triggered by trades
  double decay = 2.0;           // Hawkes kernel decay per second (mean burst length 1/decay)
  bool regimes = true;          // false: one stationary regime (a plain Hawkes/GBM market)
  double jumps_per_hour = 1.0;  // mean price jumps per symbol per simulated hour
};

struct SimulatorStats {
  std::uint64_t ticks = 0;          // generated
  std::uint64_t backpressured = 0;  // times the sink was full and the simulator waited
};

class Simulator {
 public:
  // Throws std::invalid_argument for a config that cannot run (no symbols, rate <= 0, ...).
  explicit Simulator(const SimulatorConfig& config);
  ~Simulator();
  Simulator(Simulator&&) noexcept;
  Simulator& operator=(Simulator&&) noexcept;

  // The symbols this simulator trades, in SymbolId order (register them in this order).
  const std::vector<market::SymbolInfo>& symbols() const;

  // The next tick in time order across all symbols. Deterministic.
  market::Tick next();
  // The timestamp next() will return, without advancing.
  std::int64_t peek_time() const;

  // Feeds the sink until stop is requested. Paced: ticks are released when the wall clock
  // reaches their simulated time (simulated time starts at start_ns when run() starts).
  // Unpaced: as fast as the sink takes them. Never drops: a full sink makes it wait.
  // `max_ticks` > 0 ends the run after that many ticks.
  void run(market::TickSink& sink, std::stop_token stop, bool paced, std::uint64_t max_ticks = 0);

  SimulatorStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spacetime::feed
