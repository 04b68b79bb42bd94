#include "gateway/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace spacetime::gateway {
namespace {

struct Known {
  std::string_view name;
  bool gauge;
  std::string_view help;
};

// Metrics that other parts hand to the gateway by name.
constexpr std::array<Known, 64> kKnown = {{
    {"uptime_s", true, "Seconds since the gateway started."},
    {"ticks", false, "Ticks processed by the engine."},
    {"ticks_clamped", false, "Ticks whose out-of-order timestamp was clamped (INDICATORS.md D5)."},
    {"ticks_unknown_symbol", false, "Ticks skipped by the engine for an unknown symbol id."},
    {"engine_events", false, "Events the engine published."},
    {"engine_queue_depth", true, "Ticks waiting in the engine's shard rings."},
    {"engine_backlog", true, "Ticks waiting in the feeding thread for a full shard ring."},
    {"engine_backlogged", false, "Ticks that waited in a backlog because their ring was full."},
    {"engine_backpressured", false, "Offers cut short because a shard's backlog was full."},
    {"bus_dropped", false, "Events lost by all bus subscriptions together."},
    {"feed_ticks", false, "Ticks the feed produced."},
    {"feed_backpressured", false, "Times the feed waited for the engine."},
    {"feed_connected", true, "1 while the live feed is connected."},
    {"feed_trades", false, "Trades received from the live feed."},
    {"feed_reconnects", false, "Reconnections of the live feed."},
    {"feed_backfilled", false, "Trades recovered by backfill after a reconnect."},
    {"feed_duplicates", false, "Backfilled trades dropped as already seen."},
    {"feed_parse_errors", false, "Feed lines that could not be parsed, by kind."},
    {"feed_rejected", false, "Feed ticks rejected at the feed boundary."},
    {"feed_dropped", false, "Feed ticks dropped because the engine was full."},
    {"feed_unknown_symbols", false, "Feed messages for symbols not watched."},
    {"feed_corrections", false, "Trade correction (C) lines from the live feed."},
    {"feed_corrections_applied", false, "Trade corrections handed to the engine."},
    {"feed_corrections_unmatched", false,
     "Trade corrections for a TickID no longer known (not applied)."},
    {"feed_corrections_unknown_type", false,
     "Trade corrections of an unknown CorrectionType (not applied)."},
    {"corrections", false, "Trade corrections the engine processed (INDICATORS.md § 1)."},
    {"corrections_unmatched", false, "Corrections whose cancelled trade was no longer kept."},
    {"bars_revised", false, "Closed bars sent again revised after a correction."},
    {"bars_revision_missed", false, "Bars a correction touched that were no longer kept."},
    {"bars_revised_inexact", false, "Revised bars missing some of their trades."},
    // The recorder's (store::Recorder::metrics()); `*` stands for a store's name in the
    // routing ("sqlite", "postgresql", "influxdb", "memory", "postgresql_1", ...) or a
    // series ("candles", "ticks", ...).
    {"store_events_seen", false, "Events the recorder took from the bus."},
    {"store_rows_*", false, "Rows the recorder wrote, per series (the name's last part)."},
    {"store_bus_dropped", false, "Events the recorder's bus subscription lost."},
    {"store_bus_waits", false, "Times a publisher waited for room in the recorder's bus ring."},
    {"store_bus_wait_ms", false, "Milliseconds publishers waited for the recorder, in all."},
    {"store_*_batches", false, "Batches written to the store."},
    {"store_*_failures", false, "Failed writes to the store (spooled for retry)."},
    {"store_*_rows_failed", false, "Rows in batches the store refused (not retried)."},
    {"store_*_spooled_batches", false, "Batches put into the store's on-disk spool."},
    {"store_*_replayed_batches", false, "Spooled batches written once the store was back."},
    {"store_*_spool_bytes", true, "Bytes waiting in the store's on-disk spool."},
    {"store_*_spool_age_ms", true, "Age of the oldest batch in the store's spool, ms."},
    {"store_*_spool_samples_dropped", false,
     "Intensity samples dropped from the full spool (oldest first)."},
    {"store_*_wal_checkpoints", false, "WAL checkpoints done by the SQLite store's own thread."},
    {"store_*_wal_checkpoints_busy", false,
     "WAL checkpoints that found the database busy (tried again at the next commit)."},
    {"store_*_wal_checkpoints_failed", false,
     "WAL checkpoints that failed (an I/O error, a full disk)."},
    {"feed_replay_paused", true, "1 while the file replay is paused."},
    {"feed_replay_finished", true, "1 once the file replay has reached its end."},
    {"feed_replay_clock_ms", true, "The replayed file's clock (UTC ms)."},
    {"feed_rejected_by_reason", false, "Feed ticks rejected, by reason."},
    {"redis_connected", true, "1 while the Redis bus subscriber is connected and subscribed."},
    {"redis_reconnects", false, "Reconnections of the Redis bus subscriber."},
    {"redis_frames", false, "Event frames received from Redis."},
    {"redis_events", false, "Events received from Redis."},
    {"redis_caught_up_frames", false,
     "Frames read back from the Redis streams (after a cut, or while first subscribing)."},
    {"redis_duplicate_frames", false, "Frames dropped as already received."},
    {"redis_duplicate_events", false, "Events dropped as at or below their channel's seq."},
    {"redis_gaps", false, "Gaps the Redis streams no longer covered."},
    {"redis_lost_events", false, "Events lost in gaps the Redis streams no longer covered."},
    {"redis_revisions_maybe_lost", false,
     "Candle channels whose last closed bars were reported as possibly revised after a gap."},
    {"redis_decode_errors", false, "Redis frames that could not be decoded."},
    {"redis_unknown_symbol", false, "Redis events for symbols this process does not know."},
    {"redis_ping_timeouts", false,
     "Redis subscriptions given up because the server stopped answering (PING)."},
    {"redis_down_ms", true, "Milliseconds since the Redis subscription ended; 0 while subscribed."},
}};

// A size larger than the list would leave nameless entries.
static_assert(std::none_of(kKnown.begin(), kKnown.end(),
                           [](const Known& k) { return k.name.empty(); }));

// Metrics from other parts whose names carry a store's or a service's name (e.g.
// store_sqlite_spool_bytes): a value that can go down is a gauge, known by its ending.
constexpr std::array<std::string_view, 5> kGaugeEndings = {
    "_connected", "_spool_bytes", "_spool_age_ms", "_queue_depth", "_in_flight"};

bool is_gauge_name(std::string_view base) {
  for (const auto ending : kGaugeEndings) {
    if (base.ends_with(ending)) return true;
  }
  return false;
}

// A name with `*` matches any non-empty middle between its two sides; the most specific
// (longest fixed part) wins: store_sqlite_rows_failed is *_rows_failed, not store_rows_*.
bool matches(std::string_view pattern, std::string_view name) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == name;
  const auto prefix = pattern.substr(0, star);
  const auto suffix = pattern.substr(star + 1);
  return name.size() > prefix.size() + suffix.size() && name.starts_with(prefix) &&
         name.ends_with(suffix);
}

const Known* find_known(std::string_view base) {
  const Known* best = nullptr;
  for (const auto& k : kKnown) {
    if (k.name == base) return &k;
    if (matches(k.name, base) && (!best || k.name.size() > best->name.size())) best = &k;
  }
  return best;
}

}  // namespace

bool has_help(std::string_view name) {
  return find_known(name) != nullptr;
}

void PromText::head(std::string_view name, std::string_view help, std::string_view type) {
  if (std::find(named_.begin(), named_.end(), name) != named_.end()) return;
  named_.emplace_back(name);
  fmt::format_to(std::back_inserter(out_), "# HELP spacetime_{} {}\n# TYPE spacetime_{} {}\n", name,
                 help, name, type);
}

void PromText::value(std::string_view name, std::string_view labels, double v) {
  fmt::format_to(std::back_inserter(out_), "spacetime_{}{} {}\n", name, labels,
                 std::isfinite(v) ? v : 0.0);
}

void PromText::counter(std::string_view name, std::string_view help, double v,
                       std::string_view labels) {
  head(name, help, "counter");
  value(name, labels, v);
}

void PromText::gauge(std::string_view name, std::string_view help, double v,
                     std::string_view labels) {
  head(name, help, "gauge");
  value(name, labels, v);
}

void PromText::sample(std::string_view name_with_labels, std::uint64_t v) {
  const auto brace = name_with_labels.find('{');
  const std::string_view base = name_with_labels.substr(0, brace);
  const std::string_view labels =
      brace == std::string_view::npos ? std::string_view{} : name_with_labels.substr(brace);
  const Known* k = find_known(base);
  const std::string help = k ? std::string(k->help) : fmt::format("SpaceTime metric {}.", base);
  head(base, help, (k && k->gauge) || (!k && is_gauge_name(base)) ? "gauge" : "counter");
  value(base, labels, static_cast<double>(v));
}

void PromText::histogram(std::string_view name, std::string_view help,
                         const market::LatencyHistogram::Snapshot& h) {
  head(name, help, "histogram");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < market::LatencyHistogram::kBoundsNs.size(); ++i) {
    cumulative += h.counts[i];
    fmt::format_to(std::back_inserter(out_), "spacetime_{}_bucket{{le=\"{}\"}} {}\n", name,
                   static_cast<double>(market::LatencyHistogram::kBoundsNs[i]) / 1e9, cumulative);
  }
  cumulative += h.counts.back();
  fmt::format_to(std::back_inserter(out_), "spacetime_{}_bucket{{le=\"+Inf\"}} {}\n", name,
                 cumulative);
  fmt::format_to(std::back_inserter(out_), "spacetime_{}_sum {}\nspacetime_{}_count {}\n", name,
                 h.sum_s, name, h.count);
}

}  // namespace spacetime::gateway
