// The pipeline without clients: simulator -> engine shards -> in-process bus, with one bus
// subscriber drained the way the gateway drains it. Prints ticks/s for each stage alone and
// for the whole chain.
//
//   pipeline_bench [ticks=2000000] [symbols=50]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "bus/bus.hpp"
#include "engine/engine.hpp"
#include "feed/simulator.hpp"

namespace {

using namespace spacetime;
using Clock = std::chrono::steady_clock;

struct Row {
  std::string stage;
  std::size_t shards = 0;
  std::uint64_t ticks = 0;
  double seconds = 0;
  std::uint64_t events = 0;
  std::uint64_t dropped = 0;
};

void print(const std::vector<Row>& rows) {
  fmt::print("{:<44} {:>6} {:>10} {:>9} {:>12} {:>12} {:>8}\n", "stage", "shards", "ticks", "s",
             "ticks/s", "events/s", "dropped");
  for (const auto& r : rows) {
    fmt::print("{:<44} {:>6} {:>10} {:>9.3f} {:>12.0f} {:>12.0f} {:>8}\n", r.stage,
               r.shards ? std::to_string(r.shards) : "-", r.ticks, r.seconds,
               static_cast<double>(r.ticks) / r.seconds, static_cast<double>(r.events) / r.seconds,
               r.dropped);
  }
}

// Pushes every tick into the engine, retrying while its rings are full.
void offer_all(market::TickSink& sink, std::span<const market::Tick> ticks) {
  while (!ticks.empty()) {
    const std::size_t n = sink.offer(ticks);
    ticks = ticks.subspan(n);
    if (n == 0) std::this_thread::yield();
  }
}

Row run_engine(const std::vector<market::Tick>& ticks, const market::SymbolRegistry& symbols,
               std::size_t shards, const feed::SimulatorConfig* simulate) {
  bus::InprocBus bus;
  auto sub = bus.subscribe(bus::Filter{}, 1 << 20);
  std::atomic<bool> done{false};
  std::uint64_t drained = 0;
  std::thread consumer([&] {
    std::vector<market::Event> events;
    while (!done.load()) {
      events.clear();
      drained += sub->drain(events);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    events.clear();
    drained += sub->drain(events);
  });
  engine::Engine engine({.shards = shards}, symbols, bus);
  engine.start();
  const auto start = Clock::now();
  std::uint64_t count = ticks.size();
  if (simulate) {
    feed::Simulator sim(*simulate);
    std::stop_source stop;
    sim.run(engine, stop.get_token(), /*paced=*/false, count);
  } else {
    offer_all(engine, ticks);
  }
  engine.stop();  // drains the rings
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  consumer.join();
  const auto stats = engine.stats();
  return Row{
      simulate ? "simulator -> engine -> bus (end to end)" : "engine -> bus (pre-generated ticks)",
      shards,
      stats.ticks,
      seconds,
      stats.events,
      sub->dropped()};
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const std::size_t symbols = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 50;
  const feed::SimulatorConfig config{.symbols = symbols, .rate = 1e6, .seed = 1, .start_ns = 0};
  fmt::print("pipeline_bench: {} ticks, {} symbols, unpaced simulator (rate parameter 1e6/s)\n\n",
             n, symbols);

  std::vector<Row> rows;
  feed::Simulator sim(config);
  market::SymbolRegistry registry;
  for (const auto& s : sim.symbols())
    registry.add(s);
  std::vector<market::Tick> ticks(n);
  const auto start = Clock::now();
  for (auto& t : ticks)
    t = sim.next();
  rows.push_back({"simulator alone (next())", 0, n,
                  std::chrono::duration<double>(Clock::now() - start).count(), 0, 0});

  rows.push_back(run_engine(ticks, registry, 1, nullptr));
  rows.push_back(run_engine(ticks, registry, 2, nullptr));
  rows.push_back(run_engine(ticks, registry, 1, &config));
  print(rows);
  return 0;
}
