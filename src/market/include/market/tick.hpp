// A trade as the engine sees it: already validated and quantised at the feed boundary
// (docs/INDICATORS.md D1), so every field is an exact integer. Trivially copyable, 56 bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

namespace spacetime::market {

using SymbolId = std::uint32_t;

struct Tick {
  std::int64_t ts_ns = 0;  // exchange time, UTC nanoseconds since the epoch
  std::int64_t price = 0;  // price ticks: llround(price / tick_size)
  std::int64_t size = 0;   // lots: llround(size * size_scale)
  std::int64_t bid = 0;    // price ticks; 0 when the feed has no quote
  std::int64_t ask = 0;    // price ticks; 0 when the feed has no quote
  std::uint64_t seq = 0;   // per-symbol sequence number, 1-based, assigned by the feed
  SymbolId symbol = 0;
  std::uint8_t kind = 0;  // TickKind: a trade, or a correction of earlier trades
};
static_assert(std::is_trivially_copyable_v<Tick>);
static_assert(sizeof(Tick) == 56, "kind sits in what was padding");

// What a Tick carries. A correction (docs/INDICATORS.md § 1, "Corrections") travels in the
// same rings and files as the trades, in order with them, and revises the bars it touches:
//   seq     the feed's number of the trade it cancels (0: cancels none, an insertion);
//   ts_ns   the exchange time of the trade it inserts (a cancel keeps the cancelled
//           trade's time: ts_ns is then informative only);
//   price, size  the trade it inserts; size 0 inserts none (a pure cancel);
//   bid, ask     0.
// A correction uses no sequence number of its own and moves no clock.
// A gap (kGap) never reaches the engine: it is what a recording writes where a live feed
// dropped `size` already-numbered trades of `symbol` (TickSink::dropped), so that a replay
// numbers the later trades as the live feed did (docs/FEEDS.md, .stt version 3).
enum class TickKind : std::uint8_t { kTrade = 0, kCorrection = 1, kGap = 2 };
constexpr bool is_gap(const Tick& t) {
  return t.kind == static_cast<std::uint8_t>(TickKind::kGap);
}
constexpr bool is_correction(const Tick& t) {
  return t.kind == static_cast<std::uint8_t>(TickKind::kCorrection);
}
constexpr Tick correction_tick(SymbolId symbol, std::uint64_t cancels_seq, std::int64_t ts_ns,
                               std::int64_t price, std::int64_t size) {
  return Tick{.ts_ns = ts_ns,
              .price = price,
              .size = size,
              .seq = cancels_seq,
              .symbol = symbol,
              .kind = static_cast<std::uint8_t>(TickKind::kCorrection)};
}

// A clock advance travels as a Tick with this symbol id, so that it stays in order with the
// ticks in the same ring (docs/INDICATORS.md § 9, "Clock advances"): ts_ns is the feed's
// time, and every shard closes the bars of its symbols whose bucket has ended by then.
// ts_ns == kFlushTime closes every open bar (the end of a replay) without moving any clock.
inline constexpr SymbolId kClockSymbol = std::numeric_limits<SymbolId>::max();
inline constexpr std::int64_t kFlushTime = std::numeric_limits<std::int64_t>::max();
constexpr Tick clock_tick(std::int64_t ts_ns) {
  return Tick{.ts_ns = ts_ns, .symbol = kClockSymbol};
}
constexpr bool is_clock(const Tick& t) {
  return t.symbol == kClockSymbol;
}

// Where a feed hands its ticks. Backpressure is a value, never an exception: offer()
// accepts a prefix of the batch and returns its length. A feed that can wait (simulator,
// file replay) offers the rest again; a live feed that cannot wait counts the rest as
// dropped. Called from one feed thread only.
class TickSink {
 public:
  virtual ~TickSink() = default;
  virtual std::size_t offer(std::span<const Tick> ticks) = 0;
  // The feed has nothing to offer right now (its idle path): a sink that holds ticks back
  // (the engine's backlogs) hands them on. Same thread as offer().
  virtual void idle() {}
  // A live feed that cannot wait gave up on `ticks` (the unaccepted rest of its offers)
  // after numbering them: a recording writes them as counted gaps (market::TickKind::kGap).
  // Same thread as offer(). Corrections among them use no number and are left out.
  virtual void dropped(std::span<const Tick> ticks) { (void)ticks; }
  // How long a feed that does not drop (the simulator, a tick file) waits before offering
  // again after the sink took less than it offered. Waking sooner than the sink can use
  // costs the feed CPU, and on a machine with no core to spare each wakeup may preempt
  // the thread it waits for (docs/PERFORMANCE.md, 2026-12-04 night).
  virtual std::chrono::nanoseconds retry_after() const { return std::chrono::microseconds(50); }
};

}  // namespace spacetime::market
