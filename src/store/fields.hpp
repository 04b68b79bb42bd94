// Private to the store: the stored fields of each event, named, in one list per type. The
// SQL schemas, the row binders and readers of every SQL backend and the spool's binary codec
// all walk these lists, so that a field added here is stored everywhere or nowhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "market/event.hpp"
#include "store/history.hpp"

namespace spacetime::store::detail {

// Spike starts and ends share one table (their channel numbers interleave), so both are
// stored as this union of their fields; `kind` tells them apart.
struct SpikeRow {
  std::uint64_t channel_seq = 0;
  std::int64_t t = 0;     // market::event_time: start time of a start, end time of an end
  std::uint8_t kind = 0;  // 0 start, 1 end
  std::uint64_t tick_seq = 0;
  std::int64_t t_start = 0, t_peak = 0;
  double intensity = 0.0, z = 0.0;  // of the start; the peak's for an end
  std::uint64_t ticks = 0;
  std::int64_t price_start = 0, price_end = 0;
};

inline SpikeRow to_row(const market::SpikeStartEvent& e) {
  return {.channel_seq = e.channel_seq,
          .t = e.t,
          .kind = 0,
          .tick_seq = e.seq,
          .t_start = e.t,
          .t_peak = 0,
          .intensity = e.intensity,
          .z = e.z,
          .ticks = 0,
          .price_start = e.price,
          .price_end = 0};
}
inline SpikeRow to_row(const market::SpikeEndEvent& e) {
  return {.channel_seq = e.channel_seq,
          .t = e.t_end,
          .kind = 1,
          .tick_seq = e.seq,
          .t_start = e.t_start,
          .t_peak = e.t_peak,
          .intensity = e.peak_intensity,
          .z = e.peak_z,
          .ticks = e.ticks,
          .price_start = e.price_start,
          .price_end = e.price_end};
}
inline market::Event from_row(const SpikeRow& r, market::SymbolId symbol) {
  if (r.kind == 0) {
    return market::SpikeStartEvent{.symbol = symbol,
                                   .seq = r.tick_seq,
                                   .channel_seq = r.channel_seq,
                                   .t = r.t,
                                   .intensity = r.intensity,
                                   .z = r.z,
                                   .price = r.price_start};
  }
  return market::SpikeEndEvent{.symbol = symbol,
                               .seq = r.tick_seq,
                               .channel_seq = r.channel_seq,
                               .t_start = r.t_start,
                               .t_peak = r.t_peak,
                               .t_end = r.t,
                               .peak_intensity = r.intensity,
                               .peak_z = r.z,
                               .ticks = r.ticks,
                               .price_start = r.price_start,
                               .price_end = r.price_end};
}

// f(name, field&) for every stored field, the channel number first ("seq") and the event
// time second ("t"), then the rest. The symbol is not a field: it is stored by name.
template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::CandleEvent>
void visit_fields(E& e, F&& f) {
  f("tf", e.tf);
  f("seq", e.seq);
  f("t", e.candle.start_ns);
  f("open", e.candle.open);
  f("high", e.candle.high);
  f("low", e.candle.low);
  f("close", e.candle.close);
  f("volume", e.candle.volume);
  f("first_ns", e.candle.first_ns);
  f("last_ns", e.candle.last_ns);
  f("ticks", e.candle.ticks);
  f("closed", e.closed);
  f("volume_zlma_ready", e.volume_zlma_ready);
  f("volume_zlma", e.volume_zlma);
  f("bar_intensity_ready", e.bar_intensity_ready);
  f("bar_intensity", e.bar_intensity);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::TickEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("t", e.t);
  f("tick_seq", e.tick_seq);
  f("price", e.price);
  f("size", e.size);
  f("bid", e.bid);
  f("ask", e.ask);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SampleEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("t", e.t);
  f("t_last", e.t_last);
  f("raw_last", e.raw_last);
  f("raw_min", e.raw_min);
  f("raw_max", e.raw_max);
  f("sma_ready", e.sma_ready);
  f("ema_ready", e.ema_ready);
  f("zlma_ready", e.zlma_ready);
  f("sma", e.sma);
  f("ema", e.ema);
  f("zlma", e.zlma);
  f("zone", e.zone);
  f("smoothed", e.smoothed);
  f("upper", e.upper);
  f("baseline", e.baseline);
  f("lower", e.lower);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, SpikeRow>
void visit_fields(E& e, F&& f) {
  f("seq", e.channel_seq);
  f("t", e.t);
  f("kind", e.kind);
  f("tick_seq", e.tick_seq);
  f("t_start", e.t_start);
  f("t_peak", e.t_peak);
  f("intensity", e.intensity);
  f("z", e.z);
  f("ticks", e.ticks);
  f("price_start", e.price_start);
  f("price_end", e.price_end);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::ReversalEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.channel_seq);
  f("t", e.t);
  f("tick_seq", e.seq);
  f("version", e.version);
  f("direction", e.direction);
  f("price", e.price);
  f("reason", e.reason);
  f("strength", e.strength);
}

// The value samples are never stored in tables, but the codec carries every event.
template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::IntensityEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("t", e.t);
  f("raw", e.raw);
  f("sma_ready", e.sma_ready);
  f("ema_ready", e.ema_ready);
  f("zlma_ready", e.zlma_ready);
  f("sma", e.sma);
  f("ema", e.ema);
  f("zlma", e.zlma);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::BufferEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("t", e.t);
  f("smoothed", e.smoothed);
  f("upper", e.upper);
  f("baseline", e.baseline);
  f("lower", e.lower);
  f("zone", e.zone);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SpikeStartEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("channel_seq", e.channel_seq);
  f("t", e.t);
  f("intensity", e.intensity);
  f("z", e.z);
  f("price", e.price);
}

template <typename E, typename F>
requires std::is_same_v<std::remove_const_t<E>, market::SpikeEndEvent>
void visit_fields(E& e, F&& f) {
  f("seq", e.seq);
  f("channel_seq", e.channel_seq);
  f("t_start", e.t_start);
  f("t_peak", e.t_peak);
  f("t_end", e.t_end);
  f("peak_intensity", e.peak_intensity);
  f("peak_z", e.peak_z);
  f("ticks", e.ticks);
  f("price_start", e.price_start);
  f("price_end", e.price_end);
}

// A field stored as a floating-point column (the rest are integers).
template <typename T>
inline constexpr bool kIsReal = std::is_floating_point_v<T>;

// The table of a series and the row type stored in it.
inline std::string_view table_of(Series s) {
  switch (s) {
    case Series::kCandles:
      return "candles";
    case Series::kTicks:
      return "ticks";
    case Series::kSamples:
      return "samples";
    case Series::kSpikes:
      return "spikes";
    case Series::kReversals:
      return "reversals";
  }
  return "candles";
}

// Calls f(row) with the row of a stored event (the spike union for spikes).
template <typename F>
void with_row(const market::Event& e, F&& f) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, market::SpikeStartEvent> ||
                      std::is_same_v<T, market::SpikeEndEvent>) {
          f(to_row(ev));
        } else {
          f(ev);
        }
      },
      e);
}

// Calls f(row&) with a default row of the series' type; returns the event it was read into.
template <typename F>
market::Event read_row(Series s, market::SymbolId symbol, F&& f) {
  switch (s) {
    case Series::kCandles: {
      market::CandleEvent e{.symbol = symbol};
      f(e);
      return e;
    }
    case Series::kTicks: {
      market::TickEvent e{.symbol = symbol};
      f(e);
      return e;
    }
    case Series::kSamples: {
      market::SampleEvent e{.symbol = symbol};
      f(e);
      return e;
    }
    case Series::kSpikes: {
      SpikeRow r;
      f(r);
      return from_row(r, symbol);
    }
    case Series::kReversals: {
      market::ReversalEvent e{.symbol = symbol};
      f(e);
      return e;
    }
  }
  return market::CandleEvent{};
}

// The column names of a series' table, in field order (without the symbol).
inline std::vector<std::pair<std::string, bool>> columns_of(Series s) {
  std::vector<std::pair<std::string, bool>> out;
  read_row(s, 0, [&](auto& row) {
    visit_fields(row, [&](const char* name, auto& field) {
      out.emplace_back(name, kIsReal<std::decay_t<decltype(field)>>);
    });
  });
  return out;
}

// Field values as integers, whatever their C++ type (enums, bools, unsigned).
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

}  // namespace spacetime::store::detail
