// The JSON wire format of docs/PROTOCOL.md (version 2): the streams a client can
// subscribe to, the parser of client requests and the encoders of server messages. No
// Boost and no sockets here, so it compiles fast and is tested on its own; the fan-out
// hub and the REST handlers build every frame from these functions, once per format.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "market/event.hpp"
#include "market/symbol.hpp"
#include "market/timeframe.hpp"

namespace spacetime::gateway {

inline constexpr int kProtocolVersion = 2;

// The streams of the wire: candles per timeframe (same order as market::Timeframe), ticks,
// intensity per smoothing, buffer, spikes, reversals.
enum class WireStream : std::uint8_t {
  kCandles1s,
  kCandles10s,
  kCandles1m,
  kCandles5m,
  kCandles15m,
  kCandles1h,
  kCandles1d,
  kTicks,
  kIntensitySma,
  kIntensityEma,
  kIntensityZlma,
  kBuffer,
  kSpikes,
  kReversals,
};
inline constexpr std::size_t kWireStreamCount = 14;

// "candles:1m", "ticks", "intensity:ema", "buffer", "spikes", "reversals".
std::string_view to_string(WireStream s);
std::optional<WireStream> parse_wire_stream(std::string_view name);
constexpr bool is_candles(WireStream s) {
  return static_cast<std::size_t>(s) < market::kTimeframeCount;
}
constexpr bool is_intensity(WireStream s) {
  return s == WireStream::kIntensitySma || s == WireStream::kIntensityEma ||
         s == WireStream::kIntensityZlma;
}
// Streams whose events are numbered and never conflated (candles: the closed ones).
constexpr bool has_events(WireStream s) {
  return is_candles(s) || s == WireStream::kTicks || s == WireStream::kSpikes ||
         s == WireStream::kReversals;
}
constexpr WireStream candles_stream(market::Timeframe tf) {
  return static_cast<WireStream>(market::index_of(tf));
}
constexpr market::Timeframe timeframe_of(WireStream s) {
  return market::kAllTimeframes[static_cast<std::size_t>(s)];
}

// Which smoothing of intensity: the engine computes all three, the stream picks one.
enum class Smoothing : std::uint8_t { kSma, kEma, kZlma };
std::string_view to_string(Smoothing s);
std::optional<Smoothing> parse_smoothing(std::string_view name);
WireStream intensity_stream(Smoothing s);

struct ChannelRef {
  market::SymbolId symbol = 0;
  WireStream stream = WireStream::kCandles1s;
  friend bool operator==(const ChannelRef&, const ChannelRef&) = default;
};

// Stable error codes of `error` replies (docs/PROTOCOL.md).
enum class ErrorCode : std::uint8_t {
  kBadJson,
  kTooDeep,
  kBadRequest,
  kUnknownOp,
  kUnknownSymbol,
  kUnknownStream,
  kBadHistory,
  kTooManySubscriptions,
  kRateLimited,
  kNotReplay,  // a replay operation on a server that is not replaying a file
  kForbidden,  // the token lacks the role the operation needs (docs/PROTOCOL.md § Auth)
};
inline constexpr std::size_t kErrorCodeCount = 11;
std::string_view to_string(ErrorCode code);

// A request id as the JSON text to echo: `7`, `"abc"`, or `null` when the client sent none.
using RequestId = std::string;

struct SubscribeRequest {
  RequestId id;
  std::vector<ChannelRef> channels{};
  std::int64_t history_ns = 0;
};
struct UnsubscribeRequest {
  RequestId id;
  std::vector<ChannelRef> channels{};
};
struct ResumeRequest {
  RequestId id;
  std::vector<std::pair<ChannelRef, std::uint64_t>> channels{};  // channel, last seq seen
};
struct PingRequest {
  RequestId id;
};
// `{"op":"replay","action":"status"|"pause"|"resume"|"speed","speed":10}`: steers a file
// replay (`serve --feed file`).
enum class ReplayAction : std::uint8_t { kStatus, kPause, kResume, kSpeed };
struct ReplayRequest {
  RequestId id;
  ReplayAction action = ReplayAction::kStatus;
  double speed = 0;  // kSpeed: finite and > 0 (the replay checks its own range)
};
// `{"op":"auth","id":1,"token":"<jwt>"}`: the first message when auth is on, and later a
// refreshed token for the same subject.
struct AuthRequest {
  RequestId id;
  std::string token;
};
struct BadRequest {
  RequestId id;
  ErrorCode code = ErrorCode::kBadRequest;
  std::string message;
};
using ClientRequest = std::variant<SubscribeRequest, UnsubscribeRequest, ResumeRequest, PingRequest,
                                   ReplayRequest, AuthRequest, BadRequest>;

struct ParseLimits {
  std::int64_t history_default_ns = 600 * market::kNanosPerSecond;
  std::int64_t history_max_ns = 7 * 86400 * market::kNanosPerSecond;
  std::size_t max_depth = 8;
};

// Never throws: every malformed input becomes a BadRequest with its code.
ClientRequest parse_client_message(std::string_view text, const market::SymbolRegistry& symbols,
                                   const ParseLimits& limits);

// Only the auth op (before a session is authenticated): nullopt for anything else.
std::optional<AuthRequest> parse_auth_message(std::string_view text);

// "90s", "10m", "2h", "1d" or a number of seconds; nullopt when malformed or negative.
std::optional<std::int64_t> parse_duration_ns(std::string_view text);

// ---- server messages ----

struct HelloLimits {
  std::size_t max_message_bytes = 4096;
  // Auth on: an `auth` message (and only that op) may be this long; 0 (auth off): not sent.
  std::size_t max_auth_message_bytes = 0;
  std::size_t max_subscriptions = 2000;
  double requests_per_s = 20;
  double request_burst = 40;
  std::int64_t history_max_s = 7 * 86400;
  std::size_t snapshot_max_events = 5000;
  std::size_t high_water_bytes = 1 << 20;
  std::size_t hard_limit_bytes = 8 << 20;
  int grace_ms = 5000;
  int ping_interval_ms = 5000;
  int ping_timeout_ms = 15000;
};

std::string encode_hello(const market::SymbolRegistry& symbols, int flush_ms,
                         const HelloLimits& limits, std::int64_t now_ms);
std::string encode_ok(std::string_view id, std::string_view op, std::size_t channels);
std::string encode_error(std::string_view id, ErrorCode code, std::string_view message);
// `{"type":"ok","id":..,"op":"auth","sub":..,"exp":..,"roles":[..]}`
std::string encode_auth_ok(std::string_view id, std::string_view sub, std::int64_t exp,
                           std::span<const std::string> roles);
std::string encode_pong(std::string_view id, std::int64_t now_ms);

// Where a file replay stands, as the `replay` reply carries it.
struct ReplayStatus {
  bool paused = false;
  bool finished = false;
  double speed = 1.0;
  std::int64_t clock_ms = 0;  // the file's time now (UTC ms); 0 before its first tick
};
// `{"type":"ok","id":..,"op":"replay","replay":{"paused":..,"finished":..,"speed":..,"clock_ms":..}}`
std::string encode_replay_ok(std::string_view id, const ReplayStatus& status);
std::string encode_gap(const market::SymbolRegistry& symbols, const ChannelRef& channel,
                       std::uint64_t from, std::uint64_t to, std::string_view reason);
std::string encode_lagging(std::size_t queued_bytes, std::size_t high_water_bytes);
std::string encode_caught_up();

// One event as it appears on a stream, appended to out as a JSON object. The stream
// decides the form: intensity events and samples show the stream's smoothing, samples are
// intensity_sample or buffer_sample. Events that do not belong on the stream append
// nothing and return false.
bool append_event(std::string& out, const market::SymbolRegistry& symbols, WireStream stream,
                  const market::Event& event);

// A snapshot message (docs/PROTOCOL.md § snapshot). `current` is the candle in progress
// or the latest value; nullptr writes null (value and candle streams) or nothing.
std::string encode_snapshot(std::string_view id, const market::SymbolRegistry& symbols,
                            const ChannelRef& channel, std::span<const market::Event> events,
                            const market::Event* current, std::uint64_t last_seq, bool resume);

// The list of symbols with last price and change (/api/symbols).
struct SymbolQuote {
  bool traded = false;
  std::int64_t last = 0;      // price ticks
  std::int64_t day_open = 0;  // open of the current daily bar
};
std::string encode_symbols(const market::SymbolRegistry& symbols,
                           std::span<const SymbolQuote> quotes);

// Appends s as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, std::string_view s);
// Appends a double; NaN and infinities as null (JSON has no such numbers).
void append_json_double(std::string& out, double v);

}  // namespace spacetime::gateway
