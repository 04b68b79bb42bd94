// The persistent backends against real servers (scripts/services): round trips, identical
// History answers to the in-memory store, a 30 s outage of each with spool and replay, and
// clear errors.
// Needs SPACETIME_TEST_POSTGRES_URL (and SPACETIME_TEST_INFLUXDB_URL): run under
//   scripts/services run postgres influxdb -- ctest --preset release -L services
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>
#include <string_view>
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

// A candle as builds before InfluxDB schema 2 wrote it: a field per value, no version point.
constexpr const char* kSchema1Candle =
    "candles,symbol=X,tf=1s seq=1i,open=100i,high=105i,low=99i,close=101i,volume=37i,"
    "first_ns=1i,last_ns=2i,ticks=3i,closed=1i,volume_zlma_ready=0i,volume_zlma=0,"
    "bar_intensity_ready=0i,bar_intensity=0 1000000000\n";

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

// Waits up to a minute (by the clock: caught_up() waits for the recorder's step, which may
// hold a store write for seconds) for the recorder to have written everything.
void wait_caught_up(const Recorder& recorder) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!recorder.caught_up() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// A line on stderr per step of a long test, so that a test cut off by ctest's timeout shows
// where it was.
void phase(std::string_view what) {
  std::fprintf(stderr, "test step: %.*s\n", static_cast<int>(what.size()), what.data());
}

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
  ASSERT_EQ(raw.write(old, kSchema1Candle), 204);
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

// An HTTP front on 127.0.0.1 before the real InfluxDB: every request is passed on
// (HTTP/1.0, one request per connection) and its answer sent back, except the schema
// check's query (GET /query reading the `schema` measurement), which gets the answer set
// by fail_check() while one is set. Counts the /write requests that went through.
class InfluxFront {
 public:
  explicit InfluxFront(std::uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("front: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~InfluxFront() {
    thread_.request_stop();
    thread_.join();
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  void fail_check(int status, std::string body) {
    std::lock_guard lock(mutex_);
    fault_ = std::make_pair(status, std::move(body));
  }
  // The answer to the single-statement query the check sends after "not executed".
  void answer_probe(int status, std::string body) {
    std::lock_guard lock(mutex_);
    probe_ = std::make_pair(status, std::move(body));
  }
  void pass_check() {
    std::lock_guard lock(mutex_);
    fault_.reset();
    probe_.reset();
  }
  int writes() const { return writes_; }
  int checks_answered() const { return checks_; }

 private:
  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }

  void serve(int fd) {
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string in;
    char buf[65536];
    std::size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    const std::string head = in.substr(0, head_end);
    std::vector<std::string> headers;
    std::size_t length = 0;
    for (std::size_t at = head.find("\r\n"); at != std::string::npos;) {
      const std::size_t next = head.find("\r\n", at + 2);
      std::string line =
          head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      at = next;
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower.starts_with("content-length:")) {
        length = std::stoul(line.substr(15));
      } else if (!lower.starts_with("host:") && !lower.starts_with("connection:")) {
        headers.push_back(line);
      }
    }
    std::string body = in.substr(head_end + 4);
    while (body.size() < length) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      body.append(buf, static_cast<std::size_t>(n));
    }
    const std::string request_line = head.substr(0, head.find("\r\n"));
    const std::string method = request_line.substr(0, request_line.find(' '));
    const std::size_t path_at = request_line.find(' ') + 1;
    const std::string target = request_line.substr(path_at, request_line.rfind(' ') - path_at);
    std::pair<int, std::string> answer;
    std::optional<std::pair<int, std::string>> fault, probe;
    {
      std::lock_guard lock(mutex_);
      fault = fault_;
      probe = probe_;
    }
    if (method == "GET" && target.starts_with("/query?") &&
        target.find("%22schema%22") != std::string::npos) {
      if (target.find("SHOW") != std::string::npos) {  // the check; else its probe
        ++checks_;
        if (fault) answer = *fault;
      } else if (probe) {
        answer = *probe;
      }
    }
    if (answer.first == 0) {
      if (target.starts_with("/write")) ++writes_;
      answer = testing::http_request(target_, method, target, body, headers);
    }
    const std::string out = "HTTP/1.1 " + std::to_string(answer.first) +
                            " X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            "Content-Length: " +
                            std::to_string(answer.second.size()) + "\r\n\r\n" + answer.second;
    ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  std::uint16_t target_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::optional<std::pair<int, std::string>> fault_, probe_;
  std::atomic<int> writes_{0}, checks_{0};
  std::jthread thread_;
};

// The schema check reads the version; only a clean answer (no version point, no schema 1
// field keys, or no such database) makes a database new and gets the version point. An
// HTTP error, an error in the answer, or an answer that is not InfluxDB's JSON stops
// start-up with one line and writes nothing: a transient error must not stamp schema 2
// onto a schema 1 database (which would then be written in the wrong layout).
TEST_F(StoreServicesTest, InfluxSchemaCheckThatFailsWritesNothingAndIsOneLine) {
  const auto url = env_url("SPACETIME_TEST_INFLUXDB_URL");
  ASSERT_FALSE(url.empty());
  const RawInflux raw{parse_influx_url(url)};
  InfluxFront front(port_of(url));
  market::SymbolRegistry symbols;
  const std::string old = "st_v1c_" + std::to_string(::getpid());
  const std::string fresh = "st_newc_" + std::to_string(::getpid());
  const std::string fresh3 = "st_new3_" + std::to_string(::getpid());
  for (const auto& db : {old, fresh, fresh3})
    ASSERT_EQ(raw.query("", "CREATE DATABASE \"" + db + "\"").first, 200);
  ASSERT_EQ(raw.write(old, kSchema1Candle), 204);
  const std::string via_old = with_db(with_port(url, front.port()), old);

  struct Fault {
    int status;
    std::string body;
    bool unavailable;    // StoreUnavailable (try again later) rather than StoreError
    std::string reason;  // in the message, after "cannot read the schema version of database DB: "
  };
  const std::vector<Fault> faults = {
      {500, R"({"error":"timeout"})", true, "query answered HTTP 500: timeout"},
      {503, "<html>\nbusy\n</html>", true, "query answered HTTP 503: <html> busy </html>"},
      {400, R"({"error":"error parsing query"})", false,
       "query answered HTTP 400: error parsing query"},
      {404, "404 page not found", false, "query answered HTTP 404: 404 page not found"},
      {200, "<html>a proxy's page</html>", false,
       "the answer is not InfluxDB's query JSON: <html>a proxy's page</html>"},
      {200, R"({"results":[{"statement_id":0,"error":"query interrupted"}]})", true,
       "the query answered: query interrupted"},
      {200, R"({"results":[{"statement_id":0}]})", false, "the answer lacks statements"},
      // "not executed", and the statement alone (on the real server) says nothing is missing.
      {200, R"({"results":[{"statement_id":0,"error":"not executed"}]})", true,
       "the query answered: not executed ("},
      {200,
       R"({"results":[{"statement_id":0,"series":[{"values":[[1,"two"]]}]},)"
       R"({"statement_id":1},{"statement_id":2},{"statement_id":3}]})",
       false, "the answer is not InfluxDB's query JSON"},
  };
  for (const auto& f : faults) {
    front.fail_check(f.status, f.body);
    const int checks = front.checks_answered();
    try {
      InfluxStore store(symbols, via_old);
      ADD_FAILURE() << "opened after a check answered " << f.status << " " << f.body;
    } catch (const StoreError& e) {
      const std::string m = e.what();
      EXPECT_EQ(dynamic_cast<const StoreUnavailable*>(&e) != nullptr, f.unavailable) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find("cannot read the schema version of database " + old + ": " + f.reason),
                std::string::npos)
          << m;
    }
    EXPECT_EQ(front.checks_answered(), checks + 1) << f.body;  // the fault was asked
  }
  EXPECT_EQ(front.writes(), 0);
  const auto schema = raw.query(old, "SELECT * FROM \"schema\"");
  EXPECT_EQ(schema.second.find("series"), std::string::npos) << schema.second;
  // Answered cleanly, the database is what it was: schema 1, refused.
  front.pass_check();
  try {
    InfluxStore store(symbols, via_old);
    ADD_FAILURE() << "a schema 1 database was opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("database " + old + " holds InfluxDB schema 1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(front.writes(), 0);

  // "No such database" is a clean answer: new, the version point is written. InfluxDB 1.6
  // answers the check's four statements on a missing database with only "not executed"
  // (measured with Debian's influxd) and one statement with "database not found"; InfluxDB 3
  // before its first write answers 404.
  const std::string fresh1 = "st_new1_" + std::to_string(::getpid());
  ASSERT_EQ(raw.query("", "CREATE DATABASE \"" + fresh1 + "\"").first, 200);
  const std::vector<std::pair<std::string, std::pair<int, std::string>>> missing = {
      {fresh, {200, R"({"results":[{"statement_id":0,"error":"database not found: x"}]})"}},
      {fresh1, {200, R"({"results":[{"statement_id":0,"error":"not executed"}]})"}},
      {fresh3, {404, R"({"error":"database not found: x"})"}}};
  front.answer_probe(200, R"({"results":[{"statement_id":0,"error":"database not found: x"}]})");
  for (const auto& [db, answer] : missing) {
    front.fail_check(answer.first, answer.second);
    const int writes = front.writes();
    { InfluxStore store(symbols, with_db(with_port(url, front.port()), db)); }
    EXPECT_EQ(front.writes(), writes + 1) << answer.second;
    const auto version = raw.query(db, "SELECT last(\"version\") FROM \"schema\"");
    EXPECT_NE(version.second.find(",2]]"), std::string::npos) << version.second;
  }
  for (const auto& db : {old, fresh, fresh1, fresh3})
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
  phase("InfluxDB down for 30 s");
  proxy.set_down(true);  // InfluxDB gone for 30 s while the replay goes on
  publish_paced(bus, events, third, 2 * third, kOutage);
  recorder.flush();
  EXPECT_FALSE(recorder.caught_up());
  EXPECT_GT(metric("store_influxdb_spool_bytes"), 0u);
  EXPECT_GT(metric("store_influxdb_spool_age_ms"), 25'000u);
  proxy.set_down(false);
  phase("InfluxDB back; the last third");
  publish_paced(bus, events, 2 * third, events.size(), {});
  phase("waiting for the recorder to catch up");
  wait_caught_up(recorder);
  phase("stopping the recorder");
  recorder.stop();
  EXPECT_TRUE(recorder.caught_up());
  EXPECT_EQ(metric("store_influxdb_spool_bytes"), 0u);
  EXPECT_GT(metric("store_influxdb_replayed_batches"), 0u);
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  phase("comparing every row with the memory store");
  testing::expect_same_rows(memory, *routing.targets[0].backend, 2);
  phase("done");
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
  phase("PostgreSQL down for 30 s");
  proxy.set_down(true);
  publish_paced(bus, events, third, 2 * third, kOutage);
  recorder.flush();
  EXPECT_GT(metric("store_postgresql_spool_bytes"), 0u);
  EXPECT_GT(metric("store_postgresql_failures"), 0u);
  EXPECT_GT(metric("store_postgresql_spool_age_ms"), 25'000u);
  proxy.set_down(false);
  phase("PostgreSQL back; the last third");
  publish(2 * third, events.size());
  // The recorder replays by itself once the server answers again.
  phase("waiting for the recorder to catch up");
  wait_caught_up(recorder);
  phase("stopping the recorder");
  recorder.stop();
  EXPECT_TRUE(recorder.caught_up());
  EXPECT_EQ(metric("store_postgresql_spool_bytes"), 0u);
  EXPECT_GT(metric("store_postgresql_replayed_batches"), 0u);
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  phase("comparing the answers with the memory store");
  testing::expect_same_answers(memory, *routing.targets[0].backend, events, 3);
  phase("done");
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
