// The DTN IQFeed Level 1 client: a live feed that reads trades and quotes from IQConnect's
// Level 1 port, turns trade updates into Ticks through the feed boundary (TickNormalizer)
// and hands them to the engine. On a lost connection or a DTN-side outage it reconnects
// with capped, jittered exponential backoff, re-watches its symbols and backfills the gap
// from the lookup port's tick history, so each trade reaches the engine once, in order per
// symbol. Protocol, policies and metrics: docs/FEEDS.md ("DTN IQFeed").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "feed/iqfeed/parse_error.hpp"
#include "feed/normalizer.hpp"
#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

// Delay before reconnect attempt n (0-based): min(max, initial * factor^n), then scaled by
// a uniform random factor in [1 - jitter, 1 + jitter] (and capped at max again), so many
// clients restarted together do not reconnect in step.
struct IqFeedBackoff {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  double jitter = 0.2;  // 0..1
};

struct IqFeedConfig {
  std::string host = "127.0.0.1";  // IQConnect listens on localhost only
  std::uint16_t level1_port = 5009;
  std::uint16_t lookup_port = 9100;
  // IQFeed symbols (upper case), each already registered in the SymbolRegistry under the
  // same name; the registry's tick size and size scale quantise its ticks.
  std::vector<std::string> symbols;
  bool watch_quotes = true;  // w<SYM> (trades and quotes) or t<SYM> (trades only)
  bool backfill = true;      // fill gaps from tick history after a reconnect
  std::string client_name = "spacetime";
  IqFeedBackoff backoff;
  std::chrono::milliseconds connect_timeout{3000};
  // One backfill attempt (all symbols' HTT requests) must finish within this; a failed
  // attempt is retried (with the backoff delays) up to backfill_attempts times in all.
  std::chrono::milliseconds backfill_timeout{30'000};
  int backfill_attempts = 3;
  // Live trades that arrive while their symbol's history loads are held back (to keep
  // per-symbol order); past this many in all, further ones are dropped and counted.
  std::size_t max_held_trades = 1'000'000;
  // Backpressure policy: when the engine's offer() takes only part of a batch, the rest is
  // offered again for at most this long, then dropped and counted (the socket cannot wait).
  std::chrono::microseconds offer_wait{2000};
  std::uint64_t jitter_seed = 0;  // 0: seeded from std::random_device
  // Time guard: a trade stamped further ahead of the wall clock is rejected (future_time).
  std::int64_t max_skew_ns = 300'000'000'000;
  // Offer each time stamp message (T, once a second) to the sink as a clock advance
  // (market::clock_tick), so bars close on the feed's clock. serve sets it; record does not,
  // since tick files do not hold clock advances yet (a replay must equal the live output).
  bool clock_ticks = false;
  // The bad-tick filter: on by default for this live feed (docs/FEEDS.md "Bad-tick filter").
  BadTickFilter filter{.enabled = true};
};

// Monotonic counters and the current state, read from any thread.
struct IqFeedStats {
  bool connected = false;         // Level 1 socket up
  bool server_connected = false;  // IQConnect reports its DTN link up (S,SERVER CONNECTED)
  bool backfilling = false;
  std::uint64_t lines = 0;   // lines read, Level 1 and lookup
  std::uint64_t trades = 0;  // ticks the engine accepted (live and backfilled)
  std::uint64_t quotes = 0;  // quote-only updates (they only refresh the latest bid/ask)
  std::uint64_t connects = 0;
  std::uint64_t reconnects = 0;  // successful connects after the first one
  std::uint64_t connect_failures = 0;
  std::uint64_t disconnects = 0;         // Level 1 socket lost (EOF or error)
  std::uint64_t server_disconnects = 0;  // S,SERVER DISCONNECTED / RECONNECT FAILED
  std::uint64_t protocol_mismatches = 0;
  std::uint64_t backfills = 0;          // gaps recovered completely
  std::uint64_t backfill_failures = 0;  // failed attempts (timeout, lookup lost, refused)
  std::uint64_t backfilled = 0;         // trades delivered from history
  std::uint64_t duplicates = 0;         // trades skipped as already delivered
  std::uint64_t rejected = 0;           // refused by the TickNormalizer (bad price, size...)
  std::array<std::uint64_t, kRejectReasonCount> rejected_by_reason{};  // by RejectReason
  std::uint64_t dropped = 0;             // refused by the engine past the offer_wait budget
  std::uint64_t dropped_held = 0;        // live trades dropped because max_held_trades was hit
  std::uint64_t unknown_symbols = 0;     // n,<SYM> replies
  std::uint64_t unexpected_symbols = 0;  // updates for symbols this client did not watch
  std::uint64_t server_errors = 0;       // E lines (Level 1 and lookup)
  // C (trade correction) lines (docs/FEEDS.md "Trade corrections"): seen; handed to the
  // engine; referring to a TickID not among the symbol's last kCorrectionIds delivered
  // trades (or arriving while its history loads): not applied; of a CorrectionType letter
  // this client does not know: not applied.
  std::uint64_t corrections = 0;
  std::uint64_t corrections_applied = 0;
  std::uint64_t corrections_unmatched = 0;
  std::uint64_t corrections_unknown_type = 0;
  std::array<std::uint64_t, kIqFeedParseErrorKinds> parse_errors{};  // by IqFeedParseError

  std::uint64_t parse_error(IqFeedParseError kind) const {
    return parse_errors[static_cast<std::size_t>(kind)];
  }
  std::uint64_t parse_errors_total() const;
};

enum class IqFeedEventKind : std::uint8_t {
  kConnected,
  kDisconnected,
  kConnectFailed,
  kServerDisconnected,
  kServerConnected,
  kProtocolMismatch,
  kBackfillStarted,
  kBackfillDone,
  kBackfillFailed,
  kSymbolNotFound,
  kServerError,
  kParseError,        // first occurrence of each IqFeedParseError kind
  kTickSizeMismatch,  // the F message's Minimum Tick Size differs from the registry's
  kDropped,           // first trade dropped for backpressure or held-trade overflow
  kRejected,          // one of the first few trades the normalizer rejected, per reason
};
std::string_view to_string(IqFeedEventKind kind);

// Something the application should log. Connection events are reported each time; errors
// the first time per kind (per symbol for symbol events), with the line that caused them.
struct IqFeedEvent {
  IqFeedEventKind kind = IqFeedEventKind::kConnected;
  std::string detail;      // parse error kind, symbol, server text, counts...
  std::uint64_t line = 0;  // 1-based line number on its connection; 0 if not from a line
  std::string context;     // the offending line (truncated, non-printables escaped)
};

class IqFeedClient {
 public:
  // Throws std::invalid_argument for a config that cannot run: no symbols, a symbol not in
  // the registry, port 0, bad backoff values. The registry must outlive the client.
  IqFeedClient(IqFeedConfig config, const market::SymbolRegistry& symbols);
  ~IqFeedClient();
  IqFeedClient(const IqFeedClient&) = delete;
  IqFeedClient& operator=(const IqFeedClient&) = delete;

  // Called on the feed thread (inside run()) for each event; set before run(). The feed
  // part does no logging itself.
  void on_event(std::function<void(const IqFeedEvent&)> handler);
  // Called on the feed thread with every trade the feed boundary rejects (bad-tick filter,
  // time guard, bad values), as IQFeed gave it; set before run(). Must not throw.
  void on_reject(std::function<void(const RejectedTick&)> observer);

  // Runs the feed on the calling thread until stop is requested: connects, reconnects,
  // backfills, and offers trades to the sink (the only thread that calls sink.offer()).
  // Never throws for network or data problems; they are counted and reported.
  void run(market::TickSink& sink, std::stop_token stop);

  IqFeedStats stats() const;
  // The first occurrence of each error kind seen so far (a copy; any thread).
  std::vector<IqFeedEvent> first_errors() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacetime::feed
