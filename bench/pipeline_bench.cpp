// The pipeline without clients: simulator -> engine shards -> in-process bus, with one bus
// subscriber drained the way the gateway drains it. Prints ticks/s for each stage alone and
// for the whole chain: the in-process path with 1, 2 and 4 shards, each run `repeat` times
// (best and median ticks/s), and the load average before each run (the machine is shared).
//
//   pipeline_bench [ticks=2000000] [symbols=50] [repeat=1]
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
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
  std::uint64_t backlogged = 0;     // ticks that waited in the engine's backlogs
  std::uint64_t backpressured = 0;  // offers cut short by a full backlog
  std::string load;                 // /proc/loadavg's 1-minute figure before the run
};

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

// The engine's backlog counters, where the engine has them (the bench also builds against
// the engine before the backlogs, for the "before" numbers).
template <typename Stats>
void backlog_counters(const Stats& s, Row& row) {
  if constexpr (requires { s.backlogged; }) {
    row.backlogged = s.backlogged;
    row.backpressured = s.backpressured;
  }
}

void print(const std::vector<Row>& rows) {
  fmt::print("{:<44} {:>6} {:>10} {:>9} {:>12} {:>12} {:>8} {:>10} {:>8} {:>5}\n", "stage",
             "shards", "ticks", "s", "ticks/s", "events/s", "dropped", "backlogged", "refused",
             "load");
  for (const auto& r : rows) {
    fmt::print("{:<44} {:>6} {:>10} {:>9.3f} {:>12.0f} {:>12.0f} {:>8} {:>10} {:>8} {:>5}\n",
               r.stage, r.shards ? std::to_string(r.shards) : "-", r.ticks, r.seconds,
               static_cast<double>(r.ticks) / r.seconds, static_cast<double>(r.events) / r.seconds,
               r.dropped, r.backlogged, r.backpressured, r.load);
  }
}

// Best and median ticks/s (and the events/s of the same runs) over the repeats of one stage.
void summarize(const std::vector<Row>& rows) {
  fmt::print("\n{:<44} {:>6} {:>5} {:>14} {:>14} {:>14} {:>14}\n", "stage", "shards", "runs",
             "best ticks/s", "median ticks/s", "best events/s", "median events/s");
  std::vector<std::pair<std::string, std::size_t>> seen;
  for (const auto& r : rows) {
    const std::pair key{r.stage, r.shards};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    std::vector<const Row*> runs;
    for (const auto& o : rows) {
      if (o.stage == r.stage && o.shards == r.shards) runs.push_back(&o);
    }
    auto rate = [](const Row* x) { return static_cast<double>(x->ticks) / x->seconds; };
    std::sort(runs.begin(), runs.end(),
              [&](const Row* a, const Row* b) { return rate(a) > rate(b); });
    const Row* best = runs.front();
    const Row* median = runs[runs.size() / 2];
    auto events = [](const Row* x) { return static_cast<double>(x->events) / x->seconds; };
    fmt::print("{:<44} {:>6} {:>5} {:>14.0f} {:>14.0f} {:>14.0f} {:>14.0f}\n", r.stage,
               r.shards ? std::to_string(r.shards) : "-", runs.size(), rate(best), rate(median),
               events(best), events(median));
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
  const std::string load = load_average();
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
  Row row{
      simulate ? "simulator -> engine -> bus (end to end)" : "engine -> bus (pre-generated ticks)",
      shards,
      stats.ticks,
      seconds,
      stats.events,
      sub->dropped(),
      0,
      0,
      load};
  backlog_counters(stats, row);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const std::size_t symbols = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 50;
  const int repeat = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
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
                  std::chrono::duration<double>(Clock::now() - start).count(), 0, 0, 0, 0,
                  load_average()});

  for (int r = 0; r < repeat; ++r) {
    for (const std::size_t shards : {1, 2, 4})
      rows.push_back(run_engine(ticks, registry, shards, nullptr));
    rows.push_back(run_engine(ticks, registry, 1, &config));
  }
  print(rows);
  if (repeat > 1) summarize(rows);
  return 0;
}
