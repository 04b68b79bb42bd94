// `spacetime replay FILE`: a recorded tick file through the engine (the live path: feed
// thread, rings, shard threads) or the batch path, at the recorded pace, N times faster or
// as fast as possible, writing every indicator value and event with --indicators-out.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <optional>

#include "app/command.hpp"
#include "app/config.hpp"
#include "app/event_output.hpp"
#include "app/progress.hpp"
#include "app/run_control.hpp"
#include "app/setting_options.hpp"
#include "engine/engine.hpp"
#include "feed/replay.hpp"
#include "feed/tick_file.hpp"
#include "indicators/pipeline.hpp"

namespace spacetime::app {
namespace {

void log_input_problems(const feed::TickFileReader& reader, const market::SymbolRegistry& symbols) {
  const auto& errors = reader.line_errors();
  for (std::size_t k = 0; k < feed::kLineErrorCount; ++k) {
    const auto kind = static_cast<feed::LineError>(k);
    if (const auto& first = errors.first_of(kind)) {
      spdlog::warn("{} line(s) skipped as {}; first at line {}: {}", errors[kind],
                   feed::to_string(kind), first->line, first->message);
    }
  }
  const auto& rejected = reader.rejected();
  for (std::size_t k = 0; k < feed::kRejectReasonCount; ++k) {
    const auto reason = static_cast<feed::RejectReason>(k);
    if (rejected[reason] > 0) {
      spdlog::warn("{} tick(s) rejected: {}", rejected[reason], feed::to_string(reason));
    }
  }
  // The first few of each reason, as read, so nothing disappears unexplained.
  for (const auto& r : reader.reject_samples()) {
    spdlog::warn("rejected ({}): {} at {} ns, price {}, size {}, bid {}, ask {}",
                 feed::to_string(r.reason),
                 r.symbol < symbols.size() ? symbols.info(r.symbol).name : std::string("?"),
                 r.ts_ns, r.price, r.size, r.bid, r.ask);
  }
}

class ReplayCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "replay",
        "Replay a tick file (CSV or .stt) through the engine and write every indicator value\n"
        "and event (--indicators-out OUT.csv|OUT.jsonl). A progress bar shows on a terminal.");
    sub->add_option("file", file_, "tick file: CSV (ts,symbol,price,size[,bid,ask]) or .stt")
        ->required();
    sub->add_option("--speed", speed_text_,
                    "max (default), 1 = recorded pace, 10 = ten times faster");
    sub->add_option("--indicators-out", out_, "write indicator events here (.csv or .jsonl)");
    sub->add_option("--path", path_, "live (default: feed -> rings -> engine threads) or batch")
        ->check(CLI::IsMember({"live", "batch"}));
    sub->add_option("--shards", shards_,
                    "engine threads on the live path (default 1; >1 "
                    "interleaves symbols in the output differently)");
    sub->add_option("--tick-size", tick_size_, "price tick of CSV symbols (default 0.01)");
    sub->add_option("--config", config_path_,
                    "TOML file whose settings apply before these flags (e.g. [indicators])");
    settings_.add(*sub, {"indicators", "guard", "filter"}, /*config_names=*/false);
    return sub;
  }

  int run() override {
    block_stop_signals();
    std::stop_source stop;
    SignalWatcher watcher(stop);

    const auto speed = feed::parse_speed(speed_text_);
    if (!speed)
      throw std::runtime_error(
          fmt::format("--speed: '{}' is not max or a positive number", speed_text_));
    ServeConfig config;  // the indicator settings are shared with serve
    if (!config_path_.empty()) apply_toml_file(config, config_path_);
    settings_.apply(config);
    config.engine.shards = shards_;

    market::SymbolRegistry symbols;
    feed::TickFileOptions options;
    if (tick_size_) options.tick_size = *tick_size_;
    options.time_guard.max_skew_ns = config.max_skew_ns;
    options.filter = config.filter_for(/*live=*/false);
    auto reader = feed::TickFileReader::open(file_, symbols, options);
    spdlog::info("replay {}: {} symbols, about {} ticks ({} path)", file_, symbols.size(),
                 reader.expected_ticks(), path_);

    std::optional<EventFileWriter> writer;
    if (!out_.empty()) writer.emplace(out_, symbols);
    struct Null final : market::EventSink {
      void on_publish(std::span<const market::Event>, std::int64_t) override {}
    } null_sink;
    market::EventSink& sink = writer ? static_cast<market::EventSink&>(*writer) : null_sink;

    ProgressBar bar("replay");
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t ticks = 0;
    std::uint64_t flushed = 0;
    if (path_ == "batch") {
      ticks = run_batch(reader, symbols, config, sink, bar, stop.get_token(), flushed);
    } else {
      engine::Engine engine(config.engine, symbols, sink);
      engine.start();
      const auto stats = feed::replay(
          reader, engine, *speed, stop.get_token(), [&](const feed::ReplayProgress& p) {
            bar.update({.fraction = p.bytes_total ? static_cast<double>(p.bytes_done) /
                                                        static_cast<double>(p.bytes_total)
                                                  : -1.0,
                        .ticks = p.ticks,
                        .ticks_per_s = p.ticks_per_s,
                        .elapsed = p.elapsed});
          });
      // The end of the file: every open bar closes (docs/INDICATORS.md § 9).
      if (!stop.stop_requested()) engine.flush_bars();
      engine.stop();
      ticks = engine.stats().ticks;
      flushed = engine.stats().bars_flushed;
      if (engine.stats().ticks_clamped > 0) {
        spdlog::warn("{} tick(s) had out-of-order timestamps and were clamped",
                     engine.stats().ticks_clamped);
      }
      (void)stats;
    }
    bar.finish();
    if (writer) writer->close();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log_input_problems(reader, symbols);
    if (!stop.stop_requested()) {
      spdlog::info("end of the replay: {} open bar(s) closed (flush)", flushed);
    }
    spdlog::info(
        "replayed {} ticks in {:.2f} s ({} ticks/s){}{}", ticks, seconds,
        human_count(static_cast<double>(ticks) / std::max(seconds, 1e-9)),
        writer ? fmt::format(", {} events to {}", writer->events_written(), out_) : std::string(),
        stop.stop_requested() ? " (interrupted)" : "");
    return stop.stop_requested() ? 130 : 0;
  }

 private:
  // The batch path: columns of up to 64 Ki ticks through the same streaming objects.
  static std::uint64_t run_batch(feed::TickFileReader& reader,
                                 const market::SymbolRegistry& symbols, const ServeConfig& config,
                                 market::EventSink& sink, ProgressBar& bar, std::stop_token stop,
                                 std::uint64_t& flushed) {
    indicators::validate(config.engine.indicators);
    std::vector<indicators::SymbolIndicators> states;
    const auto base = std::make_shared<const indicators::IndicatorParams>(config.engine.indicators);
    for (market::SymbolId s = 0; s < symbols.size(); ++s) {
      const std::string& name = symbols.info(s).name;
      states.emplace_back(s, *config.engine.overrides.resolve(base, name),
                          config.engine.sessions.find(name));
    }
    constexpr std::size_t kChunk = 1 << 16;
    std::vector<market::Tick> chunk(kChunk);
    indicators::TickColumnBuffer columns;
    indicators::FeedClock clock;
    std::vector<market::Event> events;
    std::uint64_t total = 0;
    const auto start = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      const std::size_t n = reader.read(chunk);
      if (n == 0) break;
      columns.clear();
      for (std::size_t i = 0; i < n; ++i)
        columns.push(chunk[i]);
      events.clear();
      indicators::run_batch(columns.view(), states, clock, events);
      sink.publish(events);
      total += n;
      const auto elapsed = std::chrono::steady_clock::now() - start;
      bar.update({.fraction = static_cast<double>(reader.bytes_read()) /
                              static_cast<double>(std::max<std::uint64_t>(reader.total_bytes(), 1)),
                  .ticks = total,
                  .ticks_per_s = static_cast<double>(total) /
                                 std::max(std::chrono::duration<double>(elapsed).count(), 1e-9),
                  .elapsed = elapsed});
    }
    if (!stop.stop_requested()) {  // the end of the file: every open bar closes
      events.clear();
      for (auto& s : states)
        flushed += s.flush(events);
      sink.publish(events);
    }
    return total;
  }

  std::string file_;
  std::string speed_text_ = "max";
  std::string out_;
  std::string path_ = "live";
  std::size_t shards_ = 1;
  std::optional<double> tick_size_;
  std::string config_path_;
  SettingOptions settings_;
};

}  // namespace

SPACETIME_COMMAND(20, ReplayCommand);

}  // namespace spacetime::app
