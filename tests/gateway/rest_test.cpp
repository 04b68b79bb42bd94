#include "gateway/rest.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "store/memory_store.hpp"

namespace spacetime::gateway {
namespace {

class RestTest : public ::testing::Test {
 protected:
  RestTest() {
    symbols_.add({.name = "ALFA"});
    store_.emplace(symbols_, 1000);
    std::vector<market::Event> events;
    for (std::uint64_t k = 1; k <= 30; ++k) {
      events.push_back(
          market::CandleEvent{.symbol = 0,
                              .tf = market::Timeframe::k1m,
                              .closed = true,
                              .seq = k,
                              .candle = {.start_ns = static_cast<std::int64_t>(k) * 60'000'000'000,
                                         .open = 100,
                                         .high = 101,
                                         .low = 99,
                                         .close = 100,
                                         .volume = 5,
                                         .ticks = 2}});
      events.push_back(market::SampleEvent{.symbol = 0,
                                           .seq = k,
                                           .t = static_cast<std::int64_t>(k) * 100'000'000,
                                           .raw_last = 5,
                                           .ema_ready = true,
                                           .ema = 4.5});
    }
    store_->write(events);
  }

  RestAnswer get(std::string_view target) {
    auto a = answer_history(target, symbols_, &*store_, Smoothing::kEma);
    EXPECT_TRUE(a.has_value()) << target;
    return a.value_or(RestAnswer{});
  }

  simdjson::dom::element json(const std::string& text) {
    texts_.push_back(text);
    simdjson::dom::element doc;
    EXPECT_FALSE(parser_.parse(texts_.back()).get(doc)) << text;
    return doc;
  }

  market::SymbolRegistry symbols_;
  std::optional<store::MemoryStore> store_;
  simdjson::dom::parser parser_;
  std::deque<std::string> texts_;
};

TEST_F(RestTest, CandlesPageByCursorWithinTheRange) {
  auto a = get("/api/candles?symbol=ALFA&tf=1m&from=120000&to=1200000&limit=5");
  ASSERT_EQ(a.status, 200) << a.body;
  auto doc = json(a.body);
  auto rows = simdjson::dom::array(doc["rows"]);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(int64_t(rows.at(0)["seq"]), 2);  // t = 120 s
  EXPECT_TRUE(bool(doc["more"]));
  const std::string cursor{std::string_view(doc["next_cursor"])};
  a = get("/api/candles?symbol=ALFA&tf=1m&from=120000&to=1200000&limit=5&cursor=" + cursor);
  doc = json(a.body);
  EXPECT_EQ(int64_t(simdjson::dom::array(doc["rows"]).at(0)["seq"]), 7);
}

TEST_F(RestTest, TailGivesTheNewestRowsOldestFirst) {
  const auto doc = json(get("/api/candles?symbol=ALFA&tf=1m&tail=1&limit=3").body);
  auto rows = simdjson::dom::array(doc["rows"]);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(int64_t(rows.at(0)["seq"]), 28);
  EXPECT_TRUE(bool(doc["more"]));
  EXPECT_TRUE(doc["next_cursor"].is_null());
}

TEST_F(RestTest, IntensityAndBufferComeFromTheSamples) {
  auto doc = json(get("/api/intensity?symbol=ALFA&limit=2").body);
  auto row = simdjson::dom::array(doc["rows"]).at(0);
  EXPECT_EQ(std::string_view(row["type"]), "intensity_sample");
  EXPECT_DOUBLE_EQ(double(row["value"]), 4.5);
  doc = json(get("/api/intensity?symbol=ALFA&limit=2&smoother=sma").body);
  EXPECT_TRUE(simdjson::dom::array(doc["rows"]).at(0)["value"].is_null());
  doc = json(get("/api/buffer?symbol=ALFA&limit=1").body);
  EXPECT_EQ(std::string_view(simdjson::dom::array(doc["rows"]).at(0)["zone"]), "not_ready");
}

TEST_F(RestTest, ABadParameterGets400NamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/candles?tf=1m", "symbol"},
      {"/api/candles?symbol=NOPE&tf=1m", "symbol"},
      {"/api/candles?symbol=ALFA", "tf"},
      {"/api/candles?symbol=ALFA&tf=2m", "tf"},
      {"/api/spikes?symbol=ALFA&tf=1m", "tf"},
      {"/api/candles?symbol=ALFA&tf=1m&limit=0", "limit"},
      {"/api/candles?symbol=ALFA&tf=1m&limit=99999", "limit"},
      {"/api/candles?symbol=ALFA&tf=1m&from=yesterday", "from"},
      {"/api/candles?symbol=ALFA&tf=1m&from=5&to=1", "from"},
      {"/api/candles?symbol=ALFA&tf=1m&tail=2", "tail"},
      {"/api/candles?symbol=ALFA&tf=1m&cursor=x", "cursor"},
      {"/api/candles?symbol=ALFA&tf=1m&colour=red", "colour"},
      {"/api/reversals?symbol=%ZZ", "symbol"},
      {"/api/ticks?symbol=ALFA&smoother=ema", "smoother"},
  };
  for (const auto& [target, parameter] : cases) {
    const auto a = get(target);
    EXPECT_EQ(a.status, 400) << target;
    const auto doc = json(a.body);
    EXPECT_EQ(std::string_view(doc["error"]), "bad_parameter");
    EXPECT_EQ(std::string_view(doc["parameter"]), parameter) << target << " " << a.body;
  }
  EXPECT_FALSE(answer_history("/api/health", symbols_, &*store_, Smoothing::kEma));
}

TEST_F(RestTest, IsoTimesAndEscapesAreAccepted) {
  const auto a = get("/api/candles?symbol=AL%46A&tf=1m&from=1970-01-01T00%3A02%3A00Z&limit=1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(int64_t(simdjson::dom::array(json(a.body)["rows"]).at(0)["seq"]), 2);
}

// The Origin check of a WebSocket upgrade when auth is on (server.cpp): scheme, host and
// port, with the scheme's default port when one side leaves it out.
TEST(SameOrigin, SchemeHostAndPortAreComparedAndTlsWantsHttps) {
  // Plain gateway (maybe behind a TLS proxy): http or https, same host and port.
  EXPECT_TRUE(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", false));
  EXPECT_TRUE(same_origin("https://chart.example", "chart.example", false));
  EXPECT_TRUE(same_origin("http://chart.example", "chart.example:80", false));
  EXPECT_TRUE(same_origin("https://Chart.Example:443", "chart.example", false));
  EXPECT_TRUE(same_origin("http://[::1]:8080", "[::1]:8080", false));
  EXPECT_FALSE(same_origin("http://127.0.0.1:8081", "127.0.0.1:8080", false));
  EXPECT_FALSE(same_origin("http://evil.example", "chart.example", false));
  EXPECT_FALSE(same_origin("http://chart.example.evil.example", "chart.example", false));
  EXPECT_FALSE(same_origin("http://chart.example:443", "chart.example", false))
      << "http's default port is 80";
  EXPECT_FALSE(same_origin("ws://chart.example", "chart.example", false));
  EXPECT_FALSE(same_origin("null", "chart.example", false));
  EXPECT_FALSE(same_origin("http://a@chart.example", "chart.example", false));
  EXPECT_FALSE(same_origin("http://chart.example/", "chart.example", false));
  EXPECT_FALSE(same_origin("http://chart.example:", "chart.example", false));
  EXPECT_FALSE(same_origin("http://", "", false));
  // The gateway terminates TLS itself: only https, same host and port.
  EXPECT_TRUE(same_origin("https://127.0.0.1:8443", "127.0.0.1:8443", true));
  EXPECT_TRUE(same_origin("https://chart.example", "chart.example:443", true));
  EXPECT_FALSE(same_origin("http://127.0.0.1:8443", "127.0.0.1:8443", true));
  EXPECT_FALSE(same_origin("http://chart.example", "chart.example", true));
  EXPECT_FALSE(same_origin("https://127.0.0.1:9443", "127.0.0.1:8443", true));
  EXPECT_FALSE(same_origin("https://127.0.0.1", "127.0.0.1:8443", true));
}

}  // namespace
}  // namespace spacetime::gateway
