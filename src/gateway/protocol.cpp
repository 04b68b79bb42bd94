#include "gateway/protocol.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cmath>
#include <limits>

namespace spacetime::gateway {
namespace {

constexpr std::array<std::string_view, kWireStreamCount> kStreamNames = {
    "candles:1s",     "candles:10s", "candles:1m", "candles:5m",    "candles:15m",
    "candles:1h",     "candles:1d",  "ticks",      "intensity:sma", "intensity:ema",
    "intensity:zlma", "buffer",      "spikes",     "reversals"};
constexpr std::array<std::string_view, 3> kSmoothingNames = {"sma", "ema", "zlma"};
constexpr std::array<std::string_view, kErrorCodeCount> kErrorNames = {
    "bad_json",       "too_deep",       "bad_request", "unknown_op",
    "unknown_symbol", "unknown_stream", "bad_history", "too_many_subscriptions",
    "rate_limited",   "not_replay",     "forbidden"};

using Out = std::back_insert_iterator<std::string>;

void append_price(std::string& out, const market::SymbolInfo& info, std::int64_t ticks) {
  fmt::format_to(Out(out), "{:.{}f}", static_cast<double>(ticks) * info.tick_size, info.decimals);
}

void append_ms(std::string& out, std::string_view key, std::int64_t t_ns) {
  fmt::format_to(Out(out), R"(,"{}":{})", key, t_ns / 1'000'000);
}

void append_number(std::string& out, std::string_view key, double v) {
  fmt::format_to(Out(out), R"(,"{}":)", key);
  append_json_double(out, v);
}

void append_optional(std::string& out, std::string_view key, bool ready, double v) {
  fmt::format_to(Out(out), R"(,"{}":)", key);
  if (ready) {
    append_json_double(out, v);
  } else {
    out += "null";
  }
}

void append_head(std::string& out, std::string_view type, const market::SymbolRegistry& symbols,
                 market::SymbolId symbol, WireStream stream) {
  fmt::format_to(Out(out), R"({{"type":"{}","symbol":)", type);
  append_json_string(out, symbols.info(symbol).name);
  fmt::format_to(Out(out), R"(,"stream":"{}")", to_string(stream));
}

void append_candle(std::string& out, const market::SymbolRegistry& symbols, WireStream stream,
                   const market::CandleEvent& e) {
  const auto& info = symbols.info(e.symbol);
  const market::Candle& c = e.candle;
  append_head(out, "candle", symbols, e.symbol, stream);
  fmt::format_to(Out(out), R"(,"closed":{},"seq":{},"t":{},"o":)", e.closed ? "true" : "false",
                 e.seq, c.start_ns / market::kNanosPerSecond);
  append_price(out, info, c.open);
  out += ",\"h\":";
  append_price(out, info, c.high);
  out += ",\"l\":";
  append_price(out, info, c.low);
  out += ",\"c\":";
  append_price(out, info, c.close);
  fmt::format_to(Out(out), R"(,"v":{},"n":{})", c.volume, c.ticks);
  if (e.volume_zlma_ready) append_number(out, "vol_zlma", e.volume_zlma);
  if (e.bar_intensity_ready) append_number(out, "bar_intensity", e.bar_intensity);
  if (e.revised) out += R"(,"revised":true)";
  out += '}';
}

std::optional<Smoothing> smoothing_of(WireStream s) {
  if (s == WireStream::kIntensitySma) return Smoothing::kSma;
  if (s == WireStream::kIntensityEma) return Smoothing::kEma;
  if (s == WireStream::kIntensityZlma) return Smoothing::kZlma;
  return std::nullopt;
}

template <typename T>
double pick(Smoothing s, const T& e, bool& ready) {
  switch (s) {
    case Smoothing::kSma:
      ready = e.sma_ready;
      return e.sma;
    case Smoothing::kEma:
      ready = e.ema_ready;
      return e.ema;
    case Smoothing::kZlma:
      break;
  }
  ready = e.zlma_ready;
  return e.zlma;
}

// ---- request parsing ----

using simdjson::dom::element;
using simdjson::dom::object;

BadRequest bad(RequestId id, ErrorCode code, std::string message) {
  return BadRequest{std::move(id), code, std::move(message)};
}

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Parses "symbols" x "streams" into channels, or the error to reply.
std::optional<BadRequest> parse_channels(const object& obj, const RequestId& id,
                                         std::string_view op, const market::SymbolRegistry& symbols,
                                         std::vector<ChannelRef>& out) {
  simdjson::dom::array syms;
  simdjson::dom::array streams;
  if (obj["symbols"].get_array().get(syms)) {
    return bad(id, ErrorCode::kBadRequest,
               fmt::format("{}: field 'symbols' (array of strings) is required", op));
  }
  if (obj["streams"].get_array().get(streams)) {
    return bad(id, ErrorCode::kBadRequest,
               fmt::format("{}: field 'streams' (array of strings) is required", op));
  }
  // Repeated names are skipped before the product is formed: a 4 KiB message of duplicates
  // must not cost quadratic work.
  std::vector<market::SymbolId> ids;
  std::vector<bool> seen_symbol(symbols.size(), false);
  std::array<bool, kWireStreamCount> seen_stream{};
  for (element s : syms) {
    std::string_view name;
    if (s.get_string().get(name)) {
      return bad(id, ErrorCode::kBadRequest, fmt::format("{}: 'symbols' must hold strings", op));
    }
    const auto sym = symbols.find(name);
    if (!sym) return bad(id, ErrorCode::kUnknownSymbol, "unknown symbol " + quoted(name));
    if (!seen_symbol[*sym]) ids.push_back(*sym);
    seen_symbol[*sym] = true;
  }
  std::vector<WireStream> kinds;
  for (element s : streams) {
    std::string_view name;
    if (s.get_string().get(name)) {
      return bad(id, ErrorCode::kBadRequest, fmt::format("{}: 'streams' must hold strings", op));
    }
    const auto stream = parse_wire_stream(name);
    if (!stream) {
      return bad(id, ErrorCode::kUnknownStream,
                 "unknown stream " + quoted(name) +
                     " (candles:<1s|10s|1m|5m|15m|1h|1d>, ticks, intensity:<sma|ema|zlma>, "
                     "buffer, spikes, reversals)");
    }
    if (!seen_stream[static_cast<std::size_t>(*stream)]) kinds.push_back(*stream);
    seen_stream[static_cast<std::size_t>(*stream)] = true;
  }
  for (const auto sym : ids) {
    for (const auto k : kinds)
      out.push_back(ChannelRef{sym, k});
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(WireStream s) {
  return kStreamNames[static_cast<std::size_t>(s)];
}

std::optional<WireStream> parse_wire_stream(std::string_view name) {
  for (std::size_t i = 0; i < kWireStreamCount; ++i) {
    if (kStreamNames[i] == name) return static_cast<WireStream>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Smoothing s) {
  return kSmoothingNames[static_cast<std::size_t>(s)];
}

std::optional<Smoothing> parse_smoothing(std::string_view name) {
  for (std::size_t i = 0; i < kSmoothingNames.size(); ++i) {
    if (kSmoothingNames[i] == name) return static_cast<Smoothing>(i);
  }
  return std::nullopt;
}

WireStream intensity_stream(Smoothing s) {
  return static_cast<WireStream>(static_cast<std::size_t>(WireStream::kIntensitySma) +
                                 static_cast<std::size_t>(s));
}

std::string_view to_string(ErrorCode code) {
  return kErrorNames[static_cast<std::size_t>(code)];
}

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
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(Out(out), "\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_json_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  fmt::format_to(Out(out), "{}", v);
}

std::optional<std::int64_t> parse_duration_ns(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = market::kNanosPerSecond;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit *= 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit *= 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit *= 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > std::numeric_limits<std::int64_t>::max() / unit) return std::nullopt;
  return n * unit;
}

ClientRequest parse_client_message(std::string_view text, const market::SymbolRegistry& symbols,
                                   const ParseLimits& limits) {
  RequestId id = "null";
  simdjson::dom::parser parser;
  // simdjson refuses a document as deep as the depth it was given: one more lets exactly
  // max_depth levels through.
  if (parser.allocate(text.size() + 64, limits.max_depth + 1)) {
    return bad(id, ErrorCode::kBadJson, "cannot parse this message");
  }
  const simdjson::padded_string padded(text);
  element doc;
  if (const auto err = parser.parse(padded).get(doc)) {
    if (err == simdjson::DEPTH_ERROR) {
      return bad(id, ErrorCode::kTooDeep,
                 fmt::format("JSON nested deeper than {} levels", limits.max_depth));
    }
    return bad(id, ErrorCode::kBadJson, "malformed JSON");
  }
  object obj;
  if (doc.get_object().get(obj)) return bad(id, ErrorCode::kBadJson, "expected a JSON object");

  element id_field;
  if (!obj["id"].get(id_field) && !id_field.is_null()) {
    std::int64_t n = 0;
    std::uint64_t u = 0;
    std::string_view s;
    if (!id_field.get_int64().get(n)) {
      id = std::to_string(n);
    } else if (!id_field.get_uint64().get(u)) {
      id = std::to_string(u);
    } else if (!id_field.get_string().get(s) && s.size() <= 64) {
      id = quoted(s);
    } else {
      return bad(id, ErrorCode::kBadRequest,
                 "field 'id' must be an integer or a string of at most 64 bytes");
    }
  }
  std::string_view op;
  if (obj["op"].get_string().get(op)) {
    return bad(id, ErrorCode::kBadRequest, "field 'op' (string) is required");
  }
  if (op == "subscribe") {
    SubscribeRequest r{.id = id, .history_ns = limits.history_default_ns};
    if (auto e = parse_channels(obj, id, op, symbols, r.channels)) return *e;
    element h;
    if (!obj["history"].get(h)) {
      std::optional<std::int64_t> ns;
      std::string_view s;
      double d = 0;
      if (!h.get_string().get(s)) {
        ns = parse_duration_ns(s);
      } else if (!h.get_double().get(d) && std::isfinite(d) && d >= 0 && d < 1e9) {
        ns = static_cast<std::int64_t>(d * 1e9);
      }
      if (!ns || *ns > limits.history_max_ns) {
        return bad(id, ErrorCode::kBadHistory,
                   fmt::format("'history' must be seconds or \"<n>s|m|h|d\", at most {} s",
                               limits.history_max_ns / market::kNanosPerSecond));
      }
      r.history_ns = *ns;
    }
    return r;
  }
  if (op == "unsubscribe") {
    UnsubscribeRequest r{.id = id};
    if (auto e = parse_channels(obj, id, op, symbols, r.channels)) return *e;
    return r;
  }
  if (op == "resume") {
    ResumeRequest r{.id = id};
    simdjson::dom::array channels;
    if (obj["channels"].get_array().get(channels)) {
      return bad(id, ErrorCode::kBadRequest,
                 "resume: field 'channels' (array of {symbol, stream, seq}) is required");
    }
    for (element c : channels) {
      object o;
      std::string_view name;
      std::string_view stream_name;
      std::uint64_t seq = 0;
      if (c.get_object().get(o) || o["symbol"].get_string().get(name) ||
          o["stream"].get_string().get(stream_name) || o["seq"].get_uint64().get(seq)) {
        return bad(id, ErrorCode::kBadRequest,
                   "resume: each channel needs 'symbol' (string), 'stream' (string) and 'seq' "
                   "(integer >= 0)");
      }
      const auto sym = symbols.find(name);
      if (!sym) return bad(id, ErrorCode::kUnknownSymbol, "unknown symbol " + quoted(name));
      const auto stream = parse_wire_stream(stream_name);
      if (!stream) {
        return bad(id, ErrorCode::kUnknownStream, "unknown stream " + quoted(stream_name));
      }
      r.channels.emplace_back(ChannelRef{*sym, *stream}, seq);
    }
    return r;
  }
  if (op == "ping") return PingRequest{id};
  if (op == "auth") {
    std::string_view token;
    if (obj["token"].get_string().get(token)) {
      return bad(id, ErrorCode::kBadRequest, "auth: field 'token' (string) is required");
    }
    return AuthRequest{.id = id, .token = std::string(token)};
  }
  if (op == "replay") {
    std::string_view action;
    if (obj["action"].get_string().get(action)) {
      return bad(id, ErrorCode::kBadRequest,
                 "replay: field 'action' (status, pause, resume or speed) is required");
    }
    ReplayRequest r{.id = id};
    if (action == "status") {
      r.action = ReplayAction::kStatus;
    } else if (action == "pause") {
      r.action = ReplayAction::kPause;
    } else if (action == "resume") {
      r.action = ReplayAction::kResume;
    } else if (action == "speed") {
      r.action = ReplayAction::kSpeed;
      double speed = 0;
      if (obj["speed"].get_double().get(speed) || !std::isfinite(speed) || !(speed > 0)) {
        return bad(id, ErrorCode::kBadRequest,
                   "replay: action 'speed' needs 'speed' (a number > 0)");
      }
      r.speed = speed;
    } else {
      return bad(id, ErrorCode::kBadRequest,
                 "replay: unknown action " + quoted(action) + " (status, pause, resume, speed)");
    }
    return r;
  }
  return bad(id, ErrorCode::kUnknownOp,
             "unknown op " + quoted(op) + " (subscribe, unsubscribe, resume, ping, replay)");
}

std::string encode_hello(const market::SymbolRegistry& symbols, int flush_ms, const HelloLimits& l,
                         std::int64_t now_ms) {
  std::string out =
      fmt::format(R"({{"type":"hello","version":{},"server_time_ms":{},"flush_ms":{})",
                  kProtocolVersion, now_ms, flush_ms);
  out += R"(,"symbols":[)";
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const auto& info = symbols.info(static_cast<market::SymbolId>(i));
    if (i) out += ',';
    out += R"({"symbol":)";
    append_json_string(out, info.name);
    out += R"(,"tick_size":)";
    append_json_double(out, info.tick_size);
    fmt::format_to(Out(out), R"(,"decimals":{}}})", info.decimals);
  }
  out += R"(],"timeframes":[)";
  for (std::size_t i = 0; i < market::kTimeframeCount; ++i)
    fmt::format_to(Out(out), "{}\"{}\"", i ? "," : "",
                   market::to_string(market::kAllTimeframes[i]));
  out += R"(],"streams":[)";
  for (std::size_t i = 0; i < kWireStreamCount; ++i)
    fmt::format_to(Out(out), "{}\"{}\"", i ? "," : "", kStreamNames[i]);
  out += R"(],"limits":{)";
  if (l.max_auth_message_bytes != 0)
    fmt::format_to(Out(out), R"("max_auth_message_bytes":{},)", l.max_auth_message_bytes);
  fmt::format_to(Out(out),
                 R"("max_message_bytes":{},"max_subscriptions":{},"requests_per_s":{},)"
                 R"("request_burst":{},"history_max_s":{},"snapshot_max_events":{},)"
                 R"("high_water_bytes":{},"hard_limit_bytes":{},"grace_ms":{},)"
                 R"("ping_interval_ms":{},"ping_timeout_ms":{}}}}})",
                 l.max_message_bytes, l.max_subscriptions, l.requests_per_s, l.request_burst,
                 l.history_max_s, l.snapshot_max_events, l.high_water_bytes, l.hard_limit_bytes,
                 l.grace_ms, l.ping_interval_ms, l.ping_timeout_ms);
  return out;
}

std::string encode_ok(std::string_view id, std::string_view op, std::size_t channels) {
  return fmt::format(R"({{"type":"ok","id":{},"op":"{}","channels":{}}})", id, op, channels);
}

std::string encode_replay_ok(std::string_view id, const ReplayStatus& status) {
  std::string out = fmt::format(
      R"({{"type":"ok","id":{},"op":"replay","replay":{{"paused":{},"finished":{},"speed":)", id,
      status.paused, status.finished);
  append_json_double(out, status.speed);
  fmt::format_to(Out(out), R"(,"clock_ms":{}}}}})", status.clock_ms);
  return out;
}

std::string encode_error(std::string_view id, ErrorCode code, std::string_view message) {
  std::string out =
      fmt::format(R"({{"type":"error","id":{},"code":"{}","message":)", id, to_string(code));
  append_json_string(out, message);
  out += '}';
  return out;
}

std::optional<AuthRequest> parse_auth_message(std::string_view text) {
  simdjson::dom::parser parser;
  object obj;
  if (parser.parse(text.data(), text.size(), true).get_object().get(obj)) return std::nullopt;
  std::string_view op, token;
  if (obj["op"].get_string().get(op) || op != "auth" || obj["token"].get_string().get(token))
    return std::nullopt;
  AuthRequest r{.id = "null", .token = std::string(token)};
  element id_field;
  if (!obj["id"].get(id_field)) {
    // As for any other message; but an auth is never refused for its id: a bad one
    // (docs/PROTOCOL.md) is answered as null.
    std::int64_t n = 0;
    std::uint64_t u = 0;
    std::string_view s;
    if (!id_field.get_int64().get(n)) {
      r.id = std::to_string(n);
    } else if (!id_field.get_uint64().get(u)) {
      r.id = std::to_string(u);
    } else if (!id_field.get_string().get(s) && s.size() <= 64) {
      r.id = quoted(s);
    }
  }
  return r;
}

std::string encode_auth_ok(std::string_view id, std::string_view sub, std::int64_t exp,
                           std::span<const std::string> roles) {
  std::string out = fmt::format(R"({{"type":"ok","id":{},"op":"auth","sub":)", id);
  append_json_string(out, sub);
  fmt::format_to(Out(out), R"(,"exp":{},"roles":[)", exp);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, roles[i]);
  }
  out += "]}";
  return out;
}

std::string encode_pong(std::string_view id, std::int64_t now_ms) {
  return fmt::format(R"({{"type":"pong","id":{},"server_time_ms":{}}})", id, now_ms);
}

std::string encode_gap(const market::SymbolRegistry& symbols, const ChannelRef& channel,
                       std::uint64_t from, std::uint64_t to, std::string_view reason) {
  std::string out = R"({"type":"gap","symbol":)";
  append_json_string(out, symbols.info(channel.symbol).name);
  fmt::format_to(Out(out), R"(,"stream":"{}","from":{},"to":{},"reason":"{}"}})",
                 to_string(channel.stream), from, to, reason);
  return out;
}

std::string encode_lagging(std::size_t queued_bytes, std::size_t high_water_bytes) {
  return fmt::format(R"({{"type":"lagging","queued_bytes":{},"high_water_bytes":{}}})",
                     queued_bytes, high_water_bytes);
}

std::string encode_caught_up() {
  return R"({"type":"caught_up"})";
}

bool append_event(std::string& out, const market::SymbolRegistry& symbols, WireStream stream,
                  const market::Event& event) {
  if (market::symbol_of(event) >= symbols.size()) return false;
  return std::visit(
      [&](const auto& e) -> bool {
        using T = std::decay_t<decltype(e)>;
        const auto& info = symbols.info(e.symbol);
        if constexpr (std::is_same_v<T, market::CandleEvent>) {
          if (!is_candles(stream) || timeframe_of(stream) != e.tf) return false;
          append_candle(out, symbols, stream, e);
        } else if constexpr (std::is_same_v<T, market::TickEvent>) {
          if (stream != WireStream::kTicks) return false;
          append_head(out, "tick", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"seq":{},"tick_seq":{})", e.seq, e.tick_seq);
          append_ms(out, "t_ms", e.t);
          out += ",\"price\":";
          append_price(out, info, e.price);
          fmt::format_to(Out(out), R"(,"size":{},"bid":)", e.size);
          if (e.bid > 0) {
            append_price(out, info, e.bid);
          } else {
            out += "null";
          }
          out += ",\"ask\":";
          if (e.ask > 0) {
            append_price(out, info, e.ask);
          } else {
            out += "null";
          }
          out += '}';
        } else if constexpr (std::is_same_v<T, market::IntensityEvent>) {
          const auto s = smoothing_of(stream);
          if (!s) return false;
          append_head(out, "intensity", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"tick_seq":{})", e.seq);
          append_ms(out, "t_ms", e.t);
          append_number(out, "raw", e.raw);
          bool ready = false;
          const double v = pick(*s, e, ready);
          append_optional(out, "value", ready, v);
          out += '}';
        } else if constexpr (std::is_same_v<T, market::BufferEvent>) {
          if (stream != WireStream::kBuffer) return false;
          append_head(out, "buffer", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"tick_seq":{})", e.seq);
          append_ms(out, "t_ms", e.t);
          append_number(out, "s", e.smoothed);
          append_number(out, "upper", e.upper);
          append_number(out, "baseline", e.baseline);
          append_number(out, "lower", e.lower);
          fmt::format_to(Out(out), R"(,"zone":"{}"}})", market::to_string(e.zone));
        } else if constexpr (std::is_same_v<T, market::SpikeStartEvent>) {
          if (stream != WireStream::kSpikes) return false;
          append_head(out, "spike_start", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"seq":{},"tick_seq":{})", e.channel_seq, e.seq);
          append_ms(out, "t_ms", e.t);
          append_number(out, "intensity", e.intensity);
          append_number(out, "z", e.z);
          out += ",\"price\":";
          append_price(out, info, e.price);
          out += '}';
        } else if constexpr (std::is_same_v<T, market::SpikeEndEvent>) {
          if (stream != WireStream::kSpikes) return false;
          append_head(out, "spike_end", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"seq":{},"tick_seq":{})", e.channel_seq, e.seq);
          append_ms(out, "t_ms", e.t_end);
          append_ms(out, "t_start_ms", e.t_start);
          append_ms(out, "t_peak_ms", e.t_peak);
          append_ms(out, "t_end_ms", e.t_end);
          append_number(out, "peak_intensity", e.peak_intensity);
          append_number(out, "peak_z", e.peak_z);
          fmt::format_to(Out(out), R"(,"ticks":{},"price_start":)", e.ticks);
          append_price(out, info, e.price_start);
          out += ",\"price_end\":";
          append_price(out, info, e.price_end);
          out += '}';
        } else if constexpr (std::is_same_v<T, market::ReversalEvent>) {
          if (stream != WireStream::kReversals) return false;
          append_head(out, "reversal", symbols, e.symbol, stream);
          fmt::format_to(Out(out), R"(,"seq":{},"tick_seq":{})", e.channel_seq, e.seq);
          append_ms(out, "t_ms", e.t);
          fmt::format_to(Out(out), R"(,"version":{},"direction":{},"price":)",
                         static_cast<int>(e.version), static_cast<int>(e.direction));
          append_price(out, info, e.price);
          fmt::format_to(Out(out), R"(,"reason":"{}")", market::to_string(e.reason));
          append_number(out, "strength", e.strength);
          out += '}';
        } else if constexpr (std::is_same_v<T, market::SampleEvent>) {
          if (const auto s = smoothing_of(stream)) {
            append_head(out, "intensity_sample", symbols, e.symbol, stream);
            fmt::format_to(Out(out), R"(,"seq":{})", e.seq);
            append_ms(out, "t_ms", e.t);
            append_number(out, "raw", e.raw_last);
            append_number(out, "raw_min", e.raw_min);
            append_number(out, "raw_max", e.raw_max);
            bool ready = false;
            const double v = pick(*s, e, ready);
            append_optional(out, "value", ready, v);
            out += '}';
          } else if (stream == WireStream::kBuffer) {
            const bool ready = e.zone != market::Zone::kNotReady;
            append_head(out, "buffer_sample", symbols, e.symbol, stream);
            fmt::format_to(Out(out), R"(,"seq":{})", e.seq);
            append_ms(out, "t_ms", e.t);
            append_optional(out, "s", ready, e.smoothed);
            append_optional(out, "upper", ready, e.upper);
            append_optional(out, "baseline", ready, e.baseline);
            append_optional(out, "lower", ready, e.lower);
            fmt::format_to(Out(out), R"(,"zone":"{}"}})", market::to_string(e.zone));
          } else {
            return false;
          }
        }
        return true;
      },
      event);
}

std::string encode_snapshot(std::string_view id, const market::SymbolRegistry& symbols,
                            const ChannelRef& channel, std::span<const market::Event> events,
                            const market::Event* current, std::uint64_t last_seq, bool resume) {
  std::string out = fmt::format(R"({{"type":"snapshot","id":{},"symbol":)", id);
  append_json_string(out, symbols.info(channel.symbol).name);
  fmt::format_to(Out(out), R"(,"stream":"{}")", to_string(channel.stream));
  if (has_events(channel.stream)) fmt::format_to(Out(out), R"(,"last_seq":{})", last_seq);
  if (resume) out += R"(,"resume":true)";
  out += R"(,"events":[)";
  bool first = true;
  for (const auto& e : events) {
    const std::size_t mark = out.size();
    if (!first) out += ',';
    if (append_event(out, symbols, channel.stream, e)) {
      first = false;
    } else {
      out.resize(mark);
    }
  }
  out += ']';
  const bool has_current = is_candles(channel.stream) || is_intensity(channel.stream) ||
                           channel.stream == WireStream::kBuffer;
  if (has_current) {
    out += R"(,"current":)";
    const std::size_t mark = out.size();
    if (!current || !append_event(out, symbols, channel.stream, *current)) {
      out.resize(mark);
      out += "null";
    }
  }
  out += '}';
  return out;
}

std::string encode_symbols(const market::SymbolRegistry& symbols,
                           std::span<const SymbolQuote> quotes) {
  std::string out = R"({"symbols":[)";
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const auto& info = symbols.info(static_cast<market::SymbolId>(i));
    if (i) out += ',';
    out += R"({"symbol":)";
    append_json_string(out, info.name);
    out += R"(,"tick_size":)";
    append_json_double(out, info.tick_size);
    fmt::format_to(Out(out), R"(,"decimals":{})", info.decimals);
    const SymbolQuote* q = i < quotes.size() ? &quotes[i] : nullptr;
    if (q && q->traded) {
      out += R"(,"last":)";
      append_price(out, info, q->last);
      out += R"(,"change":)";
      append_price(out, info, q->last - q->day_open);
      const double pct = q->day_open > 0 ? 100.0 * static_cast<double>(q->last - q->day_open) /
                                               static_cast<double>(q->day_open)
                                         : 0.0;
      out += R"(,"change_pct":)";
      fmt::format_to(Out(out), "{:.4f}", pct);
    } else {
      out += R"(,"last":null,"change":null,"change_pct":null)";
    }
    out += '}';
  }
  out += R"(],"timeframes":[)";
  for (std::size_t i = 0; i < market::kTimeframeCount; ++i)
    fmt::format_to(Out(out), "{}\"{}\"", i ? "," : "",
                   market::to_string(market::kAllTimeframes[i]));
  out += "]}";
  return out;
}

}  // namespace spacetime::gateway
