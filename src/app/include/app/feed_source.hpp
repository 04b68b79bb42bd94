// The tick source of a long-running command, chosen by configuration: the simulator (paced
// to the wall clock), DTN IQFeed, or a recorded tick file replayed at a pace clients may
// steer. Creating one registers its symbols.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "feed/normalizer.hpp"
#include "gateway/gateway.hpp"
#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::app {

class FeedSource {
 public:
  // Throws ConfigError for a feed that cannot run (e.g. iqfeed without symbols).
  static std::unique_ptr<FeedSource> make(const ServeConfig& config,
                                          market::SymbolRegistry& symbols);
  virtual ~FeedSource() = default;

  // Every tick the feed boundary rejects, on the feed's thread; set before run(). The
  // simulator never produces one.
  virtual void on_reject(std::function<void(const feed::RejectedTick&)> /*observer*/) {}
  // Feeds the sink until stop is requested (on the calling thread).
  virtual void run(market::TickSink& sink, std::stop_token stop) = 0;
  // Counters for /api/health and /metrics.
  virtual std::vector<gateway::Metric> metrics() const = 0;
  virtual std::string describe() const = 0;
  // A file replay clients may steer; null for live feeds and the simulator.
  virtual gateway::ReplayControl* replay_control() { return nullptr; }
};

}  // namespace spacetime::app
