#include "feed/files/csv_reader.hpp"

#include <charconv>
#include <cstring>

#include "market/time.hpp"

namespace spacetime::feed::files {

using market::format_iso;
using market::kMaxIsoLength;
using market::parse_timestamp;
namespace {

using Fields = std::array<std::string_view, CsvTickSource::kMaxFields>;

constexpr std::string_view kColumnNames[] = {"ts", "symbol", "price", "size", "bid", "ask"};
constexpr std::string_view kExpectedHeader = "ts,symbol,price,size[,bid][,ask] in any order";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

bool is_blank(std::string_view line) {
  for (const char c : line) {
    if (!is_space(c)) return false;
  }
  return true;
}

// Spaces around a field and one pair of surrounding double quotes are not part of it (some
// tools quote every string). Quoted commas are not supported: tick data has none.
std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Returns the number of fields; more than kMaxFields returns kMaxFields + 1 (only the first
// kMaxFields are stored), since no layout accepts that many.
std::size_t split(std::string_view line, Fields& fields) {
  std::size_t n = 0;
  const char* p = line.data();
  const char* const end = p + line.size();
  for (;;) {
    const auto* comma =
        static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(end - p)));
    const char* const stop = comma != nullptr ? comma : end;
    if (n == CsvTickSource::kMaxFields) return n + 1;
    fields[n++] = trim({p, static_cast<std::size_t>(stop - p)});
    if (comma == nullptr) return n;
    p = comma + 1;
  }
}

bool valid_symbol(std::string_view name) {
  if (name.empty() || name.size() > kMaxSymbolLength) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

// from_chars is correctly rounded: the double is the one nearest the decimal text. It takes
// no '+' sign, which some writers emit.
bool parse_number(std::string_view s, double& value) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return false;
  }
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size();
}

// A field as it may appear in a log line: bounded, printable ASCII only.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c >= 0x7f ? '?' : static_cast<char>(c);
  }
  if (s.size() > kMax) out += "...";
  out += '\'';
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

CsvTickSource::CsvTickSource(std::string_view data, market::SymbolRegistry& symbols,
                             const TickFileOptions& options)
    : data_(data) {
  if (data_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark (spreadsheets)
  read_header();
  prescan(symbols, options);
  normalizer_.emplace(symbols, options.time_guard, options.filter);
}

std::optional<std::string_view> CsvTickSource::next_line(std::size_t& pos,
                                                         std::uint64_t& line) const {
  if (pos >= data_.size()) return std::nullopt;
  const char* const begin = data_.data() + pos;
  const std::size_t left = data_.size() - pos;
  const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', left));
  std::size_t len = nl != nullptr ? static_cast<std::size_t>(nl - begin) : left;
  pos += nl != nullptr ? len + 1 : len;
  ++line;
  if (len > 0 && begin[len - 1] == '\r') --len;
  return std::string_view(begin, len);
}

template <class Message>
void CsvTickSource::fail(LineError error, Message&& message) {
  const auto k = static_cast<std::size_t>(error);
  if (errors_.by_kind[k]++ == 0) errors_.first[k] = LineDiagnostic{line_, message()};
}

void CsvTickSource::read_header() {
  std::optional<std::string_view> line;
  while ((line = next_line(pos_, line_)) && is_blank(*line)) {
  }
  body_ = pos_;
  body_line_ = line_;
  if (!line) return;  // empty, or blank lines only: no ticks, nothing wrong

  Layout layout;
  layout.at.fill(-1);
  layout.positional = false;
  layout.fields = 0;
  std::string problem;
  std::string_view rest = *line;
  for (bool more = true; more && problem.empty();) {
    const std::size_t comma = rest.find(',');
    more = comma != std::string_view::npos;
    const std::string_view raw = trim(rest.substr(0, comma));
    rest = more ? rest.substr(comma + 1) : std::string_view();
    std::string name = lower(raw);
    if (name == "ts_ns") name = "ts";
    int column = -1;
    for (int c = 0; c < kColumnCount; ++c) {
      if (name == kColumnNames[c]) column = c;
    }
    if (column < 0) {
      problem = "unknown column " + quoted(raw);
    } else if (layout.at[static_cast<std::size_t>(column)] >= 0) {
      problem = "column " + quoted(raw) + " appears twice";
    } else {
      layout.at[static_cast<std::size_t>(column)] = static_cast<int>(layout.fields++);
    }
  }
  for (const Column required : {kTs, kSymbol, kPrice, kSize}) {
    if (problem.empty() && layout.at[required] < 0) {
      problem = "no column '" + std::string(kColumnNames[required]) + "'";
    }
  }
  if (problem.empty()) {
    layout_ = layout;
    return;
  }
  fail(LineError::kBadHeader, [&] {
    return "bad header: " + problem + "; expected " + std::string(kExpectedHeader) +
           "; reading ts,symbol,price,size[,bid,ask] by position";
  });
}

void CsvTickSource::prescan(market::SymbolRegistry& symbols, const TickFileOptions& options) {
  std::size_t pos = body_;
  std::uint64_t line = body_line_;
  const auto symbol_at = static_cast<std::size_t>(layout_.at[kSymbol]);
  Fields fields;
  while (const auto text = next_line(pos, line)) {
    if (is_blank(*text)) continue;
    ++data_lines_;
    if (!layout_.accepts(split(*text, fields))) continue;
    const std::string_view name = fields[symbol_at];
    if (!valid_symbol(name) || ids_.find(name) != ids_.end()) continue;
    std::string key(name);
    Quantisation q{.tick_size = options.tick_size.value_or(0.01),
                   .size_scale = options.size_scale.value_or(1.0)};
    if (const auto it = options.symbols.find(key); it != options.symbols.end()) q = it->second;
    const market::SymbolId id = symbols.add({.name = key,
                                             .tick_size = q.tick_size,
                                             .size_scale = q.size_scale,
                                             .decimals = market::decimals_for(q.tick_size)});
    ids_.emplace(std::move(key), id);
  }
}

bool CsvTickSource::parse(std::string_view line, market::Tick& out) {
  Fields f;
  const std::size_t n = split(line, f);
  if (!layout_.accepts(n)) {
    fail(LineError::kFieldCount, [&] {
      const std::string want =
          layout_.positional ? std::string("4 or 6") : std::to_string(layout_.fields);
      const std::string got =
          n > kMaxFields ? "more than " + std::to_string(kMaxFields) : std::to_string(n);
      return "expected " + want + " fields, found " + got;
    });
    return false;
  }
  const std::string_view ts_text = f[static_cast<std::size_t>(layout_.at[kTs])];
  const auto ts = parse_timestamp(ts_text);
  if (!ts) {
    fail(LineError::kBadTimestamp, [&] {
      return "bad timestamp " + quoted(ts_text) +
             ": expected integer nanoseconds or ISO-8601 UTC like 2026-01-02T14:30:00.123Z";
    });
    return false;
  }

  const std::string_view name = f[static_cast<std::size_t>(layout_.at[kSymbol])];
  market::SymbolId id = last_id_;
  if (last_name_.empty() || name != last_name_) {
    const auto it = ids_.find(name);
    if (it == ids_.end()) {  // every valid name was registered by the pre-scan
      fail(LineError::kBadSymbol, [&] {
        if (name.empty()) return std::string("empty symbol");
        if (name.size() > kMaxSymbolLength) {
          return "symbol longer than " + std::to_string(kMaxSymbolLength) + " bytes";
        }
        return "symbol " + quoted(name) + " has control characters";
      });
      return false;
    }
    last_name_ = it->first;  // node-based map: the key does not move
    last_id_ = id = it->second;
  }

  double values[4] = {0.0, 0.0, 0.0, 0.0};  // price, size, bid, ask; 0 bid/ask = no quote
  for (std::size_t c = kPrice; c <= kAsk; ++c) {
    const int at = layout_.at[c];
    if (at < 0 || static_cast<std::size_t>(at) >= n) continue;
    const std::string_view text = f[static_cast<std::size_t>(at)];
    if (c >= kBid && text.empty()) continue;
    if (!parse_number(text, values[c - kPrice])) {
      fail(LineError::kBadNumber, [&] {
        return "bad number in column '" + std::string(kColumnNames[c]) + "': " + quoted(text);
      });
      return false;
    }
  }
  const auto tick = normalizer_->normalize(id, *ts, values[0], values[1], values[2], values[3]);
  if (!tick) return false;
  out = *tick;
  return true;
}

std::size_t CsvTickSource::read(std::span<market::Tick> out) {
  std::size_t n = 0;
  while (n < out.size()) {
    const auto line = next_line(pos_, line_);
    if (!line) break;
    if (is_blank(*line)) continue;
    if (parse(*line, out[n])) ++n;
  }
  return n;
}

}  // namespace spacetime::feed::files
