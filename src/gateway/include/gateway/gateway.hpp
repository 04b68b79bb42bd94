// The gateway: HTTP + WebSocket server (Boost.Beast, kept out of this header). It serves
// the web front end, /api (health, metrics, symbols, history) and fans engine events from
// the bus out to browser clients through the fan-out hub (hub.hpp): snapshot, then one
// batch per client per flush interval, with per-client byte budgets (docs/PROTOCOL.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/verifier.hpp"
#include "bus/bus.hpp"
#include "gateway/hub.hpp"
#include "gateway/protocol.hpp"
#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::gateway {

struct GatewayConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;           // 0 picks a free port; start() returns the one bound
  std::string web_root;                // folder with index.html (web/dist)
  int flush_ms = 100;                  // one batch per client per interval
  int intake_ms = 2;                   // how often the hub empties its bus rings
  std::size_t bus_capacity = 1 << 18;  // room queued per engine shard for the gateway, in
                                       // ticks (other events take 3: bus::Subscription)
  std::size_t ring = 1024;             // recent events kept per event channel (resume)
  std::size_t max_message_bytes = 4096;
  std::size_t max_subscriptions = 2000;
  std::size_t max_clients = 10000;
  double requests_per_s = 20;
  double request_burst = 40;
  std::size_t high_water_bytes = 1 << 20;
  std::size_t hard_limit_bytes = 8 << 20;
  int grace_ms = 5000;
  int stall_ms = 2000;
  int ping_interval_ms = 5000;
  int ping_timeout_ms = 15000;
  std::int64_t history_default_s = 600;
  std::size_t snapshot_max_events = 5000;
  std::vector<std::string> allowed_origins;  // empty: any Origin (auth on: the page's own)
  auth::AuthConfig auth;                     // off unless auth.issuer is set
  // TLS termination (HTTPS and WSS on the one port): PEM files, both or neither. The
  // Gateway constructor loads them and throws one clear line when it cannot.
  std::string tls_cert;
  std::string tls_key;
  // Origins the page may also connect to and frame (the OIDC issuer when auth is on), added
  // to the Content-Security-Policy's connect-src and frame-src.
  std::vector<std::string> csp_connect;
  Smoothing default_smoothing = Smoothing::kEma;  // /api/intensity without `smoother`
};

struct GatewayStats {
  std::uint64_t clients = 0;               // connected WebSocket clients now
  std::uint64_t clients_dropped_slow = 0;  // closed with 1013
  std::uint64_t bad_client_messages = 0;   // error replies
  std::uint64_t batches_sent = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t bus_dropped = 0;  // events lost because the gateway fell behind the bus
  std::uint64_t gaps = 0;         // gap notices for events lost between engine and gateway
  bool degraded = false;          // a loss within the last minute
};

// Extra counters for /api/health and /metrics, gathered by the app from other parts.
using Metric = std::pair<std::string, std::uint64_t>;
using MetricsSource = std::function<std::vector<Metric>()>;
// Reasons another part is unhealthy now (e.g. "redis: no reply to PING for 3000 ms"); any
// reason makes /api/health `degraded` and sets the `degraded` gauge. Called from the
// gateway's thread on each /api/health and /metrics request.
using HealthSource = std::function<std::vector<std::string>()>;

class Gateway {
 public:
  // The registry, the bus and the history must outlive the gateway; history may be null
  // (snapshots and REST then answer from what the gateway holds in memory). Throws
  // std::runtime_error when the TLS certificate or key is missing, unreadable, not PEM or
  // not a pair.
  Gateway(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
          const store::History* history = nullptr, MetricsSource metrics = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and starts serving on its own thread (the bus subscription is made in the
  // constructor, so nothing published after it is missed). Returns the bound port. Throws
  // std::runtime_error naming the address when it cannot listen.
  std::uint16_t start();
  // Closes every connection (WebSocket close 1001 "going away") and joins the thread.
  void stop();

  GatewayStats stats() const;
  // Before start(): a latency histogram of another part for /metrics, as
  // spacetime_<name> (e.g. the engine's feed_to_engine_seconds). It must outlive the gateway.
  void add_latency(std::string name, std::string help, const market::LatencyHistogram& h);

  // Before start(): the file replay that clients may pause, resume and speed up
  // (`{"op":"replay"}`). It must outlive the gateway.
  void set_replay(ReplayControl* replay);

  // Before start(): where /api/health asks for the health of the parts outside the
  // gateway (the Redis bus in `spacetime gateway`).
  void set_health(HealthSource health);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacetime::gateway
