#include "app/serve.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <charconv>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "app/feed_source.hpp"
#include "app/run_control.hpp"
#include "bus/bus.hpp"
#include "bus/redis/redis_bus.hpp"
#include "engine/engine.hpp"
#include "feed/shard_filter.hpp"
#include "gateway/gateway.hpp"
#include "store/recorder.hpp"

namespace spacetime::app {
namespace {

enum class Role { kServe, kLive, kGateway, kHistory };

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

std::vector<gateway::Metric> redis_metrics(const bus::redis::RedisBusStats& s) {
  return {{"redis_connected", s.connected ? 1u : 0u},
          {"redis_reconnects", s.reconnects},
          {"redis_frames", s.frames},
          {"redis_events", s.events},
          {"redis_caught_up_frames", s.caught_up_frames},
          {"redis_duplicate_frames", s.duplicate_frames},
          {"redis_duplicate_events", s.duplicate_events},
          {"redis_gaps", s.gaps},
          {"redis_lost_events", s.lost_events},
          {"redis_revisions_maybe_lost", s.revisions_maybe_lost},
          {"redis_decode_errors", s.decode_errors},
          {"redis_unknown_symbol", s.unknown_symbol},
          {"redis_ping_timeouts", s.ping_timeouts},
          {"redis_down_ms", s.down_ms}};
}

int run_node(ServeConfig config, Role role, const RedisSettings& redis) {
  const bool has_engine = role == Role::kServe || role == Role::kLive;
  const bool has_gateway = role == Role::kServe || role == Role::kGateway;
  const bool records = (role == Role::kServe && config.store.record) || role == Role::kHistory;
  if (config.sim_start_now) {
    config.simulator.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  }
  if (config.gateway.web_root.empty()) config.gateway.web_root = SPACETIME_DEFAULT_WEB_ROOT;
  if (has_gateway &&
      !std::filesystem::exists(std::filesystem::path(config.gateway.web_root) / "index.html")) {
    spdlog::warn(
        "web root {} has no index.html: the chart page will 404 (build it with `make web`)",
        config.gateway.web_root);
  }

  // The feed settings name the symbols in every role: a gateway knows the same symbols as
  // the live processes (it never runs the feed).
  market::SymbolRegistry symbols;
  const auto source = FeedSource::make(config, symbols);

  // The bus: in-process for serve and live (live's publisher is one more subscriber);
  // Redis for a gateway and for history.
  std::unique_ptr<bus::InprocBus> inproc;
  std::unique_ptr<bus::redis::RedisBus> redis_bus;
  if (!has_engine) {
    redis_bus = std::make_unique<bus::redis::RedisBus>(
        bus::redis::RedisBusConfig{.url = redis.url,
                                   .prefix = redis.prefix,
                                   .revisable_bars = config.engine.indicators.corrections.max_bars},
        symbols);
  } else {
    inproc = std::make_unique<bus::InprocBus>(symbols.size());
  }
  bus::Bus& bus = inproc ? static_cast<bus::Bus&>(*inproc) : *redis_bus;

  std::optional<engine::Engine> engine;
  if (has_engine) engine.emplace(config.engine, symbols, bus);
  std::optional<feed::ShardFilter> shard;
  if (role == Role::kLive) shard.emplace(symbols, redis.shard, redis.shards, *engine);

  // Storage. serve and history record from the bus (serve before its engine publishes);
  // serve and gateway answer history through the same routing; serve and live continue
  // every channel's numbering after what the stores (and the recorder's spools) hold.
  std::optional<store::Routing> routing;
  std::optional<store::Router> history;
  std::optional<store::Recorder> recorder;
  config.store.note = [](const std::string& m) { spdlog::info("{}", m); };
  if (role == Role::kLive) {
    // Best effort: a live process must run when its stores do not (its numbering then
    // starts at 1, which gateways take as a new run).
    try {
      const store::Router stored(store::open_stores(symbols, config.store));
      // As serve does: continue the numbering, and reopen this shard's bars in progress
      // (only its own symbols: a flush closes every open bar it holds).
      std::size_t restored = 0;
      for (market::SymbolId s = 0; s < symbols.size(); ++s) {
        engine->continue_sequences(s, stored.last_sequences(s));
        if (shard->takes(s)) restored += engine->restore_bars(s, stored.open_bars(s));
      }
      if (restored > 0) spdlog::info("continuing {} bars in progress from the store", restored);
    } catch (const std::exception& e) {
      spdlog::warn("stores not read, channel numbers start at 1: {}", e.what());
    }
  } else {
    routing.emplace(store::open_stores(symbols, config.store));
    history.emplace(*routing);
    for (const auto& target : routing->targets)
      spdlog::info("store {}: {}", target.name, target.backend->describe());
  }
  if (records) {
    store::RecorderConfig recording;
    recording.record_ticks = config.store.record_ticks;
    recording.retention = config.store.retention;
    recording.spool_dir = (std::filesystem::path(config.store.data_dir) / "spool").string();
    recording.spool_max_bytes = config.spool_max_bytes;
    recording.warn = [](const std::string& message) { spdlog::warn("{}", message); };
    recorder.emplace(symbols, bus, *routing, recording);
    if (engine) {
      // The bars in progress at the last shutdown open again, so a bar open across a
      // restart is stored once, with the ticks of both runs (a later first tick closes it
      // first).
      std::size_t restored = 0;
      for (market::SymbolId s = 0; s < symbols.size(); ++s) {
        engine->continue_sequences(s, recorder->last_sequences(s));
        restored += engine->restore_bars(s, recorder->open_bars(s));
      }
      if (restored > 0) spdlog::info("continuing {} bars in progress from the store", restored);
    }
    recorder->start();
  } else if (role == Role::kServe) {
    // Not recording (--record false): still continue what the stores hold.
    for (market::SymbolId s = 0; s < symbols.size(); ++s)
      engine->continue_sequences(s, history->last_sequences(s));
  }

  std::optional<bus::redis::RedisPublisher> publisher;
  if (role == Role::kLive) {
    publisher.emplace(bus::redis::PublisherConfig{.url = redis.url,
                                                  .prefix = redis.prefix,
                                                  .name = std::to_string(redis.shard),
                                                  .stream_maxlen = redis.stream_maxlen,
                                                  .max_batch = redis.max_batch},
                      symbols, bus);
    publisher->start();
  }

  auto metrics = [&] {
    std::vector<gateway::Metric> m;
    if (engine) {
      const auto e = engine->stats();
      m = source->metrics();
      m.insert(m.end(), {{"ticks", e.ticks},
                         {"ticks_clamped", e.ticks_clamped},
                         {"ticks_unknown_symbol", e.ticks_unknown},
                         {"engine_events", e.events},
                         {"corrections", e.corrections},
                         {"corrections_unmatched", e.corrections_unmatched},
                         {"bars_revised", e.bars_revised},
                         {"bars_revision_missed", e.bars_revision_missed},
                         {"bars_revised_inexact", e.bars_revised_inexact},
                         {"engine_queue_depth", e.queue_depth},
                         {"engine_backlog", e.backlog},
                         {"engine_backlogged", e.backlogged},
                         {"engine_backpressured", e.backpressured}});
    }
    m.emplace_back("bus_dropped", bus.dropped());
    if (redis_bus) {
      const auto r = redis_metrics(redis_bus->stats());
      m.insert(m.end(), r.begin(), r.end());
    }
    if (recorder) {
      const auto stored = recorder->metrics();
      m.insert(m.end(), stored.begin(), stored.end());
    }
    return m;
  };
  std::optional<gateway::Gateway> gateway;
  if (has_gateway) {
    gateway.emplace(config.gateway, symbols, bus, history ? &*history : nullptr, metrics);
    if (engine) {
      gateway->add_latency("feed_to_engine_seconds",
                           "Time from the feed handing a batch of ticks to the engine to a "
                           "shard starting on it, per shard per batch.",
                           engine->feed_latency());
    }
  }
  if (gateway && redis_bus) {
    gateway->set_health([&bus = *redis_bus]() -> std::vector<std::string> {
      if (auto p = bus.problem(); !p.empty()) return {std::move(p)};
      return {};
    });
  }
  if (redis_bus) {
    redis_bus->start();
    spdlog::info("subscribing to {} ({}:events:*), retrying with backoff until it answers",
                 redis.url, redis.prefix);
  }

  if (gateway && engine) gateway->set_replay(source->replay_control());
  if (engine) engine->start();
  std::uint16_t port = 0;
  if (gateway) {
    if (config.gateway.auth.enabled()) {
      spdlog::info(
          "auth: bearer tokens of {} required on /ws and /api (audience {})",
          config.gateway.auth.issuer,
          config.gateway.auth.audience.empty() ? "not checked" : config.gateway.auth.audience);
    } else {
      spdlog::warn(
          "AUTH IS OFF: anyone who reaches {}:{} gets everything, admin operations "
          "included (set [auth] issuer / --issuer; docs/OPERATIONS.md)",
          config.gateway.bind, config.gateway.port);
    }
    port = gateway->start();
  }
  const std::string_view scheme = config.gateway.tls_cert.empty() ? "http" : "https";
  switch (role) {
    case Role::kServe:
      spdlog::info("listening on {}://{}:{} ({}, web root {})", scheme, config.gateway.bind, port,
                   source->describe(), config.gateway.web_root);
      break;
    case Role::kLive:
      spdlog::info("live shard {}/{} ({} of {} symbols) -> {} as {}:events:{}, stream of ~{}",
                   redis.shard, redis.shards, shard->symbols_taken(), symbols.size(), redis.url,
                   redis.prefix, redis.shard, redis.stream_maxlen);
      break;
    case Role::kGateway:
      spdlog::info("listening on {}://{}:{} (Redis {}, {} symbols, web root {})", scheme,
                   config.gateway.bind, port, redis.url, symbols.size(), config.gateway.web_root);
      break;
    case Role::kHistory:
      spdlog::info("recording from {} ({}:events:*), {} symbols", redis.url, redis.prefix,
                   symbols.size());
      break;
  }

  std::jthread feed_thread;
  if (engine) {
    market::TickSink& sink = shard ? static_cast<market::TickSink&>(*shard) : *engine;
    feed_thread = std::jthread([&](std::stop_token stop) {
      pthread_setname_np(pthread_self(), "feed");  // in top -H, perf, gdb
      source->run(sink, stop);
    });
  }

  std::uint64_t last_ticks = 0;
  std::uint64_t last_events = 0;
  auto last_time = std::chrono::steady_clock::now();
  const int sig = wait_for_signal(std::chrono::seconds(10), [&] {
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - last_time).count();
    last_time = now;
    if (role == Role::kLive) {
      const auto e = engine->stats();
      const auto p = publisher->stats();
      spdlog::info(
          "{:.0f} ticks/s, {} ticks, {:.0f} events/s to Redis ({}), {} frames; drops: ring {} "
          "unsent {}",
          static_cast<double>(e.ticks - last_ticks) / secs, e.ticks,
          static_cast<double>(p.events - last_events) / secs,
          p.connected ? "connected" : "DISCONNECTED", p.frames, p.ring_dropped, p.unsent_events);
      last_ticks = e.ticks;
      last_events = p.events;
      return;
    }
    // The recorder's bus waits (store_bus_waits): how often its full queue held the
    // publisher (serve: an engine shard) back. Shown whenever there is a recorder.
    const std::string store_waits =
        recorder ? fmt::format("store bus waits {}, ", recorder->bus_waits()) : std::string();
    if (role == Role::kHistory) {
      const auto r = redis_bus->stats();
      spdlog::info("{:.0f} events/s from Redis ({}), gaps {} (lost {}), {}drops: bus {}",
                   static_cast<double>(r.events - last_events) / secs,
                   r.connected ? "connected" : "DISCONNECTED", r.gaps, r.lost_events, store_waits,
                   bus.dropped());
      last_events = r.events;
      return;
    }
    const auto g = gateway->stats();
    if (redis_bus) {
      const auto r = redis_bus->stats();
      spdlog::info(
          "{:.0f} events/s from Redis ({}), {} clients, {} batches sent, gaps {} (lost {}), "
          "drops: bus {} slow clients {}{}",
          static_cast<double>(r.events - last_events) / secs,
          r.connected ? "connected" : "DISCONNECTED", g.clients, g.batches_sent, r.gaps,
          r.lost_events, bus.dropped(), g.clients_dropped_slow, g.degraded ? " (degraded)" : "");
      last_events = r.events;
      return;
    }
    const auto e = engine->stats();
    spdlog::info(
        "{:.0f} ticks/s, {} ticks, {} clients, {} batches sent, {}drops: bus {} slow clients "
        "{}{}",
        static_cast<double>(e.ticks - last_ticks) / secs, e.ticks, g.clients, g.batches_sent,
        store_waits, bus.dropped(), g.clients_dropped_slow, g.degraded ? " (degraded)" : "");
    last_ticks = e.ticks;
  });

  spdlog::info("{} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (feed_thread.joinable()) {
    feed_thread.request_stop();
    feed_thread.join();
  }
  if (engine) engine->stop();
  if (redis_bus) redis_bus->stop();  // no more events from Redis
  if (recorder) recorder->stop();    // after the engine: its last events are written (or spooled)
  if (publisher) publisher->stop();  // after the engine: its last events are sent
  if (gateway) gateway->stop();
  if (engine) {
    const auto e = engine->stats();
    spdlog::info("stopped after {} ticks ({} clamped, {} bus events dropped)", e.ticks,
                 e.ticks_clamped, bus.dropped());
  }
  if (publisher) {
    const auto p = publisher->stats();
    spdlog::info("sent {} events in {} frames; dropped {} (ring), {} (unsent)", p.events, p.frames,
                 p.ring_dropped, p.unsent_events);
  }
  if (redis_bus) {
    const auto r = redis_bus->stats();
    spdlog::info("received {} events in {} frames; {} gaps ({} events lost), {} duplicates",
                 r.events, r.frames, r.gaps, r.lost_events, r.duplicate_frames);
  }
  return 0;
}

}  // namespace

void parse_shard(std::string_view text, RedisSettings& out) {
  const auto slash = text.find('/');
  std::size_t i = 0, n = 0;
  bool ok = slash != std::string_view::npos;
  if (ok) {
    const auto a = std::from_chars(text.data(), text.data() + slash, i);
    const auto b = std::from_chars(text.data() + slash + 1, text.data() + text.size(), n);
    ok = a.ec == std::errc{} && a.ptr == text.data() + slash && b.ec == std::errc{} &&
         b.ptr == text.data() + text.size() && n >= 1 && i < n;
  }
  if (!ok) throw ConfigError(fmt::format("--shard: '{}' is not i/N with 0 <= i < N", text));
  out.shard = i;
  out.shards = n;
}

int run_serve(ServeConfig config) {
  return run_node(std::move(config), Role::kServe, {});
}

int run_live(ServeConfig config, RedisSettings redis) {
  return run_node(std::move(config), Role::kLive, redis);
}

int run_gateway(ServeConfig config, RedisSettings redis) {
  return run_node(std::move(config), Role::kGateway, redis);
}

int run_history(ServeConfig config, RedisSettings redis) {
  return run_node(std::move(config), Role::kHistory, redis);
}

}  // namespace spacetime::app
