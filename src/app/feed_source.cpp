#include "app/feed_source.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>

#include "feed/iqfeed.hpp"
#include "feed/replay_pacer.hpp"
#include "feed/simulator.hpp"
#include "feed/tick_file.hpp"

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
    std::vector<gateway::Metric> out = {
        {"feed_connected", s.connected ? 1u : 0u},
        {"feed_trades", s.trades},
        {"feed_reconnects", s.reconnects},
        {"feed_backfilled", s.backfilled},
        {"feed_duplicates", s.duplicates},
        {"feed_parse_errors", s.parse_errors_total()},
        {"feed_rejected", s.rejected},
        {"feed_dropped", s.dropped + s.dropped_held},
        {"feed_unknown_symbols", s.unknown_symbols},
        {"feed_corrections", s.corrections},
        {"feed_corrections_applied", s.corrections_applied},
        {"feed_corrections_unmatched", s.corrections_unmatched},
        {"feed_corrections_unknown_type", s.corrections_unknown_type}};
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

// A recorded tick file played into the live product at a pace on its own timestamps,
// which clients may pause, resume and change over the WebSocket (`{"op":"replay"}`).
// At the end of the file the product stays up with what it has.
class FileSource final : public FeedSource, public gateway::ReplayControl {
 public:
  FileSource(const ServeConfig& config, market::SymbolRegistry& symbols)
      : file_(checked_file(config)),
        reader_(feed::TickFileReader::open(file_, symbols, reader_options(config))),
        pacer_(config.replay_speed),
        symbols_(symbols.size()) {}

  void run(market::TickSink& sink, std::stop_token stop) override {
    try {
      const auto stats = feed::paced_replay(reader_, sink, pacer_, stop);
      ticks_.store(stats.ticks, std::memory_order_relaxed);
      if (!stats.stopped) {
        spdlog::info("replay of {}: the file ended after {} ticks", file_, stats.ticks);
      }
    } catch (const feed::TickFileError& e) {
      // A corrupt block mid-file: what came before stays on screen, the clock stops.
      pacer_.finish();
      spdlog::error("replay of {} stopped: {}", file_, e.what());
    }
  }
  std::vector<gateway::Metric> metrics() const override {
    const auto s = pacer_.state();
    return {{"feed_ticks", ticks_.load(std::memory_order_relaxed)},
            {"feed_replay_paused", s.paused ? 1u : 0u},
            {"feed_replay_finished", s.finished ? 1u : 0u},
            {"feed_replay_clock_ms",
             static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.clock_ns / 1'000'000))}};
  }
  std::string describe() const override {
    return fmt::format("replay of {} at {}x ({} symbols, about {} ticks)", file_,
                       pacer_.state().speed, symbols_, reader_.expected_ticks());
  }

  // gateway::ReplayControl, on the gateway's thread.
  gateway::ReplayStatus status() const override {
    const auto s = pacer_.state();
    return {.paused = s.paused,
            .finished = s.finished,
            .speed = s.speed,
            .clock_ms = s.clock_ns / 1'000'000};
  }
  void pause() override {
    pacer_.pause();
    spdlog::info("replay: paused");
  }
  void resume() override {
    pacer_.resume();
    spdlog::info("replay: resumed");
  }
  bool set_speed(double speed) override {
    if (!feed::valid_replay_speed(speed)) return false;
    pacer_.set_speed(speed);
    spdlog::info("replay: speed {}x", speed);
    return true;
  }
  gateway::ReplayControl* replay_control() override { return this; }

 private:
  static std::string checked_file(const ServeConfig& config) {
    if (config.replay_file.empty()) {
      throw ConfigError("--feed file needs --file (a recorded .stt or CSV tick file)");
    }
    return config.replay_file;
  }
  static feed::TickFileOptions reader_options(const ServeConfig& config) {
    feed::TickFileOptions options;
    options.time_guard.max_skew_ns = config.max_skew_ns;
    options.filter = config.filter_for(/*live=*/false);
    return options;
  }

  std::string file_;
  feed::TickFileReader reader_;
  feed::ReplayPacer pacer_;
  std::size_t symbols_;
  std::atomic<std::uint64_t> ticks_{0};
};

}  // namespace

std::unique_ptr<FeedSource> FeedSource::make(const ServeConfig& config,
                                             market::SymbolRegistry& symbols) {
  if (config.feed == "iqfeed") return std::make_unique<IqFeedSource>(config, symbols);
  if (config.feed == "file") return std::make_unique<FileSource>(config, symbols);
  return std::make_unique<SimulatorSource>(config.simulator, symbols);
}

}  // namespace spacetime::app
