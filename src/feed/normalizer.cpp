#include "feed/normalizer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace spacetime::feed {

constexpr std::int64_t kMaxGapCount = std::int64_t{1} << 40;
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
    case RejectReason::kFutureTime:
      return "future_time";
    case RejectReason::kBadQuote:
      return "bad_quote";
    case RejectReason::kOutsideBand:
      return "outside_band";
    case RejectReason::kAbsurdSize:
      return "absurd_size";
    case RejectReason::kBadSeq:
      return "bad_seq";
  }
  return "unknown";
}

std::uint64_t RejectCounts::total() const {
  std::uint64_t sum = 0;
  for (const auto n : by_reason)
    sum += n;
  return sum;
}

std::int64_t TimeGuard::wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TickNormalizer::TickNormalizer(const market::SymbolRegistry& symbols, TimeGuard guard,
                               BadTickFilter filter)
    : symbols_(symbols), seq_(symbols.size(), 0), guard_(std::move(guard)), filter_(filter) {
  if (filter_.enabled && filter_.band_k > 0.0 && filter_.band_n > 0) {
    recent_.assign(symbols.size(), {});
    recent_next_.assign(symbols.size(), 0);
    scratch_.reserve(filter_.band_n);
  }
}

std::optional<RejectReason> TickNormalizer::filter(market::SymbolId symbol, std::int64_t q,
                                                   double lots, bool quoted, std::int64_t bid,
                                                   std::int64_t ask) {
  if (!filter_.enabled) return std::nullopt;
  if (filter_.quotes && quoted && !(bid > 0 && ask > 0 && ask > bid))
    return RejectReason::kBadQuote;
  if (filter_.max_size > 0.0 && lots > filter_.max_size) return RejectReason::kAbsurdSize;
  if (recent_.empty()) return std::nullopt;
  auto& ring = recent_[symbol];
  bool outside = false;
  if (ring.size() == filter_.band_n) {
    // Median and median absolute deviation of the recent prices (the upper median for an
    // even count), in integer price ticks.
    const std::size_t mid = ring.size() / 2;
    scratch_.assign(ring.begin(), ring.end());
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(mid),
                     scratch_.end());
    const std::int64_t median = scratch_[mid];
    for (auto& v : scratch_)
      v = v > median ? v - median : median - v;
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(mid),
                     scratch_.end());
    const double mad = static_cast<double>(scratch_[mid]);
    const double dev = static_cast<double>(q > median ? q - median : median - q);
    const double limit = std::max(
        {filter_.band_k * mad, filter_.band_floor_pct / 100.0 * static_cast<double>(median), 1.0});
    outside = dev > limit;
  }
  // Every price that got this far joins the reference, so a lasting move is accepted once it
  // holds the median.
  if (ring.size() < filter_.band_n) {
    ring.push_back(q);
  } else {
    ring[recent_next_[symbol]] = q;
    recent_next_[symbol] = (recent_next_[symbol] + 1) % filter_.band_n;
  }
  return outside ? std::optional(RejectReason::kOutsideBand) : std::nullopt;
}

// Called once every other check has passed; an accepted time moves the feed's clock.
bool TickNormalizer::ahead(std::int64_t ts_ns) {
  const std::int64_t skew = guard_.max_skew_ns;
  // a > b + skew, written without overflow: a - b > skew (both >= 0).
  auto beyond = [skew](std::int64_t a, std::int64_t b) { return a > b && a - b > skew; };
  if (skew > 0) {
    if (guard_.now) {
      if (beyond(ts_ns, guard_.now())) return true;
    } else if (clock_ && beyond(ts_ns, *clock_)) {
      // A run of ahead ticks that agree with each other is a gap of the whole feed.
      const bool agrees = candidate_ && !beyond(ts_ns, *candidate_) && !beyond(*candidate_, ts_ns);
      ahead_run_ = agrees ? ahead_run_ + 1 : 1;
      candidate_ = ts_ns;
      if (guard_.confirm <= 0 || ahead_run_ < guard_.confirm) return true;
    }
  }
  ahead_run_ = 0;
  candidate_.reset();
  if (!clock_ || ts_ns > *clock_) clock_ = ts_ns;
  return false;
}

std::optional<market::Tick> TickNormalizer::normalize(market::SymbolId symbol, std::int64_t ts_ns,
                                                      double price, double size, double bid,
                                                      double ask) {
  const RejectedTick raw{
      .symbol = symbol, .ts_ns = ts_ns, .price = price, .size = size, .bid = bid, .ask = ask};
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol, raw);
  if (ts_ns < 0) return reject(RejectReason::kBadTime, raw);
  const market::SymbolInfo& info = symbols_.info(symbol);
  const auto q = to_ticks(price, info.tick_size);
  if (!q) return reject(RejectReason::kBadPrice, raw);
  if (!std::isfinite(size) || size < 0.0) return reject(RejectReason::kBadSize, raw);
  const double lots = size * info.size_scale;
  if (!(lots < kMaxTicks)) return reject(RejectReason::kBadSize, raw);
  return check_and_sequence(symbol, ts_ns, *q, std::llround(lots), lots, bid != 0.0 || ask != 0.0,
                            to_ticks(bid, info.tick_size).value_or(0),
                            to_ticks(ask, info.tick_size).value_or(0), raw);
}

std::optional<market::Tick> TickNormalizer::check_and_sequence(
    market::SymbolId symbol, std::int64_t ts_ns, std::int64_t q, std::int64_t lots, double raw_lots,
    bool quoted, std::int64_t bid, std::int64_t ask, const RejectedTick& raw) {
  if (const auto why = filter(symbol, q, raw_lots, quoted, bid, ask)) return reject(*why, raw);
  if (ahead(ts_ns)) return reject(RejectReason::kFutureTime, raw);
  ++accepted_;
  return market::Tick{.ts_ns = ts_ns,
                      .price = q,
                      .size = lots,
                      .bid = bid,
                      .ask = ask,
                      .seq = ++seq_[symbol],
                      .symbol = symbol};
}

std::optional<market::Tick> TickNormalizer::correction(market::SymbolId symbol,
                                                       std::uint64_t cancels_seq,
                                                       std::int64_t ts_ns, double price,
                                                       double size) {
  const RejectedTick raw{.symbol = symbol, .ts_ns = ts_ns, .price = price, .size = size};
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol, raw);
  if (!std::isfinite(size) || size < 0.0) return reject(RejectReason::kBadSize, raw);
  const market::SymbolInfo& info = symbols_.info(symbol);
  const double lots = size * info.size_scale;
  if (!(lots < kMaxTicks)) return reject(RejectReason::kBadSize, raw);
  std::int64_t q = 0;
  if (std::llround(lots) > 0) {
    const auto p = to_ticks(price, info.tick_size);
    if (!p) return reject(RejectReason::kBadPrice, raw);
    q = *p;
  }
  return check_correction(symbol, cancels_seq, ts_ns, q, std::llround(lots), raw);
}

bool TickNormalizer::skip(market::SymbolId symbol, std::int64_t count) {
  const RejectedTick raw{.symbol = symbol, .size = static_cast<double>(count)};
  if (symbol >= seq_.size()) {
    reject(RejectReason::kUnknownSymbol, raw);
    return false;
  }
  // No feed drops 2^40 trades of one symbol at once: a larger count is a corrupt record,
  // and taking it would wrap the symbol's numbers.
  if (count < 1 || count > kMaxGapCount) {
    reject(RejectReason::kBadSize, raw);
    return false;
  }
  seq_[symbol] += static_cast<std::uint64_t>(count);
  skipped_ += static_cast<std::uint64_t>(count);
  return true;
}

std::optional<market::Tick> TickNormalizer::accept_correction(market::SymbolId symbol,
                                                              std::uint64_t cancels_seq,
                                                              std::int64_t ts_ns,
                                                              std::int64_t price,
                                                              std::int64_t size) {
  constexpr std::int64_t kMaxExact = std::int64_t{1} << 53;
  const RejectedTick raw{.symbol = symbol,
                         .ts_ns = ts_ns,
                         .price = static_cast<double>(price),
                         .size = static_cast<double>(size)};
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol, raw);
  if (size < 0 || size >= kMaxExact) return reject(RejectReason::kBadSize, raw);
  if (size > 0 && (price <= 0 || price >= kMaxExact)) return reject(RejectReason::kBadPrice, raw);
  return check_correction(symbol, cancels_seq, ts_ns, size > 0 ? price : 0, size, raw);
}

std::optional<market::Tick> TickNormalizer::check_correction(market::SymbolId symbol,
                                                             std::uint64_t cancels_seq,
                                                             std::int64_t ts_ns, std::int64_t q,
                                                             std::int64_t lots,
                                                             const RejectedTick& raw) {
  if (lots > 0 && ts_ns < 0) return reject(RejectReason::kBadTime, raw);
  if (cancels_seq > seq_[symbol]) return reject(RejectReason::kBadSeq, raw);
  if (cancels_seq == 0 && lots == 0) return reject(RejectReason::kBadSize, raw);  // does nothing
  ++corrections_;
  return market::correction_tick(symbol, cancels_seq, ts_ns < 0 ? 0 : ts_ns, q, lots);
}

std::optional<market::Tick> TickNormalizer::accept(market::SymbolId symbol, std::int64_t ts_ns,
                                                   std::int64_t price, std::int64_t size,
                                                   std::int64_t bid, std::int64_t ask) {
  constexpr std::int64_t kMaxExact = std::int64_t{1} << 53;  // doubles hold them exactly
  const RejectedTick raw{.symbol = symbol,
                         .ts_ns = ts_ns,
                         .price = static_cast<double>(price),
                         .size = static_cast<double>(size),
                         .bid = static_cast<double>(bid),
                         .ask = static_cast<double>(ask)};
  if (symbol >= seq_.size()) return reject(RejectReason::kUnknownSymbol, raw);
  if (ts_ns < 0) return reject(RejectReason::kBadTime, raw);
  if (price <= 0 || price >= kMaxExact) return reject(RejectReason::kBadPrice, raw);
  if (size < 0 || size >= kMaxExact) return reject(RejectReason::kBadSize, raw);
  auto quote = [](std::int64_t q) { return q > 0 && q < kMaxExact ? q : 0; };
  return check_and_sequence(symbol, ts_ns, price, size, static_cast<double>(size),
                            bid != 0 || ask != 0, quote(bid), quote(ask), raw);
}

}  // namespace spacetime::feed
