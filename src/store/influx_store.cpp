#include "store/influx_store.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <regex>
#include <thread>

#include "fields.hpp"
#include "http_client.hpp"
#include "store/line_protocol.hpp"

namespace spacetime::store {
namespace {

using detail::table_of;

// InfluxDB's valid timestamps stop short of the int64 limits.
constexpr std::int64_t kMinTime = -9'223'372'036'854'775'806;
constexpr std::int64_t kMaxTime = 9'223'372'036'854'775'806;

// Several ticks, spikes or reversals of a symbol can share a timestamp (a clamped feed
// clock); a point is identified by measurement, tags and time, so a small tag from the
// channel number keeps them apart without one series per event.
constexpr std::uint64_t kSlots = 64;
bool slotted(Series s) {
  return s == Series::kTicks || s == Series::kSpikes || s == Series::kReversals;
}

std::string gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw StoreError("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw StoreError("gzip: deflate failed");
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                   static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size())
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// "%XX" escapes of a URL's user or password.
std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string error_of(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view msg;
  if (!parser.parse(body).get(doc) && !doc["error"].get(msg)) return std::string(msg);
  return body.substr(0, 200);
}

// InfluxDB's "the database does not exist" (1.x: "database not found: DB" in the results;
// InfluxDB 3: HTTP 404 with it).
bool database_not_found(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("database") != std::string::npos &&
         lower.find("not found") != std::string::npos;
}

// The schema check could not tell what the database holds: one line, and start-up stops
// (StoreUnavailable when trying again later may answer, StoreError when it will not).
[[noreturn]] void refuse_schema_check(const std::string& url, const std::string& db,
                                      bool unavailable, const std::string& why) {
  std::string msg =
      fmt::format("store {}: cannot read the schema version of database {}: {}", url, db, why);
  std::replace_if(
      msg.begin(), msg.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (unavailable) throw StoreUnavailable(msg);
  throw StoreError(msg);
}

// Schema 2 (kSchemaVersion): influxd's write cost is per field value, not per point or
// byte (docs/PERFORMANCE.md), so candles, ticks and samples are stored as two fields:
// `seq` (page cursors and max("seq") read it) and one packed string with the rest,
// bit-exact (docs/OPERATIONS.md lists the layout). Spikes and reversals (rare) keep a
// field per value.
bool compact(Series s) {
  return s == Series::kCandles || s == Series::kTicks || s == Series::kSamples;
}

// Appends " seq=…i,packed=\"…\"" for a compact series' event; false for the others.
bool append_compact_fields(std::string& body, const market::Event& e) {
  auto fields = [&](std::uint64_t seq, auto first, auto... rest) {
    body += " seq=";
    append_packed(body, static_cast<std::int64_t>(seq));
    body += "i,packed=\"";
    append_packed(body, first);
    ((body += ',', append_packed(body, rest)), ...);
    body += '"';
  };
  auto i64 = [](auto v) { return detail::to_int(v); };
  if (const auto* c = std::get_if<market::CandleEvent>(&e)) {
    // Only closed bars are stored here (series_of): `closed` is not.
    const std::int64_t flags = (c->volume_zlma_ready ? 1 : 0) | (c->bar_intensity_ready ? 2 : 0);
    fields(c->seq, c->candle.open, c->candle.high, c->candle.low, c->candle.close, c->candle.volume,
           c->candle.first_ns, c->candle.last_ns, i64(c->candle.ticks), flags, c->volume_zlma,
           c->bar_intensity);
    return true;
  }
  if (const auto* t = std::get_if<market::TickEvent>(&e)) {
    fields(t->seq, i64(t->tick_seq), t->price, t->size, t->bid, t->ask);
    return true;
  }
  if (const auto* x = std::get_if<market::SampleEvent>(&e)) {
    const std::int64_t flags = (x->sma_ready ? 1 : 0) | (x->ema_ready ? 2 : 0) |
                               (x->zlma_ready ? 4 : 0) | i64(x->zone) << 3;
    fields(x->seq, x->t_last, x->raw_last, x->raw_min, x->raw_max, flags, x->sma, x->ema, x->zlma,
           x->smoothed, x->upper, x->baseline, x->lower);
    return true;
  }
  return false;
}

// The event of a compact series' point from its time, `seq` and packed field.
market::Event read_compact(Series s, market::SymbolId symbol, market::Timeframe tf,
                           std::int64_t time, std::uint64_t seq, std::string_view packed) {
  PackedReader r(packed);
  market::Event out;
  if (s == Series::kCandles) {
    market::CandleEvent c{.symbol = symbol, .tf = tf, .closed = true, .seq = seq};
    c.candle.start_ns = time;
    c.candle.open = r.next_int();
    c.candle.high = r.next_int();
    c.candle.low = r.next_int();
    c.candle.close = r.next_int();
    c.candle.volume = r.next_int();
    c.candle.first_ns = r.next_int();
    c.candle.last_ns = r.next_int();
    c.candle.ticks = static_cast<std::uint32_t>(r.next_int());
    const std::int64_t flags = r.next_int();
    c.volume_zlma_ready = (flags & 1) != 0;
    c.bar_intensity_ready = (flags & 2) != 0;
    c.volume_zlma = r.next_real();
    c.bar_intensity = r.next_real();
    out = c;
  } else if (s == Series::kTicks) {
    market::TickEvent t{.symbol = symbol, .seq = seq, .t = time};
    t.tick_seq = static_cast<std::uint64_t>(r.next_int());
    t.price = r.next_int();
    t.size = r.next_int();
    t.bid = r.next_int();
    t.ask = r.next_int();
    out = t;
  } else {
    market::SampleEvent x{.symbol = symbol, .seq = seq, .t = time};
    x.t_last = r.next_int();
    x.raw_last = r.next_real();
    x.raw_min = r.next_real();
    x.raw_max = r.next_real();
    const std::int64_t flags = r.next_int();
    x.sma_ready = (flags & 1) != 0;
    x.ema_ready = (flags & 2) != 0;
    x.zlma_ready = (flags & 4) != 0;
    x.zone = static_cast<market::Zone>((flags >> 3) & 3);
    x.sma = r.next_real();
    x.ema = r.next_real();
    x.zlma = r.next_real();
    x.smoothed = r.next_real();
    x.upper = r.next_real();
    x.baseline = r.next_real();
    x.lower = r.next_real();
    out = x;
  }
  if (!r.done()) throw StoreError("packed field: too many values");
  return out;
}

}  // namespace

void append_measurement(std::string& out, std::string_view name) {
  for (const char c : name) {
    if (c == ',' || c == ' ') out += '\\';
    out += c;
  }
}

void append_tag(std::string& out, std::string_view s) {
  for (const char c : s) {
    if (c == ',' || c == ' ' || c == '=') out += '\\';
    out += c;
  }
}

void append_string_field(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string influxql_string(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string influxql_identifier(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void append_packed(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void append_packed(std::string& out, double value) {
  char buf[32];
  if (std::isfinite(value)) {
    const auto r = std::to_chars(buf, buf + sizeof buf, value);  // shortest round trip
    out.append(buf, r.ptr);
    return;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, std::bit_cast<std::uint64_t>(value), 16);
  out += '#';
  out.append(16 - static_cast<std::size_t>(r.ptr - buf), '0');
  out.append(buf, r.ptr);
}

std::string_view PackedReader::next() {
  if (rest_.empty()) throw StoreError("packed field: too few values");
  const auto comma = rest_.find(',');
  const std::string_view v = rest_.substr(0, comma);
  rest_ = comma == std::string_view::npos ? std::string_view{} : rest_.substr(comma + 1);
  return v;
}

std::int64_t PackedReader::next_int() {
  const std::string_view v = next();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size()) {
    throw StoreError(fmt::format("packed field: '{}' is not an integer", v));
  }
  return out;
}

double PackedReader::next_real() {
  const std::string_view v = next();
  double out = 0;
  if (!v.empty() && v.front() == '#') {
    std::uint64_t bits = 0;
    const auto [end, ec] = std::from_chars(v.data() + 1, v.data() + v.size(), bits, 16);
    if (ec != std::errc{} || end != v.data() + v.size() || v.size() != 17) {
      throw StoreError(fmt::format("packed field: '{}' is not a double's bits", v));
    }
    return std::bit_cast<double>(bits);
  }
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size()) {
    throw StoreError(fmt::format("packed field: '{}' is not a number", v));
  }
  return out;
}

InfluxUrl parse_influx_url(const std::string& url) {
  static const std::regex kUrl(
      R"(influxdb://(?:([^:@/]*)(?::([^@/]*))?@)?([^/:@]+):(\d+)/([^/?]+))");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    // The URL may hold a password: name it without.
    static const std::regex kPassword(R"(^(influxdb://[^:@/]*:)[^@/]*@)");
    throw StoreError(fmt::format("store {}: expected influxdb://[USER:PASSWORD@]HOST:PORT/DB",
                                 std::regex_replace(url, kPassword, "$1***@")));
  }
  InfluxUrl out;
  out.user = url_decode(m.str(1));
  out.password = url_decode(m.str(2));
  out.host = m[3];
  unsigned port = 0;
  const std::string digits = m.str(4);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || port == 0 || port > 65535) {
    throw StoreError(fmt::format("store influxdb://{}:{}/{}: port {} is out of range", m.str(3),
                                 digits, m.str(5), digits));
  }
  out.port = static_cast<std::uint16_t>(port);
  out.db = m[5];
  out.display = m[1].matched ? fmt::format("influxdb://{}{}@{}:{}/{}", m.str(1),
                                           m[2].matched ? ":***" : "", out.host, out.port, out.db)
                             : url;
  if (!out.user.empty()) {
    out.authorization = "Authorization: Basic " + base64(out.user + ":" + out.password);
  }
  return out;
}

InfluxStore::InfluxStore(const market::SymbolRegistry& symbols, const std::string& url)
    : symbols_(symbols) {
  const InfluxUrl parsed = parse_influx_url(url);
  url_ = parsed.display;
  host_ = parsed.host;
  port_ = parsed.port;
  db_ = parsed.db;
  if (!parsed.authorization.empty()) auth_.push_back(parsed.authorization);
  http_ = std::make_unique<detail::HttpClient>(host_, port_, std::chrono::milliseconds(5000));
  try {
    const auto ping = http_->request("GET", "/ping", "");
    if (ping.status != 204 && ping.status != 200) {
      throw StoreError(fmt::format("store {}: /ping answered HTTP {}", url_, ping.status));
    }
  } catch (const StoreUnavailable& e) {
    throw StoreUnavailable(fmt::format("store {}: {}", url_, e.what()));
  }
  // InfluxDB 1.x refuses writes to a missing database; creating one that exists is a no-op.
  // With authentication the user may not be allowed to (403): then the database must exist.
  // A refused login (401: wrong user or password, or none where one is needed) stops here.
  auto headers = auth_;
  headers.push_back("Content-Type: application/x-www-form-urlencoded");
  const auto created = http_->request(
      "POST", "/query?q=" + detail::url_encode("CREATE DATABASE " + influxql_identifier(db_)), "",
      headers);
  if (created.status == 401) {
    throw StoreError(
        fmt::format("store {}: authentication failed: {}", url_, error_of(created.body)));
  }
  check_schema();
}

void InfluxStore::check_schema() {
  // The schema version is a point of the `schema` measurement (field `version`). A database
  // without one is new, or holds schema 1 (before 2026-12-03: a field per value, no version
  // point), told by its field keys. Only a clean answer makes a database new: every
  // statement answered without an error (no series: no such measurement or field), or the
  // database itself not found (InfluxDB 1.x: an `error` in the results; InfluxDB 3 before
  // the first write: HTTP 404). Anything else -- an HTTP error, an error of a statement, an
  // answer that is not InfluxDB's JSON -- refuses to open the store: stamping schema 2 on a
  // database whose version could not be read would hide a schema 1 database behind it.
  const auto refuse = [&](bool unavailable, const std::string& why) {
    refuse_schema_check(url_, db_, unavailable, why);
  };
  constexpr std::int64_t kStatements = 4;
  const detail::HttpResponse r = query_response(
      "SELECT last(\"version\") FROM \"schema\"; SHOW FIELD KEYS FROM \"candles\"; "
      "SHOW FIELD KEYS FROM \"ticks\"; SHOW FIELD KEYS FROM \"samples\"",
      false);
  std::int64_t version = 0;
  bool schema1 = false;
  bool missing_database = false, not_executed = false;
  if (r.status == 404 && database_not_found(error_of(r.body))) {
    missing_database = true;
  } else if (r.status != 200) {
    refuse(r.status >= 500, fmt::format("query answered HTTP {}: {}", r.status, error_of(r.body)));
  } else {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array results;
    if (parser.parse(r.body).get(doc) || doc["results"].get(results)) {
      refuse(false,
             fmt::format("the answer is not InfluxDB's query JSON: {}", r.body.substr(0, 200)));
    }
    std::vector<bool> answered(kStatements, false);
    try {
      for (simdjson::dom::element result : results) {
        std::string_view error;
        if (!result["error"].get(error)) {
          if (database_not_found(error)) {
            missing_database = true;
            continue;
          }
          // InfluxDB 1.x answers a query of several statements on a missing database with
          // only "not executed"; one statement alone says why (below).
          if (error == "not executed") {
            not_executed = true;
            continue;
          }
          refuse(true, fmt::format("the query answered: {}", error));
        }
        std::int64_t statement = -1;
        if (result["statement_id"].get(statement) || statement < 0 || statement >= kStatements) {
          refuse(false,
                 fmt::format("the answer is not InfluxDB's query JSON: {}", r.body.substr(0, 200)));
        }
        answered[static_cast<std::size_t>(statement)] = true;
        simdjson::dom::array series;
        if (result["series"].get(series)) continue;  // no such measurement or field
        for (simdjson::dom::element s : series) {
          for (simdjson::dom::element v : s["values"].get_array()) {
            simdjson::dom::array row = v.get_array();
            if (statement == 0) {
              version = std::max(version, std::int64_t(row.at(1)));
            } else {
              const std::string_view key = row.at(0);
              // Fields only schema 1 has: candles' open, ticks' bid, samples' raw_min.
              schema1 = schema1 || key == "open" || key == "bid" || key == "raw_min";
            }
          }
        }
      }
    } catch (const simdjson::simdjson_error& e) {
      refuse(false, fmt::format("the answer is not InfluxDB's query JSON ({}): {}", e.what(),
                                r.body.substr(0, 200)));
    }
    if (not_executed && !missing_database) {
      const detail::HttpResponse one =
          query_response("SELECT last(\"version\") FROM \"schema\"", false);
      std::string why = one.body.substr(0, 200);
      simdjson::dom::parser p1;
      simdjson::dom::element d1;
      simdjson::dom::array r1;
      std::string_view e1;
      if (one.status == 200 && !p1.parse(one.body).get(d1) && !d1["results"].get(r1) &&
          r1.size() == 1 && !r1.at(0)["error"].get(e1)) {
        why = std::string(e1);
      }
      if (!database_not_found(why))
        refuse(true, fmt::format("the query answered: not executed ({})", why));
      missing_database = true;
    }
    if (!missing_database && std::count(answered.begin(), answered.end(), true) != kStatements) {
      refuse(false, fmt::format("the answer lacks statements: {}", r.body.substr(0, 200)));
    }
  }
  if (version == 0 && schema1) version = 1;
  if (version > kSchemaVersion) {
    throw StoreError(fmt::format(
        "store {}: database {} holds InfluxDB schema {}, written by a newer SpaceTime; this "
        "build reads schema {} (docs/OPERATIONS.md, InfluxDB)",
        url_, db_, version, kSchemaVersion));
  }
  if (version != 0 && version < kSchemaVersion) {
    throw StoreError(fmt::format(
        "store {}: database {} holds InfluxDB schema {} (a field per value, before "
        "2026-12-03); this build writes schema {} (packed fields) and does not migrate it: "
        "point the URL at a new database, or drop this one (docs/OPERATIONS.md, InfluxDB)",
        url_, db_, version, kSchemaVersion));
  }
  if (version == kSchemaVersion) return;
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  post_write(*http_, fmt::format("schema version={}i {}\n", kSchemaVersion, now));
}

InfluxStore::~InfluxStore() = default;

std::string InfluxStore::describe() const {
  return fmt::format("{} (InfluxDB 1.x API: line protocol, gzip, InfluxQL; every series)", url_);
}

void InfluxStore::write(std::span<const market::Event> events) {
  std::string body;
  body.reserve(events.size() * 160);
  for (const auto& e : events) {
    const auto series = series_of(e);
    if (!series) continue;
    const market::SymbolId id = market::symbol_of(e);
    if (id >= symbols_.size()) continue;
    append_measurement(body, table_of(*series));
    body += ",symbol=";
    append_tag(body, symbols_.info(id).name);
    if (const auto* c = std::get_if<market::CandleEvent>(&e)) {
      body += ",tf=";
      body += market::to_string(c->tf);
    }
    if (slotted(*series))
      fmt::format_to(std::back_inserter(body), ",k={}", market::channel_seq(e) % kSlots);
    if (append_compact_fields(body, e)) {
      body += ' ';
      append_packed(body, market::event_time(e));
      body += '\n';
      continue;
    }
    char sep = ' ';
    detail::with_row(e, [&](const auto& row) {
      detail::visit_fields(row, [&](const char* name, const auto& field) {
        using T = std::decay_t<decltype(field)>;
        const std::string_view n = name;
        if (n == "t" || n == "tf") return;  // the timestamp and a tag
        if constexpr (detail::kIsReal<T>) {
          if (!std::isfinite(field)) return;  // line protocol has no NaN or infinity
          body += sep;
          append_tag(body, n);
          fmt::format_to(std::back_inserter(body), "={}", field);
        } else {
          body += sep;
          append_tag(body, n);
          fmt::format_to(std::back_inserter(body), "={}i", detail::to_int(field));
        }
        sep = ',';
      });
    });
    fmt::format_to(std::back_inserter(body), " {}\n", market::event_time(e));
  }
  if (body.empty()) return;
  // Two requests in flight: InfluxDB can parse and index them on two cores, and a WAL sync
  // of one overlaps the other's work. (On the busy 2-core test machine no gain over one
  // could be measured; docs/PERFORMANCE.md.)
  const auto points = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  const std::size_t parts = std::clamp<std::size_t>(points / kMinPointsPerRequest, 1, kInFlight);
  std::vector<std::string_view> chunks;
  const std::string_view all = body;
  for (std::size_t from = 0; from < all.size();) {
    std::size_t to = all.size();
    if (chunks.size() + 1 < parts) {
      const auto cut = all.find('\n', std::max(from, all.size() * (chunks.size() + 1) / parts));
      if (cut != std::string_view::npos) to = cut + 1;
    }
    chunks.push_back(all.substr(from, to - from));
    from = to;
  }
  std::lock_guard lock(write_mutex_);
  while (writers_.size() < chunks.size()) {
    writers_.push_back(
        std::make_unique<detail::HttpClient>(host_, port_, std::chrono::milliseconds(5000)));
  }
  std::vector<std::exception_ptr> errors(chunks.size());
  auto send = [&](std::size_t i) {
    try {
      post_write(*writers_[i], chunks[i]);
    } catch (const StoreError&) {
      errors[i] = std::current_exception();  // rethrown below, after every request ended
    }
  };
  {
    std::vector<std::jthread> in_flight;
    for (std::size_t i = 1; i < chunks.size(); ++i)
      in_flight.emplace_back([&send, i] {
        pthread_setname_np(pthread_self(), "influx-write");  // in top -H, perf, gdb
        send(i);
      });
    send(0);
  }
  // An unreachable server first: the whole batch is then spooled and written again (points
  // replace themselves), also the parts that went through.
  for (const auto& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const StoreUnavailable&) {
      throw;
    } catch (const StoreError&) {
    }
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

void InfluxStore::post_write(detail::HttpClient& http, std::string_view lines) const {
  const std::string compressed = gzip(lines);
  detail::HttpResponse r;
  try {
    auto headers = auth_;
    headers.insert(headers.end(), {"Content-Encoding: gzip", "Content-Type: text/plain"});
    r = http.request("POST", "/write?db=" + detail::url_encode(db_) + "&precision=ns", compressed,
                     headers);
  } catch (const StoreUnavailable& e) {
    throw StoreUnavailable(fmt::format("store {}: {}", url_, e.what()));
  }
  if (r.status == 204 || r.status == 200) return;
  const std::string msg =
      fmt::format("store {}: write answered HTTP {}: {}", url_, r.status, error_of(r.body));
  if (r.status >= 500 || r.status == 429) throw StoreUnavailable(msg);
  throw StoreError(msg);
}

detail::HttpResponse InfluxStore::query_response(const std::string& q, bool post) const {
  std::lock_guard lock(mutex_);
  const std::string target =
      "/query?db=" + detail::url_encode(db_) + "&epoch=ns&q=" + detail::url_encode(q);
  try {
    return http_->request(post ? "POST" : "GET", target, "", auth_);
  } catch (const StoreUnavailable& e) {
    throw StoreUnavailable(fmt::format("store {}: {}", url_, e.what()));
  }
}

std::string InfluxStore::run_query(const std::string& q, bool post) const {
  const detail::HttpResponse r = query_response(q, post);
  if (r.status != 200) {
    const std::string msg =
        fmt::format("store {}: query answered HTTP {}: {}", url_, r.status, error_of(r.body));
    if (r.status >= 500) throw StoreUnavailable(msg);
    throw StoreError(msg);
  }
  return r.body;
}

HistoryPage InfluxStore::query(const HistoryQuery& q) const {
  HistoryPage page;
  if (q.limit == 0 || q.symbol >= symbols_.size()) return page;
  const std::size_t want = std::min<std::size_t>(q.limit, 1u << 30) + 1;
  std::string where = fmt::format("\"symbol\"={} AND \"seq\" > {} AND time >= {} AND time < {}",
                                  influxql_string(symbols_.info(q.symbol).name), q.after_seq,
                                  std::clamp(q.from_ns, kMinTime, kMaxTime),
                                  std::clamp(q.to_ns, kMinTime, kMaxTime));
  if (q.series == Series::kCandles)
    where += fmt::format(" AND \"tf\"='{}'", market::to_string(q.tf));
  const std::string from = influxql_identifier(table_of(q.series));

  // Reads one InfluxQL answer into events (in the answer's time order).
  auto fetch = [&](const std::string& sql) {
    std::vector<market::Event> rows;
    const std::string body = run_query(sql, false);
    try {
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(body);
      for (simdjson::dom::element result : doc["results"].get_array()) {
        std::string_view err;
        if (!result["error"].get(err)) {
          throw StoreError(fmt::format("store {}: query: {}", url_, err));
        }
        simdjson::dom::array series;
        if (result["series"].get(series)) continue;  // no rows
        for (simdjson::dom::element s : series) {
          std::map<std::string, std::size_t, std::less<>> column;
          std::size_t i = 0;
          for (simdjson::dom::element c : s["columns"].get_array())
            column.emplace(std::string(std::string_view(c)), i++);
          for (simdjson::dom::element v : s["values"].get_array()) {
            simdjson::dom::array values = v.get_array();
            auto int_of = [&](std::string_view n) -> std::int64_t {
              const auto it = column.find(n);
              if (it == column.end()) return 0;
              simdjson::dom::element cell = values.at(it->second);
              if (cell.is_null()) return 0;
              return cell.is_int64() ? std::int64_t(cell) : static_cast<std::int64_t>(double(cell));
            };
            if (compact(q.series)) {
              const auto it = column.find("packed");
              std::string_view packed;
              if (it != column.end()) {
                simdjson::dom::element cell = values.at(it->second);
                if (!cell.is_null()) packed = std::string_view(cell);
              }
              rows.push_back(read_compact(q.series, q.symbol, q.tf, int_of("time"),
                                          static_cast<std::uint64_t>(int_of("seq")), packed));
              continue;
            }
            rows.push_back(detail::read_row(q.series, q.symbol, [&](auto& row) {
              detail::visit_fields(row, [&](const char* name, auto& field) {
                using T = std::decay_t<decltype(field)>;
                const std::string_view n = name;
                if (n == "tf") {
                  detail::from_int(field, static_cast<std::int64_t>(q.tf));
                  return;
                }
                const auto it = column.find(n == "t" ? std::string_view("time") : n);
                if (it == column.end()) return;
                simdjson::dom::element cell = values.at(it->second);
                if (cell.is_null()) return;
                if constexpr (detail::kIsReal<T>) {
                  field = double(cell);
                } else {
                  detail::from_int(field, cell.is_int64()
                                              ? std::int64_t(cell)
                                              : static_cast<std::int64_t>(double(cell)));
                }
              });
            }));
          }
        }
      }
    } catch (const simdjson::simdjson_error& e) {
      throw StoreError(fmt::format("store {}: unreadable query answer: {}", url_, e.what()));
    }
    return rows;
  };

  const char* order = q.newest ? "DESC" : "ASC";
  auto rows = fetch(
      fmt::format("SELECT * FROM {} WHERE {} ORDER BY time {} LIMIT {}", from, where, order, want));
  if (rows.size() == want) {
    // Rows sharing the boundary timestamp come back in no defined order: read all of them,
    // so the page is cut by channel number exactly as the other backends cut it.
    const std::int64_t boundary = market::event_time(rows.back());
    std::erase_if(rows, [&](const auto& e) { return market::event_time(e) == boundary; });
    auto tied =
        fetch(fmt::format("SELECT * FROM {} WHERE {} AND time = {}", from, where, boundary));
    rows.insert(rows.end(), tied.begin(), tied.end());
  }
  auto by_seq = [](const auto& a, const auto& b) {
    return market::channel_seq(a) < market::channel_seq(b);
  };
  if (q.newest) {
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) { return by_seq(b, a); });
  } else {
    std::sort(rows.begin(), rows.end(), by_seq);
  }
  if (rows.size() > q.limit) {
    rows.resize(q.limit);
    page.more = true;
  }
  if (q.newest) std::reverse(rows.begin(), rows.end());
  page.rows = std::move(rows);
  return page;
}

std::uint64_t InfluxStore::apply_retention(std::int64_t now_ns, const Retention& r) {
  std::string q;
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf) {
    if (r.candles_ns[tf] > 0) {
      q += fmt::format("DELETE FROM \"candles\" WHERE \"tf\"='{}' AND time < {};",
                       market::to_string(market::kAllTimeframes[tf]), now_ns - r.candles_ns[tf]);
    }
  }
  const std::pair<const char*, std::int64_t> others[] = {{"ticks", r.ticks_ns},
                                                         {"samples", r.samples_ns},
                                                         {"spikes", r.spikes_ns},
                                                         {"reversals", r.reversals_ns}};
  for (const auto& [m, keep] : others) {
    if (keep > 0) q += fmt::format("DELETE FROM \"{}\" WHERE time < {};", m, now_ns - keep);
  }
  if (!q.empty()) run_query(q, true);
  return 0;
}

market::ChannelSequences InfluxStore::last_sequences(market::SymbolId symbol) const {
  market::ChannelSequences out;
  if (symbol >= symbols_.size()) return out;
  const std::string sym = influxql_string(symbols_.info(symbol).name);
  const std::string body = run_query(
      fmt::format("SELECT max(\"seq\") FROM \"candles\" WHERE \"symbol\"={0} GROUP BY \"tf\";"
                  "SELECT max(\"seq\") FROM \"ticks\" WHERE \"symbol\"={0};"
                  "SELECT max(\"seq\") FROM \"samples\" WHERE \"symbol\"={0};"
                  "SELECT max(\"seq\") FROM \"spikes\" WHERE \"symbol\"={0};"
                  "SELECT max(\"seq\") FROM \"reversals\" WHERE \"symbol\"={0}",
                  sym),
      false);
  try {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(body);
    std::uint64_t* slots[] = {nullptr, &out.ticks, &out.samples, &out.spikes, &out.reversals};
    for (simdjson::dom::element result : doc["results"].get_array()) {
      const auto statement = static_cast<std::size_t>(std::int64_t(result["statement_id"]));
      simdjson::dom::array series;
      if (result["series"].get(series) || statement >= 5) continue;
      for (simdjson::dom::element s : series) {
        const auto v = static_cast<std::uint64_t>(
            std::int64_t(s["values"].get_array().at(0).get_array().at(1)));
        if (statement == 0) {
          std::string_view tf_name;
          if (s["tags"]["tf"].get(tf_name)) continue;
          if (const auto tf = market::parse_timeframe(tf_name)) out.bars[market::index_of(*tf)] = v;
        } else {
          *slots[statement] = v;
        }
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    throw StoreError(fmt::format("store {}: unreadable query answer: {}", url_, e.what()));
  }
  return out;
}

}  // namespace spacetime::store
