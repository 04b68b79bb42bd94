// What the engine emits: a closed variant of events, each on a channel (symbol x stream).
// Consumers (gateway, recorder) receive batches of these through the bus.
#pragma once

#include <cstdint>
#include <span>
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
};
inline constexpr std::size_t kStreamCount = 7;

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
};

using Event = std::variant<CandleEvent>;

inline Channel channel_of(const CandleEvent& e) {
  return {e.symbol, candle_stream(e.tf)};
}
inline Channel channel_of(const Event& e) {
  return std::visit([](const auto& ev) { return channel_of(ev); }, e);
}

// Where the engine hands its events (the bus implements it). publish() never blocks the
// caller for long and never throws; what a consumer cannot take is counted by the bus.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(std::span<const Event> events) = 0;
};

}  // namespace spacetime::market
