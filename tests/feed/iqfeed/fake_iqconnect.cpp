#include "fake_iqconnect.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spacetime::testing {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::int64_t kUsPerDay = 86'400'000'000;

// Every dynamic field name of protocol 6.2 (IQFeed.CSharpApiClient DynamicFieldset.cs).
const std::vector<std::string>& all_field_names() {
  static const std::vector<std::string> names = {"Symbol",
                                                 "7 Day Yield",
                                                 "Ask",
                                                 "Ask Change",
                                                 "Ask Market Center",
                                                 "Ask Size",
                                                 "Ask Time",
                                                 "Available Regions",
                                                 "Average Maturity",
                                                 "Bid",
                                                 "Bid Change",
                                                 "Bid Market Center",
                                                 "Bid Size",
                                                 "Bid Time",
                                                 "Change",
                                                 "Change From Open",
                                                 "Close",
                                                 "Close Range 1",
                                                 "Close Range 2",
                                                 "Days to Expiration",
                                                 "Decimal Precision",
                                                 "Delay",
                                                 "Exchange ID",
                                                 "Extended Trade",
                                                 "Extended Trade Date",
                                                 "Extended Trade Market Center",
                                                 "Extended Trade Size",
                                                 "Extended Trade Time",
                                                 "Extended Trading Change",
                                                 "Extended Trading Difference",
                                                 "Financial Status Indicator",
                                                 "Fraction Display Code",
                                                 "High",
                                                 "Last",
                                                 "Last Date",
                                                 "Last Market Center",
                                                 "Last Size",
                                                 "Last Time",
                                                 "Low",
                                                 "Market Capitalization",
                                                 "Market Open",
                                                 "Message Contents",
                                                 "Most Recent Trade",
                                                 "Most Recent Trade Aggressor",
                                                 "Most Recent Trade Conditions",
                                                 "Most Recent Trade Date",
                                                 "Most Recent Trade Day Code",
                                                 "Most Recent Trade Market Center",
                                                 "Most Recent Trade Size",
                                                 "Most Recent Trade Time",
                                                 "Net Asset Value",
                                                 "Number of Trades Today",
                                                 "Open",
                                                 "Open Interest",
                                                 "Open Range 1",
                                                 "Open Range 2",
                                                 "Percent Change",
                                                 "Percent Off Average Volume",
                                                 "Previous Day Volume",
                                                 "Price-Earnings Ratio",
                                                 "Range",
                                                 "Restricted Code",
                                                 "Settle",
                                                 "Settlement Date",
                                                 "Spread",
                                                 "Tick",
                                                 "TickID",
                                                 "Total Volume",
                                                 "Type",
                                                 "Volatility",
                                                 "VWAP"};
  return names;
}

// The IQFeed default Level 1 fieldset (6.x), used until SELECT UPDATE FIELDS.
const std::vector<std::string>& default_fields() {
  static const std::vector<std::string> names = {"Symbol",
                                                 "Most Recent Trade",
                                                 "Most Recent Trade Size",
                                                 "Most Recent Trade Time",
                                                 "Most Recent Trade Market Center",
                                                 "Total Volume",
                                                 "Bid",
                                                 "Bid Size",
                                                 "Ask",
                                                 "Ask Size",
                                                 "Open",
                                                 "High",
                                                 "Low",
                                                 "Close",
                                                 "Message Contents",
                                                 "Most Recent Trade Conditions"};
  return names;
}

// F message fields, in order (pyiqfeed QuoteConn.fundamental_fields).
const std::vector<std::string>& fundamental_names() {
  static const std::vector<std::string> names = {"Symbol",
                                                 "Exchange ID",
                                                 "PE",
                                                 "Average Volume",
                                                 "52 Week High",
                                                 "52 Week Low",
                                                 "Calendar Year High",
                                                 "Calendar Year Low",
                                                 "Dividend Yield",
                                                 "Dividend Amount",
                                                 "Dividend Rate",
                                                 "Pay Date",
                                                 "Ex-dividend Date",
                                                 "Current Year EPS",
                                                 "Next Year EPS",
                                                 "Five-year Growth Percentage",
                                                 "Fiscal Year End",
                                                 "Company Name",
                                                 "Root Option Symbol",
                                                 "Percent Held By Institutions",
                                                 "Beta",
                                                 "Leaps",
                                                 "Current Assets",
                                                 "Current Liabilities",
                                                 "Balance Sheet Date",
                                                 "Long-term Debt",
                                                 "Common Shares Outstanding",
                                                 "Split Factor 1",
                                                 "Split Factor 2",
                                                 "Format Code",
                                                 "Precision",
                                                 "SIC",
                                                 "Historical Volatility",
                                                 "Security Type",
                                                 "Listed Market",
                                                 "52 Week High Date",
                                                 "52 Week Low Date",
                                                 "Calendar Year High Date",
                                                 "Calendar Year Low Date",
                                                 "Year End Close",
                                                 "Maturity Date",
                                                 "Coupon Rate",
                                                 "Expiration Date",
                                                 "Strike Price",
                                                 "NAICS",
                                                 "Exchange Root",
                                                 "Option Premium Multiplier",
                                                 "Option Multiple Deliverable",
                                                 "Session Open Time",
                                                 "Session Close Time",
                                                 "Base Currency",
                                                 "Contract Size",
                                                 "Contract Months",
                                                 "Minimum Tick Size",
                                                 "First Delivery Date",
                                                 "FIGI",
                                                 "Security SubType"};
  return names;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(',', start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

struct Civil {
  int y;
  unsigned m, d;
  std::int64_t hh, mm, ss, us;
};

Civil civil(std::int64_t local_us) {
  const std::int64_t day = local_us / kUsPerDay;
  std::int64_t rest = local_us - day * kUsPerDay;
  const year_month_day ymd{sys_days{days{day}}};
  Civil c{static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          0,
          0,
          0,
          0};
  c.hh = rest / 3'600'000'000;
  rest %= 3'600'000'000;
  c.mm = rest / 60'000'000;
  rest %= 60'000'000;
  c.ss = rest / 1'000'000;
  c.us = rest % 1'000'000;
  return c;
}

template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buf[128];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string hhmmss_us(std::int64_t t) {
  const Civil c = civil(t);
  return format("%02lld:%02lld:%02lld.%06lld", static_cast<long long>(c.hh),
                static_cast<long long>(c.mm), static_cast<long long>(c.ss),
                static_cast<long long>(c.us));
}
std::string mmddccyy(std::int64_t t) {
  const Civil c = civil(t);
  return format("%02u/%02u/%04d", c.m, c.d, c.y);
}
std::string history_ts(std::int64_t t) {
  const Civil c = civil(t);
  return format("%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld", c.y, c.m, c.d,
                static_cast<long long>(c.hh), static_cast<long long>(c.mm),
                static_cast<long long>(c.ss), static_cast<long long>(c.us));
}
std::string timestamp_msg(std::int64_t t) {
  const Civil c = civil(t);
  return format("T,%04d%02u%02u %02lld:%02lld:%02lld", c.y, c.m, c.d, static_cast<long long>(c.hh),
                static_cast<long long>(c.mm), static_cast<long long>(c.ss));
}
std::string price(double p) {
  return format("%.4f", p);
}

// "YYYYMMDD HHMMSS" -> local microseconds; nullopt-like -1 when empty or malformed.
std::int64_t request_time(const std::string& s) {
  int y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0;
  if (std::sscanf(s.c_str(), "%4d%2d%2d %2d%2d%2d", &y, &mo, &d, &hh, &mi, &ss) != 6) return -1;
  return local_time(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), hh, mi, ss);
}

struct Session {
  int fd = -1;
  bool level1 = true;
  bool dead = false;
  std::string inbuf;
  std::string protocol = "6.2";
  std::vector<std::string> fields = default_fields();
  std::map<std::string, bool> watches;  // symbol -> trades only
  bool timestamps = true;
};

struct Market {
  bool has_trade = false;
  SourceEvent last;  // last trade
  std::int64_t volume = 0;
  double bid = 0.0;
  double ask = 0.0;
};

int listen_on(std::uint16_t port, std::uint16_t& bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

std::int64_t local_time(int y, unsigned m, unsigned d, int hh, int mm, int ss, int us) {
  const sys_days day{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return static_cast<std::int64_t>(day.time_since_epoch().count()) * kUsPerDay +
         (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * 1'000'000 + us;
}

std::vector<SourceEvent> load_events_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<SourceEvent> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line);
    if (f.size() < 10) throw std::runtime_error("bad event line: " + line);
    SourceEvent e;
    e.kind = f[0] == "T" ? SourceEvent::Kind::kTrade : SourceEvent::Kind::kQuote;
    e.symbol = f[1];
    int y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0, us = 0;
    if (std::sscanf(f[2].c_str(), "%d-%d-%d", &y, &mo, &d) != 3 ||
        std::sscanf(f[3].c_str(), "%d:%d:%d.%d", &hh, &mi, &ss, &us) != 4)
      throw std::runtime_error("bad time in: " + line);
    e.local_us = local_time(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), hh, mi, ss, us);
    e.price = f[4].empty() ? 0.0 : std::stod(f[4]);
    e.size = f[5].empty() ? 0 : std::stoll(f[5]);
    e.bid = std::stod(f[6]);
    e.ask = std::stod(f[7]);
    e.tick_id = f[8].empty() ? 0 : std::stoull(f[8]);
    e.basis = f[9].empty() ? 'C' : f[9][0];
    out.push_back(e);
  }
  return out;
}

std::vector<SourceEvent> generate_events(const std::vector<std::string>& symbols, std::size_t count,
                                         std::int64_t start_local_us, std::int64_t spacing_us,
                                         std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<std::string, std::int64_t> cents;  // price in 0.01 steps
  std::map<std::string, std::int64_t> spread;
  for (const auto& s : symbols) {
    cents[s] = 10'000;
    spread[s] = 1;
  }
  std::uint64_t tick_id = 5000;
  std::vector<SourceEvent> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& sym = symbols[i % symbols.size()];
    SourceEvent e;
    e.symbol = sym;
    e.local_us = start_local_us + static_cast<std::int64_t>(i) * spacing_us;
    const auto r = rng();
    if (r % 3 == 0) {
      e.kind = SourceEvent::Kind::kQuote;
      spread[sym] = 1 + static_cast<std::int64_t>((r >> 8) % 3);
    } else {
      e.kind = SourceEvent::Kind::kTrade;
      cents[sym] += static_cast<std::int64_t>((r >> 8) % 5) - 2;
      e.price = static_cast<double>(cents[sym]) / 100.0;
      e.size = 1 + static_cast<std::int64_t>((r >> 16) % 500);
      e.tick_id = ++tick_id;
      const auto b = (r >> 32) % 10;
      e.basis = b == 0 ? 'E' : b == 1 ? 'O' : 'C';
    }
    e.bid = static_cast<double>(cents[sym] - spread[sym]) / 100.0;
    e.ask = static_cast<double>(cents[sym] + spread[sym]) / 100.0;
    out.push_back(e);
  }
  return out;
}

struct FakeIqConnect::Impl {
  FakeIqConnectOptions options;
  std::vector<SourceEvent> events;
  std::set<std::string> known;
  std::vector<std::int64_t> volume_after;  // each symbol's total volume after event i

  mutable std::mutex m;
  mutable std::condition_variable changed;
  std::size_t released = 0;
  std::map<std::string, Market> market;
  std::vector<std::unique_ptr<Session>> sessions;
  bool stale = false;
  std::size_t level1_accepted = 0;
  std::size_t history_requests = 0;
  std::vector<std::string> commands;
  std::mt19937_64 rng;

  int listen_l1 = -1;
  int listen_lk = -1;
  std::uint16_t port_l1 = 0;
  std::uint16_t port_lk = 0;
  int wake[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::thread thread;

  Impl(std::vector<SourceEvent> ev, FakeIqConnectOptions opt)
      : options(std::move(opt)), events(std::move(ev)), rng(options.seed) {
    std::map<std::string, std::int64_t> vol;
    for (const auto& e : events) {
      known.insert(e.symbol);
      if (e.kind == SourceEvent::Kind::kTrade) vol[e.symbol] += e.size;
      volume_after.push_back(vol[e.symbol]);
    }
    listen_l1 = listen_on(options.level1_port, port_l1);
    listen_lk = listen_on(options.lookup_port, port_lk);
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe failed");
    thread = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopping = true;
    [[maybe_unused]] const auto n = ::write(wake[1], "x", 1);
    thread.join();
    for (auto& s : sessions)
      ::close(s->fd);
    ::close(listen_l1);
    ::close(listen_lk);
    ::close(wake[0]);
    ::close(wake[1]);
  }

  // ---- writing (lock held) ----
  void write(Session& s, std::string_view data) {
    if (s.dead) return;
    while (!data.empty()) {
      std::size_t n = data.size();
      if (options.max_chunk > 0) n = std::min<std::size_t>(n, 1 + rng() % options.max_chunk);
      const ssize_t w = ::send(s.fd, data.data(), n, MSG_NOSIGNAL);
      if (w <= 0) {
        kill(s);
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(w));
    }
  }

  void kill(Session& s) {
    if (s.dead) return;
    s.dead = true;
    ::shutdown(s.fd, SHUT_RDWR);
    changed.notify_all();
  }

  std::string market_time() const {
    std::int64_t t = events.empty() ? local_time(2024, 3, 15, 9, 29, 0) : events.front().local_us;
    if (released > 0)
      t = events[released - 1].local_us;
    else
      t -= 1'000'000;  // a second before the first event
    return timestamp_msg(t);
  }

  // ---- Level 1 formatting ----
  std::string field_value(const Session& s, const std::string& name, const std::string& sym,
                          const Market& mk, std::string_view contents) const {
    const bool t = mk.has_trade;
    const SourceEvent& l = mk.last;
    if (name == "Symbol") return sym;
    if (name == "Most Recent Trade") return t ? price(l.price) : "";
    if (name == "Most Recent Trade Size") return t ? std::to_string(l.size) : "";
    if (name == "Most Recent Trade Time") return t ? hhmmss_us(l.local_us) : "";
    if (name == "Most Recent Trade Date") return t ? mmddccyy(l.local_us) : "";
    if (name == "Most Recent Trade Market Center") return t ? "11" : "";
    if (name == "Most Recent Trade Conditions") return t ? "3D" : "";
    if (name == "Most Recent Trade Aggressor") return t && s.protocol != "6.0" ? "0" : "";
    if (name == "Most Recent Trade Day Code")
      return t && s.protocol != "6.0" ? std::to_string(civil(l.local_us).d) : "";
    if (name == "TickID") return t ? std::to_string(l.tick_id) : "";
    if (name == "Total Volume") return std::to_string(mk.volume);
    if (name == "Bid") return mk.bid > 0 ? price(mk.bid) : "";
    if (name == "Ask") return mk.ask > 0 ? price(mk.ask) : "";
    if (name == "Bid Size" || name == "Ask Size") return "100";
    if (name == "Message Contents") return std::string(contents);
    return "";
  }

  std::string update_line(const Session& s, char type, const std::string& sym, const Market& mk,
                          std::string_view contents) const {
    std::string line(1, type);
    for (const auto& f : s.fields) {
      line += ',';
      line += field_value(s, f, sym, mk, contents);
    }
    line += ",\r\n";  // IQConnect ends updates with a comma
    return line;
  }

  std::string fundamental_line(const std::string& sym) const {
    std::vector<std::string> v(fundamental_names().size());
    v[0] = sym;
    v[1] = "5";
    v[17] = sym + " TEST HOLDINGS, INC";  // free text with a comma, as real names have
    v[29] = "14";
    v[30] = "4";
    v[33] = "1";
    v[53] = format("%g", options.min_tick_size);
    std::string line = "F";
    for (const auto& x : v)
      line += "," + x;
    return line + ",\r\n";
  }

  std::string summary(const Session& s, const std::string& sym) const {
    const auto it = market.find(sym);
    const Market mk = it == market.end() ? Market{} : it->second;
    return fundamental_line(sym) + update_line(s, 'P', sym, mk, mk.has_trade ? "Cba" : "ba");
  }

  // ---- commands (lock held) ----
  std::string protocol_reply(Session& s, const std::string& asked) {
    if (options.reject_protocol) return "E," + asked + " is not a valid protocol.,\r\n";
    std::string v = options.protocol;
    if (v.empty()) {
      if (asked != "6.0" && asked != "6.1" && asked != "6.2")
        return "E," + asked + " is not a valid protocol.,\r\n";
      v = asked;
    }
    s.protocol = v;
    return "S,CURRENT PROTOCOL," + v + "\r\n";
  }

  void level1_command(Session& s, const std::string& cmd) {
    if (cmd.rfind("S,SET PROTOCOL,", 0) == 0) {
      write(s, protocol_reply(s, cmd.substr(15)));
    } else if (cmd.rfind("S,SET CLIENT NAME,", 0) == 0) {
    } else if (cmd == "S,CONNECT") {
      write(s,
            "S,KEY,99999\r\nS,IP,127.0.0.1 60004\r\n" +
                std::string(stale ? "S,SERVER DISCONNECTED\r\n" : "S,SERVER CONNECTED\r\n") +
                "S,CUST,real_time,127.0.0.1,60002,TOKEN,6.2.0.25,0,NYSE NASDAQ,,500,QT_API,\r\n");
    } else if (cmd == "S,REQUEST FUNDAMENTAL FIELDNAMES") {
      std::string r = "S,FUNDAMENTAL FIELDNAMES";
      for (const auto& n : fundamental_names())
        r += "," + n;
      write(s, r + "\r\n");
    } else if (cmd == "S,REQUEST ALL UPDATE FIELDNAMES") {
      std::string r = "S,UPDATE FIELDNAMES";
      for (const auto& n : all_field_names())
        if (n != "Symbol") r += "," + n;
      write(s, r + "\r\n");
    } else if (cmd == "S,REQUEST CURRENT UPDATE FIELDNAMES") {
      write(s, current_fields(s));
    } else if (cmd.rfind("S,SELECT UPDATE FIELDS", 0) == 0) {
      std::vector<std::string> chosen{"Symbol"};
      std::string unknown;
      const auto names = split(cmd);
      for (std::size_t i = 2; i < names.size(); ++i) {
        if (names[i].empty()) continue;
        const auto& all = all_field_names();
        const auto it = std::find_if(all.begin(), all.end(), [&](const std::string& n) {
          return upper(n) == upper(names[i]);
        });
        if (it == all.end()) {
          unknown = names[i];
          continue;
        }
        if (*it != "Symbol") chosen.push_back(*it);  // Symbol always leads
      }
      if (!unknown.empty()) write(s, "E,Invalid field name: " + unknown + ",\r\n");
      s.fields = chosen;
      write(s, current_fields(s));
    } else if (cmd == "S,REQUEST STATS") {
      write(s, "S,STATS,127.0.0.1,60002,500," + std::to_string(s.watches.size()) +
                   ",1,0,0,0,Mar 15 09:30AM,Mar 15 09:31AM," +
                   (stale ? "Not Connected" : "Connected") +
                   ",6.2.0.25,TESTLOGIN,1.00,0.10,0.10,0.50,0.01,0.01,\r\n");
    } else if (cmd == "S,TIMESTAMPSON" || cmd == "S,TIMESTAMPSOFF") {
      s.timestamps = cmd == "S,TIMESTAMPSON";
    } else if (cmd == "S,REQUEST WATCHES") {
      std::string r = "S,WATCHES";
      for (const auto& [sym, trades_only] : s.watches)
        r += std::string(",") + (trades_only ? "t" : "w") + sym;
      write(s, r + "\r\n");
    } else if (cmd == "S,UNWATCH ALL") {
      s.watches.clear();
      changed.notify_all();
    } else if (cmd == "T") {
      write(s, market_time() + "\r\n");
    } else if (!cmd.empty() && (cmd[0] == 'w' || cmd[0] == 't') && cmd.size() > 1 &&
               cmd[1] != ',') {
      const std::string sym = upper(cmd.substr(1));
      if (!known.contains(sym)) {
        write(s, "n," + sym + "\r\n");
        return;
      }
      if (!s.watches.contains(sym) && s.watches.size() >= options.max_symbols) {
        write(s, "S,SYMBOL LIMIT REACHED," + sym + "\r\n");
        return;
      }
      s.watches[sym] = cmd[0] == 't';
      write(s, summary(s, sym));
      changed.notify_all();
    } else if (!cmd.empty() && cmd[0] == 'r' && cmd.size() > 1) {
      s.watches.erase(upper(cmd.substr(1)));
      changed.notify_all();
    } else if (!cmd.empty() && cmd[0] == 'f' && cmd.size() > 1) {
      const std::string sym = upper(cmd.substr(1));
      if (s.watches.contains(sym)) write(s, summary(s, sym));
    } else {
      write(s, "E,Unknown Server Request: " + cmd + ",\r\n");
    }
  }

  std::string current_fields(const Session& s) const {
    std::string r = "S,CURRENT UPDATE FIELDNAMES";
    for (const auto& f : s.fields)
      r += "," + f;
    return r + "\r\n";
  }

  void lookup_command(Session& s, const std::string& cmd) {
    if (cmd.rfind("S,SET PROTOCOL,", 0) == 0) {
      write(s, protocol_reply(s, cmd.substr(15)));
      return;
    }
    if (cmd.rfind("S,SET CLIENT NAME,", 0) == 0) return;
    const auto f = split(cmd);
    if (f[0] != "HTT" || f.size() < 10) {
      write(s, "E,!SYNTAX_ERROR!,\r\n");
      return;
    }
    ++history_requests;
    const std::string& reqid = f[8];
    const std::string prefix = reqid.empty() ? "" : reqid + ",";
    const std::string sym = upper(f[1]);
    const std::int64_t begin = f[2].empty() ? INT64_MIN : request_time(f[2]);
    const std::int64_t end = f[3].empty() ? INT64_MAX : request_time(f[3]);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < released; ++i) {
      const auto& e = events[i];
      if (e.kind == SourceEvent::Kind::kTrade && e.symbol == sym && e.local_us >= begin &&
          e.local_us <= end)
        rows.push_back(i);
    }
    if (f[7] != "1") std::reverse(rows.begin(), rows.end());  // 0/empty: newest first
    if (!f[4].empty()) rows.resize(std::min<std::size_t>(rows.size(), std::stoul(f[4])));
    if (rows.empty()) {
      write(s, prefix + "E,!NO_DATA!,\r\n" + prefix + "!ENDMSG!,\r\n");
      return;
    }
    std::string out;
    for (const auto i : rows) {
      const auto& e = events[i];
      out += prefix;
      if (s.protocol == "6.2") out += "LH,";
      out += history_ts(e.local_us) + "," + price(e.price) + "," + std::to_string(e.size) + "," +
             std::to_string(volume_after[i]) + "," + price(e.bid) + "," + price(e.ask) + "," +
             std::to_string(e.tick_id) + "," + std::string(1, e.basis) + ",11,3D,";
      if (s.protocol != "6.0") out += "0," + std::to_string(civil(e.local_us).d) + ",";
      out += "\r\n";
    }
    out += prefix + "!ENDMSG!,\r\n";
    write(s, out);
  }

  // ---- the market ----
  void publish(std::size_t n) {
    std::lock_guard lock(m);
    std::map<Session*, std::string> out;
    for (; n > 0 && released < events.size(); --n) {
      const SourceEvent& e = events[released];
      Market& mk = market[e.symbol];
      std::string contents;
      const bool trade = e.kind == SourceEvent::Kind::kTrade;
      if (trade) {
        mk.has_trade = true;
        mk.last = e;
        mk.volume += e.size;
        contents = std::string(1, e.basis) + "v";
      } else {
        if (e.bid != mk.bid) contents += 'b';
        if (e.ask != mk.ask) contents += 'a';
        if (contents.empty()) contents = "ba";
      }
      mk.bid = e.bid;
      mk.ask = e.ask;
      ++released;
      if (stale) continue;
      for (auto& s : sessions) {
        if (!s->level1 || s->dead) continue;
        const auto w = s->watches.find(e.symbol);
        if (w == s->watches.end() || (w->second && !trade)) continue;
        out[s.get()] += update_line(*s, 'Q', e.symbol, mk, contents);
      }
    }
    for (auto& [s, text] : out)
      write(*s, text);
  }

  void to_level1(std::string_view text) {
    for (auto& s : sessions)
      if (s->level1 && !s->dead) write(*s, text);
  }

  // ---- the server thread ----
  void accept(int listener, bool level1) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval tv{5, 0};  // a client that stops reading must not hang the server forever
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::lock_guard lock(m);
    auto s = std::make_unique<Session>();
    s->fd = fd;
    s->level1 = level1;
    if (level1) {
      ++level1_accepted;
      write(*s, market_time() + "\r\n");
    }
    sessions.push_back(std::move(s));
    changed.notify_all();
  }

  void readable(Session& s) {
    char buf[4096];
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, MSG_DONTWAIT);
    std::lock_guard lock(m);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      kill(s);
      return;
    }
    s.inbuf.append(buf, static_cast<std::size_t>(n));
    std::size_t pos;
    while (!s.dead && (pos = s.inbuf.find('\n')) != std::string::npos) {
      std::string cmd = s.inbuf.substr(0, pos);
      s.inbuf.erase(0, pos + 1);
      if (!cmd.empty() && cmd.back() == '\r') cmd.pop_back();
      commands.push_back((s.level1 ? "L1 " : "LK ") + cmd);
      if (s.level1)
        level1_command(s, cmd);
      else
        lookup_command(s, cmd);
    }
  }

  void loop() {
    while (!stopping) {
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}, {listen_l1, POLLIN, 0}, {listen_lk, POLLIN, 0}};
      std::vector<Session*> polled;
      {
        std::lock_guard lock(m);
        // Sessions are closed here only, never while another thread may poll them.
        for (auto it = sessions.begin(); it != sessions.end();) {
          if ((*it)->dead) {
            ::close((*it)->fd);
            it = sessions.erase(it);
            changed.notify_all();
          } else {
            fds.push_back({(*it)->fd, POLLIN, 0});
            polled.push_back(it->get());
            ++it;
          }
        }
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents != 0) {
        char c[64];
        while (::read(wake[0], c, sizeof c) > 0) {
        }
      }
      if (fds[1].revents != 0) accept(listen_l1, true);
      if (fds[2].revents != 0) accept(listen_lk, false);
      for (std::size_t i = 0; i < polled.size(); ++i)
        if (fds[3 + i].revents != 0) readable(*polled[i]);
    }
  }
};

FakeIqConnect::FakeIqConnect(std::vector<SourceEvent> events, FakeIqConnectOptions options)
    : impl_(std::make_unique<Impl>(std::move(events), std::move(options))) {}

FakeIqConnect::~FakeIqConnect() = default;

std::uint16_t FakeIqConnect::level1_port() const {
  return impl_->port_l1;
}
std::uint16_t FakeIqConnect::lookup_port() const {
  return impl_->port_lk;
}

void FakeIqConnect::publish(std::size_t n) {
  impl_->publish(n);
}

std::size_t FakeIqConnect::published() const {
  std::lock_guard lock(impl_->m);
  return impl_->released;
}

std::size_t FakeIqConnect::size() const {
  return impl_->events.size();
}

void FakeIqConnect::drop_connections() {
  std::lock_guard lock(impl_->m);
  for (auto& s : impl_->sessions)
    impl_->kill(*s);
  [[maybe_unused]] const auto n = ::write(impl_->wake[1], "x", 1);
}

void FakeIqConnect::server_disconnected() {
  std::lock_guard lock(impl_->m);
  impl_->stale = true;
  impl_->to_level1("S,SERVER DISCONNECTED\r\n");
}

void FakeIqConnect::server_connected() {
  std::lock_guard lock(impl_->m);
  impl_->stale = false;
  impl_->to_level1("S,SERVER CONNECTED\r\n");
}

void FakeIqConnect::send_raw(std::string_view bytes) {
  std::lock_guard lock(impl_->m);
  impl_->to_level1(bytes);
}

bool FakeIqConnect::wait_for_watches(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->m);
  return impl_->changed.wait_for(lock, timeout, [&] {
    std::size_t total = 0;
    for (const auto& s : impl_->sessions)
      if (s->level1 && !s->dead) total += s->watches.size();
    return total >= n;
  });
}

bool FakeIqConnect::wait_for_level1_connections(std::size_t n,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->m);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->level1_accepted >= n; });
}

std::size_t FakeIqConnect::level1_connections() const {
  std::lock_guard lock(impl_->m);
  return impl_->level1_accepted;
}

std::size_t FakeIqConnect::history_requests() const {
  std::lock_guard lock(impl_->m);
  return impl_->history_requests;
}

std::vector<std::string> FakeIqConnect::commands() const {
  std::lock_guard lock(impl_->m);
  return impl_->commands;
}

}  // namespace spacetime::testing
