// An OHLCV bar of one symbol on one timeframe (docs/INDICATORS.md § Bar clock).
// Prices in price ticks, volume in lots: exact integers.
#pragma once

#include <cstdint>
#include <type_traits>

namespace spacetime::market {

struct Candle {
  std::int64_t start_ns = 0;  // bucket start: (t / tf_ns) * tf_ns
  std::int64_t open = 0;
  std::int64_t high = 0;
  std::int64_t low = 0;
  std::int64_t close = 0;
  std::int64_t volume = 0;
  std::int64_t first_ns = 0;  // effective time of the first and last tick in the bar
  std::int64_t last_ns = 0;
  std::uint32_t ticks = 0;

  friend bool operator==(const Candle&, const Candle&) = default;
};
static_assert(std::is_trivially_copyable_v<Candle>);

}  // namespace spacetime::market
