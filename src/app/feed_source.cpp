#include "app/feed_source.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "feed/iqfeed.hpp"
#include "feed/simulator.hpp"

namespace spacetime::app {
namespace {

class SimulatorSource final : public FeedSource {
 public:
  SimulatorSource(const feed::SimulatorConfig& config, market::SymbolRegistry& symbols)
      : config_(config), sim_(config) {
    for (const auto& info : sim_.symbols())
      symbols.add(info);
  }
  void run(market::TickSink& sink, std::stop_token stop) override {
    sim_.run(sink, stop, /*paced=*/true);
  }
  std::vector<gateway::Metric> metrics() const override {
    const auto s = sim_.stats();
    return {{"feed_ticks", s.ticks}, {"feed_backpressured", s.backpressured}};
  }
  std::string describe() const override {
    return fmt::format("{} simulated symbols at {} ticks/s, seed {}", config_.symbols, config_.rate,
                       config_.seed);
  }

 private:
  feed::SimulatorConfig config_;
  feed::Simulator sim_;
};

class IqFeedSource final : public FeedSource {
 public:
  IqFeedSource(const ServeConfig& config, market::SymbolRegistry& symbols)
      : config_(config.iqfeed), client_(register_symbols(config, symbols), symbols) {
    client_.on_event([](const feed::IqFeedEvent& e) {
      const bool bad = e.kind == feed::IqFeedEventKind::kParseError ||
                       e.kind == feed::IqFeedEventKind::kServerError ||
                       e.kind == feed::IqFeedEventKind::kConnectFailed ||
                       e.kind == feed::IqFeedEventKind::kDropped ||
                       e.kind == feed::IqFeedEventKind::kBackfillFailed ||
                       e.kind == feed::IqFeedEventKind::kSymbolNotFound ||
                       e.kind == feed::IqFeedEventKind::kProtocolMismatch ||
                       e.kind == feed::IqFeedEventKind::kTickSizeMismatch ||
                       e.kind == feed::IqFeedEventKind::kRejected;
      const std::string where = e.line ? fmt::format(" (line {}: {})", e.line, e.context) : "";
      if (bad) {
        spdlog::warn("iqfeed: {}: {}{}", feed::to_string(e.kind), e.detail, where);
      } else {
        spdlog::info("iqfeed: {}: {}", feed::to_string(e.kind), e.detail);
      }
    });
  }
  void on_reject(std::function<void(const feed::RejectedTick&)> observer) override {
    client_.on_reject(std::move(observer));
  }
  void run(market::TickSink& sink, std::stop_token stop) override { client_.run(sink, stop); }
  std::vector<gateway::Metric> metrics() const override {
    const auto s = client_.stats();
    std::vector<gateway::Metric> out = {{"feed_connected", s.connected ? 1u : 0u},
                                        {"feed_trades", s.trades},
                                        {"feed_reconnects", s.reconnects},
                                        {"feed_backfilled", s.backfilled},
                                        {"feed_duplicates", s.duplicates},
                                        {"feed_parse_errors", s.parse_errors_total()},
                                        {"feed_rejected", s.rejected},
                                        {"feed_dropped", s.dropped + s.dropped_held},
                                        {"feed_unknown_symbols", s.unknown_symbols}};
    // Per kind, Prometheus style: feed_parse_errors{source="iqfeed",kind="bad_number"}.
    for (std::size_t k = 0; k < feed::kIqFeedParseErrorKinds; ++k) {
      const auto kind = static_cast<feed::IqFeedParseError>(k);
      out.emplace_back(
          fmt::format(R"(feed_parse_errors{{source="iqfeed",kind="{}"}})", feed::to_string(kind)),
          s.parse_error(kind));
    }
    // Rejected trades by reason: feed_rejected{source="iqfeed",reason="bad_quote"}.
    for (std::size_t k = 0; k < feed::kRejectReasonCount; ++k) {
      out.emplace_back(fmt::format(R"(feed_rejected{{source="iqfeed",reason="{}"}})",
                                   feed::to_string(static_cast<feed::RejectReason>(k))),
                       s.rejected_by_reason[k]);
    }
    return out;
  }
  std::string describe() const override {
    return fmt::format("DTN IQFeed at {}:{} (lookup {}), {} symbols", config_.host,
                       config_.level1_port, config_.lookup_port, config_.symbols.size());
  }

 private:
  static feed::IqFeedConfig register_symbols(const ServeConfig& config,
                                             market::SymbolRegistry& symbols) {
    if (config.iqfeed.symbols.empty()) {
      throw ConfigError("--feed iqfeed needs --iqfeed-symbols (e.g. AAPL,MSFT)");
    }
    for (const auto& name : config.iqfeed.symbols) {
      symbols.add({.name = name,
                   .tick_size = config.iqfeed_tick_size,
                   .decimals = market::decimals_for(config.iqfeed_tick_size)});
    }
    feed::IqFeedConfig iq = config.iqfeed;
    iq.filter = config.filter_for(/*live=*/true);
    return iq;
  }

  feed::IqFeedConfig config_;
  feed::IqFeedClient client_;
};

}  // namespace

std::unique_ptr<FeedSource> FeedSource::make(const ServeConfig& config,
                                             market::SymbolRegistry& symbols) {
  if (config.feed == "iqfeed") return std::make_unique<IqFeedSource>(config, symbols);
  return std::make_unique<SimulatorSource>(config.simulator, symbols);
}

}  // namespace spacetime::app
