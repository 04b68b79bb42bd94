#include "gateway/protocol.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>

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
  if (sc.volume_zlma_ready) {
    fmt::format_to(std::back_inserter(out), R"(,"vol_zlma":{})", sc.volume_zlma);
  }
  if (sc.bar_intensity_ready) {
    fmt::format_to(std::back_inserter(out), R"(,"bar_intensity":{})", sc.bar_intensity);
  }
}

void append_candle(std::string& out, const market::SymbolInfo& info,
                   const store::StoredCandle& sc) {
  out += '{';
  append_candle_fields(out, info, sc);
  out += '}';
}

constexpr std::array<std::string_view, kSmoothingCount> kSmoothingNames = {"sma", "ema", "zlma"};

// Resolves the channel fields shared by subscribe and unsubscribe: symbol, and either a
// timeframe (candles, the default stream) or an indicator stream.
template <typename Request>
ClientRequest parse_channel(simdjson::ondemand::object& obj, const market::SymbolRegistry& symbols,
                            std::string_view op) {
  std::string_view symbol_name;
  if (obj["symbol"].get_string().get(symbol_name)) {
    return BadRequest{fmt::format("{}: field 'symbol' (string) is required", op)};
  }
  const auto id = symbols.find(symbol_name);
  if (!id) return BadRequest{fmt::format("unknown symbol '{}'", symbol_name)};

  std::string_view stream = "candles";
  auto stream_field = obj["stream"];
  if (stream_field.error() == simdjson::SUCCESS && stream_field.get_string().get(stream)) {
    return BadRequest{fmt::format("{}: field 'stream' must be a string", op)};
  }
  Request request;
  request.symbol = *id;
  if (stream == "candles") {
    std::string_view tf_name;
    if (obj["tf"].get_string().get(tf_name)) {
      return BadRequest{fmt::format("{}: field 'tf' (string) is required for candles", op)};
    }
    const auto tf = market::parse_timeframe(tf_name);
    if (!tf) {
      return BadRequest{
          fmt::format("unknown timeframe '{}' (one of 1s,10s,1m,5m,15m,1h,1d)", tf_name)};
    }
    request.stream = market::candle_stream(*tf);
  } else if (stream == "intensity") {
    request.stream = market::Stream::kIntensity;
  } else if (stream == "buffer") {
    request.stream = market::Stream::kBuffer;
  } else if (stream == "spikes") {
    request.stream = market::Stream::kSpike;
  } else if (stream == "reversals") {
    request.stream = market::Stream::kReversal;
  } else {
    std::string message = "unknown stream ";
    append_json_string(message, stream);
    return BadRequest{message + " (one of candles, intensity, buffer, spikes, reversals)"};
  }
  if constexpr (std::is_same_v<Request, SubscribeRequest>) {
    std::string_view smoother;
    auto field = obj["smoother"];
    if (field.error() == simdjson::SUCCESS) {
      if (field.get_string().get(smoother)) {
        return BadRequest{"subscribe: field 'smoother' must be a string"};
      }
      const auto it = std::find(kSmoothingNames.begin(), kSmoothingNames.end(), smoother);
      if (it == kSmoothingNames.end()) {
        std::string message = "unknown smoother ";
        append_json_string(message, smoother);
        return BadRequest{message + " (one of sma, ema, zlma)"};
      }
      request.smoothing = static_cast<Smoothing>(it - kSmoothingNames.begin());
    }
  }
  return request;
}

void append_ms(std::string& out, std::string_view key, std::int64_t t_ns) {
  fmt::format_to(std::back_inserter(out), R"(,"{}":{})", key, t_ns / 1'000'000);
}

void append_head(std::string& out, std::string_view type, const market::SymbolRegistry& symbols,
                 market::SymbolId symbol, std::uint64_t seq) {
  fmt::format_to(std::back_inserter(out), R"({{"type":"{}","symbol":)", type);
  append_json_string(out, symbols.info(symbol).name);
  fmt::format_to(std::back_inserter(out), R"(,"seq":{})", seq);
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

std::string_view to_string(Smoothing s) {
  return kSmoothingNames[static_cast<std::size_t>(s)];
}

std::string_view stream_name(market::Stream stream) {
  switch (stream) {
    case market::Stream::kIntensity:
      return "intensity";
    case market::Stream::kBuffer:
      return "buffer";
    case market::Stream::kSpike:
      return "spikes";
    case market::Stream::kReversal:
      return "reversals";
    default:
      return "candles";
  }
}

void append_intensity_event(std::string& out, const market::SymbolRegistry& symbols,
                            const market::IntensityEvent& e, Smoothing smoothing) {
  append_head(out, "intensity", symbols, e.symbol, e.seq);
  append_ms(out, "t_ms", e.t);
  const bool ready = smoothing == Smoothing::kSma   ? e.sma_ready
                     : smoothing == Smoothing::kEma ? e.ema_ready
                                                    : e.zlma_ready;
  const double value = smoothing == Smoothing::kSma   ? e.sma
                       : smoothing == Smoothing::kEma ? e.ema
                                                      : e.zlma;
  fmt::format_to(std::back_inserter(out), R"(,"raw":{},"smoother":"{}","value":)", e.raw,
                 to_string(smoothing));
  if (ready) {
    fmt::format_to(std::back_inserter(out), "{}", value);
  } else {
    out += "null";
  }
  out += '}';
}

void append_indicator_event(std::string& out, const market::SymbolRegistry& symbols,
                            const market::Event& event) {
  auto it = std::back_inserter(out);
  if (const auto* b = std::get_if<market::BufferEvent>(&event)) {
    append_head(out, "buffer", symbols, b->symbol, b->seq);
    append_ms(out, "t_ms", b->t);
    fmt::format_to(it, R"(,"s":{},"upper":{},"baseline":{},"lower":{},"zone":"{}"}})", b->smoothed,
                   b->upper, b->baseline, b->lower, market::to_string(b->zone));
  } else if (const auto* ss = std::get_if<market::SpikeStartEvent>(&event)) {
    append_head(out, "spike_start", symbols, ss->symbol, ss->seq);
    append_ms(out, "t_ms", ss->t);
    fmt::format_to(it, R"(,"intensity":{},"z":{},"price":)", ss->intensity, ss->z);
    append_price(out, symbols.info(ss->symbol), ss->price);
    out += '}';
  } else if (const auto* se = std::get_if<market::SpikeEndEvent>(&event)) {
    append_head(out, "spike_end", symbols, se->symbol, se->seq);
    append_ms(out, "t_start_ms", se->t_start);
    append_ms(out, "t_peak_ms", se->t_peak);
    append_ms(out, "t_end_ms", se->t_end);
    fmt::format_to(it, R"(,"peak_intensity":{},"peak_z":{},"ticks":{},"price_start":)",
                   se->peak_intensity, se->peak_z, se->ticks);
    append_price(out, symbols.info(se->symbol), se->price_start);
    out += R"(,"price_end":)";
    append_price(out, symbols.info(se->symbol), se->price_end);
    out += '}';
  } else if (const auto* rv = std::get_if<market::ReversalEvent>(&event)) {
    append_head(out, "reversal", symbols, rv->symbol, rv->seq);
    append_ms(out, "t_ms", rv->t);
    fmt::format_to(it, R"(,"version":{},"direction":{},"price":)", rv->version, rv->direction);
    append_price(out, symbols.info(rv->symbol), rv->price);
    fmt::format_to(it, R"(,"reason":"{}","strength":{}}})", market::to_string(rv->reason),
                   rv->strength);
  } else if (const auto* ie = std::get_if<market::IntensityEvent>(&event)) {
    append_intensity_event(out, symbols, *ie, Smoothing::kEma);
  }
}

std::string encode_event_snapshot(const market::SymbolRegistry& symbols, market::SymbolId symbol,
                                  market::Stream stream, std::span<const market::Event> events,
                                  Smoothing smoothing) {
  std::string out = R"({"type":"snapshot","symbol":)";
  append_json_string(out, symbols.info(symbol).name);
  fmt::format_to(std::back_inserter(out), R"(,"stream":"{}")", stream_name(stream));
  if (stream == market::Stream::kIntensity) {
    fmt::format_to(std::back_inserter(out), R"(,"smoother":"{}")", to_string(smoothing));
  }
  out += R"(,"events":[)";
  bool first = true;
  for (const auto& e : events) {
    if (!first) out += ',';
    first = false;
    if (const auto* i = std::get_if<market::IntensityEvent>(&e)) {
      append_intensity_event(out, symbols, *i, smoothing);
    } else {
      append_indicator_event(out, symbols, e);
    }
  }
  out += "]}";
  return out;
}

}  // namespace spacetime::gateway
