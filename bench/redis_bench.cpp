// Events per second through one Redis, publisher -> subscriber, with the real RedisPublisher
// and RedisBus: batched frames (with and without the capped stream) against one PUBLISH per
// event, and redis-benchmark's own PUBLISH rate on the same server for scale (no subscriber).
//   redis_bench [redis://host:port] [events=1000000]   (default: $SPACETIME_TEST_REDIS_URL)
// `make bench` runs it under scripts/services; numbers go to docs/PERFORMANCE.md.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bus/redis/redis_bus.hpp"
#include "support/event_stream.hpp"

namespace {

using namespace spacetime;
using namespace std::chrono_literals;

struct Row {
  std::string mode;
  std::size_t per_frame = 0;
  std::size_t events = 0;
  std::size_t received = 0;
  double seconds = 0;
  std::uint64_t frames = 0, bytes = 0, dropped = 0, gaps = 0, reconnects = 0;
};

Row run(const std::string& url, const std::string& mode, const market::SymbolRegistry& symbols,
        const std::vector<market::Event>& events, std::size_t per_frame, bool stream) {
  const std::string prefix =
      fmt::format("bench{}", std::chrono::steady_clock::now().time_since_epoch().count());
  bus::InprocBus source(symbols.size());
  bus::redis::PublisherConfig pc;
  pc.url = url;
  pc.prefix = prefix;
  pc.max_batch = per_frame;
  pc.stream_maxlen = stream ? 10'000 : 0;
  pc.ring_capacity = (events.size() + 1) * bus::Subscription::kEventRoom;
  bus::redis::RedisPublisher publisher(pc, symbols, source);
  bus::redis::RedisBusConfig bc;
  bc.url = url;
  bc.prefix = prefix;
  bus::redis::RedisBus sub_bus(bc, symbols);
  bus::Filter f;
  f.values = bus::Values::kQueued;
  auto sub = sub_bus.subscribe(f, (events.size() + 1) * bus::Subscription::kEventRoom);
  sub_bus.start(/*wait_connected=*/true);
  publisher.start();

  Row row{.mode = mode, .per_frame = per_frame, .events = events.size()};
  const auto t0 = std::chrono::steady_clock::now();
  std::jthread producer([&] {
    for (std::size_t i = 0; i < events.size(); i += 256)
      source.publish(std::span(events).subspan(i, std::min<std::size_t>(256, events.size() - i)));
  });
  std::vector<market::Event> got;
  got.reserve(4096);
  auto last = t0;
  auto idle_since = t0;
  while (row.received < events.size()) {
    got.clear();
    const auto n = sub->drain(got);
    const auto now = std::chrono::steady_clock::now();
    if (n) {
      row.received += n;
      last = now;
      idle_since = now;
    } else {
      if (now - idle_since > 5s) break;  // what is missing is reported below
      std::this_thread::sleep_for(100us);
    }
  }
  producer.join();
  row.seconds = std::chrono::duration<double>(last - t0).count();
  publisher.stop();
  sub_bus.stop();
  const auto p = publisher.stats();
  const auto s = sub_bus.stats();
  row.frames = p.frames;
  row.bytes = p.bytes;
  row.dropped = p.ring_dropped + p.unsent_events + sub->dropped();
  row.gaps = s.gaps;
  row.reconnects = s.reconnects;
  return row;
}

// redis-benchmark's PUBLISH rate (requests/s) on the same server, or 0 if it is missing.
// Redis 7's redis-benchmark has no `-t publish` test, so the command is given explicitly,
// with a 40-byte payload: the size of one event in the codec.
double redis_benchmark(const std::string& url, const char* extra) {
  const auto ep = bus::redis::parse_redis_url(url);
  const std::string cmd = fmt::format(
      "redis-benchmark -h {} -p {} -n 200000 -q {} publish spacetime:bench {} 2>/dev/null", ep.host,
      ep.port, extra, std::string(40, 'x'));
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return 0;
  char buf[4096];
  std::string out;
  while (std::fgets(buf, sizeof buf, p))
    out += buf;
  ::pclose(p);
  // "publish spacetime:bench xxx...: 123456.79 requests per second, p50=0.199 msec"
  const auto end = out.rfind(" requests per second");
  if (end == std::string::npos) return 0;
  const auto start = out.rfind(": ", end);
  if (start == std::string::npos) return 0;
  return std::strtod(out.c_str() + start + 2, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  if (argc > 1) {
    url = argv[1];
  } else if (const char* env = std::getenv("SPACETIME_TEST_REDIS_URL")) {
    url = env;
  } else {
    std::fprintf(stderr,
                 "usage: redis_bench redis://host:port [events]\n"
                 "(or run it under scripts/services run redis -- ...)\n");
    return 2;
  }
  const std::size_t want = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1'000'000;

  // A real event mix (ticks, closed candles, samples, spikes, reversals) from the indicator
  // pipeline; value samples are left out, since the publisher conflates them by design and
  // the count received must equal the count sent.
  market::SymbolRegistry symbols;
  std::vector<market::Event> events;
  for (const auto& e : testing::simulated_events(symbols, 20, want, 7))
    if (!market::is_value(e)) events.push_back(e);
  events.resize(std::min(events.size(), want));
  const std::size_t single = std::min<std::size_t>(events.size(), 100'000);

  fmt::print(
      "redis_bench: {} at {}, {} events of 20 symbols (ticks, candles, samples, spikes, "
      "reversals)\n\n",
      "one Redis", url, events.size());
  std::vector<Row> rows;
  rows.push_back(run(url, "batched, PUBLISH + XADD", symbols, events, 2'048, true));
  rows.push_back(run(url, "batched, PUBLISH only", symbols, events, 2'048, false));
  rows.push_back(run(url, "batched 64, PUBLISH + XADD", symbols, events, 64, true));
  rows.push_back(run(url, "one PUBLISH per event (pipelined)", symbols,
                     std::vector<market::Event>(
                         events.begin(), events.begin() + static_cast<std::ptrdiff_t>(single)),
                     1, false));

  fmt::print("{:<36} {:>9} {:>9} {:>9} {:>8} {:>12} {:>10} {:>9} {:>6}\n", "mode", "ev/frame",
             "events", "received", "s", "events/s", "MB/s", "lost", "gaps");
  for (const auto& r : rows) {
    fmt::print("{:<36} {:>9} {:>9} {:>9} {:>8.3f} {:>12.0f} {:>10.1f} {:>9} {:>6}\n", r.mode,
               r.per_frame, r.events, r.received, r.seconds,
               static_cast<double>(r.received) / r.seconds,
               static_cast<double>(r.bytes) / r.seconds / 1e6, r.events - r.received, r.gaps);
  }
  const double rb1 = redis_benchmark(url, "");
  const double rb16 = redis_benchmark(url, "-P 16");
  fmt::print("{:<36} {:>9} {:>9} {:>9} {:>8} {:>12.0f}\n", "redis-benchmark publish (40 B)", 1,
             200000, "-", "-", rb1);
  fmt::print("{:<36} {:>9} {:>9} {:>9} {:>8} {:>12.0f}\n", "redis-benchmark publish -P 16", 1,
             200000, "-", "-", rb16);
  fmt::print(
      "\n(events/s: received by the subscriber over the time from the first publish to the\n"
      " last event received; redis-benchmark: PUBLISH requests/s with no subscriber.)\n");
  return 0;
}
