#include "gateway/protocol.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <limits>

namespace spacetime::gateway {
namespace {

market::SymbolRegistry registry() {
  market::SymbolRegistry reg;
  reg.add({.name = "ALFA", .tick_size = 0.01, .decimals = 2});
  reg.add({.name = "ES", .tick_size = 0.25, .decimals = 2});
  reg.add({.name = "Q\"UOTE", .tick_size = 0.01, .decimals = 2});
  return reg;
}

ClientRequest parse(std::string_view text) {
  static const auto reg = registry();
  return parse_client_message(text, reg, ParseLimits{});
}

simdjson::dom::element json(simdjson::dom::parser& p, const std::string& text) {
  simdjson::dom::element doc;
  EXPECT_FALSE(p.parse(text).get(doc)) << text;
  return doc;
}

TEST(Protocol, SubscribeTakesListsOfSymbolsAndStreamsAsTheirProduct) {
  const auto r = parse(
      R"({"op":"subscribe","id":7,"symbols":["ALFA","ES"],"streams":["candles:1m","intensity:zlma","ticks"],"history":"90s"})");
  const auto* s = std::get_if<SubscribeRequest>(&r);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, "7");
  ASSERT_EQ(s->channels.size(), 6u);
  EXPECT_EQ(s->channels[0], (ChannelRef{0, WireStream::kCandles1m}));
  EXPECT_EQ(s->channels[4], (ChannelRef{1, WireStream::kIntensityZlma}));
  EXPECT_EQ(s->history_ns, 90 * market::kNanosPerSecond);
}

TEST(Protocol, RequestIdsAreEchoedAsTheClientWroteThem) {
  EXPECT_EQ(std::get<PingRequest>(parse(R"({"op":"ping","id":"abc"})")).id, R"("abc")");
  EXPECT_EQ(std::get<PingRequest>(parse(R"({"op":"ping"})")).id, "null");
  EXPECT_EQ(std::get<PingRequest>(parse(R"({"op":"ping","id":-3})")).id, "-3");
  const auto bad = std::get<BadRequest>(parse(R"({"op":"ping","id":[1]})"));
  EXPECT_EQ(bad.code, ErrorCode::kBadRequest);
  const auto long_id =
      std::get<BadRequest>(parse(R"({"op":"ping","id":")" + std::string(65, 'x') + R"("})"));
  EXPECT_EQ(long_id.code, ErrorCode::kBadRequest);
}

TEST(Protocol, EveryMalformedRequestGetsItsStableErrorCode) {
  const std::vector<std::pair<std::string, ErrorCode>> cases = {
      {"not json", ErrorCode::kBadJson},
      {"[1,2]", ErrorCode::kBadJson},
      {R"({"a":[[[[[[[[[[1]]]]]]]]]]})", ErrorCode::kTooDeep},
      // The boundary: an object holding 7 nested arrays is 8 levels (allowed: it fails only
      // for lacking an op); 8 nested arrays are 9.
      {R"({"a":[[[[[[[1]]]]]]]})", ErrorCode::kBadRequest},
      {R"({"a":[[[[[[[[1]]]]]]]]})", ErrorCode::kTooDeep},
      {R"({"a":[[[[[[[[]]]]]]]]})", ErrorCode::kBadRequest},  // an empty array adds no level
      {R"({"id":1})", ErrorCode::kBadRequest},
      {R"({"op":"fly","id":1})", ErrorCode::kUnknownOp},
      {R"({"op":"subscribe","id":1,"symbols":["NOPE"],"streams":["ticks"]})",
       ErrorCode::kUnknownSymbol},
      {R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:7m"]})",
       ErrorCode::kUnknownStream},
      {R"({"op":"subscribe","id":1,"symbols":"ALFA","streams":["ticks"]})", ErrorCode::kBadRequest},
      {R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":[3]})", ErrorCode::kBadRequest},
      {R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"],"history":"8d"})",
       ErrorCode::kBadHistory},
      {R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"],"history":"ten"})",
       ErrorCode::kBadHistory},
      {R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"],"history":-1})",
       ErrorCode::kBadHistory},
      {R"({"op":"resume","id":1,"channels":[{"symbol":"ALFA","stream":"spikes"}]})",
       ErrorCode::kBadRequest},
      {R"({"op":"resume","id":1,"channels":[{"symbol":"ALFA","stream":"x","seq":1}]})",
       ErrorCode::kUnknownStream},
      {R"({"op":"replay","id":1})", ErrorCode::kBadRequest},
      {R"({"op":"replay","id":1,"action":"rewind"})", ErrorCode::kBadRequest},
      {R"({"op":"replay","id":1,"action":"speed"})", ErrorCode::kBadRequest},
      {R"({"op":"replay","id":1,"action":"speed","speed":0})", ErrorCode::kBadRequest},
      {R"({"op":"replay","id":1,"action":"speed","speed":"10"})", ErrorCode::kBadRequest},
  };
  for (const auto& [text, code] : cases) {
    const auto r = parse(text);
    const auto* bad = std::get_if<BadRequest>(&r);
    ASSERT_NE(bad, nullptr) << text;
    EXPECT_EQ(bad->code, code) << text << ": " << bad->message;
    EXPECT_FALSE(bad->message.empty());
  }
}

TEST(Protocol, ResumeCarriesTheLastSeqOfEachChannel) {
  const auto r = parse(
      R"({"op":"resume","id":3,"channels":[{"symbol":"ES","stream":"spikes","seq":7},{"symbol":"ALFA","stream":"candles:1s","seq":0}]})");
  const auto& res = std::get<ResumeRequest>(r);
  ASSERT_EQ(res.channels.size(), 2u);
  EXPECT_EQ(res.channels[0].first, (ChannelRef{1, WireStream::kSpikes}));
  EXPECT_EQ(res.channels[0].second, 7u);
}

TEST(Protocol, ReplayRequestsCarryTheirActionAndSpeed) {
  const auto pause = std::get<ReplayRequest>(parse(R"({"op":"replay","id":4,"action":"pause"})"));
  EXPECT_EQ(pause.id, "4");
  EXPECT_EQ(pause.action, ReplayAction::kPause);
  EXPECT_EQ(std::get<ReplayRequest>(parse(R"({"op":"replay","action":"resume"})")).action,
            ReplayAction::kResume);
  EXPECT_EQ(std::get<ReplayRequest>(parse(R"({"op":"replay","action":"status"})")).action,
            ReplayAction::kStatus);
  const auto speed =
      std::get<ReplayRequest>(parse(R"({"op":"replay","id":5,"action":"speed","speed":10})"));
  EXPECT_EQ(speed.action, ReplayAction::kSpeed);
  EXPECT_EQ(speed.speed, 10.0);
  EXPECT_EQ(std::get<ReplayRequest>(parse(R"({"op":"replay","action":"speed","speed":0.5})")).speed,
            0.5);
}

TEST(Protocol, DurationsInSecondsOrWithAUnit) {
  EXPECT_EQ(parse_duration_ns("10m"), 600 * market::kNanosPerSecond);
  EXPECT_EQ(parse_duration_ns("2h"), 7200 * market::kNanosPerSecond);
  EXPECT_EQ(parse_duration_ns("1d"), 86400 * market::kNanosPerSecond);
  EXPECT_EQ(parse_duration_ns("45"), 45 * market::kNanosPerSecond);
  EXPECT_FALSE(parse_duration_ns("m"));
  EXPECT_FALSE(parse_duration_ns("1.5h"));
  EXPECT_FALSE(parse_duration_ns(""));
}

TEST(Protocol, NonFiniteDoublesGoOutAsNullAndTheFrameStaysValidJson) {
  const auto reg = registry();
  std::string out;
  market::IntensityEvent e{.symbol = 0,
                           .seq = 4,
                           .t = 1'000'000'000,
                           .raw = std::numeric_limits<double>::quiet_NaN(),
                           .ema_ready = true,
                           .ema = std::numeric_limits<double>::infinity()};
  ASSERT_TRUE(append_event(out, reg, WireStream::kIntensityEma, e));
  simdjson::dom::parser p;
  const auto doc = json(p, out);
  EXPECT_TRUE(doc["raw"].is_null());
  EXPECT_TRUE(doc["value"].is_null());
  EXPECT_EQ(std::string_view(doc["stream"]), "intensity:ema");
  EXPECT_EQ(int64_t(doc["tick_seq"]), 4);
}

TEST(Protocol, EventsShowTheChannelSeqAndTheTickSeqApart) {
  const auto reg = registry();
  std::string out;
  market::ReversalEvent r{.symbol = 1,
                          .seq = 900,
                          .channel_seq = 3,
                          .t = 5'000'000'000,
                          .version = 2,
                          .direction = -1,
                          .price = 4001,
                          .reason = market::ReversalReason::kExtremeRetrace,
                          .strength = 2.5};
  ASSERT_TRUE(append_event(out, reg, WireStream::kReversals, r));
  EXPECT_FALSE(append_event(out, reg, WireStream::kSpikes, r));  // not this stream's event
  simdjson::dom::parser p;
  const auto doc = json(p, out);
  EXPECT_EQ(int64_t(doc["seq"]), 3);
  EXPECT_EQ(int64_t(doc["tick_seq"]), 900);
  EXPECT_EQ(int64_t(doc["t_ms"]), 5000);
  EXPECT_DOUBLE_EQ(double(doc["price"]), 1000.25);
  EXPECT_EQ(std::string_view(doc["reason"]), "extreme_retrace");
}

TEST(Protocol, TicksWithoutAQuoteSayNull) {
  const auto reg = registry();
  std::string out;
  ASSERT_TRUE(append_event(
      out, reg, WireStream::kTicks,
      market::TickEvent{
          .symbol = 0, .seq = 1, .tick_seq = 9, .t = 2'000'000, .price = 10123, .size = 5}));
  simdjson::dom::parser p;
  const auto doc = json(p, out);
  EXPECT_EQ(std::string_view(doc["type"]), "tick");
  EXPECT_TRUE(doc["bid"].is_null());
  EXPECT_DOUBLE_EQ(double(doc["price"]), 101.23);
  EXPECT_EQ(int64_t(doc["t_ms"]), 2);
}

TEST(Protocol, SnapshotsHoldEventsLastSeqAndTheCurrentValue) {
  const auto reg = registry();
  std::vector<market::Event> events = {market::CandleEvent{.symbol = 2,
                                                           .tf = market::Timeframe::k1m,
                                                           .closed = true,
                                                           .seq = 4,
                                                           .candle = {.start_ns = 60'000'000'000,
                                                                      .open = 1,
                                                                      .high = 2,
                                                                      .low = 1,
                                                                      .close = 2,
                                                                      .volume = 3,
                                                                      .ticks = 2}}};
  const market::Event current = market::CandleEvent{.symbol = 2,
                                                    .tf = market::Timeframe::k1m,
                                                    .closed = false,
                                                    .seq = 5,
                                                    .candle = {.start_ns = 120'000'000'000,
                                                               .open = 2,
                                                               .high = 2,
                                                               .low = 2,
                                                               .close = 2,
                                                               .volume = 1,
                                                               .ticks = 1}};
  simdjson::dom::parser p;
  auto doc = json(
      p, encode_snapshot("\"x\"", reg, {2, WireStream::kCandles1m}, events, &current, 4, false));
  EXPECT_EQ(std::string_view(doc["symbol"]), "Q\"UOTE");
  EXPECT_EQ(std::string_view(doc["id"]), "x");
  EXPECT_EQ(int64_t(doc["last_seq"]), 4);
  EXPECT_EQ(simdjson::dom::array(doc["events"]).size(), 1u);
  EXPECT_EQ(int64_t(doc["current"]["seq"]), 5);
  EXPECT_FALSE(bool(doc["current"]["closed"]));
  doc = json(p, encode_snapshot("1", reg, {0, WireStream::kBuffer}, {}, nullptr, 0, true));
  EXPECT_TRUE(doc["current"].is_null());
  EXPECT_TRUE(bool(doc["resume"]));
}

TEST(Protocol, HelloAnnouncesVersionStreamsAndLimits) {
  const auto reg = registry();
  simdjson::dom::parser p;
  const auto doc = json(p, encode_hello(reg, 100, HelloLimits{}, 1234));
  EXPECT_EQ(int64_t(doc["version"]), 2);
  EXPECT_EQ(simdjson::dom::array(doc["streams"]).size(), kWireStreamCount);
  EXPECT_EQ(int64_t(doc["limits"]["max_message_bytes"]), 4096);
  std::int64_t auth_max = 0;
  EXPECT_NE(doc["limits"]["max_auth_message_bytes"].get(auth_max), simdjson::SUCCESS)
      << "auth off: no auth message limit";
  EXPECT_EQ(int64_t(doc["server_time_ms"]), 1234);
  simdjson::dom::parser p2;
  const auto on =
      json(p2, encode_hello(reg, 100, HelloLimits{.max_auth_message_bytes = 8704}, 1234));
  EXPECT_EQ(int64_t(on["limits"]["max_auth_message_bytes"]), 8704);
  EXPECT_EQ(int64_t(on["limits"]["max_message_bytes"]), 4096);
  for (std::size_t i = 0; i < kWireStreamCount; ++i) {
    const auto s = static_cast<WireStream>(i);
    EXPECT_EQ(parse_wire_stream(to_string(s)), s);
  }
}

TEST(Protocol, AuthRequestAndItsReply) {
  const auto r = parse(R"({"op":"auth","id":1,"token":"a.b.c"})");
  ASSERT_TRUE(std::holds_alternative<AuthRequest>(r));
  EXPECT_EQ(std::get<AuthRequest>(r).token, "a.b.c");
  EXPECT_EQ(std::get<AuthRequest>(r).id, "1");
  const auto missing = parse(R"({"op":"auth","id":1})");
  ASSERT_TRUE(std::holds_alternative<BadRequest>(missing));
  EXPECT_EQ(std::get<BadRequest>(missing).code, ErrorCode::kBadRequest);

  const auto first = parse_auth_message(R"({"op":"auth","id":"x","token":"t"})");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, R"("x")");
  EXPECT_EQ(first->token, "t");
  // The first auth takes any id a request may have, and a bad one as null (not refused).
  EXPECT_EQ(parse_auth_message(R"({"op":"auth","id":18446744073709551615,"token":"t"})")->id,
            "18446744073709551615");
  EXPECT_EQ(parse_auth_message(R"({"op":"auth","id":-3,"token":"t"})")->id, "-3");
  EXPECT_EQ(parse_auth_message(R"({"op":"auth","id":1.5,"token":"t"})")->id, "null");
  EXPECT_EQ(
      parse_auth_message(R"({"op":"auth","id":")" + std::string(65, 'x') + R"(","token":"t"})")->id,
      "null");
  EXPECT_FALSE(parse_auth_message(R"({"op":"subscribe","id":1})"));
  EXPECT_FALSE(parse_auth_message(R"({"op":"auth","token":5})"));
  EXPECT_FALSE(parse_auth_message("not json"));

  simdjson::dom::parser p;
  const std::vector<std::string> roles = {"viewer", "admin"};
  const auto ok = json(p, encode_auth_ok("1", "alice", 1800000000, roles));
  EXPECT_EQ(std::string_view(ok["op"]), "auth");
  EXPECT_EQ(std::string_view(ok["sub"]), "alice");
  EXPECT_EQ(int64_t(ok["exp"]), 1800000000);
  EXPECT_EQ(std::string_view(ok["roles"].at(1)), "admin");
  EXPECT_EQ(std::string_view(json(p, encode_error("1", ErrorCode::kForbidden, "no"))["code"]),
            "forbidden");
}

TEST(Protocol, OtherServerMessagesParse) {
  const auto reg = registry();
  simdjson::dom::parser p;
  EXPECT_EQ(std::string_view(
                json(p, encode_error("null", ErrorCode::kRateLimited, "slow \"down\""))["code"]),
            "rate_limited");
  EXPECT_EQ(int64_t(json(p, encode_ok("5", "subscribe", 3))["channels"]), 3);
  EXPECT_EQ(int64_t(json(p, encode_gap(reg, {0, WireStream::kSpikes}, 5, 9, "overflow"))["to"]), 9);
  EXPECT_EQ(int64_t(json(p, encode_lagging(10, 5))["queued_bytes"]), 10);
  EXPECT_EQ(std::string_view(json(p, encode_caught_up())["type"]), "caught_up");
  EXPECT_EQ(int64_t(json(p, encode_pong("8", 99))["server_time_ms"]), 99);
  const auto replay =
      json(p, encode_replay_ok("6", {.paused = true, .speed = 2.5, .clock_ms = 77}));
  EXPECT_EQ(std::string_view(replay["op"]), "replay");
  EXPECT_TRUE(bool(replay["replay"]["paused"]));
  EXPECT_FALSE(bool(replay["replay"]["finished"]));
  EXPECT_DOUBLE_EQ(double(replay["replay"]["speed"]), 2.5);
  EXPECT_EQ(int64_t(replay["replay"]["clock_ms"]), 77);
  EXPECT_EQ(std::string_view(json(p, encode_error("1", ErrorCode::kNotReplay, "no"))["code"]),
            "not_replay");
  std::vector<SymbolQuote> quotes = {{.traded = true, .last = 10100, .day_open = 10000}};
  const auto doc = json(p, encode_symbols(reg, quotes));
  EXPECT_DOUBLE_EQ(double(doc["symbols"].at(0)["change"]), 1.0);
  EXPECT_DOUBLE_EQ(double(doc["symbols"].at(0)["change_pct"]), 1.0);
  EXPECT_TRUE(doc["symbols"].at(1)["last"].is_null());
}

}  // namespace
}  // namespace spacetime::gateway
