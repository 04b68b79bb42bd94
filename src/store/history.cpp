#include "store/history.hpp"

#include <array>
#include <vector>

#include "store/tick_block.hpp"

namespace spacetime::store {
namespace {
constexpr std::array<std::string_view, kSeriesCount> kNames = {"candles", "ticks", "intensity",
                                                               "spikes", "reversals"};
}

std::string_view to_string(Series series) {
  return kNames[static_cast<std::size_t>(series)];
}

std::optional<Series> parse_series(std::string_view name) {
  for (std::size_t i = 0; i < kSeriesCount; ++i) {
    if (kNames[i] == name) return static_cast<Series>(i);
  }
  return std::nullopt;
}

void Backend::write_encoded(std::span<const market::Event> events, const detail::TickBatch& ticks) {
  if (ticks.empty()) return write(events);
  std::vector<market::Event> all;
  all.reserve(events.size() + ticks.size());
  all.assign(events.begin(), events.end());
  ticks.append_events(all);
  write(all);
}

}  // namespace spacetime::store
