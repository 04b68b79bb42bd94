// /metrics: every metric other parts hand over by name has its own HELP (not the generic
// fallback), the recorder's store_* names included, whatever the stores are called.
#include "gateway/metrics.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "bus/bus.hpp"
#include "store/recorder.hpp"

namespace spacetime::gateway {
namespace {

TEST(Metrics, EveryRecorderMetricHasItsOwnHelp) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "ALFA"});
  bus::InprocBus bus(symbols.size());
  const auto dir = std::filesystem::temp_directory_path() / "spacetime_metrics_test";
  std::filesystem::create_directories(dir);
  store::Routing routing;
  // Two stores, one with an underscore in its name (a second PostgreSQL is "postgresql_1").
  routing.targets.push_back(
      {"memory:", "memory", store::open_backend(symbols, "memory:", dir.string())});
  routing.targets.push_back(
      {"memory:", "postgresql_1", store::open_backend(symbols, "memory:", dir.string())});
  store::RecorderConfig config;
  config.spool_dir = (dir / "spool").string();
  store::Recorder recorder(symbols, bus, routing, config);
  const auto metrics = recorder.metrics();
  ASSERT_GT(metrics.size(), 10u);
  PromText p;
  for (const auto& [name, value] : metrics) {
    EXPECT_TRUE(has_help(name)) << name;
    p.sample(name, value);
  }
  EXPECT_EQ(p.text().find("SpaceTime metric"), std::string::npos) << p.text();
  EXPECT_NE(p.text().find("# TYPE spacetime_store_memory_spool_bytes gauge"), std::string::npos);
  EXPECT_NE(p.text().find("# TYPE spacetime_store_postgresql_1_rows_failed counter"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

// What src/app hands over (serve.cpp, feed_source.cpp: engine, feeds, Redis bus); keep in
// step with those lists.
TEST(Metrics, EveryAppMetricHasItsOwnHelp) {
  for (const std::string_view name : {"ticks",
                                      "ticks_clamped",
                                      "ticks_unknown_symbol",
                                      "engine_events",
                                      "corrections",
                                      "corrections_unmatched",
                                      "bars_revised",
                                      "bars_revision_missed",
                                      "bars_revised_inexact",
                                      "engine_queue_depth",
                                      "engine_backlog",
                                      "engine_backlogged",
                                      "engine_backpressured",
                                      "bus_dropped",
                                      "feed_ticks",
                                      "feed_backpressured",
                                      "feed_connected",
                                      "feed_trades",
                                      "feed_reconnects",
                                      "feed_backfilled",
                                      "feed_duplicates",
                                      "feed_parse_errors",
                                      "feed_rejected",
                                      "feed_dropped",
                                      "feed_unknown_symbols",
                                      "feed_corrections",
                                      "feed_corrections_applied",
                                      "feed_corrections_unmatched",
                                      "feed_corrections_unknown_type",
                                      "feed_replay_paused",
                                      "feed_replay_finished",
                                      "feed_replay_clock_ms",
                                      "redis_connected",
                                      "redis_reconnects",
                                      "redis_frames",
                                      "redis_events",
                                      "redis_caught_up_frames",
                                      "redis_duplicate_frames",
                                      "redis_duplicate_events",
                                      "redis_gaps",
                                      "redis_lost_events",
                                      "redis_revisions_maybe_lost",
                                      "redis_decode_errors",
                                      "redis_unknown_symbol",
                                      "redis_ping_timeouts",
                                      "redis_down_ms"}) {
    EXPECT_TRUE(has_help(name)) << name;
  }
  EXPECT_FALSE(has_help("recorder_rows")) << "the recorder's metrics are named store_*";
  EXPECT_FALSE(has_help("no_such_metric"));
}

}  // namespace
}  // namespace spacetime::gateway
