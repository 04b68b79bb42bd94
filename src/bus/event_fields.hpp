// Private to the bus: the fields of each event in the order the event codec writes them
// (docs/PROTOCOL.md § Redis bus codec): the channel number ("seq") and the event time ("t")
// come first wherever the event has them, then the rest. The symbol is not a field: the
// codec writes it as an index into the batch's symbol table. A field added to an event and
// not here fails the codec's round-trip test.
#pragma once

#include <cstdint>
#include <type_traits>

#include "market/event.hpp"

namespace spacetime::bus::detail {

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::CandleEvent>
void visit_fields(E& e, F&& f) {
  f(e.tf);
  f(e.seq);
  f(e.candle.start_ns);
  f(e.candle.open);
  f(e.candle.high);
  f(e.candle.low);
  f(e.candle.close);
  f(e.candle.volume);
  f(e.candle.first_ns);
  f(e.candle.last_ns);
  f(e.candle.ticks);
  f(e.closed);
  f(e.revised);
  f(e.volume_zlma_ready);
  f(e.volume_zlma);
  f(e.bar_intensity_ready);
  f(e.bar_intensity);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::IntensityEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.t);
  f(e.raw);
  f(e.sma_ready);
  f(e.ema_ready);
  f(e.zlma_ready);
  f(e.sma);
  f(e.ema);
  f(e.zlma);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::BufferEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.t);
  f(e.smoothed);
  f(e.upper);
  f(e.baseline);
  f(e.lower);
  f(e.zone);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SpikeStartEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.channel_seq);
  f(e.t);
  f(e.intensity);
  f(e.z);
  f(e.price);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SpikeEndEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.channel_seq);
  f(e.t_start);
  f(e.t_peak);
  f(e.t_end);
  f(e.peak_intensity);
  f(e.peak_z);
  f(e.ticks);
  f(e.price_start);
  f(e.price_end);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::ReversalEvent>
void visit_fields(E& e, F&& f) {
  f(e.channel_seq);
  f(e.t);
  f(e.seq);
  f(e.version);
  f(e.direction);
  f(e.price);
  f(e.reason);
  f(e.strength);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::TickEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.t);
  f(e.tick_seq);
  f(e.price);
  f(e.size);
  f(e.bid);
  f(e.ask);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SampleEvent>
void visit_fields(E& e, F&& f) {
  f(e.seq);
  f(e.t);
  f(e.t_last);
  f(e.raw_last);
  f(e.raw_min);
  f(e.raw_max);
  f(e.sma_ready);
  f(e.ema_ready);
  f(e.zlma_ready);
  f(e.sma);
  f(e.ema);
  f(e.zlma);
  f(e.zone);
  f(e.smoothed);
  f(e.upper);
  f(e.baseline);
  f(e.lower);
}

// Integers (and bools and enums) travel as zigzag varints, doubles as 8 bytes.
template <typename T>
std::int64_t to_int(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return static_cast<std::int64_t>(static_cast<std::underlying_type_t<T>>(v));
  } else {
    return static_cast<std::int64_t>(v);
  }
}
template <typename T>
void from_int(T& field, std::int64_t v) {
  if constexpr (std::is_enum_v<T>) {
    field = static_cast<T>(static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    field = v != 0;
  } else {
    field = static_cast<T>(v);
  }
}

}  // namespace spacetime::bus::detail
