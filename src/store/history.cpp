#include "store/history.hpp"

#include <array>

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

std::optional<Series> series_of(const market::Event& event) {
  if (const auto* c = std::get_if<market::CandleEvent>(&event)) {
    return c->closed ? std::optional(Series::kCandles) : std::nullopt;
  }
  if (std::holds_alternative<market::TickEvent>(event)) return Series::kTicks;
  if (std::holds_alternative<market::SampleEvent>(event)) return Series::kSamples;
  if (std::holds_alternative<market::SpikeStartEvent>(event) ||
      std::holds_alternative<market::SpikeEndEvent>(event)) {
    return Series::kSpikes;
  }
  if (std::holds_alternative<market::ReversalEvent>(event)) return Series::kReversals;
  return std::nullopt;
}

}  // namespace spacetime::store
