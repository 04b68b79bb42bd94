// The recorder: a bus consumer on its own thread that writes every stored event (closed
// candles, ticks, samples, spikes, reversals) in batches to the backend its series is
// routed to, spools what an unreachable backend cannot take and replays it in order when
// the backend is back. The Router answers History queries from the same routing.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bus/bus.hpp"
#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::store {

// Which stores exist and which series goes where, as configured.
struct StoreConfig {
  std::string data_dir = "data";    // where `sqlite:` and the spools live
  std::vector<std::string> stores;  // backend URLs; none: {"sqlite:"}
  std::vector<std::string> routes;  // "candles=URL", "intensity,spikes,reversals=URL"
  bool record_ticks = true;
  bool record = true;  // serve: false runs no recorder (history is still read)
  Retention retention = default_retention();
  // Long work at opening (a SQLite migration that moves data) reports its progress here;
  // empty: not at all.
  std::function<void(const std::string&)> note;

  static Retention default_retention();
};

// A backend with the URL it was opened from.
struct Target {
  std::string url;
  std::string name;  // short, for metrics and spool files: "sqlite", "postgresql_1", ...
  std::shared_ptr<Backend> backend;
};

struct Routing {
  std::vector<Target> targets;
  std::array<std::size_t, kSeriesCount> route{};  // series -> index into targets
};

// Opens one backend per distinct URL. Every series goes to the first store unless a route
// says otherwise. Throws StoreError with one line naming the bad URL or unreachable store.
Routing open_stores(const market::SymbolRegistry& symbols, const StoreConfig& config);

// Opens one backend by URL: `sqlite:` (<data_dir>/spacetime.db), `sqlite:PATH`, `memory:`,
// `postgresql://user:pass@host:port/db`, `influxdb://host:port/db`.
std::shared_ptr<Backend> open_backend(const market::SymbolRegistry& symbols, const std::string& url,
                                      const std::string& data_dir,
                                      std::function<void(const std::string&)> note = {});

// History through the routing: each query goes to the backend its series is routed to.
class Router final : public History {
 public:
  explicit Router(Routing routing) : routing_(std::move(routing)) {}
  HistoryPage query(const HistoryQuery& q) const override;
  // Each channel's last number from the backend that holds its series.
  market::ChannelSequences last_sequences(market::SymbolId symbol) const;
  // The bars in progress stored for the symbol, from the backend that holds candles.
  std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const;
  const Routing& routing() const { return routing_; }

 private:
  Routing routing_;
};

struct RecorderConfig {
  // A batch is written at this size... (at 1 M ticks/s the recorder spent 216-240 ns of CPU
  // a tick with 5,000, 183 with 16,384 and 152 with 65,536, but the bigger batch's memory
  // slowed the engine: docs/PERFORMANCE.md)
  std::size_t batch_events = 16384;  // events other than ticks
  // ...or this many ticks (encoded as they are drained, ~10 bytes each: docs/PERFORMANCE.md)
  std::size_t batch_ticks = 1 << 16;
  std::chrono::milliseconds batch_interval{200};  // ...or this long after its first event
  // Room queued per engine shard between two drains, in ticks (any other event takes
  // bus::Subscription::kEventRoom): drained every 10 ms (6.5 M ticks/s of headroom), and
  // again at once while a drain takes an eighth of it or more.
  std::size_t bus_capacity = 1 << 16;
  bool record_ticks = true;
  std::string spool_dir = "data/spool";                       // one file per backend
  std::uint64_t spool_max_bytes = 256ull << 20;               // past it, the oldest samples go
  std::chrono::milliseconds retry_min{100}, retry_max{5000};  // replay backoff
  Retention retention{};                                      // all zero: nothing deleted
  std::chrono::seconds retention_interval{600};
  // Where outages, recoveries and dropped batches are reported (the app passes spdlog);
  // empty: stderr.
  std::function<void(const std::string&)> warn;
};

class Recorder {
 public:
  Recorder(const market::SymbolRegistry& symbols, bus::Bus& bus, const Routing& routing,
           RecorderConfig config);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Subscribes and starts the thread. Call before the engine publishes.
  void start();
  // Writes what is queued and pending now (backends that are down: into their spools).
  void flush();
  // Stops the thread after a last flush; tries each spool once more. Idempotent.
  void stop();

  // Counters for /metrics: rows written per series, batches, failures, spool bytes and
  // age (ms), samples dropped from spools, bus drops.
  std::vector<std::pair<std::string, std::uint64_t>> metrics() const;
  // store_bus_waits alone (metrics() builds every counter): how often a publisher (an
  // engine shard) waited for room in the recorder's full bus queue.
  std::uint64_t bus_waits() const;
  // Each channel's last number, also counting what waits in a spool.
  market::ChannelSequences last_sequences(market::SymbolId symbol) const;
  // The newest stored bar in progress per timeframe (from the candles' store, or newer from
  // its spool): what engine::Engine::restore_bars continues after a restart.
  std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const;
  // True when every spool is empty.
  bool caught_up() const;

 private:
  struct Sink;
  void run(std::stop_token stop);
  // One round: drain, batch, write, replay spools, retention. Returns the ring room the
  // drain gave back (bus::Subscription::room_of each event).
  std::size_t step(bool force);
  void write_batch(Sink& sink, std::vector<market::Event>& batch);
  void replay(Sink& sink, bool force);
  void shrink_spool(Sink& sink);
  void count_rows(std::span<const market::Event> events);

  const market::SymbolRegistry& symbols_;
  bus::Bus& bus_;
  Routing routing_;
  RecorderConfig config_;
  std::shared_ptr<bus::Subscription> subscription_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  mutable std::mutex mutex_;  // held while a step runs: flush(), last_sequences(), open_bars() and
                              // caught_up() may come from any thread (metrics() reads atomics only)
  std::vector<market::Event> drained_;
  // symbol * kTimeframeCount + tf: the newest bar in progress not written yet, and the
  // number of the last closed bar seen (a bar in progress at or below it is stale).
  std::vector<std::optional<market::CandleEvent>> open_bars_;
  std::vector<std::size_t> open_dirty_;
  std::vector<std::uint64_t> closed_seen_;
  std::chrono::steady_clock::time_point batch_start_{};
  std::chrono::steady_clock::time_point next_retention_{};
  std::array<std::atomic<std::uint64_t>, kSeriesCount> rows_{};
  std::atomic<std::uint64_t> events_seen_{0};
  std::jthread thread_;
  bool stopped_ = false;
};

}  // namespace spacetime::store
