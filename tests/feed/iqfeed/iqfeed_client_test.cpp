// The IQFeed client against the fake IQConnect over real TCP on 127.0.0.1: every trade of
// the source list must reach the sink exactly once, in order per symbol, whatever happens
// to the connection in between.
#include "feed/iqfeed.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fake_iqconnect.hpp"
#include "indicators/pipeline.hpp"

namespace spacetime::feed {
namespace {

namespace fake = spacetime::testing;
using fake::FakeIqConnect;
using fake::SourceEvent;
using market::Tick;
using namespace std::chrono_literals;

constexpr auto kTimeout = 15s;

class CollectingSink : public market::TickSink {
 public:
  std::size_t offer(std::span<const Tick> ticks) override {
    std::lock_guard lock(m_);
    if (refuse_) return 0;
    got_.insert(got_.end(), ticks.begin(), ticks.end());
    cv_.notify_all();
    return ticks.size();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
  }
  std::vector<Tick> ticks() const {
    std::lock_guard lock(m_);
    return got_;
  }
  std::size_t size() const {
    std::lock_guard lock(m_);
    return got_.size();
  }
  void refuse(bool r) {
    std::lock_guard lock(m_);
    refuse_ = r;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<Tick> got_;
  bool refuse_ = false;
};

class EventLog {
 public:
  void add(const IqFeedEvent& e) {
    std::lock_guard lock(m_);
    events_.push_back(e);
  }
  // Events are emitted just after their counters move: wait for them, do not assume.
  std::vector<IqFeedEvent> wait_for(IqFeedEventKind kind, std::size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (of(kind).size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return of(kind);
  }
  std::vector<IqFeedEvent> of(IqFeedEventKind kind) const {
    std::lock_guard lock(m_);
    std::vector<IqFeedEvent> out;
    for (const auto& e : events_)
      if (e.kind == kind) out.push_back(e);
    return out;
  }

 private:
  mutable std::mutex m_;
  std::vector<IqFeedEvent> events_;
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

market::SymbolRegistry registry_for(const std::vector<std::string>& symbols) {
  market::SymbolRegistry reg;
  for (const auto& s : symbols)
    reg.add({.name = s, .tick_size = 0.01});
  return reg;
}

IqFeedConfig config_for(std::uint16_t level1, std::uint16_t lookup,
                        std::vector<std::string> symbols) {
  IqFeedConfig c;
  c.host = "127.0.0.1";
  c.level1_port = level1;
  c.lookup_port = lookup;
  c.symbols = std::move(symbols);
  c.backoff = {.initial = 20ms, .max = 200ms, .factor = 2.0, .jitter = 0.2};
  c.connect_timeout = 1000ms;
  c.backfill_timeout = 5000ms;
  c.jitter_seed = 1;
  return c;
}

IqFeedConfig config_for(const FakeIqConnect& server, std::vector<std::string> symbols) {
  return config_for(server.level1_port(), server.lookup_port(), std::move(symbols));
}

// A port nothing listens on: bound but not listening, so connecting is refused, and held
// so that no other test process (ctest -j) can be given it meanwhile.
class ReservedPort {
 public:
  ReservedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ReservedPort() { release(); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  std::uint16_t port() const { return port_; }
  // Frees the port for a server that is about to listen on it.
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

// Runs the client on its own thread for the scope of a test.
class Running {
 public:
  Running(IqFeedClient& client, market::TickSink& sink)
      : thread_([&client, &sink](std::stop_token stop) { client.run(sink, stop); }) {}

 private:
  std::jthread thread_;
};

// What the engine must see for a source trade (test data is all 2024-03-15, EDT = UTC-4).
struct Expected {
  std::int64_t ts_ns, price, size, bid, ask;
  bool operator==(const Expected&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Expected& e) {
  return os << "{ts " << e.ts_ns << " price " << e.price << " size " << e.size << " bid " << e.bid
            << " ask " << e.ask << "}";
}

std::int64_t edt_ns(std::int64_t local_us) {
  EXPECT_GE(local_us, fake::local_time(2024, 3, 10, 3, 0, 0));
  EXPECT_LT(local_us, fake::local_time(2024, 11, 3, 1, 0, 0));
  return (local_us + 4 * 3'600'000'000LL) * 1000;
}

std::map<std::string, std::vector<Expected>> expected_trades(const std::vector<SourceEvent>& events,
                                                             std::size_t from, std::size_t to) {
  std::map<std::string, std::vector<Expected>> out;
  for (std::size_t i = from; i < to && i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.kind != SourceEvent::Kind::kTrade) continue;
    out[e.symbol].push_back({edt_ns(e.local_us), std::llround(e.price / 0.01), e.size,
                             std::llround(e.bid / 0.01), std::llround(e.ask / 0.01)});
  }
  return out;
}

std::size_t count(const std::map<std::string, std::vector<Expected>>& m) {
  std::size_t n = 0;
  for (const auto& [sym, v] : m)
    n += v.size();
  return n;
}

void merge(std::map<std::string, std::vector<Expected>>& into,
           const std::map<std::string, std::vector<Expected>>& more) {
  for (const auto& [sym, v] : more)
    into[sym].insert(into[sym].end(), v.begin(), v.end());
}

// Every symbol's ticks equal its expected trades, in order, with sequence numbers 1..n.
void expect_same_trades(const std::vector<Tick>& ticks, const market::SymbolRegistry& reg,
                        const std::map<std::string, std::vector<Expected>>& expected) {
  std::map<std::string, std::vector<Tick>> got;
  for (const auto& t : ticks)
    got[reg.info(t.symbol).name].push_back(t);
  for (const auto& [sym, want] : expected) {
    const auto& have = got[sym];
    ASSERT_EQ(have.size(), want.size()) << sym;
    for (std::size_t i = 0; i < want.size(); ++i) {
      const Tick& t = have[i];
      ASSERT_EQ((Expected{t.ts_ns, t.price, t.size, t.bid, t.ask}), want[i]) << sym << " #" << i;
      ASSERT_EQ(t.seq, i + 1) << sym;
    }
  }
  for (const auto& [sym, have] : got)
    EXPECT_TRUE(expected.contains(sym) || have.empty()) << "unexpected ticks for " << sym;
}

std::vector<SourceEvent> session_csv() {
  return fake::load_events_csv(std::string(SPACETIME_TEST_DATA_DIR) + "/iqfeed_session.csv");
}

TEST(IqFeedClient, NormalStreamDeliversEveryTradeOnceInOrderAndQuotesOnlyUpdateBidAsk) {
  const auto events = session_csv();
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL", "MSFT"});
  IqFeedClient client(config_for(server, {"AAPL", "MSFT"}), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  server.publish(events.size());
  const auto want = expected_trades(events, 0, events.size());
  ASSERT_EQ(count(want), 8u);
  ASSERT_TRUE(sink.wait_for(8));
  ASSERT_TRUE(eventually([&] { return client.stats().quotes == 7; }));
  // The counter moves just after offer() returns.
  ASSERT_TRUE(eventually([&] { return client.stats().trades == 8; }));
  expect_same_trades(sink.ticks(), reg, want);

  // Hand-checked: the first trade, with the quote in force when it printed.
  const Tick first = sink.ticks().front();
  EXPECT_EQ(reg.info(first.symbol).name, "AAPL");
  EXPECT_EQ(first.price, 17262);
  EXPECT_EQ(first.size, 100);
  EXPECT_EQ(first.bid, 17260);
  EXPECT_EQ(first.ask, 17264);
  const auto utc = std::chrono::sys_days{std::chrono::year{2024} / 3 / 15} + 13h + 30min + 1ms;
  EXPECT_EQ(first.ts_ns,
            std::chrono::duration_cast<std::chrono::nanoseconds>(utc.time_since_epoch()).count());

  const auto s = client.stats();
  EXPECT_EQ(s.trades, 8u);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_EQ(s.parse_errors_total(), 0u);
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.protocol_mismatches, 0u);
  EXPECT_EQ(s.rejected, 0u);
  EXPECT_TRUE(s.connected);
  EXPECT_TRUE(s.server_connected);

  const auto cmds = server.commands();
  ASSERT_FALSE(cmds.empty());
  EXPECT_EQ(cmds.front(), "L1 S,SET PROTOCOL,6.2");
  auto sent = [&](const std::string& c) {
    return std::find(cmds.begin(), cmds.end(), c) != cmds.end();
  };
  EXPECT_TRUE(
      sent("L1 S,SELECT UPDATE FIELDS,Symbol,Most Recent Trade,Most Recent Trade Size,"
           "Most Recent Trade Time,Most Recent Trade Date,Bid,Ask,Total Volume,"
           "Message Contents,TickID"));
  EXPECT_TRUE(sent("L1 wAAPL"));
  EXPECT_TRUE(sent("L1 wMSFT"));
  EXPECT_TRUE(log.of(IqFeedEventKind::kParseError).empty());
}

// With clock_ticks (serve), IQFeed's time stamp messages reach the sink as clock advances
// (market::clock_tick at the stamp's UTC time), in order with the trades.
TEST(IqFeedClient, TimeStampsBecomeClockTicksWhenAsked) {
  const auto events = session_csv();
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL", "MSFT"});
  auto cfg = config_for(server, {"AAPL", "MSFT"});
  cfg.clock_ticks = true;
  IqFeedClient client(cfg, reg);
  CollectingSink sink;
  Running run(client, sink);
  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  server.publish(events.size());
  auto trades = [&] {
    std::vector<Tick> out;
    for (const auto& t : sink.ticks())
      if (!market::is_clock(t)) out.push_back(t);
    return out;
  };
  ASSERT_TRUE(eventually([&] { return trades().size() == 8; }));
  expect_same_trades(trades(), reg, expected_trades(events, 0, events.size()));
  std::size_t clocks = 0;
  for (const auto& t : sink.ticks()) {
    if (!market::is_clock(t)) continue;
    ++clocks;
    EXPECT_EQ(t.ts_ns % 1'000'000'000, 0);  // T messages carry whole seconds
    EXPECT_GE(t.ts_ns, edt_ns(fake::local_time(2024, 3, 15, 9, 0, 0)));
  }
  EXPECT_GT(clocks, 0u);
}

TEST(IqFeedClient, TradesOnlyWatchUsesTheTCommand) {
  const auto events = session_csv();
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL", "MSFT"});
  auto cfg = config_for(server, {"AAPL", "MSFT"});
  cfg.watch_quotes = false;
  IqFeedClient client(cfg, reg);
  CollectingSink sink;
  Running run(client, sink);
  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  server.publish(events.size());
  ASSERT_TRUE(sink.wait_for(8));
  const auto cmds = server.commands();
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "L1 tAAPL"), cmds.end());
  // Trades still carry the quote that was current when they printed (from the Q line).
  expect_same_trades(sink.ticks(), reg, expected_trades(events, 0, events.size()));
  EXPECT_EQ(client.stats().quotes, 0u);
}

TEST(IqFeedClient, DisconnectMidStreamReconnectsAndBackfillsWithoutGapsOrDuplicates) {
  const std::vector<std::string> symbols{"AAA", "BBB", "CCC"};
  // 1 ms apart: each second holds hundreds of trades, so the history of "the second of
  // the last trade" always repeats trades the client already has.
  const auto events =
      fake::generate_events(symbols, 3000, fake::local_time(2024, 3, 15, 9, 30, 0, 0), 1000, 7);
  FakeIqConnect server(events);
  const auto reg = registry_for(symbols);
  IqFeedClient client(config_for(server, symbols), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(3, kTimeout));
  server.publish(1000);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 1000))));

  server.drop_connections();
  server.publish(600);  // the market moves on while nobody listens
  ASSERT_TRUE(server.wait_for_level1_connections(2, kTimeout));
  server.publish(700);  // live again, possibly while the gap is still loading

  server.drop_connections();
  server.publish(300);
  ASSERT_TRUE(server.wait_for_level1_connections(3, kTimeout));
  server.publish(events.size());

  const auto want = expected_trades(events, 0, events.size());
  ASSERT_TRUE(sink.wait_for(count(want)));
  ASSERT_TRUE(eventually([&] { return !client.stats().backfilling; }));
  ASSERT_TRUE(eventually([&] { return client.stats().trades == count(want); }));
  std::this_thread::sleep_for(50ms);  // nothing more may arrive
  expect_same_trades(sink.ticks(), reg, want);

  const auto s = client.stats();
  EXPECT_GE(s.reconnects, 2u);
  EXPECT_GE(s.disconnects, 2u);
  // The second drop may cut the first backfill short; the next one then covers both gaps.
  EXPECT_GE(s.backfills, 1u);
  EXPECT_GE(log.wait_for(IqFeedEventKind::kBackfillStarted, 2).size(), 2u);
  EXPECT_GT(s.backfilled, 0u);
  EXPECT_GT(s.duplicates, 0u);
  // (backfill_failures may be 1: the drop also cuts a lookup connection still loading.)
  EXPECT_EQ(s.trades, count(want));
  EXPECT_EQ(s.parse_errors_total(), 0u);
  EXPECT_GE(log.wait_for(IqFeedEventKind::kDisconnected, 2).size(), 2u);
  // History was asked for each symbol from the second of its last trade.
  const auto cmds = server.commands();
  EXPECT_TRUE(std::any_of(cmds.begin(), cmds.end(), [](const std::string& c) {
    return c.rfind("LK HTT,AAA,20240315 0930", 0) == 0 && c.find(",,,,,1,B") != std::string::npos;
  }));
}

TEST(IqFeedClient, ServerDisconnectedThenConnectedBackfillsTheGapOnTheSameSocket) {
  const std::vector<std::string> symbols{"AAA", "BBB"};
  const auto events =
      fake::generate_events(symbols, 1500, fake::local_time(2024, 3, 15, 10, 0, 0, 0), 1000, 11);
  FakeIqConnect server(events);
  const auto reg = registry_for(symbols);
  IqFeedClient client(config_for(server, symbols), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  server.publish(500);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 500))));
  server.server_disconnected();
  ASSERT_TRUE(eventually([&] { return client.stats().server_disconnects == 1; }));
  EXPECT_FALSE(client.stats().server_connected);
  server.publish(500);  // IQConnect is cut off from DTN: these only reach the history
  server.server_connected();
  server.publish(500);

  const auto want = expected_trades(events, 0, events.size());
  ASSERT_TRUE(sink.wait_for(count(want)));
  ASSERT_TRUE(eventually([&] { return !client.stats().backfilling; }));
  std::this_thread::sleep_for(50ms);
  expect_same_trades(sink.ticks(), reg, want);
  const auto s = client.stats();
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.server_disconnects, 1u);
  EXPECT_TRUE(s.server_connected);
  EXPECT_GE(s.backfills, 1u);
  EXPECT_GT(s.backfilled, 0u);
  EXPECT_EQ(log.wait_for(IqFeedEventKind::kServerDisconnected, 1).size(), 1u);
}

TEST(IqFeedClient, UnknownSymbolIsReportedOnceAndNeverBackfilled) {
  const auto events =
      fake::generate_events({"AAPL"}, 600, fake::local_time(2024, 3, 15, 11, 0, 0, 0), 1000, 3);
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL", "ZZZZ"});
  IqFeedClient client(config_for(server, {"AAPL", "ZZZZ"}), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  ASSERT_TRUE(eventually([&] { return client.stats().unknown_symbols == 1; }));
  server.publish(300);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 300))));
  server.drop_connections();
  ASSERT_TRUE(server.wait_for_level1_connections(2, kTimeout));
  server.publish(300);
  const auto want = expected_trades(events, 0, events.size());
  ASSERT_TRUE(sink.wait_for(count(want)));
  ASSERT_TRUE(eventually([&] { return !client.stats().backfilling; }));
  expect_same_trades(sink.ticks(), reg, want);

  const auto nf = log.wait_for(IqFeedEventKind::kSymbolNotFound, 1);
  ASSERT_EQ(nf.size(), 1u);  // re-watched after the reconnect, reported once
  EXPECT_EQ(nf[0].detail, "ZZZZ");
  EXPECT_GE(client.stats().unknown_symbols, 2u);
  const auto cmds = server.commands();
  EXPECT_TRUE(std::none_of(cmds.begin(), cmds.end(),
                           [](const std::string& c) { return c.rfind("LK HTT,ZZZZ", 0) == 0; }));
  const auto first = client.first_errors();
  EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const IqFeedEvent& e) {
    return e.kind == IqFeedEventKind::kSymbolNotFound;
  }));
}

TEST(IqFeedClient, SymbolLimitReachedIsReportedLikeAnUnknownSymbol) {
  const auto events = session_csv();
  fake::FakeIqConnectOptions options;
  options.max_symbols = 1;
  FakeIqConnect server(events, options);
  const auto reg = registry_for({"AAPL", "MSFT"});
  IqFeedClient client(config_for(server, {"AAPL", "MSFT"}), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);
  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  const auto limited = log.wait_for(IqFeedEventKind::kSymbolNotFound, 1);
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].detail, "MSFT");
  EXPECT_EQ(limited[0].context, "symbol limit reached");
  server.publish(events.size());
  auto want = expected_trades(events, 0, events.size());
  want.erase("MSFT");
  ASSERT_TRUE(sink.wait_for(count(want)));
  expect_same_trades(sink.ticks(), reg, want);
}

// Trade corrections (docs/FEEDS.md "Trade corrections") through the real line parser and
// client: C replaces a trade, D cancels one, both found by TickID; an unknown TickID and an
// unknown CorrectionType are counted and not applied. The ticks then revise the closed bar.
TEST(IqFeedClient, TradeCorrectionsReachTheEngineInOrderAndReviseTheirBar) {
  const auto events =
      fake::generate_events({"AAPL"}, 10, fake::local_time(2024, 3, 15, 12, 0, 0, 0), 1000, 5);
  FakeIqConnect server(events);
  auto reg = registry_for({"AAPL"});
  IqFeedClient client(config_for(server, {"AAPL"}), reg);
  CollectingSink sink;
  Running run(client, sink);
  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  server.send_raw(
      "Q,AAPL,100.00,10,12:00:00.000000,03/15/2024,99.99,100.01,10,C,501,\r\n"
      "Q,AAPL,100.50,20,12:00:00.500000,03/15/2024,99.99,100.01,30,C,502,\r\n"
      "Q,AAPL,101.00,30,12:00:01.200000,03/15/2024,99.99,100.01,60,C,503,\r\n"
      "C,AAPL,C,03/15/2024,12:00:00.500000,100.20,25,502,,\r\n"
      "C,AAPL,D,03/15/2024,12:00:00.000000,,,501,,\r\n"
      "C,AAPL,D,03/15/2024,12:00:00.000000,,,999,,\r\n"
      "C,AAPL,Z,03/15/2024,12:00:00.000000,1.00,1,503,,\r\n"
      "C,NOPE,D,03/15/2024,12:00:00.000000,,,503,,\r\n");
  ASSERT_TRUE(sink.wait_for(5));
  std::this_thread::sleep_for(20ms);
  const auto ticks = sink.ticks();
  ASSERT_EQ(ticks.size(), 5u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(market::is_correction(ticks[i]));
    EXPECT_EQ(ticks[i].seq, i + 1);
  }
  ASSERT_TRUE(market::is_correction(ticks[3]));
  EXPECT_EQ(ticks[3].seq, 2u) << "TickID 502 was the symbol's trade 2";
  EXPECT_EQ(ticks[3].price, 10020);
  EXPECT_EQ(ticks[3].size, 25);
  EXPECT_EQ(ticks[3].ts_ns, edt_ns(fake::local_time(2024, 3, 15, 12, 0, 0, 500'000)));
  ASSERT_TRUE(market::is_correction(ticks[4]));
  EXPECT_EQ(ticks[4].seq, 1u);
  EXPECT_EQ(ticks[4].size, 0);
  const auto s = client.stats();
  EXPECT_EQ(s.corrections, 5u);
  EXPECT_EQ(s.corrections_applied, 2u);
  EXPECT_EQ(s.corrections_unmatched, 1u);
  EXPECT_EQ(s.corrections_unknown_type, 1u);
  EXPECT_EQ(s.unexpected_symbols, 1u);
  EXPECT_EQ(s.trades, 3u);

  // What the engine makes of them: the closed 1 s bar of 12:00:00 goes out twice more.
  indicators::SymbolIndicators ind(0, indicators::IndicatorParams{});
  std::vector<market::Event> out;
  for (const auto& t : ticks) {
    if (market::is_correction(t)) {
      ind.on_correction(t, out);
    } else {
      ind.on_tick(t, out);
    }
  }
  std::vector<market::CandleEvent> second;
  for (const auto& e : out) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (c && c->tf == market::Timeframe::k1s) second.push_back(*c);
  }
  ASSERT_EQ(second.size(), 3u);
  EXPECT_FALSE(second[0].revised);
  EXPECT_EQ(second[0].candle.volume, 30);
  EXPECT_TRUE(second[1].revised);
  EXPECT_EQ(second[1].seq, second[0].seq);
  EXPECT_EQ(second[1].candle.high, 10020);
  EXPECT_EQ(second[1].candle.volume, 35);
  EXPECT_TRUE(second[2].revised);
  EXPECT_EQ(second[2].candle.open, 10020);
  EXPECT_EQ(second[2].candle.volume, 25);
  EXPECT_EQ(second[2].candle.ticks, 1u);
}

TEST(IqFeedClient, MalformedLinesAreCountedAndSkippedWithoutCrashingOrReconnecting) {
  const auto events =
      fake::generate_events({"AAPL"}, 300, fake::local_time(2024, 3, 15, 12, 0, 0, 0), 1000, 5);
  // Every write split at random byte boundaries, down to single bytes.
  fake::FakeIqConnectOptions options;
  options.max_chunk = 5;
  options.seed = 9;
  FakeIqConnect server(events, options);
  const auto reg = registry_for({"AAPL"});
  IqFeedClient client(config_for(server, {"AAPL"}), reg);
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  server.publish(100);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 100))));
  server.send_raw(
      "Q,AAPL,abc,100,12:00:00.000000,03/15/2024,1,2,3,C,99,\r\n"  // bad_number
      "Q,AAPL,1.00,100,12:00,03/15/2024,1,2,3,C,99,\r\n"           // bad_time
      "Q,AAPL,1.00,100,12:00:00,15/03/2024,1,2,3,C,99,\r\n"        // bad_date
      "Q,AAPL,1.00\r\n"                                            // missing_field
      "ZZZ,what is this\r\n"                                       // unknown_message
      "\r\n"                                                       // empty_line
      "Q,NOPE,1.00,1,12:00:00,03/15/2024,1,2,3,C,1,\r\n");         // not watched
  server.send_raw(std::string("\x00\xff\xfe garbage\r\n", 14));    // unknown_message
  server.send_raw(std::string(100'000, 'x') + "\r\n");             // line_too_long
  server.publish(200);

  const auto want = expected_trades(events, 0, events.size());
  ASSERT_TRUE(sink.wait_for(count(want)));
  std::this_thread::sleep_for(20ms);
  expect_same_trades(sink.ticks(), reg, want);
  const auto s = client.stats();
  EXPECT_EQ(s.parse_error(IqFeedParseError::kBadNumber), 1u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kBadTime), 1u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kBadDate), 1u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kMissingField), 1u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kUnknownMessage), 2u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kEmptyLine), 1u);
  EXPECT_EQ(s.parse_error(IqFeedParseError::kLineTooLong), 1u);
  EXPECT_EQ(s.unexpected_symbols, 1u);
  EXPECT_EQ(s.connects, 1u);
  // Each kind reported once, with where it happened.
  const auto first = client.first_errors();
  ASSERT_EQ(first.size(), 7u);
  for (const auto& e : first) {
    EXPECT_EQ(e.kind, IqFeedEventKind::kParseError);
    EXPECT_GT(e.line, 0u);
  }
  const auto bad_number = std::find_if(first.begin(), first.end(), [](const IqFeedEvent& e) {
    return e.detail.starts_with("bad_number");
  });
  ASSERT_NE(bad_number, first.end());
  EXPECT_NE(bad_number->context.find("Q,AAPL,abc"), std::string::npos);
  const auto garbage = std::find_if(first.begin(), first.end(), [](const IqFeedEvent& e) {
    return e.detail.starts_with("unknown_message");
  });
  ASSERT_NE(garbage, first.end());
  EXPECT_EQ(garbage->context, "ZZZ,what is this");
}

TEST(IqFeedClient, ProtocolMismatchReplyIsReportedAndOlderLayoutsStillParse) {
  const std::vector<std::string> symbols{"AAA", "BBB"};
  const auto events =
      fake::generate_events(symbols, 900, fake::local_time(2024, 3, 15, 13, 0, 0, 0), 1000, 13);
  fake::FakeIqConnectOptions options;
  options.protocol = "6.1";  // and history without the LH marker
  FakeIqConnect server(events, options);
  const auto reg = registry_for(symbols);
  IqFeedClient client(config_for(server, symbols), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  ASSERT_TRUE(eventually([&] { return client.stats().protocol_mismatches >= 1; }));
  const auto mismatch = log.wait_for(IqFeedEventKind::kProtocolMismatch, 1);
  ASSERT_FALSE(mismatch.empty());
  EXPECT_NE(mismatch[0].detail.find("server says 6.1"), std::string::npos);
  server.publish(300);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 300))));
  server.drop_connections();
  server.publish(300);
  ASSERT_TRUE(server.wait_for_level1_connections(2, kTimeout));
  server.publish(300);
  const auto want = expected_trades(events, 0, events.size());
  ASSERT_TRUE(sink.wait_for(count(want)));
  ASSERT_TRUE(eventually([&] { return !client.stats().backfilling; }));
  expect_same_trades(sink.ticks(), reg, want);
  EXPECT_GT(client.stats().backfilled, 0u);
  EXPECT_GE(client.stats().protocol_mismatches, 3u);  // L1 twice, lookup once
}

TEST(IqFeedClient, InvalidProtocolErrorIsReportedAsAMismatch) {
  const auto events = session_csv();
  fake::FakeIqConnectOptions options;
  options.reject_protocol = true;
  FakeIqConnect server(events, options);
  const auto reg = registry_for({"AAPL", "MSFT"});
  IqFeedClient client(config_for(server, {"AAPL", "MSFT"}), reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);
  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  ASSERT_TRUE(eventually([&] { return client.stats().protocol_mismatches == 1; }));
  EXPECT_EQ(client.stats().server_errors, 1u);
  const auto mismatch = log.wait_for(IqFeedEventKind::kProtocolMismatch, 1);
  ASSERT_EQ(mismatch.size(), 1u);
  EXPECT_EQ(mismatch[0].detail, "6.2 is not a valid protocol.");
  EXPECT_EQ(mismatch[0].context, "E,6.2 is not a valid protocol.,");
}

TEST(IqFeedClient, RetriesWithBackoffUntilIqConnectListens) {
  ReservedPort l1;
  ReservedPort lk;
  const auto reg = registry_for({"AAPL", "MSFT"});
  auto cfg = config_for(l1.port(), lk.port(), {"AAPL", "MSFT"});
  cfg.backoff = {.initial = 10ms, .max = 80ms, .factor = 2.0, .jitter = 0.0};
  IqFeedClient client(cfg, reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  const auto start = std::chrono::steady_clock::now();
  Running run(client, sink);
  ASSERT_TRUE(eventually([&] { return client.stats().connect_failures >= 4; }));
  // Attempts at 0, 10, 30 and 70 ms: the delays double.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 70ms);
  EXPECT_GE(log.wait_for(IqFeedEventKind::kConnectFailed, 4).size(), 4u);

  const auto events = session_csv();
  fake::FakeIqConnectOptions options;
  options.level1_port = l1.port();
  options.lookup_port = lk.port();
  l1.release();
  lk.release();
  FakeIqConnect server(events, options);
  ASSERT_TRUE(server.wait_for_watches(2, kTimeout));
  server.publish(events.size());
  ASSERT_TRUE(sink.wait_for(8));
  expect_same_trades(sink.ticks(), reg, expected_trades(events, 0, events.size()));
  EXPECT_EQ(client.stats().connects, 1u);
  EXPECT_EQ(client.stats().reconnects, 0u);
}

TEST(IqFeedClient, DropsAndCountsWhatTheEngineRefusesAndKeepsGoing) {
  const auto events =
      fake::generate_events({"AAPL"}, 400, fake::local_time(2024, 3, 15, 14, 0, 0, 0), 1000, 17);
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL"});
  auto cfg = config_for(server, {"AAPL"});
  cfg.offer_wait = 500us;
  IqFeedClient client(cfg, reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  sink.refuse(true);
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  server.publish(200);
  const std::size_t refused = count(expected_trades(events, 0, 200));
  ASSERT_TRUE(eventually([&] { return client.stats().dropped == refused; }));
  EXPECT_EQ(client.stats().trades, 0u);
  EXPECT_EQ(log.wait_for(IqFeedEventKind::kDropped, 1).size(), 1u);

  sink.refuse(false);
  server.publish(200);
  const auto later = expected_trades(events, 200, 400);
  ASSERT_TRUE(sink.wait_for(count(later)));
  // A drop shows downstream as a gap in the per-symbol sequence numbers.
  EXPECT_EQ(sink.ticks().front().seq, refused + 1);
  EXPECT_EQ(client.stats().connects, 1u);
}

TEST(IqFeedClient, StopsPromptlyWhileWaitingToReconnect) {
  const auto reg = registry_for({"AAPL"});
  const ReservedPort l1;
  const ReservedPort lk;
  auto cfg = config_for(l1.port(), lk.port(), {"AAPL"});
  cfg.backoff = {.initial = 10'000ms, .max = 10'000ms, .factor = 1.0, .jitter = 0.0};
  IqFeedClient client(cfg, reg);
  CollectingSink sink;
  std::jthread t([&](std::stop_token stop) { client.run(sink, stop); });
  ASSERT_TRUE(eventually([&] { return client.stats().connect_failures >= 1; }));
  const auto start = std::chrono::steady_clock::now();
  t.request_stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(IqFeedClient, BackfillGivesUpAfterItsAttemptsAndLiveTradingGoesOn) {
  const auto events =
      fake::generate_events({"AAPL"}, 900, fake::local_time(2024, 3, 15, 15, 0, 0, 0), 1000, 19);
  FakeIqConnect server(events);
  const auto reg = registry_for({"AAPL"});
  const ReservedPort no_lookup;
  auto cfg = config_for(server.level1_port(), no_lookup.port(), {"AAPL"});
  cfg.backfill_attempts = 2;
  IqFeedClient client(cfg, reg);
  EventLog log;
  client.on_event([&](const IqFeedEvent& e) { log.add(e); });
  CollectingSink sink;
  Running run(client, sink);

  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  server.publish(300);
  ASSERT_TRUE(sink.wait_for(count(expected_trades(events, 0, 300))));
  server.drop_connections();
  server.publish(300);  // lost for good: history is unreachable
  ASSERT_TRUE(server.wait_for_level1_connections(2, kTimeout));
  ASSERT_TRUE(server.wait_for_watches(1, kTimeout));
  server.publish(300);
  ASSERT_TRUE(eventually([&] { return client.stats().backfill_failures == 2; }));
  auto want = expected_trades(events, 0, 300);
  merge(want, expected_trades(events, 600, 900));
  ASSERT_TRUE(sink.wait_for(count(want)));
  ASSERT_TRUE(eventually([&] { return !client.stats().backfilling; }));
  expect_same_trades(sink.ticks(), reg, want);
  const auto failed = log.wait_for(IqFeedEventKind::kBackfillFailed, 2);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_NE(failed.back().detail.find("gave up"), std::string::npos);
}

TEST(IqFeedClient, RejectsConfigurationsThatCannotRun) {
  const auto reg = registry_for({"AAPL"});
  EXPECT_THROW(IqFeedClient(config_for(1, 2, {}), reg), std::invalid_argument);
  EXPECT_THROW(IqFeedClient(config_for(1, 2, {"MSFT"}), reg), std::invalid_argument);
  EXPECT_THROW(IqFeedClient(config_for(0, 2, {"AAPL"}), reg), std::invalid_argument);
  auto bad = config_for(1, 2, {"AAPL"});
  bad.backoff.jitter = 2.0;
  EXPECT_THROW(IqFeedClient(bad, reg), std::invalid_argument);
  EXPECT_NO_THROW(IqFeedClient(config_for(1, 2, {"AAPL"}), reg));
}

}  // namespace
}  // namespace spacetime::feed
