// The JSON wire format of docs/PROTOCOL.md: encoders for server frames and the parser of
// client requests. No Boost here, so it compiles fast and is tested on its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "market/symbol.hpp"
#include "market/timeframe.hpp"
#include "store/candle_history.hpp"

namespace spacetime::gateway {

struct SubscribeRequest {
  market::SymbolId symbol = 0;
  market::Timeframe tf = market::Timeframe::k1s;
};
struct UnsubscribeRequest {
  market::SymbolId symbol = 0;
  market::Timeframe tf = market::Timeframe::k1s;
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

// Appends s as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace spacetime::gateway
