// The store's face: what was recorded, by symbol, series and time range, page by page.
// The gateway's snapshots, resume and REST read through History; the recorder writes into
// Backends. Every backend (memory, SQLite, PostgreSQL, InfluxDB) answers the same query
// with the same rows, so which one holds a series is configuration, not code.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "market/event.hpp"
#include "market/timeframe.hpp"

namespace spacetime::store {

namespace detail {
class TickBatch;  // store/tick_block.hpp
}

// What is kept. Candles are the closed bars of every timeframe; samples are the downsampled
// intensity and band (market::SampleEvent), answered as "intensity" and "buffer".
enum class Series : std::uint8_t { kCandles, kTicks, kSamples, kSpikes, kReversals };
inline constexpr std::size_t kSeriesCount = 5;

// "candles", "ticks", "intensity", "spikes", "reversals".
std::string_view to_string(Series series);
std::optional<Series> parse_series(std::string_view name);

// The series an event is stored in; nullopt for the value samples that are never stored
// (intensity and buffer per tick) and for the candle in progress, which is kept apart
// (open_bar_of, Backend::open_bars).
// Inline: the recorder asks it of every event.
inline std::optional<Series> series_of(const market::Event& event) {
  if (std::holds_alternative<market::TickEvent>(event)) return Series::kTicks;
  if (const auto* c = std::get_if<market::CandleEvent>(&event)) {
    return c->closed ? std::optional(Series::kCandles) : std::nullopt;
  }
  if (std::holds_alternative<market::SampleEvent>(event)) return Series::kSamples;
  if (std::holds_alternative<market::SpikeStartEvent>(event) ||
      std::holds_alternative<market::SpikeEndEvent>(event)) {
    return Series::kSpikes;
  }
  if (std::holds_alternative<market::ReversalEvent>(event)) return Series::kReversals;
  return std::nullopt;
}

// A bar in progress (a candle event not yet closed): stored apart from the closed candles,
// the newest per (symbol, timeframe), so that a restart continues it (Backend::open_bars).
inline const market::CandleEvent* open_bar_of(const market::Event& event) {
  const auto* c = std::get_if<market::CandleEvent>(&event);
  return c && !c->closed ? c : nullptr;
}

struct HistoryQuery {
  market::SymbolId symbol = 0;
  Series series = Series::kCandles;
  market::Timeframe tf = market::Timeframe::k1m;  // candles only
  // Rows whose market::event_time is in [from_ns, to_ns).
  std::int64_t from_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t to_ns = std::numeric_limits<std::int64_t>::max();
  // Rows whose market::channel_seq is above this: the page cursor, and what resume asks.
  std::uint64_t after_seq = 0;
  std::size_t limit = 1000;
  // The newest `limit` rows of the range instead of the oldest (a snapshot's history);
  // rows still come oldest first.
  bool newest = false;
};

struct HistoryPage {
  std::vector<market::Event> rows;  // ascending channel seq (and time)
  // More rows match: after the last row (oldest-first queries; the next page asks
  // after_seq = its seq) or before the first (newest-first queries).
  bool more = false;
};

// A store that cannot answer or take data now, named in the message.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The store is unreachable (connection refused, lost, timed out): try again later.
class StoreUnavailable : public StoreError {
 public:
  using StoreError::StoreError;
};

class History {
 public:
  virtual ~History() = default;
  // Thread-safe. Throws StoreError when the store cannot answer.
  virtual HistoryPage query(const HistoryQuery& q) const = 0;
};

// How long each series is kept, in nanoseconds of event time before `now`; 0 keeps
// everything.
struct Retention {
  std::int64_t candles_ns[market::kTimeframeCount] = {};
  std::int64_t ticks_ns = 0, samples_ns = 0, spikes_ns = 0, reversals_ns = 0;
};

// A store the recorder writes into. Rows are keyed by symbol name, never by SymbolId (ids
// are dense per run and may differ after a restart with other symbols).
class Backend : public History {
 public:
  // Stores a batch (the events of the series routed here). Idempotent: an event already
  // stored (same channel and seq) is replaced, never duplicated, so a batch may be written
  // again after an outage. Throws StoreUnavailable when the store is unreachable (the
  // recorder spools the batch and retries), StoreError for anything else.
  virtual void write(std::span<const market::Event> events) = 0;
  // The same, with the batch's ticks encoded apart (the recorder encodes them once as it
  // drains them; `events` then holds no ticks). A store that keeps tick blocks (SQLite)
  // takes them as they are; the default decodes them and calls write().
  virtual void write_encoded(std::span<const market::Event> events, const detail::TickBatch& ticks);
  virtual std::string describe() const = 0;
  // Deletes what is older than its series' retention. Returns rows deleted.
  virtual std::uint64_t apply_retention(std::int64_t now_ns, const Retention& retention) = 0;
  virtual market::ChannelSequences last_sequences(market::SymbolId symbol) const = 0;
  // The newest bar in progress per timeframe written for the symbol (a write() batch carries
  // them as candle events with closed == false; each replaces the stored one of its
  // (symbol, timeframe)). Empty when the backend does not keep them (InfluxDB).
  virtual std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const {
    (void)symbol;
    return {};
  }
  // Counters of the store's own (name, value), on /metrics as store_<store>_<name>. Called
  // from the metrics thread while the recorder writes: an override reads atomics only.
  virtual std::vector<std::pair<std::string, std::uint64_t>> metrics() const { return {}; }
};

}  // namespace spacetime::store
