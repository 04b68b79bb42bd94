// What the engine emits: a closed variant of events, each on a channel (symbol x stream).
// Consumers (gateway, recorder) receive batches of these through the bus.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "market/candle.hpp"
#include "market/tick.hpp"
#include "market/timeframe.hpp"

namespace spacetime::market {

// The kinds of stream a symbol publishes. Candle streams come first, one per timeframe,
// so that stream == timeframe index for them.
enum class Stream : std::uint8_t {
  kCandle1s,
  kCandle10s,
  kCandle1m,
  kCandle5m,
  kCandle15m,
  kCandle1h,
  kCandle1d,
  kIntensity,  // per tick: raw and smoothed intensity
  kBuffer,     // per tick: the adaptive band and the zone
  kSpike,      // spike start and end
  kReversal,   // reversal signals, all four versions
  kTick,       // every accepted trade (time and sales)
  kSample,     // intensity and band downsampled on the feed clock, for history
};
inline constexpr std::size_t kStreamCount = 13;

// Event channels number their events 1, 2, 3... without gap (closed candles, ticks, spikes,
// reversals, samples); value channels (intensity, buffer, the candle in progress) carry
// samples of the latest state, which a consumer may conflate.
constexpr bool is_candle_stream(Stream s) {
  return static_cast<std::size_t>(s) < kTimeframeCount;
}

constexpr Stream candle_stream(Timeframe tf) {
  return static_cast<Stream>(index_of(tf));
}

struct Channel {
  SymbolId symbol = 0;
  Stream stream = Stream::kCandle1s;
  friend bool operator==(const Channel&, const Channel&) = default;
};

// A candle update. `closed` is true exactly once per bar, when the first tick of a later
// bucket arrives; otherwise the bar is in progress and the update is display-only.
// `seq` is the channel's bar number: the k-th bar opened on (symbol, tf) has seq k.
struct CandleEvent {
  SymbolId symbol = 0;
  Timeframe tf = Timeframe::k1s;
  bool closed = false;
  std::uint64_t seq = 0;
  Candle candle{};
  // A closed bar sent again because a trade correction changed it (docs/INDICATORS.md
  // § 1, "Corrections"): same seq and start as the first time, new OHLCV; the bar
  // indicators are the ones the bar closed with (not recomputed). Always closed.
  bool revised = false;
  // The bar's indicators (docs/INDICATORS.md § 2.3), set on closed bars once ready:
  // the ZLMA(20) volume line and the smoothed bar intensity.
  bool volume_zlma_ready = false;
  double volume_zlma = 0.0;
  bool bar_intensity_ready = false;
  double bar_intensity = 0.0;  // smoothed, lots per second

  friend bool operator==(const CandleEvent&, const CandleEvent&) = default;
};

// The events of one tick carry (symbol, seq, t) of the triggering tick (§ 2.9).
struct IntensityEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;
  std::int64_t t = 0;
  double raw = 0.0;  // I_k, units per second of the run's intensity mode
  // The three smoothing types of I, each once its warm-up is over; the run's selected
  // smoother is the one the adaptive buffer uses.
  bool sma_ready = false, ema_ready = false, zlma_ready = false;
  double sma = 0.0, ema = 0.0, zlma = 0.0;

  friend bool operator==(const IntensityEvent&, const IntensityEvent&) = default;
};

enum class Zone : std::uint8_t { kNotReady, kLow, kNeutral, kHigh };
// "not_ready", "low", "neutral", "high": the names on the wire and in output files.
std::string_view to_string(Zone zone);

struct BufferEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;
  std::int64_t t = 0;
  double smoothed = 0.0;  // S_k
  double upper = 0.0, baseline = 0.0, lower = 0.0;
  Zone zone = Zone::kNotReady;

  friend bool operator==(const BufferEvent&, const BufferEvent&) = default;
};

struct SpikeStartEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;          // the tick's sequence number
  std::uint64_t channel_seq = 0;  // 1, 2, 3... over the symbol's spike starts and ends
  std::int64_t t = 0;
  double intensity = 0.0;
  double z = 0.0;
  std::int64_t price = 0;

  friend bool operator==(const SpikeStartEvent&, const SpikeStartEvent&) = default;
};

struct SpikeEndEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;          // the tick that ended the spike
  std::uint64_t channel_seq = 0;  // shares the spike channel's numbering with the starts
  std::int64_t t_start = 0, t_peak = 0, t_end = 0;
  double peak_intensity = 0.0;
  double peak_z = 0.0;
  std::uint64_t ticks = 0;
  std::int64_t price_start = 0, price_end = 0;

  friend bool operator==(const SpikeEndEvent&, const SpikeEndEvent&) = default;
};

// Why a reversal fired (docs/INDICATORS.md § 2.8).
enum class ReversalReason : std::uint8_t {
  kClimaxFade,      // v1: a burst above the band faded back to the baseline after a move
  kExtremeRetrace,  // v2: a new extreme with high intensity, confirmed by momentum
  kTrendPullback,   // v3: LTF EMA flip back into the HTF trend with activity and volume
  kCrossNotChoppy,  // v4: EMA cross outside a choppy market with a volume spike
};

// "climax_fade", "extreme_retrace", "trend_pullback", "cross_not_choppy".
std::string_view to_string(ReversalReason reason);

struct ReversalEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;          // the tick's sequence number
  std::uint64_t channel_seq = 0;  // 1, 2, 3... over the symbol's reversals, all versions
  std::int64_t t = 0;
  std::uint8_t version = 0;   // 1..4
  std::int8_t direction = 0;  // +1 bullish (BUY), -1 bearish (SELL)
  std::int64_t price = 0;
  ReversalReason reason = ReversalReason::kClimaxFade;
  // Size of what triggered it: v1 the burst's move and v2 the retrace, in price ticks;
  // v3 and v4 the bar's volume over its 20-bar average.
  double strength = 0.0;

  friend bool operator==(const ReversalEvent&, const ReversalEvent&) = default;
};

// One accepted trade, as the engine processed it (time and sales). `seq` numbers the
// symbol's trades 1, 2, 3... as the engine accepted them; `tick_seq` is the feed's number.
struct TickEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;
  std::uint64_t tick_seq = 0;
  std::int64_t t = 0;  // effective time (D5)
  std::int64_t price = 0;
  std::int64_t size = 0;
  std::int64_t bid = 0, ask = 0;  // 0: no quote

  friend bool operator==(const TickEvent&, const TickEvent&) = default;
};

// Intensity and the adaptive band downsampled to one point per sampling period of the
// feed clock (the bucket [t, t + period)): the history a chart opens with. Emitted when the
// first tick of a later bucket arrives, like a closed bar; `seq` numbers the symbol's
// samples 1, 2, 3...
struct SampleEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;
  std::int64_t t = 0;       // bucket start
  std::int64_t t_last = 0;  // time of the last intensity value in the bucket
  double raw_last = 0.0, raw_min = 0.0, raw_max = 0.0;
  bool sma_ready = false, ema_ready = false, zlma_ready = false;
  double sma = 0.0, ema = 0.0, zlma = 0.0;  // last of the bucket
  Zone zone = Zone::kNotReady;              // kNotReady: no band in the bucket yet
  double smoothed = 0.0, upper = 0.0, baseline = 0.0, lower = 0.0;

  friend bool operator==(const SampleEvent&, const SampleEvent&) = default;
};

using Event = std::variant<CandleEvent, IntensityEvent, BufferEvent, SpikeStartEvent, SpikeEndEvent,
                           ReversalEvent, TickEvent, SampleEvent>;

inline Channel channel_of(const CandleEvent& e) {
  return {e.symbol, candle_stream(e.tf)};
}
inline Channel channel_of(const IntensityEvent& e) {
  return {e.symbol, Stream::kIntensity};
}
inline Channel channel_of(const BufferEvent& e) {
  return {e.symbol, Stream::kBuffer};
}
inline Channel channel_of(const SpikeStartEvent& e) {
  return {e.symbol, Stream::kSpike};
}
inline Channel channel_of(const SpikeEndEvent& e) {
  return {e.symbol, Stream::kSpike};
}
inline Channel channel_of(const ReversalEvent& e) {
  return {e.symbol, Stream::kReversal};
}
inline Channel channel_of(const TickEvent& e) {
  return {e.symbol, Stream::kTick};
}
inline Channel channel_of(const SampleEvent& e) {
  return {e.symbol, Stream::kSample};
}
// A switch on the index, not std::visit: the bus runs this once per event and subscription,
// and visit's call through a table cost about a quarter of its time (bench/bus_bench.cpp).
inline Channel channel_of(const Event& e) {
  static_assert(std::variant_size_v<Event> == 8, "channel_of() names every alternative");
  switch (e.index()) {
    case 0:
      return channel_of(*std::get_if<0>(&e));
    case 1:
      return channel_of(*std::get_if<1>(&e));
    case 2:
      return channel_of(*std::get_if<2>(&e));
    case 3:
      return channel_of(*std::get_if<3>(&e));
    case 4:
      return channel_of(*std::get_if<4>(&e));
    case 5:
      return channel_of(*std::get_if<5>(&e));
    case 6:
      return channel_of(*std::get_if<6>(&e));
    default:
      return channel_of(*std::get_if<7>(&e));
  }
}

inline SymbolId symbol_of(const Event& e) {
  return std::visit([](const auto& ev) { return ev.symbol; }, e);
}

// True for the latest-state samples a consumer may conflate: intensity, buffer and the
// candle in progress. Everything else is an event that must arrive, in order, once.
inline bool is_value(const Event& e) {
  if (const auto* c = std::get_if<CandleEvent>(&e)) return !c->closed;
  return std::holds_alternative<IntensityEvent>(e) || std::holds_alternative<BufferEvent>(e);
}

// A closed bar sent again after a trade correction: it repeats a number already given, so
// numbering checks (gaps, duplicates, losses) leave it out.
inline bool is_revision(const Event& e) {
  const auto* c = std::get_if<CandleEvent>(&e);
  return c != nullptr && c->revised;
}

// The number of an event on its channel: bar number for candles (also of the bar in
// progress), the channel's own count for ticks, spikes, reversals and samples, and the
// triggering tick's number for the value channels intensity and buffer.
inline std::uint64_t channel_seq(const Event& e) {
  return std::visit(
      [](const auto& ev) -> std::uint64_t {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, SpikeStartEvent> || std::is_same_v<T, SpikeEndEvent> ||
                      std::is_same_v<T, ReversalEvent>) {
          return ev.channel_seq;
        } else {
          return ev.seq;
        }
      },
      e);
}

// Event time on the channel's clock, nanoseconds: bar start for candles, bucket start for
// samples, the spike's end for spike ends, the tick's effective time otherwise.
inline std::int64_t event_time(const Event& e) {
  return std::visit(
      [](const auto& ev) -> std::int64_t {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, CandleEvent>) {
          return ev.candle.start_ns;
        } else if constexpr (std::is_same_v<T, SpikeEndEvent>) {
          return ev.t_end;
        } else {
          return ev.t;
        }
      },
      e);
}

// The last number given on each event channel of a symbol: where numbering continues
// after a restart (the engine starts each channel at the stored number + 1).
struct ChannelSequences {
  std::uint64_t bars[kTimeframeCount] = {};
  std::uint64_t ticks = 0, spikes = 0, reversals = 0, samples = 0;
};

// Where the engine hands its events (the bus implements it). publish() never blocks the
// caller for long and never throws; what a consumer cannot take is counted by the bus.
// origin_ns: when the oldest tick behind these events left the feed (steady_ns(), see
// market/latency.hpp), for the end-to-end latency; 0 when unknown.
class EventSink {
 public:
  virtual ~EventSink() = default;
  void publish(std::span<const Event> events, std::int64_t origin_ns = 0) {
    on_publish(events, origin_ns);
  }

 protected:
  virtual void on_publish(std::span<const Event> events, std::int64_t origin_ns) = 0;
};

}  // namespace spacetime::market
