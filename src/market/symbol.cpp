#include "market/symbol.hpp"

#include <cmath>
#include <stdexcept>

namespace spacetime::market {

SymbolId SymbolRegistry::add(SymbolInfo info) {
  if (info.name.empty()) throw std::invalid_argument("symbol name is empty");
  if (!(info.tick_size > 0.0) || !std::isfinite(info.tick_size)) {
    throw std::invalid_argument("symbol " + info.name + ": tick size must be positive");
  }
  if (!(info.size_scale > 0.0) || !std::isfinite(info.size_scale)) {
    throw std::invalid_argument("symbol " + info.name + ": size scale must be positive");
  }
  if (auto it = by_name_.find(info.name); it != by_name_.end()) return it->second;
  const auto id = static_cast<SymbolId>(symbols_.size());
  by_name_.emplace(info.name, id);
  symbols_.push_back(std::move(info));
  return id;
}

std::optional<SymbolId> SymbolRegistry::find(std::string_view name) const {
  if (auto it = by_name_.find(std::string(name)); it != by_name_.end()) return it->second;
  return std::nullopt;
}

int decimals_for(double tick_size) {
  for (int d = 0; d <= 10; ++d) {
    const double scaled = tick_size * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-9 * std::max(1.0, scaled)) return d;
  }
  return 10;
}

}  // namespace spacetime::market
