#include "feed/normalizer.hpp"

#include <cmath>

namespace spacetime::feed {
namespace {

constexpr double kMaxTicks = 9007199254740992.0;  // 2^53: beyond it doubles lose integers

// D1: q = llround(price / tick_size), in the exact expression order of the spec.
std::optional<std::int64_t> to_ticks(double price, double tick_size) {
  if (!std::isfinite(price) || price <= 0.0) return std::nullopt;
  const double ticks = price / tick_size;
  if (!(ticks < kMaxTicks)) return std::nullopt;
  const std::int64_t q = std::llround(ticks);
  if (q <= 0) return std::nullopt;
  return q;
}

}  // namespace

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::kBadPrice:
      return "bad_price";
    case RejectReason::kBadSize:
      return "bad_size";
    case RejectReason::kBadTime:
      return "bad_time";
    case RejectReason::kUnknownSymbol:
      return "unknown_symbol";
  }
  return "unknown";
}

std::uint64_t RejectCounts::total() const {
  std::uint64_t sum = 0;
  for (const auto n : by_reason)
    sum += n;
  return sum;
}

TickNormalizer::TickNormalizer(const market::SymbolRegistry& symbols)
    : symbols_(symbols), seq_(symbols.size(), 0) {}

std::optional<market::Tick> TickNormalizer::normalize(market::SymbolId symbol, std::int64_t ts_ns,
                                                      double price, double size, double bid,
                                                      double ask) {
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol);
  if (ts_ns < 0) return reject(RejectReason::kBadTime);
  const market::SymbolInfo& info = symbols_.info(symbol);
  const auto q = to_ticks(price, info.tick_size);
  if (!q) return reject(RejectReason::kBadPrice);
  if (!std::isfinite(size) || size < 0.0) return reject(RejectReason::kBadSize);
  const double lots = size * info.size_scale;
  if (!(lots < kMaxTicks)) return reject(RejectReason::kBadSize);
  ++accepted_;
  return market::Tick{.ts_ns = ts_ns,
                      .price = *q,
                      .size = std::llround(lots),
                      .bid = to_ticks(bid, info.tick_size).value_or(0),
                      .ask = to_ticks(ask, info.tick_size).value_or(0),
                      .seq = ++seq_[symbol],
                      .symbol = symbol};
}

std::optional<market::Tick> TickNormalizer::accept(market::SymbolId symbol, std::int64_t ts_ns,
                                                   std::int64_t price, std::int64_t size,
                                                   std::int64_t bid, std::int64_t ask) {
  constexpr std::int64_t kMaxExact = std::int64_t{1} << 53;  // doubles hold them exactly
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol);
  if (ts_ns < 0) return reject(RejectReason::kBadTime);
  if (price <= 0 || price >= kMaxExact) return reject(RejectReason::kBadPrice);
  if (size < 0 || size >= kMaxExact) return reject(RejectReason::kBadSize);
  ++accepted_;
  auto quote = [](std::int64_t q) { return q > 0 && q < kMaxExact ? q : 0; };
  return market::Tick{.ts_ns = ts_ns,
                      .price = price,
                      .size = size,
                      .bid = quote(bid),
                      .ask = quote(ask),
                      .seq = ++seq_[symbol],
                      .symbol = symbol};
}

}  // namespace spacetime::feed
