// Timeframes of the candle clock (docs/INDICATORS.md § Candles): a fixed, small set of
// epoch-aligned bucket widths. Value type only; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spacetime::market {

enum class Timeframe : std::uint8_t { k1s, k10s, k1m, k5m, k15m, k1h, k1d };

inline constexpr std::size_t kTimeframeCount = 7;

// Every timeframe in ascending width: the order in which bars close within one tick.
inline constexpr std::array<Timeframe, kTimeframeCount> kAllTimeframes = {
    Timeframe::k1s,  Timeframe::k10s, Timeframe::k1m, Timeframe::k5m,
    Timeframe::k15m, Timeframe::k1h,  Timeframe::k1d};

inline constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

constexpr std::int64_t duration_ns(Timeframe tf) {
  constexpr std::array<std::int64_t, kTimeframeCount> kSeconds = {1, 10, 60, 300, 900, 3600, 86400};
  return kSeconds[static_cast<std::size_t>(tf)] * kNanosPerSecond;
}

constexpr std::size_t index_of(Timeframe tf) {
  return static_cast<std::size_t>(tf);
}

// "1s", "10s", "1m", "5m", "15m", "1h", "1d".
std::string_view to_string(Timeframe tf);
std::optional<Timeframe> parse_timeframe(std::string_view text);

}  // namespace spacetime::market
