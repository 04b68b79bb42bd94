#include "gateway/rest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "market/time.hpp"

namespace spacetime::gateway {
namespace {

constexpr std::size_t kDefaultLimit = 500;
constexpr std::size_t kMaxLimit = 5000;

struct Endpoint {
  std::string_view path;
  store::Series series;
  std::optional<WireStream> stream;  // the stream whose form the rows take
};

constexpr Endpoint kEndpoints[] = {
    {"/api/candles", store::Series::kCandles, std::nullopt},
    {"/api/ticks", store::Series::kTicks, WireStream::kTicks},
    {"/api/intensity", store::Series::kSamples, std::nullopt},
    {"/api/buffer", store::Series::kSamples, WireStream::kBuffer},
    {"/api/spikes", store::Series::kSpikes, WireStream::kSpikes},
    {"/api/reversals", store::Series::kReversals, WireStream::kReversals},
};

}  // namespace

bool is_history_path(std::string_view path) {
  for (const auto& e : kEndpoints) {
    if (e.path == path) return true;
  }
  return false;
}

namespace {

RestAnswer bad(std::string_view parameter, std::string_view message) {
  return {400, bad_parameter(parameter, message)};
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// UTC milliseconds, or ISO-8601; nanoseconds out.
std::optional<std::int64_t> parse_time(std::string_view s) {
  std::int64_t ms = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) {
    if (ms > 9'000'000'000'000 || ms < -9'000'000'000'000) return std::nullopt;
    return ms * 1'000'000;
  }
  if (s.find('T') == std::string_view::npos) return std::nullopt;
  return market::parse_timestamp(s);
}

}  // namespace

std::string bad_parameter(std::string_view parameter, std::string_view message) {
  std::string out = R"({"error":"bad_parameter","parameter":)";
  append_json_string(out, parameter);
  out += R"(,"message":)";
  append_json_string(out, message);
  out += "}";
  return out;
}

std::optional<std::string> url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<RestAnswer> answer_history(std::string_view target,
                                         const market::SymbolRegistry& symbols,
                                         const store::History* history,
                                         Smoothing default_smoothing) {
  std::string_view path = target;
  std::string_view query;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  const Endpoint* endpoint = nullptr;
  for (const auto& e : kEndpoints) {
    if (e.path == path) endpoint = &e;
  }
  if (!endpoint) return std::nullopt;

  std::map<std::string, std::string> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto key = url_decode(pair.substr(0, eq));
    const auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return bad(key ? *key : "query", "malformed %-escape");
    params[*key] = *value;
  }
  static const std::array<std::string_view, 9> kKnown = {
      "symbol", "tf", "from", "to", "limit", "tail", "after_seq", "cursor", "smoother"};
  for (const auto& [k, v] : params) {
    if (std::find(kKnown.begin(), kKnown.end(), std::string_view(k)) == kKnown.end()) {
      return bad(k, "unknown parameter");
    }
  }

  store::HistoryQuery q{.series = endpoint->series, .limit = kDefaultLimit};
  WireStream stream = endpoint->stream.value_or(intensity_stream(default_smoothing));
  const auto symbol_it = params.find("symbol");
  if (symbol_it == params.end()) return bad("symbol", "required");
  const auto symbol = symbols.find(symbol_it->second);
  if (!symbol) return bad("symbol", fmt::format("unknown symbol '{}'", symbol_it->second));
  q.symbol = *symbol;
  if (endpoint->series == store::Series::kCandles) {
    const auto tf_it = params.find("tf");
    if (tf_it == params.end()) return bad("tf", "required (1s, 10s, 1m, 5m, 15m, 1h, 1d)");
    const auto tf = market::parse_timeframe(tf_it->second);
    if (!tf) return bad("tf", "one of 1s, 10s, 1m, 5m, 15m, 1h, 1d");
    q.tf = *tf;
    stream = candles_stream(*tf);
  } else if (params.contains("tf")) {
    return bad("tf", "only /api/candles takes a timeframe");
  }
  if (const auto it = params.find("smoother"); it != params.end()) {
    const auto s = parse_smoothing(it->second);
    if (!s || path != "/api/intensity")
      return bad("smoother", "sma, ema or zlma (/api/intensity only)");
    stream = intensity_stream(*s);
  }
  if (const auto it = params.find("from"); it != params.end()) {
    const auto t = parse_time(it->second);
    if (!t) return bad("from", "UTC milliseconds or ISO-8601 like 2026-01-02T14:30:00Z");
    q.from_ns = *t;
  }
  if (const auto it = params.find("to"); it != params.end()) {
    const auto t = parse_time(it->second);
    if (!t) return bad("to", "UTC milliseconds or ISO-8601 like 2026-01-02T14:30:00Z");
    q.to_ns = *t;
  }
  if (q.from_ns > q.to_ns) return bad("from", "after 'to'");
  if (const auto it = params.find("limit"); it != params.end()) {
    const auto n = parse_uint(it->second);
    if (!n || *n < 1 || *n > kMaxLimit) return bad("limit", fmt::format("1 ... {}", kMaxLimit));
    q.limit = *n;
  }
  if (const auto it = params.find("tail"); it != params.end()) {
    if (it->second != "0" && it->second != "1") return bad("tail", "0 or 1");
    q.newest = it->second == "1";
  }
  if (const auto it = params.find("after_seq"); it != params.end()) {
    const auto n = parse_uint(it->second);
    if (!n) return bad("after_seq", "an integer >= 0");
    q.after_seq = *n;
  }
  if (const auto it = params.find("cursor"); it != params.end()) {
    const auto n = parse_uint(it->second);
    if (!n) return bad("cursor", "the next_cursor of the previous page");
    q.after_seq = std::max(q.after_seq, *n);
  }

  store::HistoryPage page;
  if (history) {
    try {
      page = history->query(q);
    } catch (const store::StoreError& e) {
      std::string body = R"({"error":"store_unavailable","message":)";
      append_json_string(body, e.what());
      body += "}";
      return RestAnswer{503, std::move(body)};
    }
  }
  std::string body = R"({"symbol":)";
  append_json_string(body, symbols.info(q.symbol).name);
  fmt::format_to(std::back_inserter(body), R"(,"series":"{}")", path.substr(5));
  if (q.series == store::Series::kCandles) {
    fmt::format_to(std::back_inserter(body), R"(,"tf":"{}")", market::to_string(q.tf));
  }
  body += R"(,"rows":[)";
  bool first = true;
  for (const auto& e : page.rows) {
    const std::size_t mark = body.size();
    if (!first) body += ',';
    if (append_event(body, symbols, stream, e)) {
      first = false;
    } else {
      body.resize(mark);
    }
  }
  fmt::format_to(std::back_inserter(body), R"(],"more":{},"next_cursor":)",
                 page.more ? "true" : "false");
  if (page.more && !q.newest && !page.rows.empty()) {
    fmt::format_to(std::back_inserter(body), R"("{}")", market::channel_seq(page.rows.back()));
  } else {
    body += "null";
  }
  body += "}";
  return RestAnswer{200, std::move(body)};
}

namespace {

struct HostPort {
  std::string host;  // lower case; IPv6 with its brackets
  std::string port;  // empty: none given
};

std::optional<HostPort> split_host(std::string_view s) {
  if (s.empty()) return std::nullopt;
  HostPort out;
  std::string_view host = s;
  std::string_view port;
  if (s.front() == '[') {  // [::1]:8080
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(0, close + 1);
    const auto rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (host.empty() || host.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
  if (port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  if (s.find(':') != std::string_view::npos && port.empty() && s.front() != '[')
    return std::nullopt;
  out.host.reserve(host.size());
  for (const char c : host)
    out.host += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  out.port = std::string(port);
  return out;
}

}  // namespace

bool same_origin(std::string_view origin, std::string_view host, bool tls) {
  std::string_view scheme;
  if (origin.starts_with("https://")) {
    scheme = "https";
  } else if (origin.starts_with("http://") && !tls) {
    scheme = "http";
  } else {
    return false;  // another scheme, `null`, or http:// to a TLS port
  }
  const auto o = split_host(origin.substr(scheme.size() + 3));
  const auto h = split_host(host);
  if (!o || !h) return false;
  const std::string default_port = scheme == "https" ? "443" : "80";
  const std::string& op = o->port.empty() ? default_port : o->port;
  const std::string& hp = h->port.empty() ? default_port : h->port;
  return o->host == h->host && op == hp;
}

}  // namespace spacetime::gateway
