#include "store/recorder.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "bus/event_codec.hpp"
#include "store/influx_store.hpp"
#include "store/memory_store.hpp"
#include "store/postgres_store.hpp"
#include "store/spool.hpp"
#include "store/sqlite_store.hpp"
#include "store/tick_block.hpp"

namespace spacetime::store {

// The spool keeps batches in the bus's event codec: one binary format for events.
using bus::CodecError;
using bus::decode_events;
using bus::DecodedBatch;
using bus::encode_events;

namespace {

constexpr std::int64_t kDay = 86'400 * market::kNanosPerSecond;

std::int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string scheme_of(const std::string& url) {
  const auto colon = url.find(':');
  return colon == std::string::npos ? url : url.substr(0, colon);
}

void merge_max(market::ChannelSequences& into, const market::Event& e) {
  if (open_bar_of(e)) return;  // a bar in progress is not the last closed one
  const std::uint64_t seq = market::channel_seq(e);
  auto bump = [&](std::uint64_t& v) { v = std::max(v, seq); };
  switch (series_of(e).value_or(Series::kCandles)) {
    case Series::kCandles:
      if (const auto* c = std::get_if<market::CandleEvent>(&e)) bump(into.bars[index_of(c->tf)]);
      break;
    case Series::kTicks:
      bump(into.ticks);
      break;
    case Series::kSamples:
      bump(into.samples);
      break;
    case Series::kSpikes:
      bump(into.spikes);
      break;
    case Series::kReversals:
      bump(into.reversals);
      break;
  }
}

}  // namespace

Retention StoreConfig::default_retention() {
  Retention r;
  r.candles_ns[market::index_of(market::Timeframe::k1s)] = 7 * kDay;
  r.candles_ns[market::index_of(market::Timeframe::k10s)] = 30 * kDay;
  r.ticks_ns = 3 * kDay;
  r.samples_ns = 30 * kDay;
  return r;
}

std::shared_ptr<Backend> open_backend(const market::SymbolRegistry& symbols, const std::string& url,
                                      const std::string& data_dir,
                                      std::function<void(const std::string&)> note) {
  const std::string scheme = scheme_of(url);
  if (scheme == "sqlite") {
    std::string path = url.substr(url.find(':') + 1);
    if (path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(data_dir, ec);
      if (ec) {
        throw StoreError(fmt::format("store sqlite: cannot create data directory {}: {}", data_dir,
                                     ec.message()));
      }
      path = (std::filesystem::path(data_dir) / "spacetime.db").string();
    }
    return std::make_shared<SqliteStore>(symbols, path, std::move(note));
  }
  if (url == "memory:") return std::make_shared<MemoryStore>(symbols, 100'000);
  if (scheme == "influxdb") return std::make_shared<InfluxStore>(symbols, url);
  if (scheme == "postgresql" || scheme == "postgres") {
    return std::make_shared<PostgresStore>(symbols, url);
  }
  throw StoreError(
      fmt::format("store {}: unknown store URL (expected sqlite:[PATH], memory:, postgresql://..., "
                  "influxdb://HOST:PORT/DB)",
                  url));
}

Routing open_stores(const market::SymbolRegistry& symbols, const StoreConfig& config) {
  std::vector<std::string> urls = config.stores;
  if (urls.empty()) urls.push_back("sqlite:");
  std::array<std::string, kSeriesCount> route_url;
  route_url.fill(urls.front());
  for (const auto& rule : config.routes) {
    const auto eq = rule.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == rule.size()) {
      throw StoreError(fmt::format("route '{}': expected SERIES[,SERIES...]=URL", rule));
    }
    const std::string url = rule.substr(eq + 1);
    std::string_view names(rule.data(), eq);
    while (!names.empty()) {
      const auto comma = names.find(',');
      const auto name = names.substr(0, comma);
      const auto series = parse_series(name);
      if (!series) {
        throw StoreError(fmt::format(
            "route '{}': unknown series '{}' (candles, ticks, intensity, spikes, reversals)", rule,
            name));
      }
      route_url[static_cast<std::size_t>(*series)] = url;
      names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
    }
  }
  Routing routing;
  std::map<std::string, std::size_t> index;
  std::map<std::string, int> names;
  for (std::size_t s = 0; s < kSeriesCount; ++s) {
    const auto& url = route_url[s];
    auto it = index.find(url);
    if (it == index.end()) {
      const std::string scheme = scheme_of(url);
      const int n = ++names[scheme];
      routing.targets.push_back({url, n == 1 ? scheme : fmt::format("{}_{}", scheme, n),
                                 open_backend(symbols, url, config.data_dir, config.note)});
      it = index.emplace(url, routing.targets.size() - 1).first;
    }
    routing.route[s] = it->second;
  }
  return routing;
}

HistoryPage Router::query(const HistoryQuery& q) const {
  return routing_.targets[routing_.route[static_cast<std::size_t>(q.series)]].backend->query(q);
}

market::ChannelSequences Router::last_sequences(market::SymbolId symbol) const {
  std::vector<market::ChannelSequences> per(routing_.targets.size());
  for (std::size_t i = 0; i < per.size(); ++i)
    per[i] = routing_.targets[i].backend->last_sequences(symbol);
  auto of = [&](Series s) -> const market::ChannelSequences& {
    return per[routing_.route[static_cast<std::size_t>(s)]];
  };
  market::ChannelSequences out;
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
    out.bars[tf] = of(Series::kCandles).bars[tf];
  out.ticks = of(Series::kTicks).ticks;
  out.samples = of(Series::kSamples).samples;
  out.spikes = of(Series::kSpikes).spikes;
  out.reversals = of(Series::kReversals).reversals;
  return out;
}

std::vector<market::CandleEvent> Router::open_bars(market::SymbolId symbol) const {
  return routing_.targets[routing_.route[static_cast<std::size_t>(Series::kCandles)]]
      .backend->open_bars(symbol);
}

struct Recorder::Sink {
  Target target;
  std::unique_ptr<Spool> spool;
  std::vector<market::Event> pending;                      // every series but ticks
  detail::TickBatch ticks;                                 // ticks, encoded as drained
  std::array<std::uint64_t, kSeriesCount> pending_rows{};  // rows of `pending` per series
  std::chrono::steady_clock::time_point next_retry{};
  std::chrono::milliseconds backoff{0};
  bool down = false;
  std::vector<market::ChannelSequences> spooled;  // per symbol: the highest numbers spooled
  // symbol * kTimeframeCount + tf: the newest bar in progress spooled
  std::vector<std::optional<market::CandleEvent>> spooled_open;
  std::atomic<std::uint64_t> batches{0}, failures{0}, rows_failed{0}, spooled_batches{0},
      replayed_batches{0}, samples_dropped{0}, spool_bytes{0}, unknown_symbol{0};
  std::atomic<std::int64_t> spool_oldest_ns{0};

  void note_spooled(const market::Event& e) {
    const auto symbol = market::symbol_of(e);
    if (symbol >= spooled.size()) return;
    if (const auto* bar = open_bar_of(e)) {
      auto& slot = spooled_open[symbol * market::kTimeframeCount + market::index_of(bar->tf)];
      if (!slot || slot->seq <= bar->seq) slot = *bar;
      return;
    }
    merge_max(spooled[symbol], e);
  }

  void note_spool() {
    spool_bytes = spool->bytes();
    spool_oldest_ns = spool->oldest_ns().value_or(0);
  }
};

Recorder::Recorder(const market::SymbolRegistry& symbols, bus::Bus& bus, const Routing& routing,
                   RecorderConfig config)
    : symbols_(symbols), bus_(bus), routing_(routing), config_(std::move(config)) {
  if (!config_.warn) config_.warn = [](const std::string& m) { fmt::print(stderr, "{}\n", m); };
  std::error_code ec;
  std::filesystem::create_directories(config_.spool_dir, ec);
  if (ec) {
    throw StoreError(
        fmt::format("spool directory {}: cannot create: {}", config_.spool_dir, ec.message()));
  }
  for (const auto& target : routing_.targets) {
    auto sink = std::make_unique<Sink>();
    sink->target = target;
    sink->spool = std::make_unique<Spool>(
        (std::filesystem::path(config_.spool_dir) / (target.name + ".spool")).string());
    sink->spooled.resize(symbols_.size());
    sink->spooled_open.resize(symbols_.size() * market::kTimeframeCount);
    if (sink->spool->discarded_bytes() > 0) {
      config_.warn(fmt::format("spool {}: cut off {} torn bytes at its end", sink->spool->path(),
                               sink->spool->discarded_bytes()));
    }
    // What a previous run left in the spool counts for where channel numbers continue.
    if (!sink->spool->empty()) {
      sink->spool->for_each([&](std::string_view payload) {
        try {
          for (const auto& e : decode_events(payload, symbols_).events)
            sink->note_spooled(e);
        } catch (const CodecError&) {
          // Reported when the record is replayed.
        }
      });
      config_.warn(fmt::format("store {}: {} batches ({} bytes) waiting in spool {}", target.name,
                               sink->spool->size(), sink->spool->bytes(), sink->spool->path()));
    }
    sink->note_spool();
    sinks_.push_back(std::move(sink));
  }
  closed_seen_.assign(symbols_.size() * market::kTimeframeCount, 0);
  open_bars_.resize(symbols_.size() * market::kTimeframeCount);
}

Recorder::~Recorder() {
  stop();
}

void Recorder::start() {
  bus::Filter filter;
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
    filter.streams.set(tf);
  filter.streams.set(static_cast<std::size_t>(market::Stream::kSample));
  filter.streams.set(static_cast<std::size_t>(market::Stream::kSpike));
  filter.streams.set(static_cast<std::size_t>(market::Stream::kReversal));
  if (config_.record_ticks) filter.streams.set(static_cast<std::size_t>(market::Stream::kTick));
  // Of the value samples only the bars in progress are stored (the newest of each, in a
  // latest-value slot): what a restart continues.
  filter.values = bus::Values::kLatest;
  // Nothing the recorder stores may be lost on the bus: a full ring holds the engine
  // back instead (backpressure), and store_bus_waits says how often.
  filter.overflow = bus::Overflow::kWait;
  subscription_ = bus_.subscribe(filter, config_.bus_capacity);
  batch_start_ = {};
  next_retention_ = std::chrono::steady_clock::now() + config_.retention_interval;
  thread_ = std::jthread([this](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "recorder");  // in top -H, perf, gdb
    run(stop);
  });
}

void Recorder::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::size_t drained = 0;
    {
      std::lock_guard lock(mutex_);
      drained = step(false);
    }
    // A busy feed is drained again at once: sleeping 10 ms with a ring an eighth full or
    // more would make the engine wait for room (Overflow::kWait) while this thread idles.
    if (drained < std::max<std::size_t>(1, config_.bus_capacity / 8)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      std::this_thread::yield();  // metrics() and flush() may be waiting for the lock
    }
  }
}

void Recorder::flush() {
  std::lock_guard lock(mutex_);
  step(true);
}

void Recorder::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  std::lock_guard lock(mutex_);
  step(true);
  if (subscription_) bus_.unsubscribe(subscription_);
}

std::size_t Recorder::step(bool force) {
  // Values first: a bar in progress then never arrives before the closes that preceded it.
  drained_.clear();
  if (subscription_) subscription_->drain_values(drained_);
  for (const auto& e : drained_) {
    const auto* bar = open_bar_of(e);
    if (!bar || bar->symbol >= symbols_.size()) continue;
    const std::size_t i =
        static_cast<std::size_t>(bar->symbol) * market::kTimeframeCount + market::index_of(bar->tf);
    if (!open_bars_[i]) open_dirty_.push_back(i);
    open_bars_[i] = *bar;
  }
  // The events are taken a slice at a time, as the ring's cells are decoded: ticks (nearly
  // all of them) are encoded into their symbol's block at once, the rest copied into their
  // store's batch.
  std::size_t drained = 0, kept = 0;
  Sink& tick_sink = *sinks_[routing_.route[static_cast<std::size_t>(Series::kTicks)]];
  const auto take = [&](std::span<const market::Event> events) {
    for (const auto& e : events) {
      drained += bus::Subscription::room_of(e);
      if (const auto* tick = std::get_if<market::TickEvent>(&e)) {
        if (!config_.record_ticks) continue;
        tick_sink.ticks.add(*tick);
        ++kept;
        continue;
      }
      if (market::is_value(e)) continue;
      const auto series = series_of(e);
      if (!series) continue;
      if (const auto* c = std::get_if<market::CandleEvent>(&e); c && c->symbol < symbols_.size()) {
        auto& seen = closed_seen_[static_cast<std::size_t>(c->symbol) * market::kTimeframeCount +
                                  market::index_of(c->tf)];
        seen = std::max(seen, c->seq);
      }
      auto& sink = *sinks_[routing_.route[static_cast<std::size_t>(*series)]];
      ++sink.pending_rows[static_cast<std::size_t>(*series)];
      sink.pending.push_back(e);
      ++kept;
    }
  };
  if (subscription_) subscription_->drain(take);
  events_seen_.fetch_add(kept, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  bool full = false, any = !open_dirty_.empty();
  for (const auto& sink : sinks_) {
    any = any || !sink->pending.empty() || !sink->ticks.empty();
    full = full || sink->pending.size() >= config_.batch_events ||
           sink->ticks.size() >= config_.batch_ticks;
  }
  if (any && batch_start_ == std::chrono::steady_clock::time_point{}) batch_start_ = now;
  if (any && (force || full || now - batch_start_ >= config_.batch_interval)) {
    // The bars in progress go with the candles, after them; one that closed meanwhile (a
    // clock close publishes no newer one) is left out.
    auto& candles = *sinks_[routing_.route[static_cast<std::size_t>(Series::kCandles)]];
    for (const std::size_t i : open_dirty_) {
      if (open_bars_[i]->seq > closed_seen_[i]) candles.pending.push_back(*open_bars_[i]);
      open_bars_[i].reset();
    }
    open_dirty_.clear();
    for (auto& sink : sinks_) {
      if (sink->pending.empty() && sink->ticks.empty()) continue;
      write_batch(*sink, sink->pending);
      sink->pending.clear();
      sink->ticks.clear();
      sink->pending_rows = {};
    }
    batch_start_ = {};
  }
  for (auto& sink : sinks_)
    replay(*sink, force);
  const Retention none{};
  if (now >= next_retention_ && std::memcmp(&config_.retention, &none, sizeof none) != 0) {
    next_retention_ = now + config_.retention_interval;
    for (auto& sink : sinks_) {
      try {
        sink->target.backend->apply_retention(wall_now_ns(), config_.retention);
      } catch (const StoreError& e) {
        config_.warn(fmt::format("store {}: retention: {}", sink->target.name, e.what()));
      }
    }
  }
  return drained;
}

void Recorder::write_batch(Sink& sink, std::vector<market::Event>& batch) {
  // A bar revised after a trade correction (CandleEvent::revised) is an upsert of the row
  // its close wrote. With both in one batch only the newest is kept: a store's upsert may
  // not touch one row twice in a statement (PostgreSQL's ON CONFLICT).
  bool revisions = false;
  if (sink.pending_rows[static_cast<std::size_t>(Series::kCandles)] != 0) {
    for (const auto& e : batch)
      revisions = revisions || market::is_revision(e);
  }
  if (revisions) {
    std::vector<market::Event> kept;
    kept.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto* c = std::get_if<market::CandleEvent>(&batch[i]);
      bool superseded = false;
      for (std::size_t j = i + 1; c && c->closed && !superseded && j < batch.size(); ++j) {
        const auto* later = std::get_if<market::CandleEvent>(&batch[j]);
        superseded = later && later->revised && later->symbol == c->symbol && later->tf == c->tf &&
                     later->seq == c->seq;
      }
      if (!superseded) kept.push_back(batch[i]);
    }
    batch.swap(kept);
  }
  auto spool_it = [&] {
    std::string payload;
    if (sink.ticks.empty()) {
      encode_events(batch, symbols_, payload);
    } else {
      std::vector<market::Event> all;
      all.reserve(batch.size() + sink.ticks.size());
      all.assign(batch.begin(), batch.end());
      sink.ticks.append_events(all);
      encode_events(all, symbols_, payload);
    }
    sink.spool->append(payload, wall_now_ns());
    for (const auto& e : batch)
      sink.note_spooled(e);
    for (const auto& run : sink.ticks.runs()) {
      if (run.symbol < sink.spooled.size())
        sink.spooled[run.symbol].ticks = std::max(sink.spooled[run.symbol].ticks, run.max_seq);
    }
    ++sink.spooled_batches;
    if (sink.spool->bytes() > config_.spool_max_bytes) shrink_spool(sink);
    sink.note_spool();
  };
  // Behind an outage's backlog a batch waits its turn, so that rows land in order.
  if (!sink.spool->empty()) return spool_it();
  try {
    sink.target.backend->write_encoded(batch, sink.ticks);
    ++sink.batches;
    if (revisions) {
      count_rows(batch);  // superseded closes were left out
    } else {
      for (std::size_t s = 0; s < kSeriesCount; ++s) {
        if (sink.pending_rows[s])
          rows_[s].fetch_add(sink.pending_rows[s], std::memory_order_relaxed);
      }
    }
    if (!sink.ticks.empty()) {
      rows_[static_cast<std::size_t>(Series::kTicks)].fetch_add(sink.ticks.size(),
                                                                std::memory_order_relaxed);
    }
  } catch (const StoreUnavailable& e) {
    if (!sink.down) {
      config_.warn(fmt::format("store {} unavailable, spooling to {}: {}", sink.target.name,
                               sink.spool->path(), e.what()));
    }
    sink.down = true;
    ++sink.failures;
    sink.backoff = config_.retry_min;
    sink.next_retry = std::chrono::steady_clock::now() + sink.backoff;
    spool_it();
  } catch (const StoreError& e) {
    ++sink.failures;
    sink.rows_failed += batch.size() + sink.ticks.size();
    config_.warn(fmt::format("store {}: batch of {} rows not written: {}", sink.target.name,
                             batch.size() + sink.ticks.size(), e.what()));
  }
}

void Recorder::replay(Sink& sink, bool force) {
  if (sink.spool->empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now < sink.next_retry) return;
  // A few records per step, so that the bus keeps being drained during a long replay.
  for (int n = 0; !sink.spool->empty() && (force || n < 8); ++n) {
    DecodedBatch batch;
    try {
      batch = decode_events(sink.spool->front(), symbols_);
    } catch (const CodecError& e) {
      ++sink.failures;
      config_.warn(
          fmt::format("spool {}: unreadable record dropped: {}", sink.spool->path(), e.what()));
      sink.spool->pop_front();
      continue;
    }
    sink.unknown_symbol += batch.unknown_symbol;
    try {
      sink.target.backend->write(batch.events);
    } catch (const StoreUnavailable& e) {
      ++sink.failures;
      sink.backoff = std::min(std::max(sink.backoff * 2, config_.retry_min), config_.retry_max);
      sink.next_retry = std::chrono::steady_clock::now() + sink.backoff;
      sink.note_spool();
      return;
    } catch (const StoreError& e) {
      // Not written, and never will be (the store refused it): counted, dropped from the
      // spool so that the batches behind it go on.
      ++sink.failures;
      sink.rows_failed += batch.events.size();
      config_.warn(fmt::format("store {}: spooled batch of {} rows not written: {}",
                               sink.target.name, batch.events.size(), e.what()));
      sink.spool->pop_front();
      continue;
    }
    ++sink.batches;
    ++sink.replayed_batches;
    count_rows(batch.events);
    sink.spool->pop_front();
    if (force) continue;
  }
  sink.note_spool();
  if (sink.spool->empty()) {
    sink.down = false;
    sink.backoff = std::chrono::milliseconds{0};
    config_.warn(fmt::format("store {} is back: spool replayed ({} batches so far)",
                             sink.target.name, sink.replayed_batches.load()));
  }
}

void Recorder::shrink_spool(Sink& sink) {
  // Past the bound the oldest intensity points go first; candles, ticks, spikes and
  // reversals are never dropped (the spool then grows past its bound, and says so).
  std::uint64_t dropped = 0;
  sink.spool->shrink_oldest(config_.spool_max_bytes, [&](std::string_view payload) {
    DecodedBatch batch;
    try {
      batch = decode_events(payload, symbols_);
    } catch (const CodecError&) {
      return std::string(payload);
    }
    const auto before = batch.events.size();
    std::erase_if(batch.events,
                  [](const auto& e) { return std::holds_alternative<market::SampleEvent>(e); });
    if (batch.events.size() == before) return std::string(payload);
    dropped += before - batch.events.size();
    std::string out;
    if (!batch.events.empty()) encode_events(batch.events, symbols_, out);
    return out;
  });
  sink.samples_dropped += dropped;
  if (sink.spool->bytes() > config_.spool_max_bytes) {
    config_.warn(fmt::format(
        "store {}: spool {} holds {} bytes, over its bound of {}: only "
        "candles, ticks, spikes and reversals left, none dropped",
        sink.target.name, sink.spool->path(), sink.spool->bytes(), config_.spool_max_bytes));
  }
}

void Recorder::count_rows(std::span<const market::Event> events) {
  std::array<std::uint64_t, kSeriesCount> n{};
  for (const auto& e : events) {
    if (const auto series = series_of(e)) ++n[static_cast<std::size_t>(*series)];
  }
  for (std::size_t s = 0; s < kSeriesCount; ++s) {
    if (n[s]) rows_[s].fetch_add(n[s], std::memory_order_relaxed);
  }
}

std::uint64_t Recorder::bus_waits() const {
  return subscription_ ? subscription_->waits() : 0;
}

std::vector<std::pair<std::string, std::uint64_t>> Recorder::metrics() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  out.emplace_back("store_events_seen", events_seen_.load());
  for (std::size_t s = 0; s < kSeriesCount; ++s)
    out.emplace_back(fmt::format("store_rows_{}", to_string(static_cast<Series>(s))),
                     rows_[s].load());
  out.emplace_back("store_bus_dropped", subscription_ ? subscription_->dropped() : 0);
  out.emplace_back("store_bus_waits", bus_waits());
  out.emplace_back("store_bus_wait_ms", subscription_ ? subscription_->wait_ns() / 1'000'000 : 0);
  const std::int64_t now = wall_now_ns();
  for (const auto& sink : sinks_) {
    const auto& n = sink->target.name;
    out.emplace_back(fmt::format("store_{}_batches", n), sink->batches.load());
    out.emplace_back(fmt::format("store_{}_failures", n), sink->failures.load());
    out.emplace_back(fmt::format("store_{}_rows_failed", n), sink->rows_failed.load());
    out.emplace_back(fmt::format("store_{}_spooled_batches", n), sink->spooled_batches.load());
    out.emplace_back(fmt::format("store_{}_replayed_batches", n), sink->replayed_batches.load());
    out.emplace_back(fmt::format("store_{}_spool_bytes", n), sink->spool_bytes.load());
    const std::int64_t oldest = sink->spool_oldest_ns.load();
    out.emplace_back(fmt::format("store_{}_spool_age_ms", n),
                     oldest == 0 ? 0
                                 : static_cast<std::uint64_t>(
                                       std::max<std::int64_t>(0, now - oldest) / 1'000'000));
    out.emplace_back(fmt::format("store_{}_spool_samples_dropped", n),
                     sink->samples_dropped.load());
    for (auto& [name, value] : sink->target.backend->metrics())
      out.emplace_back(fmt::format("store_{}_{}", n, name), value);
  }
  return out;
}

market::ChannelSequences Recorder::last_sequences(market::SymbolId symbol) const {
  market::ChannelSequences out;
  try {
    out = Router(routing_).last_sequences(symbol);
  } catch (const StoreError& e) {
    config_.warn(fmt::format("last sequences of symbol {}: {}", symbol, e.what()));
  }
  std::lock_guard lock(mutex_);
  for (const auto& sink : sinks_) {
    if (symbol >= sink->spooled.size()) continue;
    const auto& s = sink->spooled[symbol];
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
      out.bars[tf] = std::max(out.bars[tf], s.bars[tf]);
    out.ticks = std::max(out.ticks, s.ticks);
    out.samples = std::max(out.samples, s.samples);
    out.spikes = std::max(out.spikes, s.spikes);
    out.reversals = std::max(out.reversals, s.reversals);
  }
  return out;
}

std::vector<market::CandleEvent> Recorder::open_bars(market::SymbolId symbol) const {
  std::vector<market::CandleEvent> out;
  try {
    out = Router(routing_).open_bars(symbol);
  } catch (const StoreError& e) {
    config_.warn(fmt::format("bars in progress of symbol {}: {}", symbol, e.what()));
  }
  // A spool left by the previous run holds newer ones than the store.
  std::lock_guard lock(mutex_);
  for (const auto& sink : sinks_) {
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf) {
      const std::size_t i = static_cast<std::size_t>(symbol) * market::kTimeframeCount + tf;
      if (i >= sink->spooled_open.size() || !sink->spooled_open[i]) continue;
      const auto& spooled = *sink->spooled_open[i];
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const market::CandleEvent& b) { return b.tf == spooled.tf; });
      if (it == out.end()) {
        out.push_back(spooled);
      } else if (it->seq <= spooled.seq) {
        *it = spooled;
      }
    }
  }
  return out;
}

bool Recorder::caught_up() const {
  std::lock_guard lock(mutex_);
  for (const auto& sink : sinks_) {
    if (!sink->spool->empty() || !sink->pending.empty() || !sink->ticks.empty()) return false;
  }
  return true;
}

}  // namespace spacetime::store
