// The persistent backends against real servers (scripts/services): round trips, identical
// History answers to the in-memory store, a 30 s outage of each with spool and replay, and
// clear errors.
// Needs SPACETIME_TEST_POSTGRES_URL (and SPACETIME_TEST_INFLUXDB_URL): run under
//   scripts/services run postgres influxdb -- ctest --preset release -L services
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "store/influx_store.hpp"
#include "store/memory_store.hpp"
#include "store/postgres_store.hpp"
#include "store/recorder.hpp"
#include "store/sqlite_store.hpp"
#include "support/event_stream.hpp"
#include "support/history_compare.hpp"
#include "support/http_get.hpp"
#include "support/tcp_proxy.hpp"

namespace spacetime::store {
namespace {

namespace fs = std::filesystem;

std::string env_url(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << name
                  << " is not set: run under `scripts/services run postgres influxdb -- ctest "
                     "--preset release -L services`";
    return {};
  }
  return v;
}

// The URL with its port replaced (to go through a proxy).
std::string with_port(const std::string& url, std::uint16_t port) {
  static const std::regex kPort(R"((@|//)([^/:@]+):(\d+))");
  return std::regex_replace(url, kPort, "$1$2:" + std::to_string(port),
                            std::regex_constants::format_first_only);
}

std::uint16_t port_of(const std::string& url) {
  std::smatch m;
  static const std::regex kPort(R"((@|//)[^/:@]+:(\d+))");
  if (!std::regex_search(url, m, kPort)) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[2]));
}

// How long the outage tests keep a server away (issue 8: "each store stopped for 30 s").
constexpr auto kOutage = std::chrono::seconds(30);

// Publishes events [from, to) in chunks of 500 spread evenly over `over` (a replay at a
// steady pace), or as fast as the bus takes them when `over` is zero.
void publish_paced(bus::InprocBus& bus, const std::vector<market::Event>& events, std::size_t from,
                   std::size_t to, std::chrono::milliseconds over) {
  const std::size_t chunks = std::max<std::size_t>(1, (to - from + 499) / 500);
  const auto start = std::chrono::steady_clock::now();
  std::size_t k = 0;
  for (std::size_t i = from; i < to; i += 500, ++k) {
    bus.publish(std::span(events).subspan(i, std::min<std::size_t>(500, to - i)));
    if (over.count() > 0) std::this_thread::sleep_until(start + over * (k + 1) / chunks);
  }
}

class StoreServicesTest : public ::testing::Test {
 protected:
  StoreServicesTest() {
    name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    // Symbol names unique to this run and test: tests share the servers and run in parallel.
    prefix = "T" + std::to_string(::getpid()) + "_";
    dir = fs::temp_directory_path() / ("spacetime_services_" + std::to_string(::getpid()) + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~StoreServicesTest() override { fs::remove_all(dir); }

  RecorderConfig recorder_config() const {
    RecorderConfig c;
    c.spool_dir = (dir / "spool").string();
    c.batch_events = 2000;
    c.batch_interval = std::chrono::milliseconds(20);
    c.bus_capacity = 1 << 21;  // the tests publish faster than any feed
    c.retry_min = std::chrono::milliseconds(20);
    c.retry_max = std::chrono::milliseconds(200);
    c.warn = [](const std::string& m) { std::fprintf(stderr, "recorder: %s\n", m.c_str()); };
    return c;
  }

  std::string name, prefix;
  fs::path dir;
};

TEST_F(StoreServicesTest, PostgresRoundTripAnswersLikeTheMemoryStore) {
  const auto url = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(url.empty());
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 60'000, 5, prefix + "RT");
  MemoryStore memory(symbols, 1'000'000);
  PostgresStore pg(symbols, url);
  for (std::size_t i = 0; i < events.size(); i += 5000) {
    const auto n = std::min<std::size_t>(5000, events.size() - i);
    memory.write(std::span(events).subspan(i, n));
    pg.write(std::span(events).subspan(i, n));
  }
  pg.write(std::span(events).subspan(0, events.size() / 3));  // a replay: idempotent
  testing::expect_same_answers(memory, pg, events, 3);
  for (market::SymbolId s = 0; s < 3; ++s) {
    const auto a = memory.last_sequences(s);
    const auto b = pg.last_sequences(s);
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
      EXPECT_EQ(a.bars[tf], b.bars[tf]);
    EXPECT_EQ(a.ticks, b.ticks);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.spikes, b.spikes);
    EXPECT_EQ(a.reversals, b.reversals);
  }
  // A second connection sees the same rows (nothing is left in a transaction).
  PostgresStore again(symbols, url);
  testing::expect_same_answers(memory, again, events, 3);
}

// The bar in progress (open_candles): the newest per (symbol, timeframe) replaces the one
// before, also in a batch written again after an outage, and stays out of the candles.
// A closed bar revised after a trade correction (docs/INDICATORS.md § 1, "Corrections") is
// an upsert of its row in PostgreSQL, through the recorder, also when the close and its
// revision travel in one batch (an ON CONFLICT upsert may not touch one row twice).
TEST_F(StoreServicesTest, PostgresUpsertsRevisedBarsThroughTheRecorder) {
  const auto url = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(url.empty());
  market::SymbolRegistry symbols;
  symbols.add({.name = prefix + "REVISED"});
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
  auto pg = std::make_shared<PostgresStore>(symbols, url);
  Routing routing;
  routing.targets.push_back({url, "postgres", pg});
  bus::InprocBus bus;
  {
    Recorder recorder(symbols, bus, routing, recorder_config());
    recorder.start();
    bus.publish(std::vector<market::Event>{bar(1, 100, false)});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pg->query({.symbol = 0, .tf = market::Timeframe::k1m}).rows.empty() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    bus.publish(std::vector<market::Event>{bar(1, 90, true), bar(2, 200, false), bar(2, 150, true),
                                           bar(3, 300, false)});
    recorder.stop();
    EXPECT_TRUE(recorder.caught_up()) << "nothing left in the spool";
  }
  const auto rows = pg->query({.symbol = 0, .tf = market::Timeframe::k1m}).rows;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(std::get<market::CandleEvent>(rows[0]).candle.volume, 90);
  EXPECT_EQ(std::get<market::CandleEvent>(rows[1]).candle.volume, 150);
  EXPECT_EQ(std::get<market::CandleEvent>(rows[2]).candle.volume, 300);
}

TEST_F(StoreServicesTest, PostgresKeepsTheNewestBarInProgressPerTimeframe) {
  const auto url = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(url.empty());
  market::SymbolRegistry symbols;
  symbols.add({.name = prefix + "OPEN'A"});  // a quote in the name: the literal is escaped
  symbols.add({.name = prefix + "OPEN_B"});
  auto bar = [](market::SymbolId s, market::Timeframe tf, std::uint64_t seq, std::int64_t high) {
    return market::CandleEvent{
        .symbol = s,
        .tf = tf,
        .closed = false,
        .seq = seq,
        .candle = {.start_ns = 60'000'000'000 * static_cast<std::int64_t>(seq),
                   .open = 100,
                   .high = high,
                   .low = 90,
                   .close = 95,
                   .volume = 7,
                   .first_ns = 1,
                   .last_ns = 2,
                   .ticks = 3}};
  };
  const std::vector<market::Event> batch1 = {bar(0, market::Timeframe::k1m, 4, 101),
                                             bar(0, market::Timeframe::k1s, 9, 102),
                                             bar(1, market::Timeframe::k1m, 2, 103)};
  const std::vector<market::Event> batch2 = {bar(0, market::Timeframe::k1m, 5, 104)};
  PostgresStore pg(symbols, url);
  pg.write(batch1);
  pg.write(batch2);
  pg.write(batch2);
  PostgresStore again(symbols, url);
  const auto a = again.open_bars(0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], std::get<market::CandleEvent>(batch1[1]));
  EXPECT_EQ(a[1], std::get<market::CandleEvent>(batch2[0]));
  const auto b = again.open_bars(1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], std::get<market::CandleEvent>(batch1[2]));
  EXPECT_TRUE(again.query({.symbol = 0, .series = Series::kCandles, .tf = market::Timeframe::k1m})
                  .rows.empty());
}

TEST_F(StoreServicesTest, InfluxRoundTripAnswersLikeTheMemoryStore) {
  const auto url = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(url.empty());
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 60'000, 5, prefix + "IX");
  MemoryStore memory(symbols, 1'000'000);
  InfluxStore influx(symbols, url);
  for (std::size_t i = 0; i < events.size(); i += 5000) {
    const auto n = std::min<std::size_t>(5000, events.size() - i);
    memory.write(std::span(events).subspan(i, n));
    influx.write(std::span(events).subspan(i, n));
  }
  influx.write(std::span(events).subspan(0, events.size() / 3));  // a replay: idempotent
  testing::expect_same_answers(memory, influx, events, 3);
  for (market::SymbolId s = 0; s < 3; ++s) {
    const auto a = memory.last_sequences(s);
    const auto b = influx.last_sequences(s);
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
      EXPECT_EQ(a.bars[tf], b.bars[tf]);
    EXPECT_EQ(a.ticks, b.ticks);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.spikes, b.spikes);
    EXPECT_EQ(a.reversals, b.reversals);
  }
}

// Raw InfluxDB requests, past the backend: a database as an older build left it.
struct RawInflux {
  InfluxUrl url;
  static std::string form(std::string_view s) {
    std::string out;
    for (const char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        out += c;
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
        out += hex;
      }
    }
    return out;
  }
  std::pair<int, std::string> query(const std::string& db, const std::string& q) const {
    return testing::http_request(
        url.port, "POST", "/query?db=" + db, "q=" + form(q),
        {url.authorization, "Content-Type: application/x-www-form-urlencoded"});
  }
  int write(const std::string& db, const std::string& lines) const {
    return testing::http_request(url.port, "POST", "/write?db=" + db + "&precision=ns", lines,
                                 {url.authorization})
        .first;
  }
};

// The URL with another database.
std::string with_db(const std::string& url, const std::string& db) {
  return url.substr(0, url.rfind('/') + 1) + db;
}

TEST_F(StoreServicesTest, InfluxSchemaIsVersionedAndAnOldDatabaseIsRefusedWithOneLine) {
  const auto url = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(url.empty());
  const RawInflux raw{parse_influx_url(url)};
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 20'000, 5, prefix + "SV");
  const std::string fresh = "st_fresh_" + std::to_string(::getpid());
  const std::string old = "st_v1_" + std::to_string(::getpid());
  const std::string newer = "st_v9_" + std::to_string(::getpid());
  for (const auto& db : {fresh, old, newer})
    ASSERT_EQ(raw.query("", "CREATE DATABASE \"" + db + "\"").first, 200);

  // A new database gets the version point and two fields per point (schema 2).
  {
    InfluxStore store(symbols, with_db(url, fresh));
    store.write(events);
  }
  const auto version = raw.query(fresh, "SELECT last(\"version\") FROM \"schema\"");
  EXPECT_NE(version.second.find(R"("columns":["time","last"],"values":[[)"), std::string::npos);
  EXPECT_NE(version.second.find(",2]]"), std::string::npos) << version.second;
  const auto keys = raw.query(fresh, "SHOW FIELD KEYS");
  for (
      const std::string_view expect :
      {R"("name":"candles","columns":["fieldKey","fieldType"],"values":[["packed","string"],["seq","integer"]])",
       R"("name":"ticks","columns":["fieldKey","fieldType"],"values":[["packed","string"],["seq","integer"]])",
       R"("name":"samples","columns":["fieldKey","fieldType"],"values":[["packed","string"],["seq","integer"]])"}) {
    EXPECT_NE(keys.second.find(expect), std::string::npos) << expect << "\nin " << keys.second;
  }
  // Opened again: the version is there, nothing refused, the same answers.
  {
    InfluxStore again(symbols, with_db(url, fresh));
    MemoryStore memory(symbols, 1'000'000);
    memory.write(events);
    testing::expect_same_answers(memory, again, events, 2);
  }

  // A database as builds before schema 2 wrote it (a field per value, no version point).
  ASSERT_EQ(raw.write(old,
                      "candles,symbol=X,tf=1s seq=1i,open=100i,high=105i,low=99i,"
                      "close=101i,volume=37i,first_ns=1i,last_ns=2i,ticks=3i,closed=1i,"
                      "volume_zlma_ready=0i,volume_zlma=0,bar_intensity_ready=0i,"
                      "bar_intensity=0 1000000000\n"),
            204);
  try {
    InfluxStore store(symbols, with_db(url, old));
    ADD_FAILURE() << "a schema 1 database was opened";
  } catch (const StoreError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos);
    EXPECT_NE(m.find("database " + old + " holds InfluxDB schema 1"), std::string::npos) << m;
    EXPECT_NE(m.find("does not migrate it"), std::string::npos) << m;
  }
  // One written by a newer build.
  ASSERT_EQ(raw.write(newer, "schema version=9i 1000000000\n"), 204);
  try {
    InfluxStore store(symbols, with_db(url, newer));
    ADD_FAILURE() << "a schema 9 database was opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("holds InfluxDB schema 9, written by a newer SpaceTime"),
              std::string::npos)
        << e.what();
  }
  for (const auto& db : {fresh, old, newer})
    raw.query("", "DROP DATABASE \"" + db + "\"");
}

TEST_F(StoreServicesTest, InfluxOutageIsSpooledAndReplayedWithNothingLost) {
  const auto url = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(url.empty());
  testing::TcpProxy proxy(port_of(url));
  const std::string via = with_port(url, proxy.port());
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 60'000, 11, prefix + "IO");
  Routing routing;
  routing.targets.push_back({via, "influxdb", std::make_shared<InfluxStore>(symbols, via)});
  bus::InprocBus bus;
  Recorder recorder(symbols, bus, routing, recorder_config());
  recorder.start();
  auto metric = [&](std::string_view key) {
    for (const auto& [k, v] : recorder.metrics())
      if (k == key) return v;
    return std::uint64_t{0};
  };
  const std::size_t third = events.size() / 3;
  publish_paced(bus, events, 0, third, {});
  recorder.flush();
  proxy.set_down(true);  // InfluxDB gone for 30 s while the replay goes on
  publish_paced(bus, events, third, 2 * third, kOutage);
  recorder.flush();
  EXPECT_FALSE(recorder.caught_up());
  EXPECT_GT(metric("store_influxdb_spool_bytes"), 0u);
  EXPECT_GT(metric("store_influxdb_spool_age_ms"), 25'000u);
  proxy.set_down(false);
  publish_paced(bus, events, 2 * third, events.size(), {});
  for (int i = 0; i < 1500 && !recorder.caught_up(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  recorder.stop();
  EXPECT_TRUE(recorder.caught_up());
  EXPECT_EQ(metric("store_influxdb_spool_bytes"), 0u);
  EXPECT_GT(metric("store_influxdb_replayed_batches"), 0u);
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  testing::expect_same_answers(memory, *routing.targets[0].backend, events, 2);
}

TEST_F(StoreServicesTest, UnreachableInfluxIsOneClearLine) {
  market::SymbolRegistry symbols;
  try {
    InfluxStore influx(symbols, "influxdb://127.0.0.1:1/spacetime");
    FAIL() << "connected";
  } catch (const StoreUnavailable& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("store influxdb://127.0.0.1:1/spacetime: 127.0.0.1:1: cannot connect"),
              std::string::npos)
        << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  EXPECT_THROW(InfluxStore(symbols, "influxdb://nohost"), StoreError);
}

// scripts/services runs InfluxDB with authentication on (user and password `spacetime`).
TEST_F(StoreServicesTest, AWrongInfluxPasswordIsOneClearLineAtStartUp) {
  const auto url = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(url.empty());
  ASSERT_NE(url.find(":spacetime@"), std::string::npos) << url;
  market::SymbolRegistry symbols;
  std::string bad = url;
  bad.replace(bad.find(":spacetime@"), 11, ":wrong-pw@");
  const std::string anonymous = "influxdb://" + url.substr(url.find('@') + 1);
  for (const auto& attempt : {bad, anonymous}) {
    try {
      InfluxStore influx(symbols, attempt);
      FAIL() << "connected with " << attempt;
    } catch (const StoreUnavailable& e) {
      FAIL() << "a refused login is not an outage: " << e.what();
    } catch (const StoreError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("authentication failed"), std::string::npos) << m;
      EXPECT_EQ(m.find("wrong-pw"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
  // The right password writes and reads (the round trip tests use it throughout).
  InfluxStore ok(symbols, url);
  EXPECT_NE(ok.describe().find("spacetime:***@"), std::string::npos) << ok.describe();
}

TEST_F(StoreServicesTest, RoutedStoresAnswerLikeSqliteAndTheMemoryStore) {
  const auto pg = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(pg.empty());
  const auto influx = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(influx.empty());
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 60'000, 7, prefix + "RO");
  StoreConfig sc;
  sc.data_dir = (dir / "data").string();
  sc.stores = {"sqlite:"};
  // The product's split: candles in PostgreSQL, intensity, spikes and reversals in
  // InfluxDB, ticks in the embedded store.
  sc.routes = {"candles=" + pg, "intensity,spikes,reversals=" + influx};
  const auto routing = open_stores(symbols, sc);
  ASSERT_EQ(routing.targets.size(), 3u);
  bus::InprocBus bus;
  {
    Recorder recorder(symbols, bus, routing, recorder_config());
    recorder.start();
    for (std::size_t i = 0; i < events.size(); i += 700)
      bus.publish(std::span(events).subspan(i, std::min<std::size_t>(700, events.size() - i)));
    recorder.stop();
  }
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  SqliteStore sqlite(symbols, (dir / "all.db").string());
  sqlite.write(events);
  const Router router(routing);
  testing::expect_same_answers(memory, router, events, 3);
  testing::expect_same_answers(sqlite, router, events, 3);
}

TEST_F(StoreServicesTest, PostgresOutageIsSpooledAndReplayedWithNothingLost) {
  const auto url = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(url.empty());
  testing::TcpProxy proxy(port_of(url));
  const std::string via = with_port(url, proxy.port());
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 90'000, 9, prefix + "OU");
  Routing routing;
  routing.targets.push_back({via, "postgresql", std::make_shared<PostgresStore>(symbols, via)});
  bus::InprocBus bus;
  Recorder recorder(symbols, bus, routing, recorder_config());
  recorder.start();
  auto publish = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; i += 500) {
      bus.publish(std::span(events).subspan(i, std::min<std::size_t>(500, to - i)));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  auto metric = [&](std::string_view key) {
    for (const auto& [k, v] : recorder.metrics())
      if (k == key) return v;
    return std::uint64_t{0};
  };
  const std::size_t third = events.size() / 3;
  publish(0, third);
  // The server is gone for the clients for 30 s (connections cut, then refused) while the
  // replay goes on.
  proxy.set_down(true);
  publish_paced(bus, events, third, 2 * third, kOutage);
  recorder.flush();
  EXPECT_GT(metric("store_postgresql_spool_bytes"), 0u);
  EXPECT_GT(metric("store_postgresql_failures"), 0u);
  EXPECT_GT(metric("store_postgresql_spool_age_ms"), 25'000u);
  proxy.set_down(false);
  publish(2 * third, events.size());
  // The recorder replays by itself once the server answers again.
  for (int i = 0; i < 1500 && !recorder.caught_up(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  recorder.stop();
  EXPECT_TRUE(recorder.caught_up());
  EXPECT_EQ(metric("store_postgresql_spool_bytes"), 0u);
  EXPECT_GT(metric("store_postgresql_replayed_batches"), 0u);
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  testing::expect_same_answers(memory, *routing.targets[0].backend, events, 3);
}

TEST_F(StoreServicesTest, UnreachableOrRefusedPostgresIsOneClearLine) {
  const auto url = env_url("SPACETIME_TEST_POSTGRES_URL");
  ASSERT_FALSE(url.empty());
  market::SymbolRegistry symbols;
  try {
    PostgresStore pg(symbols, "postgresql://spacetime:secret@127.0.0.1:1/spacetime");
    FAIL() << "connected";
  } catch (const StoreUnavailable& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("store postgresql://spacetime:***@127.0.0.1:1/spacetime: cannot connect"),
              std::string::npos)
        << m;
    EXPECT_EQ(m.find("secret"), std::string::npos);
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  std::string bad_password = url;
  bad_password.replace(bad_password.find(":spacetime@"), 11, ":wrong@");
  try {
    PostgresStore pg(symbols, bad_password);
    FAIL() << "connected";
  } catch (const StoreUnavailable& e) {
    FAIL() << "a refused login is not an outage: " << e.what();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("authentication"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PostgresStore(symbols, "mysql://x"), StoreError);
}

}  // namespace
}  // namespace spacetime::store
