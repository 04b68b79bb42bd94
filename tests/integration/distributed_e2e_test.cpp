// Distributed mode end to end with the real binary and a real redis-server: two `spacetime
// live` shards, one `spacetime history` recording into SQLite and one `spacetime gateway`
// reading it; the gateway serves every symbol of both shards with channels numbered
// without a gap. Label `services`:
//   scripts/services run redis -- ctest --preset release -L services -R redis
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "feed/shard_filter.hpp"
#include "support/child_process.hpp"
#include "support/http_get.hpp"

namespace spacetime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string env_url() {
  const char* v = std::getenv("SPACETIME_TEST_REDIS_URL");
  if (!v || !*v) {
    ADD_FAILURE() << "SPACETIME_TEST_REDIS_URL is not set: run under `scripts/services run redis "
                     "-- ctest --preset release -L services -R redis`";
    return "redis://127.0.0.1:1";
  }
  return v;
}

std::uint64_t number(simdjson::dom::element doc, const char* key) {
  std::uint64_t v = 0;
  if (doc[key].get(v) != simdjson::SUCCESS) return ~std::uint64_t{0};
  return v;
}

TEST(DistributedRedisE2E, TwoLiveShardsAHistoryAndAGatewayServeEverySymbolWithoutGaps) {
  const std::string url = env_url();
  std::random_device rd;
  const std::string prefix = "e2e" + std::to_string(rd());
  const fs::path dir = fs::temp_directory_path() / prefix;
  fs::create_directories(dir);
  const std::vector<std::string> common = {"--redis", url,         "--redis-prefix",
                                           prefix,    "--symbols", "6"};
  auto args = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), common.begin(), common.end());
    return extra;
  };
  testing::ChildProcess gateway(
      SPACETIME_BIN,
      [&] {
        auto a = args({"--port", "0", "--flush-ms", "50", "--web-root", dir.string()});
        a.insert(a.begin(), "gateway");
        return a;
      }(),
      dir / "gateway.log");
  const auto port_text = gateway.wait_for("listening on http://127.0.0.1:", 20s);
  ASSERT_TRUE(port_text) << gateway.output();
  const auto port =
      static_cast<std::uint16_t>(std::stoi(port_text->substr(0, port_text->find(' '))));
  testing::ChildProcess history(
      SPACETIME_BIN,
      [&] {
        auto a = args({});
        a.insert(a.begin(), "history");
        return a;
      }(),
      dir / "history.log");
  ASSERT_TRUE(history.wait_for("recording from", 20s)) << history.output();
  std::vector<std::unique_ptr<testing::ChildProcess>> lives;
  for (const char* shard : {"0/2", "1/2"}) {
    auto a = args({"--rate", "3000", "--shard", shard});
    a.insert(a.begin(), "live");
    lives.push_back(std::make_unique<testing::ChildProcess>(
        SPACETIME_BIN, a, dir / (std::string("live") + shard[0] + ".log")));
  }
  for (auto& l : lives)
    ASSERT_TRUE(l->wait_for("live shard", 20s)) << l->output();
  std::this_thread::sleep_for(4s);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string symbols_json = testing::http_get(port, "/api/symbols");
  ASSERT_EQ(parser.parse(symbols_json).get(doc), simdjson::SUCCESS) << symbols_json;
  std::vector<std::string> names;
  for (auto s : simdjson::dom::array(doc["symbols"]))
    names.emplace_back(std::string_view(s["symbol"]));
  ASSERT_EQ(names.size(), 6u);
  std::set<std::size_t> shards;
  for (const auto& n : names)
    shards.insert(feed::shard_of(n, 2));
  ASSERT_EQ(shards.size(), 2u) << "both shards own symbols";

  // Every symbol's 1s candles, numbered without a gap; returns how many.
  auto check_candles = [&](const std::string& name) -> std::size_t {
    const std::string body = testing::http_get(port, "/api/candles?symbol=" + name + "&tf=1s");
    EXPECT_EQ(parser.parse(body).get(doc), simdjson::SUCCESS) << body;
    std::vector<std::uint64_t> seqs;
    for (auto row : simdjson::dom::array(doc["rows"]))
      seqs.push_back(number(row, "seq"));
    EXPECT_GE(seqs.size(), 2u) << name << " (shard " << feed::shard_of(name, 2) << "): " << body;
    for (std::size_t i = 1; i < seqs.size(); ++i)
      EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << name << " candles not numbered without gap: " << body;
    return seqs.size();
  };
  std::map<std::string, std::size_t> before;
  for (const auto& name : names)
    before[name] = check_candles(name);
  if (::testing::Test::HasFailure()) return;

  const std::string health = testing::http_get(port, "/api/health");
  ASSERT_EQ(parser.parse(health).get(doc), simdjson::SUCCESS) << health;
  EXPECT_EQ(number(doc, "redis_connected"), 1u) << health;
  EXPECT_GT(number(doc, "redis_events"), 0u) << health;
  EXPECT_EQ(number(doc, "redis_gaps"), 0u) << health;
  EXPECT_EQ(number(doc, "redis_lost_events"), 0u) << health;
  EXPECT_EQ(number(doc, "redis_decode_errors"), 0u) << health;
  EXPECT_EQ(number(doc, "redis_unknown_symbol"), 0u) << health;

  // A restarted live shard continues its channels' numbering from what history stored:
  // its symbols' candles go on without a gap or a repeat.
  {
    const int status = lives[0]->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << lives[0]->output();
    std::this_thread::sleep_for(1s);  // history writes what it has (200 ms batches)
    auto a = args({"--rate", "3000", "--shard", "0/2"});
    a.insert(a.begin(), "live");
    lives[0] = std::make_unique<testing::ChildProcess>(SPACETIME_BIN, a, dir / "live0b.log");
    ASSERT_TRUE(lives[0]->wait_for("live shard", 20s)) << lives[0]->output();
    // ...and reopens its symbols' bars in progress that history stored (1m, 1h, 1d are
    // open), as serve does, so a bar open across the restart is not forked.
    EXPECT_NE(lives[0]->output().find("bars in progress from the store"), std::string::npos)
        << lives[0]->output();
    std::this_thread::sleep_for(3s);
    for (const auto& name : names) {
      const auto n = check_candles(name);
      if (feed::shard_of(name, 2) == 0) {
        EXPECT_GT(n, before[name]) << name << " did not go on";
      }
    }
  }

  for (auto& l : lives) {
    const int status = l->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << l->output();
    EXPECT_NE(l->output().find("dropped 0 (ring), 0 (unsent)"), std::string::npos) << l->output();
  }
  for (auto* p : {&history, &gateway}) {
    const int status = p->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p->output();
  }
  EXPECT_NE(history.output().find("0 gaps (0 events lost)"), std::string::npos) << history.output();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace spacetime
