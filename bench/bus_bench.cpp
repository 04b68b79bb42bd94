// The in-process bus on its own, shaped like `serve`: one publishing thread hands batches of
// 1,024 ticks (a tick event, an intensity and a buffer value each, 50 symbols) to the
// gateway's subscription (values in latest-value slots, ticks only for watched symbols:
// none here) and, when asked, to the recorder's (with the recorder's filter: ticks queued,
// waiting when full). A consumer thread drains both every 0.5 ms (serve's gateway drains
// every 2 ms, the recorder every 10 ms or at once while busy: the short sleep keeps the
// publisher from waiting, so the numbers are the bus's own cost). Prints, per setup, the
// publisher's time in publish() per tick (what the engine pays for its consumers) and the
// consumer's drain time per event taken, best and median of `repeat` runs. Closed bars,
// samples, spikes and reversals (rare next to ticks) are not published.
//
//   bus_bench [ticks=20000000] [repeat=5]
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bus/bus.hpp"

namespace {

using namespace spacetime;
using Clock = std::chrono::steady_clock;
constexpr market::SymbolId kSymbols = 50;
constexpr std::size_t kBatchTicks = 1024;

struct Result {
  double publish_ns = 0;  // per tick, publisher thread
  double drain_ns = 0;    // per event taken by the recorder's subscription, consumer thread
  std::uint64_t waits = 0, dropped = 0;
};

Result run(bool recorder, bool ticks, std::uint64_t n_ticks) {
  bus::InprocBus bus(kSymbols);
  // As gateway::Hub::subscription_filter(): ticks only for watched symbols (none here).
  bus::Filter g;
  g.values = bus::Values::kLatest;
  g.on_demand.set(static_cast<std::size_t>(market::Stream::kTick));
  auto gateway = bus.subscribe(g, 1 << 16);
  std::shared_ptr<bus::Subscription> rec;
  if (recorder) {
    bus::Filter f;
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
      f.streams.set(tf);
    for (const auto s :
         {market::Stream::kSample, market::Stream::kSpike, market::Stream::kReversal})
      f.streams.set(static_cast<std::size_t>(s));
    if (ticks) f.streams.set(static_cast<std::size_t>(market::Stream::kTick));
    f.values = bus::Values::kLatest;
    f.overflow = bus::Overflow::kWait;
    rec = bus.subscribe(f, 1 << 16);
  }
  std::atomic<bool> done{false};
  std::int64_t drain_ns = 0;
  std::uint64_t taken = 0;
  std::thread consumer([&] {
    std::vector<market::Event> out, values;
    auto take = [&] {
      if (rec) {
        out.clear();
        rec->drain_values(out);
        out.clear();
        const auto t0 = Clock::now();
        taken += rec->drain(out);
        drain_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
      }
      values.clear();
      gateway->drain_values(values);
      gateway->drain(values);
    };
    while (!done.load(std::memory_order_acquire)) {
      take();
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    take();
  });
  std::vector<market::Event> batch;
  batch.reserve(3 * kBatchTicks);
  std::uint64_t seq = 0;
  std::int64_t publish_ns = 0;  // in publish() only, not building the batch
  while (seq < n_ticks) {
    batch.clear();
    for (std::size_t i = 0; i < kBatchTicks; ++i) {
      ++seq;
      const auto symbol = static_cast<market::SymbolId>(seq % kSymbols);
      const auto t = static_cast<std::int64_t>(seq) * 1000;
      batch.push_back(market::TickEvent{.symbol = symbol,
                                        .seq = seq / kSymbols + 1,
                                        .tick_seq = seq,
                                        .t = t,
                                        .price = 10'000 + static_cast<std::int64_t>(seq % 7),
                                        .size = 100});
      batch.push_back(market::IntensityEvent{.symbol = symbol, .seq = seq, .t = t, .raw = 1.0});
      batch.push_back(market::BufferEvent{.symbol = symbol, .seq = seq, .t = t});
    }
    const auto t0 = Clock::now();
    bus.publish(batch, 1);
    publish_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  }
  done.store(true, std::memory_order_release);
  consumer.join();
  Result r;
  r.publish_ns = static_cast<double>(publish_ns) / static_cast<double>(seq);
  r.drain_ns = taken ? static_cast<double>(drain_ns) / static_cast<double>(taken) : 0.0;
  r.waits = rec ? rec->waits() : 0;
  r.dropped = bus.dropped();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n_ticks = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20'000'000;
  const int repeat = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  fmt::print(
      "bus_bench: {} ticks a run (3 events each, {} symbols, batches of {} ticks), {} runs\n",
      n_ticks, kSymbols, kBatchTicks, repeat);
  fmt::print("{:<34} {:>17} {:>17} {:>14} {:>8}\n", "subscriptions", "publish ns/tick",
             "drain ns/event", "recorder waits", "dropped");
  fmt::print("{:<34} {:>17} {:>17} {:>14} {:>8}\n", "", "best / median", "best / median", "", "");
  struct Setup {
    const char* name;
    bool recorder, ticks;
  };
  for (const Setup s : {Setup{"gateway", false, false}, Setup{"gateway + recorder", true, true},
                        Setup{"gateway + recorder, no ticks", true, false}}) {
    std::vector<Result> runs;
    for (int i = 0; i < repeat; ++i)
      runs.push_back(run(s.recorder, s.ticks, n_ticks));
    auto stat = [&](auto field) {
      std::vector<double> v;
      for (const auto& r : runs)
        v.push_back(field(r));
      std::sort(v.begin(), v.end());
      return fmt::format("{:.1f} / {:.1f}", v.front(), v[v.size() / 2]);
    };
    std::uint64_t waits = 0, dropped = 0;
    for (const auto& r : runs) {
      waits += r.waits;
      dropped += r.dropped;
    }
    fmt::print(
        "{:<34} {:>17} {:>17} {:>14} {:>8}\n", s.name,
        stat([](const Result& r) { return r.publish_ns; }),
        s.recorder && s.ticks ? stat([](const Result& r) { return r.drain_ns; }) : std::string("-"),
        waits, dropped);
  }
}
