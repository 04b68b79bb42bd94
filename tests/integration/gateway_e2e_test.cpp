// The gateway's limits and keepalive against the real binary over real sockets: message
// size, clients per process, Origin, a dead peer, Prometheus text, and event-channel
// continuity while the simulator runs as fast as the engine goes.
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_get.hpp"

namespace spacetime {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class GatewayEndToEnd : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra) {
    dir_ = std::filesystem::temp_directory_path() /
           ("spacetime-gw-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {"serve",
                                     "--port",
                                     "0",
                                     "--seed",
                                     "3",
                                     "--web-root",
                                     dir_.string(),
                                     "--flush-ms",
                                     "50",
                                     "--data-dir",
                                     (dir_ / "data").string()};
    for (const char* flag : {"--symbols", "--rate"}) {
      if (std::find(extra.begin(), extra.end(), flag) == extra.end()) {
        args.insert(args.end(), {flag, std::string(flag) == "--rate" ? "2000" : "4"});
      }
    }
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<testing::ChildProcess>(SPACETIME_BIN, args, dir_ / "serve.log");
    const auto port = server_->wait_for("listening on http://127.0.0.1:", std::chrono::seconds(20));
    ASSERT_TRUE(port) << "server did not start:\n" << server_->output();
    port_ = port->substr(0, port->find(' '));
  }

  void TearDown() override {
    if (server_) {
      const int status = server_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->output();
    }
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<websocket::stream<tcp::socket>> connect(const std::string& target = "/ws",
                                                          const std::string& origin = "") {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(ioc_);
    tcp::resolver resolver(ioc_);
    net::connect(ws->next_layer(), resolver.resolve("127.0.0.1", port_));
    if (!origin.empty()) {
      ws->set_option(websocket::stream_base::decorator(
          [origin](websocket::request_type& req) { req.set(beast::http::field::origin, origin); }));
    }
    ws->handshake("127.0.0.1:" + port_, target);
    return ws;
  }

  std::string read(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

  std::string http_get(const std::string& target) {
    return testing::http_get(static_cast<std::uint16_t>(std::stoi(port_)), target);
  }

  std::uint64_t health(std::string_view key) {
    const std::string body = http_get("/api/health");
    const auto at = body.find("\"" + std::string(key) + "\":");
    EXPECT_NE(at, std::string::npos) << key << " in " << body;
    return std::strtoull(body.c_str() + at + key.size() + 3, nullptr, 10);
  }

  net::io_context ioc_;
  std::filesystem::path dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string port_;
};

TEST_F(GatewayEndToEnd, QueryStringIsAcceptedAndMetricsAreValidPrometheusText) {
  start({});
  auto ws = connect("/ws?client=test&v=2");
  EXPECT_NE(read(*ws).find(R"("type":"hello","version":2)"), std::string::npos);
  const std::string text = http_get("/metrics");
  std::set<std::string> typed;
  std::set<std::string> helped;
  std::istringstream lines(text);
  std::string line;
  std::size_t samples = 0;
  auto valid_name = [](std::string_view n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    for (const char c : n) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    }
    return true;
  };
  std::string last_family;
  std::set<std::string> closed_families;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    if (line.starts_with("# HELP ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(valid_name(name)) << line;
      EXPECT_TRUE(helped.insert(name).second) << "HELP twice: " << line;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::istringstream parts(line.substr(7));
      std::string name, type;
      parts >> name >> type;
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
      EXPECT_TRUE(helped.contains(name)) << "TYPE without HELP: " << line;
      EXPECT_TRUE(typed.insert(name).second) << "TYPE twice: " << line;
      if (!last_family.empty() && last_family != name) closed_families.insert(last_family);
      last_family = name;
      continue;
    }
    ASSERT_NE(line[0], '#') << line;
    const auto end = line.find_first_of("{ ");
    std::string name = line.substr(0, end);
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = name.substr(0, name.size() - std::strlen(suffix));
      if (name.ends_with(suffix) && typed.contains(base)) name = base;
    }
    EXPECT_TRUE(typed.contains(name)) << "sample before its TYPE: " << line;
    EXPECT_EQ(name, last_family) << "samples of one family must be together: " << line;
    const std::string value = line.substr(line.rfind(' ') + 1);
    char* parsed_end = nullptr;
    std::strtod(value.c_str(), &parsed_end);
    EXPECT_EQ(*parsed_end, '\0') << "value is not a number: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 30u);
  EXPECT_TRUE(typed.contains("spacetime_ws_write_seconds"));
  EXPECT_TRUE(typed.contains("spacetime_ticks"));
  // A value that goes down is a gauge, also when another part names it (the store's spool).
  EXPECT_NE(text.find("# TYPE spacetime_store_sqlite_spool_bytes gauge\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE spacetime_engine_queue_depth gauge\n"), std::string::npos);
  // A store's own counters (Backend::metrics()) come with the recorder's, documented.
  EXPECT_NE(text.find("# HELP spacetime_store_sqlite_wal_checkpoints WAL checkpoints"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nspacetime_store_sqlite_wal_checkpoints_busy "), std::string::npos);
  EXPECT_NE(text.find("\nspacetime_store_sqlite_wal_checkpoints_failed 0\n"), std::string::npos);
}

// Feed -> engine, engine -> gateway, gateway -> socket and end to end: each stage's
// histogram counts observations once batches flow to a client.
TEST_F(GatewayEndToEnd, EveryLatencyStageIsMeasured) {
  start({});
  auto ws = connect();
  read(*ws);  // hello
  ws->write(net::buffer(std::string(
      R"({"op":"subscribe","id":1,"symbols":["ALFA","BRVO"],"streams":["ticks","buffer"],"history":0})")));
  int batches = 0;
  for (int i = 0; i < 200 && batches < 5; ++i)
    batches += read(*ws).find(R"("type":"batch")") != std::string::npos ? 1 : 0;
  ASSERT_EQ(batches, 5);
  const std::string text = http_get("/metrics");
  for (const char* stage : {"feed_to_engine", "engine_to_gateway", "ws_write", "end_to_end"}) {
    auto number = [&](const std::string& key) -> std::uint64_t {
      const auto at = text.find(key);
      EXPECT_NE(at, std::string::npos) << key << " missing:\n" << text;
      return at == std::string::npos ? 0
                                     : std::strtoull(text.c_str() + at + key.size(), nullptr, 10);
    };
    const std::uint64_t count = number(fmt::format("spacetime_{}_seconds_count ", stage));
    EXPECT_GT(count, 0u) << stage;
    // Every observation is a real duration: loopback latency is far below 10 s (a stamp
    // matched to the wrong batch, or a zero origin, would land beyond it).
    EXPECT_EQ(number(fmt::format("spacetime_{}_seconds_bucket{{le=\"10\"}} ", stage)), count)
        << stage;
  }
}

// REST history runs on worker threads and answers on the connection it came from: many
// requests at once, while a WebSocket client is served, each get their own right answer.
TEST_F(GatewayEndToEnd, HistoryRequestsAtOnceEachGetTheirAnswer) {
  start({"--rate", "20000"});
  auto ws = connect();
  read(*ws);  // hello
  ws->write(net::buffer(std::string(
      R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1s"],"history":0})")));
  std::string rows;
  for (int i = 0; i < 100; ++i) {  // wait for a closed 1 s candle to be stored
    rows = http_get("/api/candles?symbol=ALFA&tf=1s");
    if (rows.find(R"("type":"candle")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(rows.find(R"("type":"candle")"), std::string::npos) << rows;
  std::vector<std::string> answers(24);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] {
      answers[i] = i % 3 == 0   ? http_get("/api/candles?symbol=ALFA&tf=1s&limit=1")
                   : i % 3 == 1 ? http_get("/api/spikes?symbol=BRVO")
                                : http_get("/api/candles?symbol=ALFA&tf=7s");
    });
  }
  for (auto& t : threads)
    t.join();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const char* want = i % 3 == 0   ? R"("series":"candles","tf":"1s")"
                       : i % 3 == 1 ? R"("symbol":"BRVO","series":"spikes")"
                                    : R"("error":"bad_parameter","parameter":"tf")";
    EXPECT_NE(answers[i].find(want), std::string::npos) << i << ": " << answers[i];
  }
  // The WebSocket client was served meanwhile, and nothing is left in flight.
  bool batch = false;
  for (int i = 0; i < 50 && !batch; ++i)
    batch = read(*ws).find(R"("type":"batch")") != std::string::npos;
  EXPECT_TRUE(batch);
  EXPECT_NE(http_get("/metrics").find("spacetime_history_in_flight 0\n"), std::string::npos);
}

TEST_F(GatewayEndToEnd, AMessageAboveTheLimitIsClosedWith1009) {
  start({"--max-message", "1024"});
  auto ws = connect();
  read(*ws);  // hello
  ws->write(net::buffer(std::string(2000, ' ')));
  beast::flat_buffer buffer;
  beast::error_code ec;
  ws->read(buffer, ec);
  EXPECT_TRUE(ec) << "the connection stayed open";
  // The close frame carries 1009 (the server may cut the TCP connection right after it).
  EXPECT_EQ(ws->reason().code, 1009) << ec.message();
}

TEST_F(GatewayEndToEnd, ClientsBeyondTheLimitGet503AndForeignOriginsGet403) {
  start({"--max-clients", "1", "--allowed-origins", "http://ok.example, http://also.example"});
  auto first = connect("/ws", "http://ok.example");
  read(*first);
  try {
    connect("/ws", "http://also.example");
    ADD_FAILURE() << "a second client was admitted";
  } catch (const beast::system_error& e) {
    EXPECT_EQ(e.code(), websocket::error::upgrade_declined) << e.what();
  }
  first->close(websocket::close_code::normal);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  try {
    connect("/ws", "http://evil.example");
    ADD_FAILURE() << "a foreign origin was admitted";
  } catch (const beast::system_error& e) {
    EXPECT_EQ(e.code(), websocket::error::upgrade_declined) << e.what();
  }
  const std::string metrics = http_get("/metrics");
  EXPECT_NE(metrics.find(R"(spacetime_upgrades_rejected_total{reason="clients"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(spacetime_upgrades_rejected_total{reason="origin"} 1)"),
            std::string::npos);
}

TEST_F(GatewayEndToEnd, ADeadPeerIsDroppedWithinThePingTimeout) {
  start({"--ping-interval-ms", "100", "--ping-timeout-ms", "500"});
  auto ws = connect();
  read(*ws);  // hello; from now on this client never reads, so it never answers a ping
  EXPECT_EQ(health("clients"), 1u);
  const auto t0 = std::chrono::steady_clock::now();
  while (health("clients") != 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(health("clients"), 0u);
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  EXPECT_NE(http_get("/metrics").find(R"(spacetime_closes_total{reason="ping_timeout"} 1)"),
            std::string::npos);
}

TEST_F(GatewayEndToEnd, AnIdleClientThatAnswersPingsStays) {
  start({"--ping-interval-ms", "100", "--ping-timeout-ms", "400"});
  auto ws = connect();
  read(*ws);
  // Reading lets Beast answer the server's pings; nothing else arrives (no subscription).
  ws->next_layer().non_blocking(false);
  std::thread reader([&] {
    beast::flat_buffer b;
    beast::error_code ec;
    ws->read(b, ec);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(health("clients"), 1u);
  ws->next_layer().shutdown(tcp::socket::shutdown_both);
  reader.join();
}

TEST_F(GatewayEndToEnd, EventChannelsHaveNoGapWhileTheEngineRunsFlatOut) {
  start({"--rate", "3000000", "--symbols", "6", "--record-ticks", "false"});
  auto ws = connect();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(read(*ws)).get(doc));
  std::string symbols;
  for (auto s : simdjson::dom::array(doc["symbols"]))
    symbols += (symbols.empty() ? "\"" : ",\"") + std::string(std::string_view(s["symbol"])) + "\"";
  ws->write(net::buffer(R"({"op":"subscribe","id":1,"symbols":[)" + symbols +
                        R"(],"streams":["candles:1s","candles:10s","spikes","reversals"]})"));
  ws->write(net::buffer(std::string(
      R"({"op":"subscribe","id":2,"symbols":["ALFA"],"streams":["ticks"],"history":0})")));
  std::map<std::string, std::uint64_t> last;
  std::uint64_t events = 0, ticks = 0, gaps = 0, jumps = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < until) {
    const std::string frame = read(*ws);
    ASSERT_FALSE(parser.parse(frame).get(doc)) << frame.substr(0, 200);
    const std::string_view type(doc["type"]);
    ASSERT_NE(type, "error") << frame;
    if (type == "gap") ++gaps;
    simdjson::dom::array list;
    if (type == "snapshot") {
      last[std::string(std::string_view(doc["symbol"])) + "/" +
           std::string(std::string_view(doc["stream"]))] = uint64_t(doc["last_seq"]);
      continue;
    }
    if (type != "batch") continue;
    for (auto e : simdjson::dom::array(doc["events"])) {
      if (std::string_view(e["type"]) == "candle" && !bool(e["closed"])) continue;
      const std::string key = std::string(std::string_view(e["symbol"])) + "/" +
                              std::string(std::string_view(e["stream"]));
      const std::uint64_t seq = uint64_t(e["seq"]);
      auto& l = last[key];
      if (seq != l + 1) ++jumps;
      l = seq;
      ++events;
      ticks += std::string_view(e["type"]) == "tick";
    }
  }
  EXPECT_EQ(gaps, 0u);
  EXPECT_EQ(jumps, 0u);
  EXPECT_GT(ticks, 1000u) << "the ticks stream did not flow";
  EXPECT_GT(events, ticks);
  EXPECT_EQ(health("gateway_bus_dropped"), 0u);
  EXPECT_GT(health("ticks"), 100'000u) << "the engine did not run flat out";
  EXPECT_NE(http_get("/api/health").find(R"("status":"ok")"), std::string::npos);
}

// A client that stops reading for a while: the server notices within the stall time (an
// unanswered ping), says `lagging` and stops sending it values; when the client reads
// again it gets every event it missed, in order, then `caught_up` and values again.
TEST_F(GatewayEndToEnd, AStalledReaderGetsLaggingThenCaughtUpAndLosesNoEvent) {
  start({"--rate", "20000", "--ping-interval-ms", "200", "--stall-ms", "500", "--ping-timeout-ms",
         "20000", "--high-water", "65536"});
  auto ws = connect();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  read(*ws);
  ws->write(net::buffer(std::string(
      R"({"op":"subscribe","id":1,"symbols":["ALFA","BRVO"],"streams":["ticks","buffer"],"history":0})")));
  std::map<std::string, std::uint64_t> last;
  std::size_t jumps = 0, lagging = 0, caught_up = 0, values_after = 0, ticks = 0;
  auto pump = [&](std::chrono::milliseconds for_how_long) {
    const auto until = std::chrono::steady_clock::now() + for_how_long;
    while (std::chrono::steady_clock::now() < until) {
      const std::string frame = read(*ws);
      ASSERT_FALSE(parser.parse(frame).get(doc)) << frame.substr(0, 200);
      const std::string_view type(doc["type"]);
      if (type == "lagging") ++lagging;
      if (type == "caught_up") ++caught_up;
      if (type == "snapshot") {
        if (std::string_view(doc["stream"]) == "ticks") {
          last[std::string(std::string_view(doc["symbol"]))] = uint64_t(doc["last_seq"]);
        }
        continue;
      }
      if (type != "batch") continue;
      for (auto e : simdjson::dom::array(doc["events"])) {
        if (std::string_view(e["type"]) == "buffer") {
          if (caught_up > 0) ++values_after;
          continue;
        }
        auto& l = last[std::string(std::string_view(e["symbol"]))];
        const std::uint64_t seq = uint64_t(e["seq"]);
        if (seq != l + 1) ++jumps;
        l = seq;
        ++ticks;
      }
    }
  };
  pump(std::chrono::milliseconds(1000));
  ASSERT_GT(ticks, 100u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // stop reading
  pump(std::chrono::milliseconds(3000));
  EXPECT_EQ(lagging, 1u);
  EXPECT_EQ(caught_up, 1u);
  EXPECT_GT(values_after, 0u) << "values did not come back after caught_up";
  EXPECT_EQ(jumps, 0u) << "an event was lost or repeated across the stall";
  EXPECT_EQ(health("clients"), 1u);
}

}  // namespace
}  // namespace spacetime
