#include "gateway/protocol.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace spacetime::gateway {
namespace {

void append_price(std::string& out, const market::SymbolInfo& info, std::int64_t ticks) {
  fmt::format_to(std::back_inserter(out), "{:.{}f}", static_cast<double>(ticks) * info.tick_size,
                 info.decimals);
}

void append_candle_fields(std::string& out, const market::SymbolInfo& info,
                          const store::StoredCandle& sc) {
  const market::Candle& c = sc.candle;
  fmt::format_to(std::back_inserter(out), "\"t\":{},\"o\":", c.start_ns / market::kNanosPerSecond);
  append_price(out, info, c.open);
  out += ",\"h\":";
  append_price(out, info, c.high);
  out += ",\"l\":";
  append_price(out, info, c.low);
  out += ",\"c\":";
  append_price(out, info, c.close);
  fmt::format_to(std::back_inserter(out), ",\"v\":{},\"n\":{},\"seq\":{}", c.volume, c.ticks,
                 sc.seq);
}

void append_candle(std::string& out, const market::SymbolInfo& info,
                   const store::StoredCandle& sc) {
  out += '{';
  append_candle_fields(out, info, sc);
  out += '}';
}

// Resolves the symbol and timeframe fields shared by subscribe and unsubscribe.
template <typename Request>
ClientRequest parse_channel(simdjson::ondemand::object& obj, const market::SymbolRegistry& symbols,
                            std::string_view op) {
  std::string_view symbol_name;
  std::string_view tf_name;
  if (obj["symbol"].get_string().get(symbol_name)) {
    return BadRequest{fmt::format("{}: field 'symbol' (string) is required", op)};
  }
  if (obj["tf"].get_string().get(tf_name)) {
    return BadRequest{fmt::format("{}: field 'tf' (string) is required", op)};
  }
  const auto id = symbols.find(symbol_name);
  if (!id) return BadRequest{fmt::format("unknown symbol '{}'", symbol_name)};
  const auto tf = market::parse_timeframe(tf_name);
  if (!tf) {
    return BadRequest{
        fmt::format("unknown timeframe '{}' (one of 1s,10s,1m,5m,15m,1h,1d)", tf_name)};
  }
  return Request{*id, *tf};
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

ClientRequest parse_client_message(std::string_view text, const market::SymbolRegistry& symbols) {
  constexpr std::size_t kMaxMessage = 4096;
  if (text.size() > kMaxMessage) {
    return BadRequest{
        fmt::format("message too long ({} bytes, limit {})", text.size(), kMaxMessage)};
  }
  simdjson::padded_string padded(text);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return BadRequest{"malformed JSON"};
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return BadRequest{"expected a JSON object"};
  std::string_view op;
  if (obj["op"].get_string().get(op)) return BadRequest{"field 'op' (string) is required"};
  if (op == "subscribe") return parse_channel<SubscribeRequest>(obj, symbols, op);
  if (op == "unsubscribe") return parse_channel<UnsubscribeRequest>(obj, symbols, op);
  if (op == "ping") {
    std::int64_t id = 0;
    auto field = obj["id"];
    if (field.error() == simdjson::SUCCESS && field.get_int64().get(id)) {
      return BadRequest{"ping: field 'id' must be an integer"};
    }
    return PingRequest{id};
  }
  std::string message = "unknown op ";
  append_json_string(message, op);
  return BadRequest{message};
}

namespace {
std::string encode_symbols_array(const market::SymbolRegistry& symbols) {
  std::string out = "[";
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const auto& info = symbols.info(static_cast<market::SymbolId>(i));
    if (i) out += ',';
    out += "{\"symbol\":";
    append_json_string(out, info.name);
    fmt::format_to(std::back_inserter(out), ",\"tick_size\":{},\"decimals\":{}}}", info.tick_size,
                   info.decimals);
  }
  out += ']';
  return out;
}

std::string timeframes_array() {
  std::string out = "[";
  for (std::size_t i = 0; i < market::kTimeframeCount; ++i) {
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "\"{}\"", market::to_string(market::kAllTimeframes[i]));
  }
  out += ']';
  return out;
}
}  // namespace

std::string encode_hello(const market::SymbolRegistry& symbols, int flush_ms) {
  return fmt::format(R"({{"type":"hello","version":1,"flush_ms":{},"symbols":{},"timeframes":{}}})",
                     flush_ms, encode_symbols_array(symbols), timeframes_array());
}

std::string encode_symbols(const market::SymbolRegistry& symbols) {
  return fmt::format(R"({{"symbols":{},"timeframes":{}}})", encode_symbols_array(symbols),
                     timeframes_array());
}

std::string encode_snapshot(const market::SymbolRegistry& symbols, market::SymbolId symbol,
                            market::Timeframe tf, const store::CandleSnapshot& snapshot) {
  const auto& info = symbols.info(symbol);
  std::string out = R"({"type":"snapshot","symbol":)";
  out.reserve(64 + snapshot.closed.size() * 96);
  append_json_string(out, info.name);
  fmt::format_to(std::back_inserter(out), R"(,"tf":"{}","candles":[)", market::to_string(tf));
  for (std::size_t i = 0; i < snapshot.closed.size(); ++i) {
    if (i) out += ',';
    append_candle(out, info, snapshot.closed[i]);
  }
  out += R"(],"current":)";
  if (snapshot.current) {
    append_candle(out, info, *snapshot.current);
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

std::string encode_error(std::string_view message) {
  std::string out = R"({"type":"error","message":)";
  append_json_string(out, message);
  out += '}';
  return out;
}

std::string encode_pong(std::int64_t id) {
  return fmt::format(R"({{"type":"pong","id":{}}})", id);
}

void append_candle_event(std::string& out, const market::SymbolRegistry& symbols,
                         market::SymbolId symbol, market::Timeframe tf, bool closed,
                         const store::StoredCandle& candle) {
  const auto& info = symbols.info(symbol);
  out += R"({"type":"candle","symbol":)";
  append_json_string(out, info.name);
  fmt::format_to(std::back_inserter(out), R"(,"tf":"{}","closed":{},)", market::to_string(tf),
                 closed ? "true" : "false");
  append_candle_fields(out, info, candle);
  out += '}';
}

}  // namespace spacetime::gateway
