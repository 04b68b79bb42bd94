// A fake IQConnect for tests: Level 1 (5009) and lookup (9100) on 127.0.0.1, random free
// ports, speaking protocol 6.0-6.2 as docs/FEEDS.md ("DTN IQFeed") describes it. It replays a list
// of market events: publish() makes the next events "happen" - they go live to every
// watching Level 1 session and become tick history for HTT requests - so a test can cut
// the connection, let the market move on, and check what the client recovers. Faults:
// dropped connections, S,SERVER DISCONNECTED/CONNECTED, raw garbage, writes split at
// random byte boundaries, and a protocol version reply of the test's choosing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spacetime::testing {

struct SourceEvent {
  enum class Kind : std::uint8_t { kTrade, kQuote };
  Kind kind = Kind::kTrade;
  std::string symbol;
  std::int64_t local_us = 0;  // US Eastern wall time, microseconds since 1970-01-01 local
  double price = 0.0;         // trade
  std::int64_t size = 0;      // trade
  double bid = 0.0;           // prevailing (trade) or new (quote) top of book
  double ask = 0.0;
  std::uint64_t tick_id = 0;  // trade
  char basis = 'C';           // trade: C, E or O
};

// kind,symbol,date,time,price,size,bid,ask,tick_id,basis (kind T or Q; '#' comments).
std::vector<SourceEvent> load_events_csv(const std::string& path);

// A deterministic market: `count` events round-robin over `symbols`, `spacing_us` apart,
// about one in three a quote change; prices on a 0.01 grid around 100; TickIDs rising.
std::vector<SourceEvent> generate_events(const std::vector<std::string>& symbols, std::size_t count,
                                         std::int64_t start_local_us, std::int64_t spacing_us,
                                         std::uint64_t seed);

// Local microseconds of a US Eastern wall time (test-side, from std::chrono calendars).
std::int64_t local_time(int y, unsigned m, unsigned d, int hh, int mm, int ss, int us = 0);

struct FakeIqConnectOptions {
  std::uint16_t level1_port = 0;  // 0: a free port
  std::uint16_t lookup_port = 0;
  std::string protocol;          // claim this version; empty: echo a supported request
  bool reject_protocol = false;  // answer E,<v> is not a valid protocol.,
  std::size_t max_chunk = 0;     // > 0: send in random pieces of 1..max_chunk bytes
  std::uint64_t seed = 1;
  double min_tick_size = 0.01;    // reported in F messages
  std::size_t max_symbols = 500;  // watches per session past this: S,SYMBOL LIMIT REACHED
};

class FakeIqConnect {
 public:
  explicit FakeIqConnect(std::vector<SourceEvent> events, FakeIqConnectOptions options = {});
  ~FakeIqConnect();
  FakeIqConnect(const FakeIqConnect&) = delete;
  FakeIqConnect& operator=(const FakeIqConnect&) = delete;

  std::uint16_t level1_port() const;
  std::uint16_t lookup_port() const;

  // The next n events happen (fewer at the end of the list).
  void publish(std::size_t n);
  std::size_t published() const;
  std::size_t size() const;

  // Closes every connection abruptly (FIN), as a crashing IQConnect would.
  void drop_connections();
  // IQConnect's own link to DTN goes down: S,SERVER DISCONNECTED, and no live updates until
  // server_connected() (events published meanwhile only reach the history).
  void server_disconnected();
  void server_connected();
  // Sends bytes as they are to every Level 1 session.
  void send_raw(std::string_view bytes);

  // Waits until the Level 1 sessions open now watch at least n symbols in all.
  bool wait_for_watches(std::size_t n, std::chrono::milliseconds timeout) const;
  // Waits until at least n Level 1 connections were accepted since the start.
  bool wait_for_level1_connections(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t level1_connections() const;
  std::size_t history_requests() const;
  // Every command line received, prefixed "L1 " or "LK " by port.
  std::vector<std::string> commands() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacetime::testing
