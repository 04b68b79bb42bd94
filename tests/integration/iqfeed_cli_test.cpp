// The DTN IQFeed client through the product's own commands, against the fake IQConnect
// over real TCP: `spacetime record --feed iqfeed` saves every trade exactly once and in order,
// across a dropped connection (reconnect + backfill), and `spacetime serve --feed iqfeed`
// connects and watches its symbols.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "feed/iqfeed/fake_iqconnect.hpp"
#include "feed/tick_file.hpp"
#include "support/child_process.hpp"
#include "support/http_get.hpp"

namespace spacetime {
namespace {

using testing::ChildProcess;
using testing::FakeIqConnect;
using testing::SourceEvent;

class IqFeedCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spacetime-iqcli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(IqFeedCli, RecordSavesEveryTradeOnceAcrossADroppedConnection) {
  const auto events = testing::generate_events(
      {"AAPL", "MSFT"}, 600, testing::local_time(2024, 3, 15, 9, 30, 0), 5'000, 3);
  FakeIqConnect fake(events);
  const auto out = dir_ / "session.csv";
  ChildProcess record(
      SPACETIME_BIN,
      {"record", "--feed", "iqfeed", "--iqfeed-port", std::to_string(fake.level1_port()),
       "--iqfeed-lookup-port", std::to_string(fake.lookup_port()), "--iqfeed-symbols", "AAPL,MSFT",
       "--out", out.string(), "--seconds", "5"},
      dir_ / "record.log");
  ASSERT_TRUE(fake.wait_for_watches(2, std::chrono::seconds(10))) << record.output();
  fake.publish(300);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fake.drop_connections();  // IQConnect goes away mid-session
  fake.publish(events.size());
  ASSERT_TRUE(fake.wait_for_level1_connections(2, std::chrono::seconds(10))) << record.output();
  // The recording ends by itself after --seconds (3 s of wall time).
  const auto status = record.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << "record did not end after --seconds:\n" << record.output();
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << record.output();

  market::SymbolRegistry symbols;
  auto reader = feed::TickFileReader::open(out, symbols);
  std::vector<market::Tick> got(4096);
  got.resize(reader.read(got));
  std::map<std::string, std::vector<std::int64_t>> prices_got, prices_want;
  for (const auto& t : got)
    prices_got[symbols.info(t.symbol).name].push_back(t.price);
  for (const SourceEvent& e : events) {
    if (e.kind == SourceEvent::Kind::kTrade) {
      prices_want[e.symbol].push_back(std::llround(e.price * 100.0));
    }
  }
  EXPECT_EQ(prices_got, prices_want) << record.output();
  EXPECT_NE(record.output().find("recorded"), std::string::npos) << record.output();
}

// Issue 9: what the bad-tick filter (on for a live feed) rejects while recording goes to a
// quarantine file next to the recording, with the reason; the recording has the rest.
TEST_F(IqFeedCli, RecordWritesRejectedTradesToAQuarantineFile) {
  auto events =
      testing::generate_events({"AAPL"}, 60, testing::local_time(2024, 3, 15, 9, 30, 0), 5'000, 7);
  std::vector<std::int64_t> absurd_us;
  std::size_t trades = 0;
  for (auto& e : events) {
    if (e.kind != SourceEvent::Kind::kTrade || ++trades % 10 != 0) continue;
    e.size = 900'000'000;  // above the filter's max_size
    absurd_us.push_back(e.local_us);
  }
  ASSERT_GE(absurd_us.size(), 2u);
  FakeIqConnect fake(events);
  const auto out = dir_ / "day.csv";
  ChildProcess record(
      SPACETIME_BIN,
      {"record", "--feed", "iqfeed", "--iqfeed-port", std::to_string(fake.level1_port()),
       "--iqfeed-lookup-port", std::to_string(fake.lookup_port()), "--iqfeed-symbols", "AAPL",
       "--out", out.string(), "--seconds", "3"},
      dir_ / "record.log");
  ASSERT_TRUE(fake.wait_for_watches(1, std::chrono::seconds(10))) << record.output();
  fake.publish(events.size());
  const auto status = record.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << record.output();
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << record.output();

  std::ifstream in(dir_ / "day.quarantine.csv");
  ASSERT_TRUE(in) << "no quarantine file:\n" << record.output();
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "ts,symbol,price,size,bid,ask,reason");
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    EXPECT_NE(line.find(",AAPL,"), std::string::npos) << line;
    EXPECT_NE(line.find(",900000000,"), std::string::npos) << line;
    EXPECT_TRUE(line.ends_with(",absurd_size")) << line;
  }
  EXPECT_EQ(rows, absurd_us.size());
  market::SymbolRegistry symbols;
  auto reader = feed::TickFileReader::open(out, symbols);
  std::vector<market::Tick> got(4096);
  got.resize(reader.read(got));
  EXPECT_EQ(got.size(), trades - absurd_us.size());
  EXPECT_NE(record.output().find("quarantined to"), std::string::npos) << record.output();
}

TEST_F(IqFeedCli, ServeConnectsAndWatchesItsSymbols) {
  const auto events =
      testing::generate_events({"SPY"}, 50, testing::local_time(2024, 3, 15, 10, 0, 0), 10'000, 4);
  FakeIqConnect fake(events);
  ChildProcess serve(
      SPACETIME_BIN,
      {"serve", "--port", "0", "--feed", "iqfeed", "--iqfeed-port",
       std::to_string(fake.level1_port()), "--iqfeed-lookup-port",
       std::to_string(fake.lookup_port()), "--iqfeed-symbols", "SPY", "--web-root", dir_.string()},
      dir_ / "serve.log");
  const auto port = serve.wait_for("listening on http://127.0.0.1:", std::chrono::seconds(20));
  ASSERT_TRUE(port) << serve.output();
  EXPECT_NE(port->find("(DTN IQFeed at 127.0.0.1"), std::string::npos) << *port;
  EXPECT_TRUE(fake.wait_for_watches(1, std::chrono::seconds(10))) << serve.output();
  EXPECT_TRUE(serve.wait_for("iqfeed: connected", std::chrono::seconds(10))) << serve.output();
  fake.send_raw("Q,SPY,garbage\r\n");  // a malformed update: counted by kind, not fatal
  fake.publish(events.size());
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = testing::http_get(static_cast<std::uint16_t>(std::stoi(*port)), "/metrics");
    if (metrics.find("spacetime_feed_trades 0") == std::string::npos &&
        metrics.find("spacetime_feed_trades") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(metrics.find("spacetime_feed_connected 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("spacetime_feed_trades 0\n"), std::string::npos) << metrics;
  // Some kind's counter is above zero: feed_parse_errors{source="iqfeed",kind="..."} N.
  bool counted = false;
  const std::string prefix = R"(spacetime_feed_parse_errors{source="iqfeed",kind=")";
  for (auto at = metrics.find(prefix); at != std::string::npos; at = metrics.find(prefix, at + 1)) {
    const auto value = metrics.find("} ", at);
    counted = counted || (value != std::string::npos && metrics[value + 2] != '0');
  }
  EXPECT_TRUE(counted) << metrics;
  const std::string health =
      testing::http_get(static_cast<std::uint16_t>(std::stoi(*port)), "/api/health");
  EXPECT_NE(health.find(R"("feed_parse_errors{source=\"iqfeed\",kind=)"), std::string::npos)
      << health;
  const int status = serve.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << serve.output();
}

TEST_F(IqFeedCli, IqFeedWithoutSymbolsIsOneClearError) {
  ChildProcess serve(SPACETIME_BIN, {"serve", "--feed", "iqfeed", "--port", "0"}, dir_ / "e.log");
  const auto status = serve.wait_exit(std::chrono::seconds(10));
  ASSERT_TRUE(status) << serve.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << serve.output();
  EXPECT_NE(serve.output().find("spacetime: error: --feed iqfeed needs --iqfeed-symbols"),
            std::string::npos)
      << serve.output();
}

}  // namespace
}  // namespace spacetime
