#include "feed/iqfeed/protocol.hpp"

#include <algorithm>
#include <charconv>

#include "feed/iqfeed/clock.hpp"

namespace spacetime::feed::iqfeed {
namespace {

// Splits on ',' with no quoting (the protocol has none): "a,b," yields "a", "b", "".
class FieldCursor {
 public:
  explicit FieldCursor(std::string_view s) : rest_(s) {}
  bool next(std::string_view& out) {
    if (done_) return false;
    const auto pos = rest_.find(',');
    if (pos == std::string_view::npos) {
      out = rest_;
      done_ = true;
      return true;
    }
    out = rest_.substr(0, pos);
    rest_.remove_prefix(pos + 1);
    return true;
  }
  // What follows the fields read so far (empty once the last field was read).
  std::string_view rest() const { return done_ ? std::string_view{} : rest_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

std::string_view strip_cr(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  return line;
}

std::string_view strip_trailing_comma(std::string_view s) {
  if (!s.empty() && s.back() == ',') s.remove_suffix(1);
  return s;
}

bool read_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

template <typename Int>
bool read_int(std::string_view s, Int& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

// Exactly `n` ASCII digits.
bool digits(std::string_view s, std::size_t n, unsigned& out) {
  if (s.size() != n) return false;
  unsigned v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> date_days(unsigned y, unsigned m, unsigned d) {
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  return days_from_civil(y, m, d);
}

// YYYY-MM-DD HH:MM:SS[.ffffff] (history) -> local microseconds.
std::optional<std::int64_t> parse_history_timestamp(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ') return std::nullopt;
  unsigned y = 0, m = 0, d = 0;
  if (!digits(s.substr(0, 4), 4, y) || !digits(s.substr(5, 2), 2, m) ||
      !digits(s.substr(8, 2), 2, d))
    return std::nullopt;
  const auto days = date_days(y, m, d);
  const auto tod = parse_time_of_day(s.substr(11));
  if (!days || !tod) return std::nullopt;
  return *days * kMicrosPerDay + *tod;
}

// T,YYYYMMDD HH:MM:SS
std::optional<std::int64_t> parse_timestamp_message(std::string_view s) {
  s = trim(strip_trailing_comma(s));
  if (s.size() < 17 || s[8] != ' ') return std::nullopt;
  unsigned y = 0, m = 0, d = 0;
  if (!digits(s.substr(0, 4), 4, y) || !digits(s.substr(4, 2), 2, m) ||
      !digits(s.substr(6, 2), 2, d))
    return std::nullopt;
  const auto days = date_days(y, m, d);
  const auto tod = parse_time_of_day(s.substr(9));
  if (!days || !tod) return std::nullopt;
  return *days * kMicrosPerDay + *tod;
}

struct NamedField {
  std::string_view name;
  UpdateField field;
};

// The names SpaceTime selects, in order (Symbol first, as pyiqfeed's select_update_fieldnames
// puts it). Spelling per DynamicFieldset.cs / pyiqfeed quote_msg_map.
constexpr std::array<NamedField, 10> kSelected = {{
    {"Symbol", UpdateField::kSymbol},
    {"Most Recent Trade", UpdateField::kLast},
    {"Most Recent Trade Size", UpdateField::kLastSize},
    {"Most Recent Trade Time", UpdateField::kLastTime},
    {"Most Recent Trade Date", UpdateField::kLastDate},
    {"Bid", UpdateField::kBid},
    {"Ask", UpdateField::kAsk},
    {"Total Volume", UpdateField::kTotalVolume},
    {"Message Contents", UpdateField::kContents},
    {"TickID", UpdateField::kTickId},
}};

UpdateField field_for(std::string_view name) {
  name = trim(name);
  for (const auto& f : kSelected)
    if (iequals(f.name, name)) return f.field;
  return UpdateField::kIgnored;
}

// A field list longer than this is hostile or broken; the rest is ignored.
constexpr std::size_t kMaxFields = 256;

std::optional<ParseError> parse_update(std::string_view body, bool summary,
                                       const UpdateFieldset& fieldset, Update& u) {
  u.summary = summary;
  FieldCursor cur(body);
  std::string_view f;
  for (const UpdateField field : fieldset.fields()) {
    if (!cur.next(f)) return ParseError::kMissingField;
    if (field == UpdateField::kSymbol) {
      if (f.empty()) return ParseError::kMissingField;
      u.symbol = f;
      u.present |= 1u << static_cast<unsigned>(field);
      continue;
    }
    if (f.empty() || field == UpdateField::kIgnored) continue;
    bool ok = true;
    switch (field) {
      case UpdateField::kLast:
        ok = read_double(f, u.last);
        break;
      case UpdateField::kLastSize:
        ok = read_int(f, u.last_size);
        break;
      case UpdateField::kTotalVolume:
        ok = read_int(f, u.total_volume);
        break;
      case UpdateField::kBid:
        ok = read_double(f, u.bid);
        break;
      case UpdateField::kAsk:
        ok = read_double(f, u.ask);
        break;
      case UpdateField::kTickId:
        ok = read_int(f, u.tick_id);
        break;
      case UpdateField::kContents:
        u.contents = parse_contents(f);
        break;
      case UpdateField::kLastTime: {
        const auto t = parse_time_of_day(f);
        if (!t) return ParseError::kBadTime;
        u.last_time_us = *t;
        break;
      }
      case UpdateField::kLastDate: {
        const auto d = parse_mmddccyy(f);
        if (!d) return ParseError::kBadDate;
        u.last_date = *d;
        break;
      }
      case UpdateField::kIgnored:
      case UpdateField::kSymbol:
        break;
    }
    if (!ok) return ParseError::kBadNumber;
    u.present |= 1u << static_cast<unsigned>(field);
  }
  if (!u.has(UpdateField::kSymbol)) return ParseError::kMissingField;
  // A trade must say what traded, how much and when; the date may come from elsewhere.
  if (u.is_trade() && !(u.has(UpdateField::kLast) && u.has(UpdateField::kLastSize) &&
                        u.has(UpdateField::kLastTime)))
    return ParseError::kMissingField;
  return std::nullopt;
}

std::optional<ParseError> parse_fundamental(std::string_view body, const FundamentalLayout& layout,
                                            Fundamental& out) {
  std::array<std::string_view, kMaxFields> v{};
  std::size_t n = 0;
  FieldCursor cur(body);
  std::string_view f;
  while (cur.next(f)) {
    if (n < v.size()) {
      v[n++] = f;
      continue;
    }
    // Too many fields for any real layout: fold the excess into the last one kept.
    v[n - 1] = std::string_view(
        v[n - 1].data(), static_cast<std::size_t>(body.data() + body.size() - v[n - 1].data()));
    break;
  }
  // The line usually ends in a comma; drop that one empty field before counting.
  if (n > layout.count && v[n - 1].empty()) --n;
  // Free text (the company name) may contain commas: the surplus fields belong to it.
  const std::size_t extra = n > layout.count ? n - layout.count : 0;
  const std::size_t cn = layout.company_name;
  auto index = [&](std::size_t i) {
    return (cn != FundamentalLayout::kAbsent && i > cn) ? i + extra : i;
  };
  auto at = [&](std::size_t i) -> std::string_view {
    if (i == FundamentalLayout::kAbsent) return {};
    const std::size_t k = index(i);
    return k < n ? v[k] : std::string_view{};
  };
  out.symbol = at(layout.symbol);
  if (out.symbol.empty()) return ParseError::kMissingField;
  if (cn != FundamentalLayout::kAbsent && cn < n) {
    const std::size_t last = std::min(cn + extra, n - 1);
    out.company_name = std::string_view(
        v[cn].data(), static_cast<std::size_t>(v[last].data() + v[last].size() - v[cn].data()));
  }
  if (const auto tick = at(layout.min_tick_size); !tick.empty()) {
    if (!read_double(tick, out.min_tick_size)) return ParseError::kBadNumber;
  }
  if (const auto p = at(layout.precision); !p.empty()) {
    if (!read_int(p, out.precision)) return ParseError::kBadNumber;
  }
  return std::nullopt;
}

struct SystemName {
  std::string_view name;
  SystemKind kind;
};

constexpr std::array<SystemName, 15> kSystemNames = {{
    {"SERVER CONNECTED", SystemKind::kServerConnected},
    {"SERVER DISCONNECTED", SystemKind::kServerDisconnected},
    {"SERVER RECONNECT FAILED", SystemKind::kServerReconnectFailed},
    {"CURRENT PROTOCOL", SystemKind::kCurrentProtocol},
    {"CURRENT UPDATE FIELDNAMES", SystemKind::kCurrentUpdateFieldnames},
    {"UPDATE FIELDNAMES", SystemKind::kUpdateFieldnames},
    {"FUNDAMENTAL FIELDNAMES", SystemKind::kFundamentalFieldnames},
    {"STATS", SystemKind::kStats},
    {"KEY", SystemKind::kKey},
    {"KEYOK", SystemKind::kKeyOk},
    {"CUST", SystemKind::kCustomer},
    {"IP", SystemKind::kIp},
    {"WATCHES", SystemKind::kWatches},
    {"SYMBOL LIMIT REACHED", SystemKind::kSymbolLimitReached},
    {"CURRENT LOG LEVELS", SystemKind::kCurrentLogLevels},
}};

std::optional<ParseError> parse_system(std::string_view body, System& out) {
  FieldCursor cur(body);
  std::string_view name;
  if (!cur.next(name) || name.empty()) return ParseError::kMissingField;
  out.name = name;
  out.args = cur.rest();
  for (const auto& s : kSystemNames) {
    if (s.name == name) {
      out.kind = s.kind;
      break;
    }
  }
  return std::nullopt;
}

std::optional<ParseError> parse_history_tick(std::string_view body, HistoryTick& t) {
  std::array<std::string_view, 10> v{};
  FieldCursor cur(body);
  std::size_t n = 0;
  while (n < v.size() && cur.next(v[n]))
    ++n;
  if (n < v.size()) return ParseError::kMissingField;
  const auto ts = parse_history_timestamp(v[0]);
  if (!ts) return ParseError::kBadTime;
  t.local_us = *ts;
  if (!read_double(v[1], t.last) || !read_int(v[2], t.last_size)) return ParseError::kBadNumber;
  if (!v[3].empty() && !read_int(v[3], t.total_volume)) return ParseError::kBadNumber;
  if (!v[4].empty() && !read_double(v[4], t.bid)) return ParseError::kBadNumber;
  if (!v[5].empty() && !read_double(v[5], t.ask)) return ParseError::kBadNumber;
  if (!v[6].empty() && !read_int(v[6], t.tick_id)) return ParseError::kBadNumber;
  t.basis = v[7].size() == 1 ? v[7][0] : 0;
  // Market center, conditions, and the 6.1+ aggressor and day code are not used.
  return std::nullopt;
}

std::optional<ParseError> parse_correction(std::string_view body, Correction& c) {
  FieldCursor cur(body);
  std::string_view f[7];
  for (auto& field : f) {
    if (!cur.next(field)) return ParseError::kMissingField;
  }
  if (f[0].empty() || f[1].size() != 1 || f[6].empty()) return ParseError::kMissingField;
  c.symbol = f[0];
  c.type = f[1][0];
  const auto d = parse_mmddccyy(f[2]);
  if (!d) return ParseError::kBadDate;
  c.date = *d;
  const auto t = parse_time_of_day(f[3]);
  if (!t) return ParseError::kBadTime;
  c.time_us = *t;
  if (!f[4].empty() && !read_double(f[4], c.price)) return ParseError::kBadNumber;
  if (!f[5].empty() && !read_int(f[5], c.size)) return ParseError::kBadNumber;
  if (!read_int(f[6], c.tick_id)) return ParseError::kBadNumber;
  return std::nullopt;
}

bool looks_like_history_timestamp(std::string_view f) {
  return f.size() >= 19 && f[4] == '-' && f[0] >= '0' && f[0] <= '9';
}

}  // namespace

// ---- fieldsets ----

UpdateFieldset UpdateFieldset::from_names(std::string_view names) {
  UpdateFieldset fs;
  FieldCursor cur(strip_cr(names));
  std::string_view name;
  while (fs.fields_.size() < kMaxFields && cur.next(name)) {
    if (trim(name).empty() && cur.rest().empty()) break;  // the trailing comma
    fs.fields_.push_back(field_for(name));
  }
  return fs;
}

UpdateFieldset UpdateFieldset::spacetime() {
  UpdateFieldset fs;
  for (const auto& f : kSelected)
    fs.fields_.push_back(f.field);
  return fs;
}

bool UpdateFieldset::has(UpdateField f) const {
  return std::find(fields_.begin(), fields_.end(), f) != fields_.end();
}

std::string_view select_update_fields_command() {
  static const std::string command = [] {
    std::string c = "S,SELECT UPDATE FIELDS";
    for (const auto& f : kSelected) {
      c += ',';
      c += f.name;
    }
    return c;
  }();
  return command;
}

FundamentalLayout FundamentalLayout::from_names(std::string_view names) {
  FundamentalLayout l;
  l.symbol = l.company_name = l.precision = l.min_tick_size = kAbsent;
  FieldCursor cur(strip_cr(names));
  std::string_view name;
  std::size_t i = 0;
  while (i < kMaxFields && cur.next(name)) {
    const auto t = trim(name);
    if (t.empty() && cur.rest().empty()) break;
    if (iequals(t, "Symbol")) l.symbol = i;
    if (iequals(t, "Company Name")) l.company_name = i;
    if (iequals(t, "Precision")) l.precision = i;
    if (iequals(t, "Minimum Tick Size")) l.min_tick_size = i;
    ++i;
  }
  l.count = i;
  if (l.symbol == kAbsent) l.symbol = 0;  // F lines always lead with the symbol
  return l;
}

std::uint16_t parse_contents(std::string_view letters) {
  std::uint16_t bits = 0;
  for (const char c : letters) {
    switch (c) {
      case 'C':
        bits |= contents::kLastQualifiedTrade;
        break;
      case 'E':
        bits |= contents::kExtendedTrade;
        break;
      case 'O':
        bits |= contents::kOtherTrade;
        break;
      case 'b':
        bits |= contents::kBid;
        break;
      case 'a':
        bits |= contents::kAsk;
        break;
      case 'o':
        bits |= contents::kOpen;
        break;
      case 'h':
        bits |= contents::kHigh;
        break;
      case 'l':
        bits |= contents::kLow;
        break;
      case 'c':
        bits |= contents::kClose;
        break;
      case 's':
        bits |= contents::kSettle;
        break;
      case 'v':
        bits |= contents::kVolume;
        break;
      default:
        break;  // letters added by later protocol versions are not errors
    }
  }
  return bits;
}

std::string_view System::first_arg() const {
  const auto pos = args.find(',');
  return trim(pos == std::string_view::npos ? args : args.substr(0, pos));
}

// ---- field readers ----

std::optional<std::int64_t> parse_time_of_day(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  unsigned hh = 0, mm = 0, ss = 0;
  if (!digits(s.substr(0, 2), 2, hh) || !digits(s.substr(3, 2), 2, mm) ||
      !digits(s.substr(6, 2), 2, ss))
    return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  std::int64_t us = 0;
  if (s.size() > 8) {
    if (s[8] != '.' || s.size() == 9) return std::nullopt;
    std::int64_t scale = 100'000;
    for (std::size_t i = 9; i < s.size(); ++i) {
      const char c = s[i];
      if (c < '0' || c > '9') return std::nullopt;
      us += (c - '0') * scale;
      scale /= 10;
    }
  }
  return (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * kMicrosPerSecond + us;
}

std::optional<std::int64_t> parse_mmddccyy(std::string_view s) {
  if (s.size() != 10 || s[2] != '/' || s[5] != '/') return std::nullopt;
  unsigned m = 0, d = 0, y = 0;
  if (!digits(s.substr(0, 2), 2, m) || !digits(s.substr(3, 2), 2, d) ||
      !digits(s.substr(6, 4), 4, y))
    return std::nullopt;
  return date_days(y, m, d);
}

// ---- Level 1 ----

Parsed parse_level1_line(std::string_view line, const UpdateFieldset& fieldset,
                         const FundamentalLayout& fundamentals) {
  Parsed p;
  line = strip_cr(line);
  if (line.empty()) {
    p.error = ParseError::kEmptyLine;
    return p;
  }
  // Every message type is one character followed by a comma (or the end, for a bare "T").
  if (line.size() >= 2 && line[1] != ',') {
    p.error = ParseError::kUnknownMessage;
    return p;
  }
  const std::string_view body = line.size() > 2 ? line.substr(2) : std::string_view{};
  switch (line[0]) {
    case 'Q':
    case 'P': {
      Update u;
      p.error = parse_update(body, line[0] == 'P', fieldset, u);
      p.message = u;
      return p;
    }
    case 'F': {
      Fundamental f;
      p.error = parse_fundamental(body, fundamentals, f);
      p.message = f;
      return p;
    }
    case 'n': {
      const auto sym = trim(strip_trailing_comma(body));
      if (sym.empty()) p.error = ParseError::kMissingField;
      p.message = SymbolNotFound{sym};
      return p;
    }
    case 'S': {
      System s;
      p.error = parse_system(body, s);
      p.message = s;
      return p;
    }
    case 'E':
      p.message = ServerError{strip_trailing_comma(body)};
      return p;
    case 'T': {
      const auto ts = parse_timestamp_message(body);
      if (!ts) p.error = ParseError::kBadTime;
      p.message = Timestamp{ts.value_or(0)};
      return p;
    }
    case 'C': {
      Correction c;
      p.error = parse_correction(body, c);
      p.message = c;
      return p;
    }
    case 'R':
    case 'N':
      p.message = OtherMessage{line[0]};
      return p;
    default:
      p.error = ParseError::kUnknownMessage;
      return p;
  }
}

// ---- lookup ----

LookupParsed parse_lookup_line(std::string_view line) {
  LookupParsed p;
  line = strip_cr(line);
  if (line.empty()) {
    p.error = ParseError::kEmptyLine;
    return p;
  }
  FieldCursor cur(line);
  std::string_view f;
  cur.next(f);
  if (f == "S") {
    System s;
    p.error = parse_system(cur.rest(), s);
    p.message = s;
    return p;
  }
  if (f == "E") {
    p.message = HistoryError{strip_trailing_comma(cur.rest())};
    return p;
  }
  // With a request id the first field is ours; without one it is LH, a marker or data.
  if (f != "LH" && f != "!ENDMSG!" && !looks_like_history_timestamp(f)) {
    p.request_id = f;
    if (!cur.next(f)) {
      p.error = ParseError::kMissingField;
      return p;
    }
  }
  if (f == "LH" && !cur.next(f)) {
    p.error = ParseError::kMissingField;
    return p;
  }
  if (f == "!ENDMSG!") {
    p.message = HistoryEnd{};
    return p;
  }
  if (f == "E") {
    p.message = HistoryError{strip_trailing_comma(cur.rest())};
    return p;
  }
  // The payload starts at f: rebuild the view from f to the end of the line.
  const std::string_view payload(f.data(),
                                 static_cast<std::size_t>(line.data() + line.size() - f.data()));
  HistoryTick t;
  p.error = parse_history_tick(payload, t);
  p.message = t;
  return p;
}

}  // namespace spacetime::feed::iqfeed
