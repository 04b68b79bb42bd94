// The JSON wire format of docs/PROTOCOL.md: encoders for server frames and the parser of
// client requests. No Boost here, so it compiles fast and is tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "market/event.hpp"
#include "market/symbol.hpp"
#include "market/timeframe.hpp"
#include "store/candle_history.hpp"

namespace spacetime::gateway {

// Which smoothing of intensity a client wants to see (the engine computes all three).
enum class Smoothing : std::uint8_t { kSma, kEma, kZlma };
inline constexpr std::size_t kSmoothingCount = 3;
std::string_view to_string(Smoothing s);

// A subscription is a channel: (symbol, stream). Candle streams are one per timeframe.
struct SubscribeRequest {
  market::SymbolId symbol = 0;
  market::Stream stream = market::Stream::kCandle1s;
  std::optional<Smoothing> smoothing;  // intensity only; nullopt: the server's default
};
struct UnsubscribeRequest {
  market::SymbolId symbol = 0;
  market::Stream stream = market::Stream::kCandle1s;
};
struct PingRequest {
  std::int64_t id = 0;
};
// A message the server cannot act on: what was wrong, to be sent back as an error frame.
struct BadRequest {
  std::string message;
};
using ClientRequest = std::variant<SubscribeRequest, UnsubscribeRequest, PingRequest, BadRequest>;

// Never throws: every malformed input becomes a BadRequest.
ClientRequest parse_client_message(std::string_view text, const market::SymbolRegistry& symbols);

std::string encode_hello(const market::SymbolRegistry& symbols, int flush_ms);
std::string encode_symbols(const market::SymbolRegistry& symbols);
std::string encode_snapshot(const market::SymbolRegistry& symbols, market::SymbolId symbol,
                            market::Timeframe tf, const store::CandleSnapshot& snapshot);
std::string encode_error(std::string_view message);
std::string encode_pong(std::int64_t id);

// One candle event object of a batch frame, appended to out.
void append_candle_event(std::string& out, const market::SymbolRegistry& symbols,
                         market::SymbolId symbol, market::Timeframe tf, bool closed,
                         const store::StoredCandle& candle);

// The name of a stream on the wire: "candles" for every timeframe, "intensity", "buffer",
// "spikes", "reversals".
std::string_view stream_name(market::Stream stream);

// Indicator events, one JSON object each, appended to out. Times are UTC milliseconds
// (t_ms): JavaScript numbers cannot hold nanoseconds since the epoch exactly.
void append_intensity_event(std::string& out, const market::SymbolRegistry& symbols,
                            const market::IntensityEvent& e, Smoothing smoothing);
void append_indicator_event(std::string& out, const market::SymbolRegistry& symbols,
                            const market::Event& e);

// The answer to subscribing to an indicator stream: the recent events the gateway holds.
std::string encode_event_snapshot(const market::SymbolRegistry& symbols, market::SymbolId symbol,
                                  market::Stream stream, std::span<const market::Event> events,
                                  Smoothing smoothing);

// Appends s as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace spacetime::gateway
