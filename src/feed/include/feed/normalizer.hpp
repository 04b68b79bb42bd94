// The feed boundary (docs/INDICATORS.md D1 and § 2.1): every source turns what it read
// into a Tick here. Bad input is rejected and counted by reason, never passed on and never
// thrown; good input is quantised to integer price ticks and lots and gets the symbol's
// next sequence number.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
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
  kFutureTime,     // further ahead than the time guard's skew (docs/FEEDS.md "Time guards")
  // The bad-tick filter (BadTickFilter, docs/FEEDS.md "Bad-tick filter"):
  kBadQuote,     // quotes present but a side is not positive, or ask <= bid
  kOutsideBand,  // price too far from the median of the symbol's recent prices
  kAbsurdSize,   // more lots than max_size
  // A trade correction that cancels a trade number not given (yet) for its symbol.
  kBadSeq,
};
inline constexpr std::size_t kRejectReasonCount = 9;
std::string_view to_string(RejectReason reason);

struct RejectCounts {
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};
  std::uint64_t operator[](RejectReason r) const { return by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const;
};

// Time guards (docs/FEEDS.md "Time guards"). A tick stamped further ahead than max_skew_ns
// of the reference is rejected as kFutureTime and moves no clock. The reference of a file is
// the feed's clock: the latest accepted time of any symbol, which is never behind the
// symbol's own clock (a symbol that was quiet while others traded is not rejected). A gap of
// the whole feed (overnight) is accepted once `confirm` ticks in a row are ahead and agree
// with each other within the skew: the last of them is accepted and moves the clock. The
// very first tick of a file has no reference and is accepted. A live feed is checked against
// the wall clock (`now`) instead, from its first tick on.
struct TimeGuard {
  std::int64_t max_skew_ns = 300'000'000'000;  // 5 min; <= 0 turns the guard off
  int confirm = 2;                             // ahead ticks in a row that move a file's clock
  std::function<std::int64_t()> now{};         // set: a live feed, checked against the wall clock
  static std::int64_t wall_clock_ns();
};

// The bad-tick filter (docs/FEEDS.md "Bad-tick filter"): on by default for live feeds, off
// for the simulator and tick files. Each rule can be turned off on its own.
struct BadTickFilter {
  bool enabled = false;
  // Quotes present (a bid or ask other than 0 was given): both sides must be positive
  // prices with ask > bid.
  bool quotes = true;
  // Price band around a robust reference: the median m of the symbol's last band_n prices
  // (accepted or band-rejected, so a real level shift is accepted after about band_n / 2
  // ticks). Rejected when |q - m| > max(band_k * MAD, band_floor_pct % of m, 1 tick), once
  // band_n prices are known. band_k <= 0 turns the band off.
  double band_k = 10.0;
  std::size_t band_n = 50;
  double band_floor_pct = 1.0;
  // More lots than this in one trade; <= 0 turns the rule off.
  double max_size = 50'000'000.0;
};

// The first few rejected ticks of each reason, as given, for the log.
struct RejectedTick {
  RejectReason reason{};
  market::SymbolId symbol = 0;
  std::int64_t ts_ns = 0;
  double price = 0.0;
  double size = 0.0;
  double bid = 0.0;
  double ask = 0.0;
};
inline constexpr std::size_t kRejectSamples = 3;  // kept per reason

class TickNormalizer {
 public:
  // The registry must outlive the normalizer and must not grow while it is used.
  explicit TickNormalizer(const market::SymbolRegistry& symbols, TimeGuard guard = {},
                          BadTickFilter filter = {});

  // A bid or ask that is not a positive finite price means "no quote" (0), not a reject.
  std::optional<market::Tick> normalize(market::SymbolId symbol, std::int64_t ts_ns, double price,
                                        double size, double bid = 0.0, double ask = 0.0);

  // Ticks that are integers in the symbol's own units already (a .stt file written with the
  // registry's tick size and size scale): the same checks and sequencing, without a round
  // trip through double, so every integer below 2^53 comes back exactly.
  std::optional<market::Tick> accept(market::SymbolId symbol, std::int64_t ts_ns,
                                     std::int64_t price, std::int64_t size, std::int64_t bid = 0,
                                     std::int64_t ask = 0);

  // A trade correction (market::correction_tick, docs/FEEDS.md "Trade corrections"): cancels
  // the symbol's trade number `cancels_seq` (0: none) and inserts a trade of `size` (0: none)
  // at `price`. The same unit checks as a trade when it inserts one (bad_price, bad_size,
  // bad_time, unknown_symbol, counted under those reasons); a cancel of a number this
  // normalizer has not given is bad_seq. No bad-tick filter or time guard (the trade is a
  // past one), no sequence number of its own.
  std::optional<market::Tick> correction(market::SymbolId symbol, std::uint64_t cancels_seq,
                                         std::int64_t ts_ns, double price, double size);
  // The same in the symbol's own units (a .stt file's correction records).
  std::optional<market::Tick> accept_correction(market::SymbolId symbol, std::uint64_t cancels_seq,
                                                std::int64_t ts_ns, std::int64_t price,
                                                std::int64_t size);
  std::uint64_t corrections() const { return corrections_; }

  // A gap (.stt version 3): `count` numbers of the symbol a live feed gave to trades it then
  // dropped; the next trade is numbered after them. An unknown symbol, or a count below 1
  // or above 2^40 (a corrupt record), is rejected (unknown_symbol, bad_size). True when the
  // numbers were skipped.
  bool skip(market::SymbolId symbol, std::int64_t count);
  std::uint64_t skipped() const { return skipped_; }

  // Called with every rejected tick (reason set), on the thread that normalizes: a recording
  // writes them to its quarantine file (feed/quarantine.hpp). Must not throw.
  void on_reject(std::function<void(const RejectedTick&)> observer) {
    observer_ = std::move(observer);
  }

  const RejectCounts& rejected() const { return rejected_; }
  // The first kRejectSamples rejected ticks of each reason, in arrival order.
  const std::vector<RejectedTick>& reject_samples() const { return samples_; }
  std::uint64_t accepted() const { return accepted_; }

 private:
  bool ahead(std::int64_t ts_ns);  // the time guard: true rejects the tick
  // The bad-tick filter on quantised values; nullopt passes.
  std::optional<RejectReason> filter(market::SymbolId symbol, std::int64_t q, double lots,
                                     bool quoted, std::int64_t bid, std::int64_t ask);
  std::optional<market::Tick> check_and_sequence(market::SymbolId symbol, std::int64_t ts_ns,
                                                 std::int64_t q, std::int64_t lots, double raw_lots,
                                                 bool quoted, std::int64_t bid, std::int64_t ask,
                                                 const RejectedTick& raw);

  std::optional<market::Tick> reject(RejectReason reason, const RejectedTick& raw = {}) {
    auto& n = rejected_.by_reason[static_cast<std::size_t>(reason)];
    if (++n <= kRejectSamples) {
      samples_.push_back(raw);
      samples_.back().reason = reason;
    }
    if (observer_) {
      RejectedTick r = raw;
      r.reason = reason;
      observer_(r);
    }
    return std::nullopt;
  }

  const market::SymbolRegistry& symbols_;
  std::vector<std::uint64_t> seq_;  // last sequence number per symbol
  TimeGuard guard_;
  BadTickFilter filter_;
  // Per symbol: the last band_n prices (a ring) for the band's median, and a scratch copy.
  std::vector<std::vector<std::int64_t>> recent_;
  std::vector<std::size_t> recent_next_;
  std::vector<std::int64_t> scratch_;
  std::vector<RejectedTick> samples_;
  std::function<void(const RejectedTick&)> observer_;
  std::optional<std::int64_t> clock_;      // the feed's clock: latest accepted time
  std::optional<std::int64_t> candidate_;  // the last of a run of ahead ticks
  int ahead_run_ = 0;                      // its length
  RejectCounts rejected_;
  std::uint64_t accepted_ = 0;
  std::uint64_t corrections_ = 0;
  std::uint64_t skipped_ = 0;
  std::optional<market::Tick> check_correction(market::SymbolId symbol, std::uint64_t cancels_seq,
                                               std::int64_t ts_ns, std::int64_t q,
                                               std::int64_t lots, const RejectedTick& raw);
};

}  // namespace spacetime::feed
