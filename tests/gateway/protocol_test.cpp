#include "gateway/protocol.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace spacetime::gateway {
namespace {

using market::Timeframe;

market::SymbolRegistry registry() {
  market::SymbolRegistry reg;
  reg.add({.name = "ALFA"});
  reg.add({.name = "ES", .tick_size = 0.25, .decimals = 2});
  return reg;
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  const auto error = parser.parse(json).get(doc);
  EXPECT_FALSE(error) << "not JSON: " << json;
  return doc;
}

TEST(ClientMessage, SubscribeNamesASymbolAndTimeframe) {
  const auto reg = registry();
  const auto r = parse_client_message(R"({"op":"subscribe","symbol":"ES","tf":"5m"})", reg);
  ASSERT_TRUE(std::holds_alternative<SubscribeRequest>(r));
  EXPECT_EQ(std::get<SubscribeRequest>(r).symbol, 1u);
  EXPECT_EQ(std::get<SubscribeRequest>(r).stream, market::candle_stream(Timeframe::k5m));
  EXPECT_FALSE(std::get<SubscribeRequest>(r).smoothing);
  const auto u = parse_client_message(R"({"tf":"1s","symbol":"ALFA","op":"unsubscribe"})", reg);
  ASSERT_TRUE(std::holds_alternative<UnsubscribeRequest>(u));
  EXPECT_EQ(std::get<UnsubscribeRequest>(u).stream, market::Stream::kCandle1s);
  const auto p = parse_client_message(R"({"op":"ping","id":42})", reg);
  ASSERT_TRUE(std::holds_alternative<PingRequest>(p));
  EXPECT_EQ(std::get<PingRequest>(p).id, 42);
}

TEST(ClientMessage, IndicatorStreamsAndTheSmootherAreChosenPerRequest) {
  const auto reg = registry();
  const auto r = parse_client_message(
      R"({"op":"subscribe","symbol":"ALFA","stream":"intensity","smoother":"zlma"})", reg);
  ASSERT_TRUE(std::holds_alternative<SubscribeRequest>(r));
  EXPECT_EQ(std::get<SubscribeRequest>(r).stream, market::Stream::kIntensity);
  EXPECT_EQ(std::get<SubscribeRequest>(r).smoothing, Smoothing::kZlma);
  for (const auto& [name, stream] : std::vector<std::pair<std::string, market::Stream>>{
           {"buffer", market::Stream::kBuffer},
           {"spikes", market::Stream::kSpike},
           {"reversals", market::Stream::kReversal}}) {
    const auto s = parse_client_message(
        R"({"op":"unsubscribe","symbol":"ES","stream":")" + name + R"("})", reg);
    ASSERT_TRUE(std::holds_alternative<UnsubscribeRequest>(s)) << name;
    EXPECT_EQ(std::get<UnsubscribeRequest>(s).stream, stream);
  }
}

TEST(Encode, IndicatorEventsCarryMillisecondsAndTheChosenSmoothing) {
  const auto reg = registry();
  simdjson::dom::parser parser;
  const market::IntensityEvent i{.symbol = 0,
                                 .seq = 9,
                                 .t = 1'767'364'200'123'456'789,
                                 .raw = 1500.0,
                                 .sma_ready = true,
                                 .ema_ready = false,
                                 .zlma_ready = true,
                                 .sma = 1400.5,
                                 .zlma = 1600.25};
  std::string a, b;
  append_intensity_event(a, reg, i, Smoothing::kSma);
  append_intensity_event(b, reg, i, Smoothing::kEma);
  auto da = parse(parser, a);
  EXPECT_EQ(std::string_view(da["type"]), "intensity");
  EXPECT_EQ(int64_t(da["t_ms"]), 1'767'364'200'123);
  EXPECT_EQ(double(da["value"]), 1400.5);
  EXPECT_EQ(std::string_view(da["smoother"]), "sma");
  EXPECT_NE(b.find(R"("value":null)"), std::string::npos) << b;  // EMA not ready yet

  std::string r;
  append_indicator_event(r, reg,
                         market::ReversalEvent{.symbol = 1,
                                               .seq = 4,
                                               .t = 2'000'000,
                                               .version = 3,
                                               .direction = -1,
                                               .price = 10123,
                                               .reason = market::ReversalReason::kTrendPullback,
                                               .strength = 1.5});
  auto dr = parse(parser, r);
  EXPECT_EQ(std::string_view(dr["type"]), "reversal");
  EXPECT_EQ(std::string_view(dr["symbol"]), "ES");
  EXPECT_EQ(int64_t(dr["version"]), 3);
  EXPECT_EQ(int64_t(dr["direction"]), -1);
  EXPECT_EQ(double(dr["price"]), 2530.75);
  EXPECT_EQ(std::string_view(dr["reason"]), "trend_pullback");

  std::string sp;
  append_indicator_event(sp, reg,
                         market::SpikeEndEvent{.symbol = 0, .t_start = 1'000'000, .ticks = 7});
  auto ds = parse(parser, sp);
  EXPECT_EQ(std::string_view(ds["type"]), "spike_end");
  EXPECT_EQ(int64_t(ds["t_start_ms"]), 1);
  EXPECT_EQ(int64_t(ds["ticks"]), 7);

  std::string buf;
  append_indicator_event(
      buf, reg, market::BufferEvent{.symbol = 0, .upper = 2.5, .zone = market::Zone::kHigh});
  EXPECT_EQ(std::string_view(parse(parser, buf)["zone"]), "high");

  const std::vector<market::Event> events = {i};
  const auto snap = parse(
      parser, encode_event_snapshot(reg, 0, market::Stream::kIntensity, events, Smoothing::kZlma));
  EXPECT_EQ(std::string_view(snap["stream"]), "intensity");
  EXPECT_EQ(double(snap["events"].at(0)["value"]), 1600.25);
}

TEST(ClientMessage, EveryMalformedMessageBecomesAnErrorThatSaysWhy) {
  const auto reg = registry();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed JSON"},
      {"not json", "JSON"},
      {"[1,2]", "expected a JSON object"},
      {R"({"symbol":"ALFA"})", "'op'"},
      {R"({"op":42})", "'op'"},
      {R"({"op":"dance"})", "unknown op \"dance\""},
      {R"({"op":"subscribe","tf":"1m"})", "'symbol'"},
      {R"({"op":"subscribe","symbol":"ALFA"})", "'tf'"},
      {R"({"op":"subscribe","symbol":"ALFA","stream":"gossip"})", "unknown stream \"gossip\""},
      {R"({"op":"subscribe","symbol":"ALFA","stream":7})", "'stream' must be a string"},
      {R"({"op":"subscribe","symbol":"ALFA","stream":"intensity","smoother":"hma"})",
       "unknown smoother \"hma\""},
      {R"({"op":"subscribe","symbol":"NOPE","tf":"1m"})", "unknown symbol 'NOPE'"},
      {R"({"op":"subscribe","symbol":"ALFA","tf":"2m"})", "unknown timeframe '2m'"},
      {R"({"op":"ping","id":"x"})", "'id'"},
      {std::string(5000, ' '), "too long"},
      {std::string("{\"op\":\"subscribe\",\"symbol\":\"\xff\xfe\",\"tf\":\"1m\"}"), ""},
  };
  for (const auto& [input, expected] : cases) {
    const auto r = parse_client_message(input, reg);
    ASSERT_TRUE(std::holds_alternative<BadRequest>(r)) << input;
    EXPECT_NE(std::get<BadRequest>(r).message.find(expected), std::string::npos)
        << input << " -> " << std::get<BadRequest>(r).message;
  }
}

TEST(Encode, HelloListsSymbolsAndTimeframes) {
  const auto reg = registry();
  simdjson::dom::parser parser;
  const auto doc = parse(parser, encode_hello(reg, 100));
  EXPECT_EQ(std::string_view(doc["type"]), "hello");
  EXPECT_EQ(int64_t(doc["flush_ms"]), 100);
  EXPECT_EQ(simdjson::dom::array(doc["symbols"]).size(), 2u);
  EXPECT_EQ(std::string_view(doc["symbols"].at(1)["symbol"]), "ES");
  EXPECT_EQ(double(doc["symbols"].at(1)["tick_size"]), 0.25);
  EXPECT_EQ(simdjson::dom::array(doc["timeframes"]).size(), 7u);
  EXPECT_EQ(std::string_view(doc["timeframes"].at(2)), "1m");
}

TEST(Encode, SnapshotCarriesExactPricesInSeconds) {
  const auto reg = registry();
  store::CandleSnapshot snap;
  snap.closed.push_back({.seq = 4,
                         .candle = {.start_ns = 1'767'364'200'000'000'000,
                                    .open = 10123,
                                    .high = 10130,
                                    .low = 10100,
                                    .close = 10125,
                                    .volume = 1200,
                                    .ticks = 9},
                         .volume_zlma_ready = true,
                         .volume_zlma = 1100.25});
  snap.current = store::StoredCandle{.seq = 5,
                                     .candle = {.start_ns = 1'767'364'260'000'000'000,
                                                .open = 7,
                                                .high = 9,
                                                .low = 6,
                                                .close = 8,
                                                .volume = 3,
                                                .ticks = 2}};
  const std::string json = encode_snapshot(reg, 0, Timeframe::k1m, snap);
  EXPECT_NE(json.find(R"("o":101.23,"h":101.30,"l":101.00,"c":101.25,"v":1200,"n":9,"seq":4)"),
            std::string::npos)
      << json;
  simdjson::dom::parser parser;
  const auto doc = parse(parser, json);
  EXPECT_EQ(std::string_view(doc["type"]), "snapshot");
  EXPECT_EQ(std::string_view(doc["symbol"]), "ALFA");
  EXPECT_EQ(std::string_view(doc["tf"]), "1m");
  EXPECT_EQ(int64_t(doc["candles"].at(0)["t"]), 1'767'364'200);
  EXPECT_EQ(double(doc["candles"].at(0)["vol_zlma"]), 1100.25);  // the line's history too
  EXPECT_TRUE(doc["current"]["vol_zlma"].error());               // not on bars in progress
  EXPECT_EQ(int64_t(doc["current"]["seq"]), 5);
  EXPECT_EQ(double(doc["current"]["c"]), 0.08);

  const std::string es = encode_snapshot(reg, 1, Timeframe::k1m, snap);
  EXPECT_NE(es.find(R"("o":2530.75)"), std::string::npos) << es;  // 10123 * 0.25
  EXPECT_NE(encode_snapshot(reg, 0, Timeframe::k1s, {}).find(R"("candles":[],"current":null)"),
            std::string::npos);
}

TEST(Encode, CandleEventAndErrorsAreValidJson) {
  const auto reg = registry();
  std::string frag;
  append_candle_event(frag, reg, 0, Timeframe::k10s, true, {.seq = 2, .candle = {.open = 1}});
  simdjson::dom::parser parser;
  const auto doc = parse(parser, frag);
  EXPECT_EQ(std::string_view(doc["type"]), "candle");
  EXPECT_EQ(bool(doc["closed"]), true);
  EXPECT_EQ(std::string_view(doc["tf"]), "10s");
  const auto err = parse(parser, encode_error("bad \"quote\"\n\x01"));
  EXPECT_EQ(std::string_view(err["message"]), "bad \"quote\"\n\x01");
  EXPECT_EQ(int64_t(parse(parser, encode_pong(-3))["id"]), -3);
}

}  // namespace
}  // namespace spacetime::gateway
