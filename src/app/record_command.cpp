// `spacetime record`: saves a session's ticks to a tick file (.stt or CSV), optionally with
// the indicator output the engine computed from the same ticks, so that a later
// `spacetime replay FILE --indicators-out` can be diffed against it. Sources: the
// simulator (generated as fast as possible for --seconds of simulated time) or DTN IQFeed
// (a live session, for --seconds of wall time or until Ctrl-C).
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <thread>

#include "app/command.hpp"
#include "app/config.hpp"
#include "app/event_output.hpp"
#include "app/feed_source.hpp"
#include "app/progress.hpp"
#include "app/run_control.hpp"
#include "app/setting_options.hpp"
#include "engine/engine.hpp"
#include "feed/quarantine.hpp"
#include "feed/recording_sink.hpp"
#include "feed/simulator.hpp"
#include "feed/tick_file.hpp"

namespace spacetime::app {
namespace {

using feed::RecordingSink;  // writes what the engine accepted, and gaps for what a live feed
                            // dropped

class RecordCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "record",
        "Record a feed's ticks to a tick file (.stt, .stt with --zstd, or .csv), and with\n"
        "--indicators-out the indicator output the engine computed from them.");
    sub->add_option("--out", out_, "tick file to write (.stt or .csv)")->required();
    sub->add_flag("--zstd", zstd_, "compress .stt blocks with zstd");
    seconds_option_ =
        sub->add_option(
               "--seconds", seconds_,
               "seconds to record: simulated time for sim (default 600), wall time for iqfeed "
               "(default: until Ctrl-C)")
            ->check(CLI::PositiveNumber);
    sub->add_option("--indicators-out", events_out_,
                    "also write indicator events (.csv or .jsonl)");
    sub->add_option("--config", config_path_,
                    "TOML file whose settings apply before these flags (e.g. [indicators])");
    sub->add_option("--quarantine-rows", quarantine_rows_,
                    "rejected ticks written to OUT.quarantine.csv at most; more are counted "
                    "(default 100000)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
    settings_.add(*sub, {"feed", "simulator", "iqfeed", "guard", "filter", "indicators"},
                  /*config_names=*/false);
    return sub;
  }

  int run() override {
    block_stop_signals();
    std::stop_source stop;
    SignalWatcher watcher(stop);

    seconds_set_ = seconds_option_->count() > 0;
    ServeConfig config;
    if (!config_path_.empty()) apply_toml_file(config, config_path_);
    settings_.apply(config);
    if (config.feed == "file") {
      throw ConfigError("record: --feed file replays a recording; record from sim or iqfeed");
    }
    if (config.sim_start_now) {
      config.simulator.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    }
    // Durations are int64 nanoseconds: one that does not fit is refused before anything runs.
    const double limit_s =
        config.feed == "iqfeed"
            ? kMaxSeconds
            : std::min(kMaxSeconds, static_cast<double>(std::numeric_limits<std::int64_t>::max() -
                                                        config.simulator.start_ns) /
                                        1e9);
    if (seconds_set_ && !(seconds_ < limit_s)) {
      throw std::runtime_error(fmt::format(
          "--seconds: {} does not fit in int64 nanoseconds{} (at most {:.0f} s)", seconds_,
          config.feed == "iqfeed" ? "" : " after the simulator's start", std::floor(limit_s)));
    }
    config.engine.shards = 1;  // one shard: the indicator output is in tick order

    market::SymbolRegistry symbols;
    std::unique_ptr<FeedSource> live;
    std::optional<feed::Simulator> sim;
    if (config.feed == "iqfeed") {
      live = FeedSource::make(config, symbols);
    } else {
      sim.emplace(config.simulator);
      for (const auto& info : sim->symbols())
        symbols.add(info);
    }
    // The output file's name is checked before the tick file is created: a mistake in it
    // must not leave a stray tick file behind.
    std::optional<EventFileWriter> events;
    if (!events_out_.empty()) events.emplace(events_out_, symbols);
    // What a live feed's boundary rejects goes next to the recording, so that nothing
    // disappears unexplained; created now, before the tick file, for the same reason.
    feed::QuarantineFile quarantine(feed::QuarantineFile::path_for(out_), symbols,
                                    quarantine_rows_);
    if (live && !quarantine.open()) throw std::runtime_error(quarantine.error());
    auto writer = feed::TickFileWriter::create(out_, symbols, {.zstd = zstd_});

    std::optional<engine::Engine> engine;
    if (events) {
      engine.emplace(config.engine, symbols, *events);
      engine->start();
    }
    RecordingSink sink(writer, engine ? &*engine : nullptr);

    if (live) {
      live->on_reject([&quarantine](const feed::RejectedTick& t) { quarantine.write(t); });
      record_live(*live, sink, stop);
      live->on_reject(nullptr);
      quarantine.close();
      report(quarantine);
    } else {
      record_simulated(*sim, config.simulator.start_ns, sink, stop);
    }
    // The end of the session: every open bar closes, as at the end of its replay.
    if (engine && !sink.failed()) engine->flush_bars();
    if (engine) engine->stop();
    sink.throw_if_failed();
    writer.close();
    if (events) events->close();
    spdlog::info(
        "recorded {} ticks of {} symbols to {} ({} bytes){}", writer.ticks_written(),
        symbols.size(), out_, writer.bytes_written(),
        events ? fmt::format(", {} indicator events to {}", events->events_written(), events_out_)
               : std::string());
    if (sink.dropped_ticks() > 0) {
      spdlog::warn(
          "{} trade(s) the engine refused were dropped by the feed; recorded as {} gap "
          "record(s){}",
          sink.dropped_ticks(), sink.gap_records(),
          writer.gaps_skipped() > 0 ? " (left out of the CSV file: its replay numbers trades anew)"
                                    : "");
    }
    // Ctrl-C is how a live recording ends; it only means "interrupted" for the simulator.
    return stop.stop_requested() && !live ? 130 : 0;
  }

 private:
  static void report(const feed::QuarantineFile& q) {
    if (!q.error().empty()) spdlog::error("{}", q.error());
    if (q.rows() + q.overflow() == 0) return;
    spdlog::warn("{} rejected tick(s) quarantined to {}{}", q.rows(), q.path(),
                 q.overflow() > 0
                     ? fmt::format("; {} more counted but not written (the --quarantine-rows "
                                   "limit, or the write error above)",
                                   q.overflow())
                     : std::string());
  }

  // A live feed runs on its own thread until --seconds pass or Ctrl-C.
  void record_live(FeedSource& source, RecordingSink& sink, std::stop_source& stop) {
    spdlog::info("recording {} to {} ({})", source.describe(), out_,
                 seconds_set_ ? fmt::format("{} s", seconds_) : std::string("until Ctrl-C"));
    std::jthread feed_thread([&](std::stop_token token) {
      pthread_setname_np(pthread_self(), "feed");  // in top -H, perf, gdb
      source.run(sink, token);
    });
    // Without --seconds there is no deadline: the recording runs until Ctrl-C.
    std::optional<std::chrono::steady_clock::time_point> until;
    if (seconds_set_) {
      until = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(seconds_));
    }
    while (!stop.stop_requested() && !sink.failed() &&
           (!until || std::chrono::steady_clock::now() < *until)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    feed_thread.request_stop();
    feed_thread.join();
  }

  // The simulator generates --seconds of simulated time as fast as the sink takes it.
  void record_simulated(feed::Simulator& sim, std::int64_t start_ns, RecordingSink& sink,
                        std::stop_source& stop) {
    const std::int64_t end = start_ns + static_cast<std::int64_t>(seconds_ * 1e9);
    ProgressBar bar("record");
    const auto started = std::chrono::steady_clock::now();
    std::vector<market::Tick> batch;
    batch.reserve(1024);
    std::uint64_t ticks = 0;
    while (!stop.stop_requested() && !sink.failed() && sim.peek_time() < end) {
      batch.clear();
      while (batch.size() < 1024 && sim.peek_time() < end)
        batch.push_back(sim.next());
      std::span<const market::Tick> rest(batch);
      while (!rest.empty()) {
        rest = rest.subspan(sink.offer(rest));
        if (!rest.empty()) std::this_thread::yield();
      }
      ticks += batch.size();
      const auto elapsed = std::chrono::steady_clock::now() - started;
      bar.update({.fraction = static_cast<double>(sim.peek_time() - start_ns) / (seconds_ * 1e9),
                  .ticks = ticks,
                  .ticks_per_s = static_cast<double>(ticks) /
                                 std::max(std::chrono::duration<double>(elapsed).count(), 1e-9),
                  .elapsed = elapsed});
    }
    bar.finish();
  }

  // The longest duration in int64 nanoseconds, in seconds (a double just below 2^63 ns).
  static constexpr double kMaxSeconds = 9'223'372'036.0;

  std::string out_;
  bool zstd_ = false;
  double seconds_ = 600;
  CLI::Option* seconds_option_ = nullptr;
  bool seconds_set_ = false;
  std::string events_out_;
  std::string config_path_;
  std::uint64_t quarantine_rows_ = feed::QuarantineFile::kDefaultMaxRows;
  SettingOptions settings_;
};

}  // namespace

SPACETIME_COMMAND(40, RecordCommand);

}  // namespace spacetime::app
