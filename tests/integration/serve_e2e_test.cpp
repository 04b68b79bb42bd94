// End to end through the product: starts the real `spacetime serve` on a free port,
// connects a WebSocket client, subscribes, and checks that the candles that arrive are
// exactly what the simulator's ticks imply. The reference candles come from running the
// same deterministic simulator here and bucketing its ticks independently of the engine.
#include <utility>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "feed/simulator.hpp"
#include "support/child_process.hpp"
#include "support/http_get.hpp"

namespace spacetime {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::int64_t kStart = 1'767'364'200'000'000'000;  // 2026-01-02T14:30:00Z
constexpr std::int64_t kSec = 1'000'000'000;

struct Received {
  std::int64_t t = 0, o = 0, h = 0, l = 0, c = 0, v = 0, n = 0;
  std::uint64_t seq = 0;
  bool operator==(const Received&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Received& r) {
  return os << "{t=" << r.t << " o=" << r.o << " h=" << r.h << " l=" << r.l << " c=" << r.c
            << " v=" << r.v << " n=" << r.n << " seq=" << r.seq << "}";
}

std::int64_t ticks_of(double price) {
  return std::llround(price * 100.0);
}

Received from_json(simdjson::dom::element e) {
  return Received{.t = int64_t(e["t"]),
                  .o = ticks_of(double(e["o"])),
                  .h = ticks_of(double(e["h"])),
                  .l = ticks_of(double(e["l"])),
                  .c = ticks_of(double(e["c"])),
                  .v = int64_t(e["v"]),
                  .n = int64_t(e["n"]),
                  .seq = uint64_t(e["seq"])};
}

class ServeEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spacetime-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    server_ = std::make_unique<testing::ChildProcess>(
        SPACETIME_BIN,
        std::vector<std::string>{"serve", "--port", "0", "--bind", "127.0.0.1", "--symbols", "3",
                                 "--rate", "3000", "--seed", "42", "--sim-start",
                                 "2026-01-02T14:30:00Z", "--flush-ms", "50", "--web-root",
                                 dir_.string(), "--data-dir", (dir_ / "data").string()},
        dir_ / "serve.log");
    const auto port = server_->wait_for("listening on http://127.0.0.1:", std::chrono::seconds(20));
    ASSERT_TRUE(port) << "server did not start:\n" << server_->output();
    port_ = port->substr(0, port->find(' '));  // "39367 (3 simulated symbols ..."
  }

  void TearDown() override {
    if (server_) {
      const int status = server_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "server did not exit cleanly on SIGTERM:\n"
          << server_->output();
    }
    std::filesystem::remove_all(dir_);
  }

  void connect(websocket::stream<tcp::socket>& ws) {
    tcp::resolver resolver(ioc_);
    net::connect(ws.next_layer(), resolver.resolve("127.0.0.1", port_));
    ws.handshake("127.0.0.1:" + port_, "/ws");
  }

  std::string read(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

  std::string http_get(const std::string& target) {
    return testing::http_get(static_cast<std::uint16_t>(std::stoi(port_)), target);
  }

  net::io_context ioc_;
  std::filesystem::path dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string port_;
};

TEST_F(ServeEndToEnd, CandlesOverWebSocketEqualWhatTheSimulatorsTicksImply) {
  websocket::stream<tcp::socket> ws(ioc_);
  connect(ws);
  simdjson::dom::parser parser;

  const std::string hello = read(ws);
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(hello).get(doc));
  ASSERT_EQ(std::string_view(doc["type"]), "hello");
  const std::string symbol(std::string_view(doc["symbols"].at(0)["symbol"]));

  ws.write(net::buffer(R"({"op":"subscribe","id":1,"symbols":[")" + symbol +
                       R"("],"streams":["candles:1s"]})"));

  // Collect every closed 1 s candle (snapshot and live) for a few seconds.
  std::map<std::uint64_t, Received> closed;
  bool got_snapshot = false;
  bool got_ok = false;
  std::uint64_t snapshot_last_seq = 0;
  bool first_live = true;
  std::size_t batches = 0;
  std::size_t in_progress = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
  while (std::chrono::steady_clock::now() < until) {
    const std::string frame = read(ws);
    ASSERT_FALSE(parser.parse(frame).get(doc)) << frame;
    const std::string_view type(doc["type"]);
    if (type == "snapshot") {
      EXPECT_FALSE(got_snapshot);
      got_snapshot = true;
      EXPECT_EQ(std::string_view(doc["stream"]), "candles:1s");
      EXPECT_EQ(int64_t(doc["id"]), 1);
      snapshot_last_seq = uint64_t(doc["last_seq"]);
      for (auto c : simdjson::dom::array(doc["events"])) {
        const auto r = from_json(c);
        closed[r.seq] = r;
      }
    } else if (type == "ok") {
      EXPECT_TRUE(got_snapshot) << "ok before the snapshot";
      EXPECT_EQ(int64_t(doc["id"]), 1);
      EXPECT_EQ(uint64_t(doc["channels"]), 1u);
      got_ok = true;
    } else if (type == "batch") {
      ASSERT_TRUE(got_snapshot) << "a batch came before the snapshot";
      ++batches;
      for (auto e : simdjson::dom::array(doc["events"])) {
        EXPECT_EQ(std::string_view(e["symbol"]), symbol);
        EXPECT_EQ(std::string_view(e["stream"]), "candles:1s");
        if (bool(e["closed"])) {
          const auto r = from_json(e);
          if (first_live) {
            EXPECT_EQ(r.seq, snapshot_last_seq + 1) << "the batches do not continue the snapshot";
            first_live = false;
          }
          EXPECT_FALSE(closed.contains(r.seq)) << "closed twice: " << r;
          closed[r.seq] = r;
        } else {
          ++in_progress;
        }
      }
    } else {
      FAIL() << "unexpected frame " << frame;
    }
  }
  ASSERT_TRUE(got_snapshot);
  EXPECT_TRUE(got_ok);
  EXPECT_GT(batches, 5u);
  EXPECT_GT(in_progress, 5u);
  ASSERT_GE(closed.size(), 2u) << "no candles closed in 3.5 s";

  // Sequence numbers leave no gap: nothing was lost between snapshot and live updates.
  std::uint64_t expect_seq = closed.begin()->first;
  for (const auto& [seq, r] : closed)
    EXPECT_EQ(seq, expect_seq++);

  // Reference: the same simulator, bucketed by hand.
  feed::Simulator sim(
      feed::SimulatorConfig{.symbols = 3, .rate = 3000, .seed = 42, .start_ns = kStart});
  std::map<std::int64_t, Received> expected;  // by bucket start second
  const std::int64_t last_bucket = closed.rbegin()->second.t;
  while (sim.peek_time() < (last_bucket + 1) * kSec) {
    const market::Tick tick = sim.next();
    if (tick.symbol != 0) continue;
    const std::int64_t t = tick.ts_ns / kSec;
    auto [it, fresh] = expected.try_emplace(t);
    Received& r = it->second;
    if (fresh) r = {.t = t, .o = tick.price, .h = tick.price, .l = tick.price};
    r.h = std::max(r.h, tick.price);
    r.l = std::min(r.l, tick.price);
    r.c = tick.price;
    r.v += tick.size;
    r.n += 1;
  }
  std::uint64_t seq = 0;
  for (auto& [t, r] : expected)
    r.seq = ++seq;  // the k-th bar ever opened has seq k
  std::map<std::int64_t, Received> expected_by_seq;
  for (const auto& [t, r] : expected)
    expected_by_seq[static_cast<std::int64_t>(r.seq)] = r;
  for (const auto& [s, r] : closed) {
    ASSERT_TRUE(expected_by_seq.contains(static_cast<std::int64_t>(s))) << r;
    EXPECT_EQ(r, expected_by_seq[static_cast<std::int64_t>(s)]);
  }
}

TEST_F(ServeEndToEnd, BadClientMessagesGetAnErrorAndTheConnectionLives) {
  websocket::stream<tcp::socket> ws(ioc_);
  connect(ws);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  read(ws);  // hello
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"garbage", "bad_json"},
      {R"({"op":"subscribe","id":"a","symbols":["NOPE"],"streams":["candles:1s"]})",
       "unknown_symbol"},
      {R"({"op":"subscribe","id":"b","symbols":["ALFA"],"streams":["candles:7m"]})",
       "unknown_stream"},
      // The simulator is no file replay.
      {R"({"op":"replay","id":"c","action":"pause"})", "not_replay"}};
  for (const auto& [message, code] : bad) {
    ws.write(net::buffer(message));
    const std::string reply = read(ws);
    ASSERT_FALSE(parser.parse(reply).get(doc)) << reply;
    EXPECT_EQ(std::string_view(doc["type"]), "error") << reply;
    EXPECT_EQ(std::string_view(doc["code"]), code) << reply;
  }
  ws.write(net::buffer(std::string(R"({"op":"ping","id":5})")));
  const std::string pong = read(ws);
  ASSERT_FALSE(parser.parse(pong).get(doc));
  EXPECT_EQ(std::string_view(doc["type"]), "pong");
  EXPECT_EQ(int64_t(doc["id"]), 5);

  // The feed may not have produced its first tick yet right after start-up.
  std::string health;
  for (int i = 0; i < 100; ++i) {
    health = http_get("/api/health");
    ASSERT_FALSE(parser.parse(health).get(doc)) << health;
    if (uint64_t(doc["ticks"]) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(std::string_view(doc["status"]), "ok");
  EXPECT_EQ(uint64_t(doc["bad_client_messages"]), 4u);
  EXPECT_EQ(uint64_t(doc["gateway_bus_dropped"]), 0u);
  EXPECT_EQ(uint64_t(doc["clients"]), 1u);
  EXPECT_GT(uint64_t(doc["ticks"]), 0u);
  EXPECT_EQ(uint64_t(doc["bus_dropped"]), 0u);
  ws.close(websocket::close_code::normal);
}

// Each client picks its own smoothing of intensity; the server computes all three once.
TEST_F(ServeEndToEnd, IntensityArrivesWithTheSmootherEachClientAskedFor) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::map<std::string, std::size_t> values;  // smoother -> ready values seen
  std::vector<std::unique_ptr<websocket::stream<tcp::socket>>> clients;
  for (const std::string smoother : {"sma", "zlma"}) {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(ioc_);
    connect(*ws);
    read(*ws);  // hello
    ws->write(net::buffer(R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["intensity:)" +
                          smoother + R"(","reversals"]})"));
    clients.push_back(std::move(ws));
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3000);
  std::size_t reversal_snapshots = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (std::size_t c = 0; c < clients.size(); ++c) {
      const std::string frame = read(*clients[c]);
      ASSERT_FALSE(parser.parse(frame).get(doc)) << frame;
      const std::string_view type(doc["type"]);
      if (type == "snapshot") {
        if (std::string_view(doc["stream"]) == "reversals") ++reversal_snapshots;
        continue;
      }
      if (type == "ok") continue;
      ASSERT_EQ(type, "batch") << frame;
      for (auto e : simdjson::dom::array(doc["events"])) {
        if (std::string_view(e["type"]) != "intensity") continue;
        const std::string stream{std::string_view(e["stream"])};
        EXPECT_EQ(stream, c == 0 ? "intensity:sma" : "intensity:zlma");
        const std::string smoother = stream.substr(stream.find(':') + 1);
        EXPECT_GT(double(e["raw"]), 0.0);
        if (!e["value"].is_null()) ++values[smoother];
      }
    }
  }
  EXPECT_EQ(reversal_snapshots, 2u);
  EXPECT_GT(values["sma"], 3u) << "no smoothed intensity within 3 s";
  EXPECT_GT(values["zlma"], 3u);
}

TEST_F(ServeEndToEnd, ServesTheWebRootAndRefusesToLeaveIt) {
  {
    std::ofstream index(dir_ / "index.html");
    index << "<html>spacetime test page</html>";
  }
  EXPECT_EQ(http_get("/"), "<html>spacetime test page</html>");
  EXPECT_NE(http_get("/../../etc/passwd").find("bad path"), std::string::npos);
  for (const std::string escape :
       {"//etc/passwd", "///etc/passwd", "//proc/self/environ", "//dev/zero"}) {
    const std::string body = http_get(escape);
    EXPECT_EQ(body.find("root:"), std::string::npos) << escape;
    EXPECT_LT(body.size(), 100u) << escape << " read something outside the web root";
  }
  EXPECT_NE(http_get("/nope.js").find("not found"), std::string::npos);
  EXPECT_NE(http_get("/api/symbols").find(R"("symbol":"ALFA")"), std::string::npos);
}

// `serve --feed file`: a recorded file played into the product, paused, resumed and sped
// up over the WebSocket, its clock on the file's timestamps.
// The 10 s status line shows the recorder's store_bus_waits (how often its full bus queue
// held an engine shard back) among the counters, as docs/OPERATIONS.md describes it.
TEST_F(ServeEndToEnd, StatusLineShowsTheRecordersBusWaits) {
  const auto rest = server_->wait_for(" batches sent, store bus waits ", std::chrono::seconds(60));
  ASSERT_TRUE(rest) << "no status line with the recorder's bus waits:\n" << server_->output();
  // "N, drops: bus M slow clients K"
  const auto comma = rest->find(", drops: bus ");
  ASSERT_NE(comma, std::string::npos) << *rest;
  const std::string waits = rest->substr(0, comma);
  EXPECT_FALSE(waits.empty()) << *rest;
  EXPECT_EQ(waits.find_first_not_of("0123456789"), std::string::npos) << *rest;
  // The same count /metrics shows (it only grows: the line's value is at most the later one).
  const std::string metrics = http_get("/metrics");
  const auto at = metrics.find("\nspacetime_store_bus_waits ");
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_LE(std::stoull(waits), std::stoull(metrics.substr(at + 27))) << metrics;
}

TEST(ServeFileReplay, PauseStopsTheReplayClockAndResumeMovesItOn) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("spacetime-replay-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::int64_t t0 = 1'764'599'400'000'000'000;  // 2025-12-01T14:30:00Z
  {
    std::ofstream csv(dir / "day.csv");
    csv << "ts,symbol,price,size\n";
    for (int i = 0; i < 6000; ++i)  // 10 minutes, a tick every 100 ms
      csv << t0 + std::int64_t{i} * 100'000'000 << ",ALFA," << 100 + (i % 7) * 0.01 << ",1\n";
  }
  testing::ChildProcess server(SPACETIME_BIN,
                               {"serve", "--port", "0", "--bind", "127.0.0.1", "--feed", "file",
                                "--file", (dir / "day.csv").string(), "--speed", "10", "--web-root",
                                dir.string(), "--data-dir", (dir / "data").string()},
                               dir / "serve.log");
  const auto port = server.wait_for("listening on http://127.0.0.1:", std::chrono::seconds(20));
  ASSERT_TRUE(port) << "server did not start:\n" << server.output();
  const std::string p = port->substr(0, port->find(' '));

  net::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  tcp::resolver resolver(ioc);
  net::connect(ws.next_layer(), resolver.resolve("127.0.0.1", p));
  ws.handshake("127.0.0.1:" + p, "/ws");
  auto read = [&] {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  };
  read();  // hello
  simdjson::dom::parser parser;
  std::string text;
  simdjson::dom::element doc;
  auto ask = [&](const std::string& request) {
    ws.write(net::buffer(request));
    text = read();
    EXPECT_FALSE(parser.parse(text).get(doc)) << text;
    return doc;
  };
  // The clock is the file's time once its first tick is out.
  std::int64_t clock = 0;
  for (int i = 0; i < 100 && clock == 0; ++i) {
    clock = int64_t(ask(R"({"op":"replay","id":1,"action":"status"})")["replay"]["clock_ms"]);
    if (clock == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(clock, t0 / 1'000'000) << text;
  EXPECT_DOUBLE_EQ(double(doc["replay"]["speed"]), 10.0);

  auto paused = ask(R"({"op":"replay","id":2,"action":"pause"})");
  EXPECT_EQ(std::string_view(paused["type"]), "ok") << text;
  EXPECT_TRUE(bool(paused["replay"]["paused"]));
  const std::int64_t stopped = int64_t(paused["replay"]["clock_ms"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(int64_t(ask(R"({"op":"replay","id":3,"action":"status"})")["replay"]["clock_ms"]),
            stopped);

  auto resumed = ask(R"({"op":"replay","id":4,"action":"resume"})");
  EXPECT_FALSE(bool(resumed["replay"]["paused"]));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // 400 ms at 10x: about 4 s of the file (at least 1 s on a loaded machine).
  EXPECT_GT(int64_t(ask(R"({"op":"replay","id":5,"action":"status"})")["replay"]["clock_ms"]),
            stopped + 1000);

  auto faster = ask(R"({"op":"replay","id":6,"action":"speed","speed":50})");
  EXPECT_DOUBLE_EQ(double(faster["replay"]["speed"]), 50.0) << text;
  EXPECT_EQ(
      std::string_view(ask(R"({"op":"replay","id":7,"action":"speed","speed":5000})")["code"]),
      "bad_request");
  ws.close(websocket::close_code::normal);
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.output();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spacetime
