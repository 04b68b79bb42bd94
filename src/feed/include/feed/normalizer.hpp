// The feed boundary (docs/INDICATORS.md D1 and § 2.1): every source turns what it read
// into a Tick here. Bad input is rejected and counted by reason, never passed on and never
// thrown; good input is quantised to integer price ticks and lots and gets the symbol's
// next sequence number.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

enum class RejectReason : std::uint8_t {
  kBadPrice,       // not finite, <= 0, or rounds to 0 price ticks or beyond 2^53
  kBadSize,        // not finite or < 0
  kBadTime,        // negative timestamp
  kUnknownSymbol,  // id not in the registry
};
inline constexpr std::size_t kRejectReasonCount = 4;
std::string_view to_string(RejectReason reason);

struct RejectCounts {
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};
  std::uint64_t operator[](RejectReason r) const { return by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const;
};

class TickNormalizer {
 public:
  // The registry must outlive the normalizer and must not grow while it is used.
  explicit TickNormalizer(const market::SymbolRegistry& symbols);

  // A bid or ask that is not a positive finite price means "no quote" (0), not a reject.
  std::optional<market::Tick> normalize(market::SymbolId symbol, std::int64_t ts_ns, double price,
                                        double size, double bid = 0.0, double ask = 0.0);

  // Ticks that are integers in the symbol's own units already (a .stt file written with the
  // registry's tick size and size scale): the same checks and sequencing, without a round
  // trip through double, so every integer below 2^53 comes back exactly.
  std::optional<market::Tick> accept(market::SymbolId symbol, std::int64_t ts_ns,
                                     std::int64_t price, std::int64_t size, std::int64_t bid = 0,
                                     std::int64_t ask = 0);

  const RejectCounts& rejected() const { return rejected_; }
  std::uint64_t accepted() const { return accepted_; }

 private:
  std::optional<market::Tick> reject(RejectReason reason) {
    ++rejected_.by_reason[static_cast<std::size_t>(reason)];
    return std::nullopt;
  }

  const market::SymbolRegistry& symbols_;
  std::vector<std::uint64_t> seq_;  // last sequence number per symbol
  RejectCounts rejected_;
  std::uint64_t accepted_ = 0;
};

}  // namespace spacetime::feed
