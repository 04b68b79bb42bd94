// The gateway: HTTP + WebSocket server (Boost.Beast, kept out of this header). It serves
// the web front end and /api, and fans engine events from the bus out to browser clients:
// a snapshot on subscribe, then one batched frame per client per flush interval, with a
// bounded outbound queue per client (docs/PROTOCOL.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bus/bus.hpp"
#include "gateway/protocol.hpp"
#include "market/symbol.hpp"

namespace spacetime::gateway {

struct GatewayConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;           // 0 picks a free port; start() returns the one bound
  std::string web_root;                // folder with index.html (web/dist)
  int flush_ms = 100;                  // one batch frame per client per interval
  std::size_t history = 1000;          // closed candles kept per (symbol, timeframe)
  std::size_t client_queue = 64;       // frames queued per client before it is dropped as slow
  std::size_t bus_capacity = 1 << 20;  // events buffered from the bus between two flushes
  Smoothing default_smoothing = Smoothing::kEma;  // intensity, when a client does not say
};

struct GatewayStats {
  std::uint64_t clients = 0;               // connected WebSocket clients now
  std::uint64_t clients_dropped_slow = 0;  // closed for a full outbound queue
  std::uint64_t bad_client_messages = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t bus_dropped = 0;  // events lost because the gateway fell behind the bus
};

// Extra counters for /api/health and /metrics, gathered by the app from other parts.
using Metric = std::pair<std::string, std::uint64_t>;
using MetricsSource = std::function<std::vector<Metric>()>;

class Gateway {
 public:
  // The registry and the bus must outlive the gateway.
  Gateway(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
          MetricsSource metrics = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds, subscribes to the bus and starts serving on its own thread. Returns the bound
  // port. Throws std::runtime_error naming the address when it cannot listen.
  std::uint16_t start();
  // Closes every connection (WebSocket close "going away") and joins the thread.
  void stop();

  GatewayStats stats() const;

  class Impl;  // defined in gateway.cpp; public so the file's session classes can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacetime::gateway
