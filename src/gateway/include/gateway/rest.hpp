// The JSON HTTP API of docs/PROTOCOL.md § HTTP that reads history: /api/candles, /api/ticks,
// /api/intensity, /api/buffer, /api/spikes, /api/reversals. Beast-free: a target string in,
// a status and a body out, so tests drive it without sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/protocol.hpp"
#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::gateway {

struct RestAnswer {
  int status = 200;
  std::string body;
};

// Whether a WebSocket upgrade's Origin header names the server the request was sent to
// (its Host header): the same host (case-insensitive) and port (the scheme's default, 80
// or 443, when absent), and the scheme the browser used to reach it: `https` when the
// gateway terminates TLS itself (tls), else `http` or `https` (a proxy such as nginx may
// terminate TLS in front of it and pass Host on). Anything unparsable does not match.
bool same_origin(std::string_view origin, std::string_view host, bool tls);

// True for the paths answer_history() answers (the part of the target before '?').
bool is_history_path(std::string_view path);

// Answers a history request; nullopt when the path is not one of the history endpoints.
// Thread-safe when history is (every store is): the gateway runs it on worker threads.
// history may be null (no store): every query then answers with no rows.
std::optional<RestAnswer> answer_history(std::string_view target,
                                         const market::SymbolRegistry& symbols,
                                         const store::History* history,
                                         Smoothing default_smoothing);

// A 400 body naming the parameter: {"error":"bad_parameter","parameter":...,"message":...}.
std::string bad_parameter(std::string_view parameter, std::string_view message);

// Decodes %XX and '+' of a query-string component; nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view s);

}  // namespace spacetime::gateway
