#include "app/serve.hpp"

#include <spdlog/spdlog.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "app/feed_source.hpp"
#include "app/run_control.hpp"
#include "bus/bus.hpp"
#include "engine/engine.hpp"
#include "gateway/gateway.hpp"
#include "store/recorder.hpp"

namespace spacetime::app {
namespace {

// Waits for SIGINT/SIGTERM (blocked before any thread started), logging a status line
// every interval.
template <typename StatusFn>
int wait_for_signal(std::chrono::seconds interval, StatusFn status) {
  const sigset_t set = stop_signals();
  const timespec timeout{.tv_sec = interval.count(), .tv_nsec = 0};
  for (;;) {
    const int sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGINT || sig == SIGTERM) return sig;
    status();
  }
}

}  // namespace

int run_serve(ServeConfig config) {
  if (config.sim_start_now) {
    config.simulator.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  }
  if (config.gateway.web_root.empty()) config.gateway.web_root = SPACETIME_DEFAULT_WEB_ROOT;
  if (!std::filesystem::exists(std::filesystem::path(config.gateway.web_root) / "index.html")) {
    spdlog::warn(
        "web root {} has no index.html: the chart page will 404 (build it with `make web`)",
        config.gateway.web_root);
  }

  market::SymbolRegistry symbols;
  const auto source = FeedSource::make(config, symbols);

  bus::InprocBus bus(symbols.size());
  engine::Engine engine(config.engine, symbols, bus);

  // Storage: open the stores, continue every channel's numbering after what they (and
  // their spools) hold, and record from the bus before the engine publishes. The gateway
  // reads history through the same routing.
  const auto routing = store::open_stores(symbols, config.store);
  const store::Router history(routing);
  store::RecorderConfig recording;
  recording.record_ticks = config.store.record_ticks;
  recording.retention = config.store.retention;
  recording.spool_dir = (std::filesystem::path(config.store.data_dir) / "spool").string();
  recording.spool_max_bytes = config.spool_max_bytes;
  recording.warn = [](const std::string& message) { spdlog::warn("{}", message); };
  store::Recorder recorder(symbols, bus, routing, recording);
  for (market::SymbolId s = 0; s < symbols.size(); ++s)
    engine.continue_sequences(s, recorder.last_sequences(s));
  recorder.start();
  for (const auto& target : routing.targets)
    spdlog::info("store {}: {}", target.name, target.backend->describe());
  gateway::Gateway gateway(config.gateway, symbols, bus, &history, [&] {
    const auto e = engine.stats();
    auto metrics = source->metrics();
    metrics.insert(metrics.end(), {{"ticks", e.ticks},
                                   {"ticks_clamped", e.ticks_clamped},
                                   {"ticks_unknown_symbol", e.ticks_unknown},
                                   {"engine_events", e.events},
                                   {"engine_queue_depth", e.queue_depth},
                                   {"bus_dropped", bus.dropped()}});
    const auto stored = recorder.metrics();
    metrics.insert(metrics.end(), stored.begin(), stored.end());
    return metrics;
  });
  gateway.add_latency("feed_to_engine_seconds",
                      "Time from the feed handing a batch of ticks to the engine to a shard "
                      "starting on it, per shard per batch.",
                      engine.feed_latency());

  gateway.set_replay(source->replay_control());
  engine.start();
  const std::uint16_t port = gateway.start();
  spdlog::info("listening on http://{}:{} ({}, web root {})", config.gateway.bind, port,
               source->describe(), config.gateway.web_root);

  std::jthread feed_thread([&](std::stop_token stop) { source->run(engine, stop); });

  std::uint64_t last_ticks = 0;
  auto last_time = std::chrono::steady_clock::now();
  const int sig = wait_for_signal(std::chrono::seconds(10), [&] {
    const auto now = std::chrono::steady_clock::now();
    const auto e = engine.stats();
    const auto g = gateway.stats();
    const double secs = std::chrono::duration<double>(now - last_time).count();
    spdlog::info(
        "{:.0f} ticks/s, {} ticks, {} clients, {} batches sent, drops: bus {} slow clients {}{}",
        static_cast<double>(e.ticks - last_ticks) / secs, e.ticks, g.clients, g.batches_sent,
        bus.dropped(), g.clients_dropped_slow, g.degraded ? " (degraded)" : "");
    last_ticks = e.ticks;
    last_time = now;
  });

  spdlog::info("{} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  feed_thread.request_stop();
  feed_thread.join();
  engine.stop();
  recorder.stop();  // after the engine: its last events are written (or spooled)
  gateway.stop();
  const auto e = engine.stats();
  spdlog::info("stopped after {} ticks ({} clamped, {} bus events dropped)", e.ticks,
               e.ticks_clamped, bus.dropped());
  return 0;
}

}  // namespace spacetime::app
