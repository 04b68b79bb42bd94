#include "market/timeframe.hpp"

namespace spacetime::market {
namespace {
constexpr std::array<std::string_view, kTimeframeCount> kNames = {"1s",  "10s", "1m", "5m",
                                                                  "15m", "1h",  "1d"};
}  // namespace

std::string_view to_string(Timeframe tf) {
  return kNames[index_of(tf)];
}

std::optional<Timeframe> parse_timeframe(std::string_view text) {
  for (std::size_t i = 0; i < kTimeframeCount; ++i) {
    if (kNames[i] == text) return kAllTimeframes[i];
  }
  return std::nullopt;
}

}  // namespace spacetime::market
