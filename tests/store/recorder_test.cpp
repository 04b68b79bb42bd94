#include "store/recorder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "store/memory_store.hpp"
#include "store/sqlite_store.hpp"
#include "support/event_stream.hpp"
#include "support/history_compare.hpp"

namespace spacetime::store {
namespace {

namespace fs = std::filesystem;

// A backend that can be switched off, like a server being stopped.
class Switchable final : public Backend {
 public:
  explicit Switchable(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> down{false};
  std::atomic<bool> refuse{false};  // answers, but refuses the rows (a constraint, a bad row)
  std::atomic<int> writes{0};
  void write(std::span<const market::Event> events) override {
    if (down) throw StoreUnavailable("switchable: down");
    if (refuse) throw StoreError("switchable: refused");
    ++writes;
    inner_->write(events);
  }
  HistoryPage query(const HistoryQuery& q) const override { return inner_->query(q); }
  std::string describe() const override { return "switchable"; }
  std::uint64_t apply_retention(std::int64_t now, const Retention& r) override {
    return inner_->apply_retention(now, r);
  }
  market::ChannelSequences last_sequences(market::SymbolId s) const override {
    return inner_->last_sequences(s);
  }

 private:
  std::shared_ptr<Backend> inner_;
};

class RecorderTest : public ::testing::Test {
 protected:
  RecorderTest() {
    dir = fs::temp_directory_path() /
          ("spacetime_recorder_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    events = testing::simulated_events(symbols, 3, 40'000);
  }
  ~RecorderTest() override { fs::remove_all(dir); }

  RecorderConfig config() const {
    RecorderConfig c;
    c.spool_dir = (dir / "spool").string();
    c.batch_events = 1000;
    c.batch_ticks = 1000;
    c.batch_interval = std::chrono::milliseconds(20);
    c.bus_capacity = 1 << 21;  // the tests publish faster than any feed
    c.retry_min = std::chrono::milliseconds(5);
    c.retry_max = std::chrono::milliseconds(20);
    c.warn = [](const std::string&) {};
    return c;
  }
  // One store, named "test", that the test can switch off: a MemoryStore behind a Switchable.
  struct SwitchableTarget {
    std::shared_ptr<MemoryStore> inner;
    std::shared_ptr<Switchable> store;
    Routing routing;
  };
  SwitchableTarget switchable_target() const {
    SwitchableTarget t{std::make_shared<MemoryStore>(symbols, 1'000'000), nullptr, {}};
    t.store = std::make_shared<Switchable>(t.inner);
    t.routing.targets.push_back({"test:", "test", t.store});
    return t;
  }
  void publish_all(bus::Bus& bus, std::size_t from = 0, std::size_t to = SIZE_MAX) {
    to = std::min(to, events.size());
    for (std::size_t i = from; i < to; i += 500)
      bus.publish(std::span(events).subspan(i, std::min<std::size_t>(500, to - i)));
  }

  market::SymbolRegistry symbols;
  std::vector<market::Event> events;
  fs::path dir;
};

std::uint64_t metric(const Recorder& r, std::string_view name) {
  for (const auto& [k, v] : r.metrics())
    if (k == name) return v;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

// Rows are counted per series as their batch is written (not by a second pass over it).
void expect_rows_per_series(const Recorder& recorder, std::span<const market::Event> events) {
  std::array<std::uint64_t, kSeriesCount> rows{};
  for (const auto& e : events) {
    if (const auto series = series_of(e)) ++rows[static_cast<std::size_t>(*series)];
  }
  for (std::size_t s = 0; s < kSeriesCount; ++s) {
    const std::string name = fmt::format("store_rows_{}", to_string(static_cast<Series>(s)));
    EXPECT_EQ(metric(recorder, name), rows[s]) << name;
  }
}

TEST_F(RecorderTest, RecordsEveryStoredEventAndNoValueSample) {
  bus::InprocBus bus;
  auto store = std::make_shared<MemoryStore>(symbols, 1'000'000);
  Routing routing;
  routing.targets.push_back({"memory:", "memory", store});
  Recorder recorder(symbols, bus, routing, config());
  recorder.start();
  publish_all(bus);
  recorder.stop();
  MemoryStore expected(symbols, 1'000'000);
  expected.write(events);
  testing::expect_same_answers(expected, *store, events, 3);
  std::uint64_t stored = 0;
  for (const auto& e : events)
    stored += series_of(e).has_value();
  EXPECT_EQ(metric(recorder, "store_events_seen"), stored);
  EXPECT_GT(metric(recorder, "store_rows_intensity"), 0u);
  expect_rows_per_series(recorder, events);
  EXPECT_EQ(metric(recorder, "store_bus_dropped"), 0u);
}

TEST_F(RecorderTest, RoutesEachSeriesToItsBackendAndTheRouterReadsThemBack) {
  StoreConfig sc;
  sc.data_dir = (dir / "data").string();
  sc.stores = {"sqlite:"};
  const std::string second = "sqlite:" + (dir / "series.db").string();
  sc.routes = {"intensity,spikes,reversals=" + second};
  auto routing = open_stores(symbols, sc);
  ASSERT_EQ(routing.targets.size(), 2u);
  EXPECT_EQ(routing.targets[0].name, "sqlite");
  EXPECT_EQ(routing.targets[1].name, "sqlite_2");
  EXPECT_EQ(routing.route[static_cast<std::size_t>(Series::kCandles)], 0u);
  EXPECT_EQ(routing.route[static_cast<std::size_t>(Series::kSpikes)], 1u);
  EXPECT_TRUE(fs::exists(dir / "data" / "spacetime.db"));
  bus::InprocBus bus;
  {
    Recorder recorder(symbols, bus, routing, config());
    recorder.start();
    publish_all(bus);
    recorder.stop();
    expect_rows_per_series(recorder, events);  // two stores, each batch's rows counted once
  }
  Router router(routing);
  MemoryStore expected(symbols, 1'000'000);
  expected.write(events);
  testing::expect_same_answers(expected, router, events, 3);
  // The spikes are only in the second file.
  const HistoryQuery spikes{.symbol = 1, .series = Series::kSpikes};  // SYM1 has spikes
  EXPECT_TRUE(routing.targets[0].backend->query(spikes).rows.empty());
  EXPECT_FALSE(routing.targets[1].backend->query(spikes).rows.empty());
  const auto seqs = router.last_sequences(1);
  EXPECT_EQ(seqs.spikes, expected.last_sequences(1).spikes);
  EXPECT_EQ(seqs.bars[0], expected.last_sequences(1).bars[0]);
}

// A closed bar revised after a trade correction (docs/INDICATORS.md § 1, "Corrections") is
// an upsert of its row, also when the close and its revision land in one batch.
TEST_F(RecorderTest, RevisedBarsReplaceTheirRowsInSqlite) {
  StoreConfig sc;
  sc.data_dir = (dir / "data").string();
  sc.stores = {"sqlite:"};
  auto routing = open_stores(symbols, sc);
  bus::InprocBus bus;
  auto bar = [](std::uint64_t seq, std::int64_t volume, bool revised) {
    return market::CandleEvent{.symbol = 0,
                               .tf = market::Timeframe::k1m,
                               .closed = true,
                               .seq = seq,
                               .candle = {.start_ns = 60'000'000'000 * std::int64_t(seq),
                                          .open = 10,
                                          .high = 12,
                                          .low = 9,
                                          .close = 11,
                                          .volume = volume,
                                          .ticks = 3},
                               .revised = revised};
  };
  {
    Recorder recorder(symbols, bus, routing, config());
    recorder.start();
    bus.publish(std::vector<market::Event>{bar(1, 100, false)});
    while (!recorder.caught_up() || metric(recorder, "store_events_seen") < 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Separately written, then close and revision in one batch.
    bus.publish(std::vector<market::Event>{bar(1, 90, true), bar(2, 200, false), bar(2, 150, true),
                                           bar(3, 300, false)});
    recorder.stop();
  }
  const auto rows =
      routing.targets[0].backend->query({.symbol = 0, .tf = market::Timeframe::k1m}).rows;
  ASSERT_EQ(rows.size(), 3u);
  const auto volume = [&](std::size_t i) {
    return std::get<market::CandleEvent>(rows[i]).candle.volume;
  };
  EXPECT_EQ(volume(0), 90);
  EXPECT_EQ(volume(1), 150);
  EXPECT_EQ(volume(2), 300);
  EXPECT_EQ(std::get<market::CandleEvent>(rows[1]).seq, 2u);
}

TEST_F(RecorderTest, SpoolsDuringAnOutageAndReplaysInOrderAfterIt) {
  bus::InprocBus bus;
  auto [inner, store, routing] = switchable_target();
  Recorder recorder(symbols, bus, routing, config());
  recorder.start();
  const std::size_t third = events.size() / 3;
  publish_all(bus, 0, third);
  recorder.flush();
  store->down = true;
  publish_all(bus, third, 2 * third);
  recorder.flush();
  EXPECT_GT(metric(recorder, "store_test_spool_bytes"), 0u);
  EXPECT_GT(metric(recorder, "store_test_spooled_batches"), 0u);
  EXPECT_FALSE(recorder.caught_up());
  // Numbering continues after what waits in the spool, not after what the store has.
  EXPECT_GT(recorder.last_sequences(0).ticks, inner->last_sequences(0).ticks);
  store->down = false;
  publish_all(bus, 2 * third);
  recorder.stop();
  EXPECT_TRUE(recorder.caught_up());
  EXPECT_EQ(metric(recorder, "store_test_spool_bytes"), 0u);
  EXPECT_GT(metric(recorder, "store_test_replayed_batches"), 0u);
  MemoryStore expected(symbols, 1'000'000);
  expected.write(events);
  testing::expect_same_answers(expected, *inner, events, 3);
}

// A spooled batch that the store, once back, refuses (StoreError: it would never take it)
// is counted as failed, not as written, and leaves the spool so the batches behind it go on.
TEST_F(RecorderTest, ASpooledBatchTheStoreRefusesIsCountedAsFailedNotWritten) {
  bus::InprocBus bus;
  auto [inner, store, routing] = switchable_target();
  Recorder recorder(symbols, bus, routing, config());
  const auto rows = [&] {
    std::uint64_t n = 0;
    for (std::size_t s = 0; s < kSeriesCount; ++s)
      n += metric(recorder, fmt::format("store_rows_{}", to_string(static_cast<Series>(s))));
    return n;
  };
  recorder.start();
  const std::size_t half = events.size() / 2;
  publish_all(bus, 0, half);
  recorder.flush();
  const std::uint64_t written = rows();
  ASSERT_GT(written, 0u);
  store->down = true;
  publish_all(bus, half);
  recorder.flush();
  const std::uint64_t spooled = metric(recorder, "store_events_seen") - written;
  ASSERT_GT(metric(recorder, "store_test_spooled_batches"), 0u);
  store->down = false;
  store->refuse = true;
  recorder.stop();  // replays the spool: every batch refused
  EXPECT_EQ(rows(), written);
  EXPECT_EQ(metric(recorder, "store_test_rows_failed"), spooled);
  EXPECT_EQ(metric(recorder, "store_test_replayed_batches"), 0u);
  EXPECT_EQ(metric(recorder, "store_test_spool_bytes"), 0u);
  EXPECT_TRUE(recorder.caught_up());
}

TEST_F(RecorderTest, ASpoolLeftByACrashIsReplayedByTheNextRun) {
  auto [inner, store, routing] = switchable_target();
  store->down = true;
  {
    bus::InprocBus bus;
    Recorder recorder(symbols, bus, routing, config());
    recorder.start();
    publish_all(bus);
    recorder.stop();  // the store never came back: everything stays in the spool
  }
  EXPECT_EQ(store->writes.load(), 0);
  store->down = false;
  bus::InprocBus bus;
  Recorder recorder(symbols, bus, routing, config());
  EXPECT_EQ(recorder.last_sequences(1).reversals, [&] {
    MemoryStore m(symbols, 1'000'000);
    m.write(events);
    return m.last_sequences(1).reversals;
  }());
  recorder.start();
  recorder.stop();
  MemoryStore expected(symbols, 1'000'000);
  expected.write(events);
  testing::expect_same_answers(expected, *inner, events, 3);
}

TEST_F(RecorderTest, PastItsBoundTheSpoolDropsOnlyTheOldestSamples) {
  bus::InprocBus bus;
  auto [inner, store, routing] = switchable_target();
  auto c = config();
  c.spool_max_bytes = 200'000;
  store->down = true;
  Recorder recorder(symbols, bus, routing, c);
  recorder.start();
  publish_all(bus);
  recorder.flush();
  EXPECT_GT(metric(recorder, "store_test_spool_samples_dropped"), 0u);
  store->down = false;
  recorder.stop();
  MemoryStore expected(symbols, 1'000'000);
  expected.write(events);
  for (market::SymbolId s = 0; s < 3; ++s) {
    for (const auto series : {Series::kTicks, Series::kSpikes, Series::kReversals}) {
      const HistoryQuery q{.symbol = s, .series = series, .limit = 1'000'000};
      EXPECT_EQ(inner->query(q).rows.size(), expected.query(q).rows.size());
    }
    const HistoryQuery q{.symbol = s, .series = Series::kSamples, .limit = 1'000'000};
    EXPECT_LT(inner->query(q).rows.size(), expected.query(q).rows.size());
  }
}

TEST_F(RecorderTest, BadRoutesAndUrlsAreOneClearError) {
  StoreConfig sc;
  sc.data_dir = (dir / "data").string();
  sc.routes = {"candels=memory:"};
  try {
    open_stores(symbols, sc);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown series 'candels'"), std::string::npos);
  }
  sc.routes = {};
  sc.stores = {"mongodb://x"};
  try {
    open_stores(symbols, sc);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("store mongodb://x: unknown store URL"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace spacetime::store
