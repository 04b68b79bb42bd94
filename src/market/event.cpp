#include "market/event.hpp"

namespace spacetime::market {

std::string_view to_string(Zone zone) {
  switch (zone) {
    case Zone::kLow:
      return "low";
    case Zone::kNeutral:
      return "neutral";
    case Zone::kHigh:
      return "high";
    case Zone::kNotReady:
      break;
  }
  return "not_ready";
}

std::string_view to_string(ReversalReason reason) {
  switch (reason) {
    case ReversalReason::kClimaxFade:
      return "climax_fade";
    case ReversalReason::kExtremeRetrace:
      return "extreme_retrace";
    case ReversalReason::kTrendPullback:
      return "trend_pullback";
    case ReversalReason::kCrossNotChoppy:
      return "cross_not_choppy";
  }
  return "unknown";
}

}  // namespace spacetime::market
