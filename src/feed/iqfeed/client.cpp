// The IQFeed client's loop: one thread, two plain TCP sockets (Level 1 and, while a gap is
// being filled, lookup) and an eventfd for stop requests, multiplexed with poll(). Trades
// pass, in order, through: parse -> per-symbol hold (while that symbol's history loads) ->
// duplicate window -> TickNormalizer -> batch -> TickSink::offer().
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "feed/iqfeed.hpp"
#include "feed/iqfeed/backoff.hpp"
#include "feed/iqfeed/clock.hpp"
#include "feed/iqfeed/framer.hpp"
#include "feed/iqfeed/protocol.hpp"
#include "feed/iqfeed/socket.hpp"
#include "feed/iqfeed/trade_window.hpp"
#include "feed/normalizer.hpp"

namespace spacetime::feed {

using iqfeed::Backoff;
using iqfeed::ConnectResult;
using iqfeed::Fd;
using iqfeed::FundamentalLayout;
using iqfeed::LineFramer;
using iqfeed::ParseError;
using iqfeed::TradeKey;
using iqfeed::TradeWindow;
using iqfeed::UpdateField;
using iqfeed::UpdateFieldset;
using iqfeed::WakeFd;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 16;  // bounded, so one busy socket cannot starve the other
constexpr std::size_t kBatch = 1024;
constexpr std::chrono::milliseconds kSendTimeout{2000};
constexpr std::chrono::milliseconds kPollSlice{200};
constexpr std::size_t kContextChars = 240;
constexpr std::int64_t kUnknownTime = std::numeric_limits<std::int64_t>::min();

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

// A line made safe for a log: truncated, non-printable bytes as \xNN.
std::string printable(std::string_view line) {
  std::string out;
  const std::size_t n = std::min(line.size(), kContextChars);
  out.reserve(n + 16);
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (line.size() > n) out += "...";
  return out;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct HeldTrade {
  TradeKey key;
  double bid = 0.0;
  double ask = 0.0;
};

struct SymbolState {
  std::string name;
  market::SymbolId id = 0;
  double tick_size = 0.01;
  TradeWindow window;
  double bid = 0.0;  // latest quote, attached to the next trade
  double ask = 0.0;
  bool not_found = false;
  bool reported_not_found = false;
  bool reported_tick_size = false;
  bool backfilling = false;     // history requested, !ENDMSG! not yet seen
  std::vector<HeldTrade> held;  // live trades waiting for that history
  // TickID -> the feed's number of the delivered trade, for corrections: the last
  // kCorrectionIds delivered trades that had a TickID.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> trade_ids;
};

constexpr std::size_t kCorrectionIds = 4096;

struct Connection {
  Fd fd;
  LineFramer framer;
  std::uint64_t line_no = 0;
  bool talking = false;  // a valid line arrived on this connection

  bool open() const { return fd.valid(); }
  void start(Fd f) {
    fd = std::move(f);
    framer.reset();
    line_no = 0;
    talking = false;
  }
};

struct Counters {
  std::atomic<bool> connected{false};
  std::atomic<bool> server_connected{false};
  std::atomic<bool> backfilling{false};
  std::atomic<std::uint64_t> lines{0}, trades{0}, quotes{0}, connects{0}, reconnects{0},
      connect_failures{0}, disconnects{0}, server_disconnects{0}, protocol_mismatches{0},
      backfills{0}, backfill_failures{0}, backfilled{0}, duplicates{0}, rejected{0}, dropped{0},
      dropped_held{0}, unknown_symbols{0}, unexpected_symbols{0}, server_errors{0}, corrections{0},
      corrections_applied{0}, corrections_unmatched{0}, corrections_unknown_type{0};
  std::array<std::atomic<std::uint64_t>, kIqFeedParseErrorKinds> parse_errors{};
  std::array<std::atomic<std::uint64_t>, kRejectReasonCount> rejected_by_reason{};
};

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

void validate(const IqFeedConfig& c, const market::SymbolRegistry& registry) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("iqfeed: " + what); };
  if (c.symbols.empty()) fail("no symbols to watch");
  for (const auto& s : c.symbols) {
    if (s.empty() || s.find_first_of(",\r\n") != std::string::npos) fail("bad symbol '" + s + "'");
    if (!registry.find(s)) fail("symbol " + s + " is not in the symbol registry");
  }
  if (c.host.empty()) fail("host is empty");
  if (c.level1_port == 0 || c.lookup_port == 0) fail("ports must not be 0");
  if (c.backoff.initial.count() <= 0 || c.backoff.max < c.backoff.initial)
    fail("backoff needs 0 < initial <= max");
  if (!(c.backoff.factor >= 1.0) || !(c.backoff.jitter >= 0.0 && c.backoff.jitter <= 1.0))
    fail("backoff needs factor >= 1 and jitter in [0, 1]");
  if (c.backfill_attempts < 1) fail("backfill_attempts must be at least 1");
  if (c.connect_timeout.count() <= 0 || c.backfill_timeout.count() <= 0)
    fail("timeouts must be positive");
  if (c.client_name.find_first_of(",\r\n") != std::string::npos) fail("bad client name");
}

}  // namespace

std::string_view to_string(IqFeedEventKind kind) {
  switch (kind) {
    case IqFeedEventKind::kConnected:
      return "connected";
    case IqFeedEventKind::kDisconnected:
      return "disconnected";
    case IqFeedEventKind::kConnectFailed:
      return "connect_failed";
    case IqFeedEventKind::kServerDisconnected:
      return "server_disconnected";
    case IqFeedEventKind::kServerConnected:
      return "server_connected";
    case IqFeedEventKind::kProtocolMismatch:
      return "protocol_mismatch";
    case IqFeedEventKind::kBackfillStarted:
      return "backfill_started";
    case IqFeedEventKind::kBackfillDone:
      return "backfill_done";
    case IqFeedEventKind::kBackfillFailed:
      return "backfill_failed";
    case IqFeedEventKind::kSymbolNotFound:
      return "symbol_not_found";
    case IqFeedEventKind::kServerError:
      return "server_error";
    case IqFeedEventKind::kParseError:
      return "parse_error";
    case IqFeedEventKind::kTickSizeMismatch:
      return "tick_size_mismatch";
    case IqFeedEventKind::kDropped:
      return "dropped";
    case IqFeedEventKind::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::uint64_t IqFeedStats::parse_errors_total() const {
  std::uint64_t sum = 0;
  for (const auto n : parse_errors)
    sum += n;
  return sum;
}

struct IqFeedClient::Impl {
  Impl(IqFeedConfig c, const market::SymbolRegistry& registry)
      : config(std::move(c)),
        normalizer(
            registry,
            TimeGuard{
                .max_skew_ns = config.max_skew_ns, .confirm = 0, .now = &TimeGuard::wall_clock_ns},
            config.filter),
        backoff(config.backoff, config.jitter_seed != 0 ? config.jitter_seed : random_seed()),
        backfill_backoff(config.backoff,
                         config.jitter_seed != 0 ? config.jitter_seed + 1 : random_seed()) {
    for (const auto& name : config.symbols) {
      if (by_name.contains(name)) continue;
      const auto id = *registry.find(name);
      SymbolState s;
      s.name = name;
      s.id = id;
      s.tick_size = registry.info(id).tick_size;
      by_name.emplace(name, symbols.size());
      symbols.push_back(std::move(s));
    }
  }

  // ---- configuration and shared state ----
  IqFeedConfig config;
  TickNormalizer normalizer;
  std::vector<SymbolState> symbols;
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> by_name;
  Counters counters;
  std::function<void(const IqFeedEvent&)> handler;
  mutable std::mutex first_errors_mutex;
  std::vector<IqFeedEvent> first_errors;
  std::array<bool, kIqFeedParseErrorKinds> reported_parse_error{};
  bool reported_server_error = false;
  bool reported_dropped = false;
  std::size_t reported_rejects = 0;  // normalizer.reject_samples() already logged

  // ---- feed-thread state ----
  market::TickSink* sink = nullptr;
  const WakeFd* wake = nullptr;
  std::stop_token stop;
  Backoff backoff;
  Backoff backfill_backoff;
  Connection level1;
  Connection lookup;
  UpdateFieldset fieldset = UpdateFieldset::spacetime();
  FundamentalLayout fundamental_layout;
  std::vector<market::Tick> pending;
  std::vector<char> read_buf;
  bool ever_connected = false;
  bool stale = false;  // IQConnect reported its link to DTN down
  Clock::time_point reconnect_at{};
  // US Eastern -> UTC for trades and T messages, in feed order (the repeated November hour).
  iqfeed::EasternClock eastern;
  std::int64_t market_time = kUnknownTime;    // latest T message (exchange-local)
  std::int64_t session_start = kUnknownTime;  // earliest market time known this run
  std::size_t held_total = 0;

  // ---- backfill ----
  bool backfill_active = false;
  std::uint64_t backfill_generation = 0;
  int backfill_attempt = 0;
  Clock::time_point backfill_deadline{};
  std::optional<Clock::time_point> backfill_retry_at;
  std::deque<std::size_t> requests;  // symbol indexes in the order their HTT went out
  std::uint64_t run_backfilled = 0;
  std::uint64_t run_duplicates = 0;

  // ---- events ----
  void emit(IqFeedEvent e, bool first_error = false) {
    if (first_error) {
      std::lock_guard lock(first_errors_mutex);
      first_errors.push_back(e);
    }
    if (handler) handler(e);
  }

  void parse_error(ParseError kind, std::uint64_t line_no, std::string_view line,
                   std::string_view port) {
    const auto k = static_cast<std::size_t>(kind);
    bump(counters.parse_errors[k]);
    if (reported_parse_error[k]) return;
    reported_parse_error[k] = true;
    emit({IqFeedEventKind::kParseError,
          std::string(to_string(kind)) + " on " + std::string(port) + " port", line_no,
          printable(line)},
         true);
  }

  // ---- time ----
  std::int64_t today() const {
    if (market_time != kUnknownTime) return iqfeed::floor_div(market_time, iqfeed::kMicrosPerDay);
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return iqfeed::floor_div(iqfeed::utc_to_eastern_us(now_us), iqfeed::kMicrosPerDay);
  }

  void note_market_time(std::int64_t local_us) {
    if (session_start == kUnknownTime || local_us < session_start) session_start = local_us;
  }

  // ---- delivery ----
  void flush() {
    if (pending.empty() || sink == nullptr) return;
    std::span<const market::Tick> rest(pending);
    const auto deadline = Clock::now() + config.offer_wait;
    for (;;) {
      const std::size_t taken = std::min(sink->offer(rest), rest.size());
      // Corrections go in the same batches; they are counted as corrections_applied.
      const auto corrections =
          std::count_if(rest.begin(), rest.begin() + taken,
                        [](const market::Tick& t) { return market::is_correction(t); });
      bump(counters.trades, taken - static_cast<std::size_t>(corrections));
      rest = rest.subspan(taken);
      if (rest.empty() || stop.stop_requested() || Clock::now() >= deadline) break;
      std::this_thread::yield();
    }
    if (!rest.empty()) {
      sink->dropped(rest);  // a recording writes them as counted gaps
      bump(counters.dropped, rest.size());
      if (!reported_dropped) {
        reported_dropped = true;
        emit({IqFeedEventKind::kDropped,
              std::to_string(rest.size()) + " trades refused by the engine for " +
                  std::to_string(config.offer_wait.count()) + " us",
              0, ""},
             true);
      }
    }
    pending.clear();
  }

  // IQFeed's once-a-second time stamp as a clock advance (docs/INDICATORS.md § 9), behind
  // the trades before it. Advisory: one the engine refuses is dropped (the next one, or the
  // next trade, closes the bars), and one from the future is ignored like a trade would be.
  void offer_clock(std::int64_t local_us) {
    const std::int64_t utc_us = eastern.resolve(local_us);
    if (utc_us < 0 || utc_us >= std::numeric_limits<std::int64_t>::max() / 1000) return;
    const std::int64_t ts_ns = utc_us * 1000;
    if (config.max_skew_ns > 0 && ts_ns - TimeGuard::wall_clock_ns() > config.max_skew_ns) return;
    eastern.observe(utc_us);
    flush();
    if (sink == nullptr) return;
    const market::Tick clock = market::clock_tick(ts_ns);
    sink->offer(std::span<const market::Tick>(&clock, 1));
  }

  void deliver(SymbolState& s, const TradeKey& k, double bid, double ask) {
    s.window.record(k);
    const std::int64_t utc_us = eastern.resolve(k.local_us);
    // Dates far outside int64 nanoseconds become a bad time for the normalizer to count.
    const std::int64_t ts_ns =
        (utc_us >= 0 && utc_us < std::numeric_limits<std::int64_t>::max() / 1000) ? utc_us * 1000
                                                                                  : -1;
    const auto tick =
        normalizer.normalize(s.id, ts_ns, k.price, static_cast<double>(k.size), bid, ask);
    if (!tick) {
      bump(counters.rejected);
      const auto& by_reason = normalizer.rejected().by_reason;
      for (std::size_t r = 0; r < kRejectReasonCount; ++r)
        counters.rejected_by_reason[r].store(by_reason[r], std::memory_order_relaxed);
      // The first few per reason are logged, with what was rejected.
      const auto& samples = normalizer.reject_samples();
      if (samples.size() > reported_rejects) {
        const RejectedTick& r = samples.back();
        reported_rejects = samples.size();
        emit({IqFeedEventKind::kRejected,
              std::string(to_string(r.reason)) + ": " + s.name + " price " +
                  std::to_string(r.price) + " size " + std::to_string(r.size) + " bid " +
                  std::to_string(r.bid) + " ask " + std::to_string(r.ask) + " at " +
                  std::to_string(r.ts_ns) + " ns",
              0, ""},
             true);
      }
      return;
    }
    eastern.observe(utc_us);  // accepted: its time may decide the next repeated hour
    if (k.tick_id != 0) {
      s.trade_ids.emplace_back(k.tick_id, tick->seq);
      if (s.trade_ids.size() > kCorrectionIds) s.trade_ids.pop_front();
    }
    pending.push_back(*tick);
    if (pending.size() >= kBatch) flush();
  }

  // A trade correction (docs/FEEDS.md "Trade corrections"): C cancels the trade TickID and
  // inserts the given price and size in its place, D and X cancel it, I inserts a trade.
  // It goes to the engine in order with the trades, as market::correction_tick.
  void on_correction(const iqfeed::Correction& c) {
    bump(counters.corrections);
    const auto it = by_name.find(c.symbol);
    if (it == by_name.end()) {
      bump(counters.unexpected_symbols);
      return;
    }
    SymbolState& s = symbols[it->second];
    const bool cancels = c.type == 'C' || c.type == 'D' || c.type == 'X';
    const bool inserts = c.type == 'C' || c.type == 'I';
    if (!cancels && !inserts) {
      bump(counters.corrections_unknown_type);
      return;
    }
    std::uint64_t seq = 0;
    if (cancels) {
      const auto id = std::find_if(s.trade_ids.rbegin(), s.trade_ids.rend(),
                                   [&](const auto& p) { return p.first == c.tick_id; });
      if (s.backfilling || id == s.trade_ids.rend()) {
        bump(counters.corrections_unmatched);
        return;
      }
      seq = id->second;
    }
    const std::int64_t utc_us = eastern.resolve(c.date * iqfeed::kMicrosPerDay + c.time_us);
    const std::int64_t ts_ns =
        (utc_us >= 0 && utc_us < std::numeric_limits<std::int64_t>::max() / 1000) ? utc_us * 1000
                                                                                  : -1;
    const auto tick = normalizer.correction(s.id, seq, ts_ns, inserts ? c.price : 0.0,
                                            inserts ? static_cast<double>(c.size) : 0.0);
    if (!tick) {
      bump(counters.rejected);
      const auto& by_reason = normalizer.rejected().by_reason;
      for (std::size_t r = 0; r < kRejectReasonCount; ++r)
        counters.rejected_by_reason[r].store(by_reason[r], std::memory_order_relaxed);
      return;
    }
    bump(counters.corrections_applied);
    pending.push_back(*tick);
    if (pending.size() >= kBatch) flush();
  }

  void hold(SymbolState& s, const TradeKey& k) {
    if (held_total >= config.max_held_trades) {
      bump(counters.dropped_held);
      if (!reported_dropped) {
        reported_dropped = true;
        emit({IqFeedEventKind::kDropped,
              "held live trades exceed max_held_trades while history loads", 0, s.name},
             true);
      }
      return;
    }
    s.held.push_back({k, s.bid, s.ask});
    ++held_total;
  }

  // Hands over the live trades held for a symbol, skipping what its history delivered.
  void release_held(SymbolState& s) {
    for (const HeldTrade& h : s.held) {
      if (s.window.is_duplicate_history(h.key)) {
        bump(counters.duplicates);
        ++run_duplicates;
      } else {
        deliver(s, h.key, h.bid, h.ask);
      }
    }
    held_total -= s.held.size();
    s.held.clear();
    s.held.shrink_to_fit();
  }

  void discard_held(SymbolState& s) {
    // Not delivered, so newer than the window: the next history request covers them.
    held_total -= s.held.size();
    s.held.clear();
    s.held.shrink_to_fit();
  }

  // ---- Level 1 ----
  std::string handshake() const {
    std::string h;
    h += "S,SET PROTOCOL,";
    h += iqfeed::kProtocolVersion;
    h += "\r\nS,SET CLIENT NAME," + config.client_name + "\r\n";
    h += "S,CONNECT\r\n";
    h += "S,REQUEST FUNDAMENTAL FIELDNAMES\r\n";
    h += iqfeed::select_update_fields_command();
    h += "\r\n";
    h += watches();
    return h;
  }

  std::string watches() const {
    std::string w;
    for (const auto& s : symbols) {
      w += config.watch_quotes ? 'w' : 't';
      w += s.name;
      w += "\r\n";
    }
    return w;
  }

  bool connect_level1() {
    ConnectResult r =
        iqfeed::connect_tcp(config.host, config.level1_port, config.connect_timeout, *wake);
    if (!r.fd.valid()) {
      if (stop.stop_requested()) return false;
      bump(counters.connect_failures);
      reconnect_at = Clock::now() + backoff.next();
      emit({IqFeedEventKind::kConnectFailed,
            config.host + ":" + std::to_string(config.level1_port) + ": " + r.error, 0, ""});
      return false;
    }
    level1.start(std::move(r.fd));
    bump(counters.connects);
    if (ever_connected) bump(counters.reconnects);
    counters.connected.store(true);
    counters.server_connected.store(false);
    stale = false;
    // Until the server confirms the layouts, assume it accepted what we ask for.
    fieldset = UpdateFieldset::spacetime();
    fundamental_layout = {};
    emit({IqFeedEventKind::kConnected, config.host + ":" + std::to_string(config.level1_port), 0,
          ""});
    const bool gap = ever_connected;
    ever_connected = true;
    // Mark the symbols as backfilling before any line of the new connection is read, so
    // live trades are held behind their history.
    if (gap) start_backfill();
    if (!iqfeed::send_all(level1.fd.get(), handshake(), kSendTimeout)) {
      lose_level1("cannot send the handshake");
      return false;
    }
    if (gap && backfill_active) begin_backfill_attempt();
    return true;
  }

  void lose_level1(const std::string& reason) {
    if (!level1.open()) return;
    level1.fd.reset();
    counters.connected.store(false);
    counters.server_connected.store(false);
    bump(counters.disconnects);
    flush();
    if (backfill_active) abort_backfill();
    reconnect_at = Clock::now() + backoff.next();
    emit({IqFeedEventKind::kDisconnected, reason, level1.line_no, ""});
  }

  void read_level1() {
    for (int i = 0; i < kReadsPerWakeup && level1.open(); ++i) {
      const ssize_t n = ::recv(level1.fd.get(), read_buf.data(), read_buf.size(), 0);
      if (n > 0) {
        level1.framer.push(
            std::string_view(read_buf.data(), static_cast<std::size_t>(n)),
            [this](std::string_view line) { on_level1_line(line); },
            [this] {
              ++level1.line_no;
              parse_error(ParseError::kLineTooLong, level1.line_no, "", "level1");
            });
        if (static_cast<std::size_t>(n) < read_buf.size()) return;
        continue;
      }
      if (n == 0) {
        lose_level1("connection closed by IQConnect");
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      lose_level1(std::string("read failed: ") + std::strerror(errno));
      return;
    }
  }

  void on_level1_line(std::string_view line) {
    ++level1.line_no;
    bump(counters.lines);
    if (!level1.open()) return;  // the connection was lost earlier in this read
    const iqfeed::Parsed p = iqfeed::parse_level1_line(line, fieldset, fundamental_layout);
    if (!p) {
      parse_error(*p.error, level1.line_no, line, "level1");
      return;
    }
    if (!level1.talking) {
      level1.talking = true;
      backoff.reset();  // the server answers: the next loss starts the delays afresh
    }
    if (const auto* u = std::get_if<iqfeed::Update>(&p.message)) {
      on_update(*u);
    } else if (const auto* s = std::get_if<iqfeed::System>(&p.message)) {
      on_system(*s, line);
    } else if (const auto* f = std::get_if<iqfeed::Fundamental>(&p.message)) {
      on_fundamental(*f);
    } else if (const auto* nf = std::get_if<iqfeed::SymbolNotFound>(&p.message)) {
      on_symbol_not_found(nf->symbol);
    } else if (const auto* e = std::get_if<iqfeed::ServerError>(&p.message)) {
      on_server_error(e->text, line, level1.line_no);
    } else if (const auto* t = std::get_if<iqfeed::Timestamp>(&p.message)) {
      market_time = t->local_us;
      note_market_time(t->local_us);
      if (config.clock_ticks) offer_clock(t->local_us);
    } else if (const auto* c = std::get_if<iqfeed::Correction>(&p.message)) {
      on_correction(*c);
    }
  }

  void on_update(const iqfeed::Update& u) {
    const auto it = by_name.find(u.symbol);
    if (it == by_name.end()) {
      bump(counters.unexpected_symbols);
      return;
    }
    SymbolState& s = symbols[it->second];
    if (u.has(UpdateField::kBid)) s.bid = u.bid;
    if (u.has(UpdateField::kAsk)) s.ask = u.ask;
    // Quote lines before the first trade of the day have no date; only trades need one.
    auto date = [&] { return u.has(UpdateField::kLastDate) ? u.last_date : today(); };
    if (u.summary) {
      // The snapshot's last trade happened before this watch: mark it seen, never deliver.
      if (!s.backfilling && u.has(UpdateField::kLast) && u.has(UpdateField::kLastSize) &&
          u.has(UpdateField::kLastTime))
        s.window.seed(
            {date() * iqfeed::kMicrosPerDay + u.last_time_us, u.tick_id, u.last, u.last_size});
      return;
    }
    if (!u.is_trade()) {
      bump(counters.quotes);
      return;
    }
    const TradeKey k{date() * iqfeed::kMicrosPerDay + u.last_time_us, u.tick_id, u.last,
                     u.last_size};
    note_market_time(k.local_us);
    if (s.backfilling) {
      hold(s, k);
      return;
    }
    if (s.window.is_duplicate_live(k)) {
      bump(counters.duplicates);
      return;
    }
    deliver(s, k, s.bid, s.ask);
  }

  void check_protocol(std::string_view version, std::string_view line, std::uint64_t line_no) {
    if (version == iqfeed::kProtocolVersion) return;
    bump(counters.protocol_mismatches);
    emit({IqFeedEventKind::kProtocolMismatch,
          "asked for protocol " + std::string(iqfeed::kProtocolVersion) + ", server says " +
              std::string(version),
          line_no, printable(line)});
  }

  void on_system(const iqfeed::System& s, std::string_view line) {
    using iqfeed::SystemKind;
    switch (s.kind) {
      case SystemKind::kCurrentProtocol:
        check_protocol(s.first_arg(), line, level1.line_no);
        break;
      case SystemKind::kCurrentUpdateFieldnames: {
        fieldset = UpdateFieldset::from_names(s.args);
        const auto f = fieldset.fields();
        const bool usable =
            !f.empty() && f.front() == UpdateField::kSymbol && fieldset.has(UpdateField::kLast) &&
            fieldset.has(UpdateField::kLastSize) && fieldset.has(UpdateField::kLastTime) &&
            fieldset.has(UpdateField::kContents);
        if (!usable) {
          bump(counters.protocol_mismatches);
          emit({IqFeedEventKind::kProtocolMismatch,
                "the server's update fieldset lacks fields needed to recognise trades",
                level1.line_no, printable(line)});
        }
        break;
      }
      case SystemKind::kFundamentalFieldnames:
        fundamental_layout = FundamentalLayout::from_names(s.args);
        break;
      case SystemKind::kServerDisconnected:
      case SystemKind::kServerReconnectFailed:
        if (s.kind == SystemKind::kServerDisconnected) bump(counters.server_disconnects);
        stale = true;
        counters.server_connected.store(false);
        emit({IqFeedEventKind::kServerDisconnected, std::string(s.name), level1.line_no, ""});
        break;
      case SystemKind::kServerConnected:
        counters.server_connected.store(true);
        emit({IqFeedEventKind::kServerConnected, std::string(s.name), level1.line_no, ""});
        if (stale) {
          // IQConnect is back on DTN: refresh the watches and fill what it missed.
          stale = false;
          start_backfill();
          if (!iqfeed::send_all(level1.fd.get(), watches(), kSendTimeout)) {
            lose_level1("cannot send the watches");
            return;
          }
          if (backfill_active) begin_backfill_attempt();
        }
        break;
      case SystemKind::kSymbolLimitReached:
        // IQConnect will not watch this symbol (its subscription's symbol limit): like an
        // unknown symbol, it is reported once and never backfilled.
        on_symbol_not_found(s.first_arg(), "symbol limit reached");
        break;
      default:
        break;  // KEY, CUST, IP, STATS, WATCHES, ...: informational
    }
  }

  void on_fundamental(const iqfeed::Fundamental& f) {
    const auto it = by_name.find(f.symbol);
    if (it == by_name.end()) return;
    SymbolState& s = symbols[it->second];
    if (f.min_tick_size > 0.0 && !s.reported_tick_size &&
        std::fabs(f.min_tick_size - s.tick_size) > 1e-9 * std::max(1.0, s.tick_size)) {
      s.reported_tick_size = true;
      emit({IqFeedEventKind::kTickSizeMismatch,
            s.name + ": IQFeed minimum tick size " + std::to_string(f.min_tick_size) +
                ", registry tick size " + std::to_string(s.tick_size),
            level1.line_no, ""});
    }
  }

  void on_symbol_not_found(std::string_view symbol, std::string_view why = "symbol not found") {
    bump(counters.unknown_symbols);
    const auto it = by_name.find(symbol);
    if (it == by_name.end()) return;
    SymbolState& s = symbols[it->second];
    s.not_found = true;
    if (s.reported_not_found) return;
    s.reported_not_found = true;
    emit({IqFeedEventKind::kSymbolNotFound, s.name, level1.line_no, std::string(why)}, true);
  }

  void on_server_error(std::string_view text, std::string_view line, std::uint64_t line_no) {
    bump(counters.server_errors);
    if (text.find("not a valid protocol") != std::string_view::npos) {
      bump(counters.protocol_mismatches);
      emit({IqFeedEventKind::kProtocolMismatch, std::string(text), line_no, printable(line)});
      return;
    }
    if (reported_server_error) return;
    reported_server_error = true;
    emit({IqFeedEventKind::kServerError, std::string(text), line_no, printable(line)}, true);
  }

  // ---- backfill ----
  void start_backfill() {
    if (!config.backfill) return;
    if (backfill_active) abort_backfill();
    ++backfill_generation;
    backfill_attempt = 0;
    backfill_backoff.reset();
    run_backfilled = 0;
    run_duplicates = 0;
    std::size_t n = 0;
    for (auto& s : symbols) {
      if (s.not_found || (s.window.empty() && session_start == kUnknownTime)) continue;
      s.backfilling = true;
      ++n;
    }
    if (n == 0) return;
    backfill_active = true;
    counters.backfilling.store(true);
    emit({IqFeedEventKind::kBackfillStarted, std::to_string(n) + " symbols", 0, ""});
  }

  // Drops the backfill in flight; a later start_backfill() requests from the window again.
  void abort_backfill() {
    lookup.fd.reset();
    requests.clear();
    for (auto& s : symbols) {
      if (!s.backfilling) continue;
      s.backfilling = false;
      discard_held(s);
    }
    backfill_active = false;
    backfill_retry_at.reset();
    counters.backfilling.store(false);
  }

  std::string request_id(std::size_t index) const {
    return "B" + std::to_string(backfill_generation) + "." + std::to_string(index);
  }

  // Which symbol a lookup line answers: by request id, else (an id-less line) the oldest
  // request still open, since IQConnect answers in order.
  std::optional<std::size_t> request_symbol(std::string_view id) const {
    if (id.empty()) {
      if (requests.empty()) return std::nullopt;
      return requests.front();
    }
    const std::string prefix = "B" + std::to_string(backfill_generation) + ".";
    if (id.substr(0, prefix.size()) != prefix) return std::nullopt;  // an older generation
    std::size_t index = 0;
    const auto rest = id.substr(prefix.size());
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (ec != std::errc{} || ptr != rest.data() + rest.size() || index >= symbols.size())
      return std::nullopt;
    return index;
  }

  void begin_backfill_attempt() {
    backfill_retry_at.reset();
    backfill_deadline = Clock::now() + config.backfill_timeout;
    ConnectResult r =
        iqfeed::connect_tcp(config.host, config.lookup_port, config.connect_timeout, *wake);
    if (!r.fd.valid()) {
      if (stop.stop_requested()) return;
      backfill_attempt_failed("lookup port: " + r.error);
      return;
    }
    lookup.start(std::move(r.fd));
    requests.clear();
    std::string req = "S,SET PROTOCOL," + std::string(iqfeed::kProtocolVersion) + "\r\n";
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      const SymbolState& s = symbols[i];
      if (!s.backfilling) continue;
      // HTT takes whole seconds: start at the second of the newest trade delivered; the
      // window recognises the repeats.
      const std::int64_t begin =
          s.window.empty() ? session_start
                           : iqfeed::floor_div(s.window.watermark(), iqfeed::kMicrosPerSecond) *
                                 iqfeed::kMicrosPerSecond;
      // HTT,[Symbol],[Begin],[End],[MaxDatapoints],[BeginFilterTime],[EndFilterTime],
      //     [DataDirection],[RequestID],[DatapointsPerSend]: no end (up to now), oldest first.
      req += "HTT," + s.name + "," + iqfeed::format_request_time(begin) + ",,,,,1," +
             request_id(i) + ",500\r\n";
      requests.push_back(i);
    }
    if (requests.empty()) {
      complete_backfill();
      return;
    }
    if (!iqfeed::send_all(lookup.fd.get(), req, kSendTimeout))
      backfill_attempt_failed("cannot send the history requests");
  }

  void backfill_attempt_failed(const std::string& reason) {
    bump(counters.backfill_failures);
    lookup.fd.reset();
    requests.clear();
    ++backfill_attempt;
    if (backfill_attempt < config.backfill_attempts) {
      backfill_retry_at = Clock::now() + backfill_backoff.next();
      emit({IqFeedEventKind::kBackfillFailed, reason + "; retrying", lookup.line_no, ""});
      return;
    }
    // Give up: the gap stays a gap, and live trading goes on.
    for (auto& s : symbols) {
      if (!s.backfilling) continue;
      s.backfilling = false;
      release_held(s);
    }
    backfill_active = false;
    counters.backfilling.store(false);
    emit({IqFeedEventKind::kBackfillFailed,
          reason + "; gave up after " + std::to_string(backfill_attempt) + " attempts",
          lookup.line_no, ""});
  }

  void complete_backfill() {
    lookup.fd.reset();
    requests.clear();
    backfill_active = false;
    counters.backfilling.store(false);
    bump(counters.backfills);
    emit({IqFeedEventKind::kBackfillDone,
          std::to_string(run_backfilled) + " trades from history, " +
              std::to_string(run_duplicates) + " duplicates skipped",
          0, ""});
  }

  void finish_symbol(std::size_t index) {
    SymbolState& s = symbols[index];
    s.backfilling = false;
    release_held(s);
    requests.erase(std::remove(requests.begin(), requests.end(), index), requests.end());
    if (requests.empty()) complete_backfill();
  }

  void read_lookup() {
    for (int i = 0; i < kReadsPerWakeup && lookup.open(); ++i) {
      const ssize_t n = ::recv(lookup.fd.get(), read_buf.data(), read_buf.size(), 0);
      if (n > 0) {
        lookup.framer.push(
            std::string_view(read_buf.data(), static_cast<std::size_t>(n)),
            [this](std::string_view line) { on_lookup_line(line); },
            [this] {
              ++lookup.line_no;
              parse_error(ParseError::kLineTooLong, lookup.line_no, "", "lookup");
            });
        if (static_cast<std::size_t>(n) < read_buf.size()) return;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      const std::string why =
          n == 0 ? "closed by IQConnect" : std::string("read failed: ") + std::strerror(errno);
      lookup.fd.reset();
      if (backfill_active && !requests.empty()) backfill_attempt_failed("lookup connection " + why);
      return;
    }
  }

  void on_lookup_line(std::string_view line) {
    ++lookup.line_no;
    bump(counters.lines);
    if (!lookup.open()) return;
    const iqfeed::LookupParsed p = iqfeed::parse_lookup_line(line);
    if (!p) {
      parse_error(*p.error, lookup.line_no, line, "lookup");
      return;
    }
    if (const auto* sys = std::get_if<iqfeed::System>(&p.message)) {
      if (sys->kind == iqfeed::SystemKind::kCurrentProtocol)
        check_protocol(sys->first_arg(), line, lookup.line_no);
      return;
    }
    const auto index = request_symbol(p.request_id);
    if (!index) return;
    SymbolState& s = symbols[*index];
    if (!s.backfilling) return;
    if (const auto* t = std::get_if<iqfeed::HistoryTick>(&p.message)) {
      if (!t->is_trade()) return;  // S (settlement) rows are not trades
      const TradeKey k{t->local_us, t->tick_id, t->last, t->last_size};
      if (s.window.is_duplicate_history(k)) {
        bump(counters.duplicates);
        ++run_duplicates;
        return;
      }
      deliver(s, k, t->bid, t->ask);
      bump(counters.backfilled);
      ++run_backfilled;
    } else if (const auto* e = std::get_if<iqfeed::HistoryError>(&p.message)) {
      if (e->text != "!NO_DATA!") on_server_error(e->text, line, lookup.line_no);
    } else if (std::holds_alternative<iqfeed::HistoryEnd>(p.message)) {
      finish_symbol(*index);
    }
  }

  void check_backfill_timers() {
    if (!backfill_active) return;
    const auto now = Clock::now();
    if (backfill_retry_at) {
      if (now >= *backfill_retry_at && level1.open()) begin_backfill_attempt();
      return;
    }
    if (now >= backfill_deadline) backfill_attempt_failed("timed out");
  }

  int poll_timeout_ms() const {
    auto until = Clock::now() + kPollSlice;
    if (backfill_active) until = std::min(until, backfill_retry_at.value_or(backfill_deadline));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(ms + 1, 0, kPollSlice.count()));
  }

  void poll_once() {
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {wake->fd(), POLLIN, 0};
    const nfds_t l1 = level1.open() ? n++ : 0;
    if (l1 != 0) fds[l1] = {level1.fd.get(), POLLIN, 0};
    const nfds_t lk = lookup.open() ? n++ : 0;
    if (lk != 0) fds[lk] = {lookup.fd.get(), POLLIN, 0};
    if (::poll(fds, n, poll_timeout_ms()) <= 0) return;
    if (fds[0].revents != 0) wake->drain();
    if (l1 != 0 && fds[l1].revents != 0) read_level1();
    if (lk != 0 && fds[lk].revents != 0 && lookup.open()) read_lookup();
  }

  void run(market::TickSink& s, std::stop_token st) {
    const WakeFd w;
    wake = &w;
    sink = &s;
    stop = st;
    const std::stop_callback on_stop(st, [&w] { w.notify(); });
    read_buf.resize(kReadChunk);
    reconnect_at = Clock::now();
    while (!stop.stop_requested()) {
      if (!level1.open()) {
        const auto now = Clock::now();
        if (now < reconnect_at) {
          iqfeed::sleep_unless_woken(
              w, std::chrono::duration_cast<std::chrono::milliseconds>(reconnect_at - now) +
                     std::chrono::milliseconds(1));
          continue;
        }
        if (!connect_level1()) continue;
      }
      poll_once();
      check_backfill_timers();
      flush();
      sink->idle();  // ticks the engine holds back move on while the feed is quiet
    }
    flush();
    level1.fd.reset();
    lookup.fd.reset();
    counters.connected.store(false);
    counters.backfilling.store(false);
    sink = nullptr;
    wake = nullptr;
  }
};

IqFeedClient::IqFeedClient(IqFeedConfig config, const market::SymbolRegistry& symbols) {
  validate(config, symbols);
  iqfeed::check_eastern_zone();  // a missing tz database fails here, not on the feed thread
  impl_ = std::make_unique<Impl>(std::move(config), symbols);
}

IqFeedClient::~IqFeedClient() = default;

void IqFeedClient::on_reject(std::function<void(const RejectedTick&)> observer) {
  impl_->normalizer.on_reject(std::move(observer));
}

void IqFeedClient::on_event(std::function<void(const IqFeedEvent&)> handler) {
  impl_->handler = std::move(handler);
}

void IqFeedClient::run(market::TickSink& sink, std::stop_token stop) {
  impl_->run(sink, std::move(stop));
}

IqFeedStats IqFeedClient::stats() const {
  const Counters& c = impl_->counters;
  auto load = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  IqFeedStats s;
  s.connected = c.connected.load();
  s.server_connected = c.server_connected.load();
  s.backfilling = c.backfilling.load();
  s.lines = load(c.lines);
  s.trades = load(c.trades);
  s.quotes = load(c.quotes);
  s.connects = load(c.connects);
  s.reconnects = load(c.reconnects);
  s.connect_failures = load(c.connect_failures);
  s.disconnects = load(c.disconnects);
  s.server_disconnects = load(c.server_disconnects);
  s.protocol_mismatches = load(c.protocol_mismatches);
  s.backfills = load(c.backfills);
  s.backfill_failures = load(c.backfill_failures);
  s.backfilled = load(c.backfilled);
  s.duplicates = load(c.duplicates);
  s.rejected = load(c.rejected);
  s.dropped = load(c.dropped);
  s.dropped_held = load(c.dropped_held);
  s.unknown_symbols = load(c.unknown_symbols);
  s.unexpected_symbols = load(c.unexpected_symbols);
  s.server_errors = load(c.server_errors);
  s.corrections = load(c.corrections);
  s.corrections_applied = load(c.corrections_applied);
  s.corrections_unmatched = load(c.corrections_unmatched);
  s.corrections_unknown_type = load(c.corrections_unknown_type);
  for (std::size_t i = 0; i < kIqFeedParseErrorKinds; ++i)
    s.parse_errors[i] = load(c.parse_errors[i]);
  for (std::size_t i = 0; i < kRejectReasonCount; ++i)
    s.rejected_by_reason[i] = load(c.rejected_by_reason[i]);
  return s;
}

std::vector<IqFeedEvent> IqFeedClient::first_errors() const {
  std::lock_guard lock(impl_->first_errors_mutex);
  return impl_->first_errors;
}

}  // namespace spacetime::feed
