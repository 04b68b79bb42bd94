// The symbol registry: dense SymbolIds for the symbols of one run, with the per-symbol
// quantisation parameters of docs/INDICATORS.md D1. Filled before the engine starts and
// read-only afterwards, so every thread may read it without locks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "market/tick.hpp"

namespace spacetime::market {

struct SymbolInfo {
  std::string name;
  double tick_size = 0.01;  // price units per price tick
  double size_scale = 1.0;  // lots per size unit
  int decimals = 2;         // digits after the point when a price is displayed
};

class SymbolRegistry {
 public:
  // Adds a symbol, or returns the id it already has. Throws std::invalid_argument on an
  // empty name or a tick size that is not positive and finite.
  SymbolId add(SymbolInfo info);

  std::optional<SymbolId> find(std::string_view name) const;
  const SymbolInfo& info(SymbolId id) const { return symbols_.at(id); }
  std::size_t size() const { return symbols_.size(); }
  const std::vector<SymbolInfo>& all() const { return symbols_; }

  // Price ticks back to price units, for display only.
  double to_price(SymbolId id, std::int64_t price_ticks) const {
    return static_cast<double>(price_ticks) * symbols_[id].tick_size;
  }

 private:
  std::vector<SymbolInfo> symbols_;
  std::unordered_map<std::string, SymbolId> by_name_;
};

// Digits needed to print multiples of tick_size exactly (0.01 -> 2, 0.25 -> 2, 5 -> 0).
int decimals_for(double tick_size);

}  // namespace spacetime::market
