#include "feed/normalizer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace spacetime::feed {
namespace {

market::SymbolRegistry registry() {
  market::SymbolRegistry reg;
  reg.add({.name = "AAA"});                                       // 0.01
  reg.add({.name = "BTC", .tick_size = 0.5, .size_scale = 1e8});  // crypto-style lots
  return reg;
}

TEST(TickNormalizer, QuantisesToPriceTicksAndLotsAndSequencesPerSymbol) {
  const auto reg = registry();
  TickNormalizer n(reg);
  const auto a = n.normalize(0, 1000, 101.23, 300, 101.22, 101.24);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->price, 10123);
  EXPECT_EQ(a->size, 300);
  EXPECT_EQ(a->bid, 10122);
  EXPECT_EQ(a->ask, 10124);
  EXPECT_EQ(a->seq, 1u);
  EXPECT_EQ(a->ts_ns, 1000);
  const auto b = n.normalize(1, 2000, 65000.25, 0.0125);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->price, 130001);  // 65000.25 / 0.5 = 130000.5, rounded half away from zero
  EXPECT_EQ(b->size, 1'250'000);
  EXPECT_EQ(b->bid, 0);  // no quote
  EXPECT_EQ(b->seq, 1u);
  EXPECT_EQ(n.normalize(0, 3000, 101.0, 1)->seq, 2u);
  EXPECT_EQ(n.accepted(), 3u);
}

TEST(TickNormalizer, RejectsAndCountsBadInputByReason) {
  const auto reg = registry();
  TickNormalizer n(reg);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(n.normalize(0, 1, nan, 1));
  EXPECT_FALSE(n.normalize(0, 1, inf, 1));
  EXPECT_FALSE(n.normalize(0, 1, -1.0, 1));
  EXPECT_FALSE(n.normalize(0, 1, 0.0, 1));
  EXPECT_FALSE(n.normalize(0, 1, 0.001, 1));  // rounds to zero price ticks
  EXPECT_FALSE(n.normalize(0, 1, 1e300, 1));  // beyond exact integers
  EXPECT_FALSE(n.normalize(0, 1, 1.0, -1));
  EXPECT_FALSE(n.normalize(0, 1, 1.0, nan));
  EXPECT_FALSE(n.normalize(0, 1, 1.0, inf));
  EXPECT_FALSE(n.normalize(0, -5, 1.0, 1));
  EXPECT_FALSE(n.normalize(9, 1, 1.0, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kBadPrice], 6u);
  EXPECT_EQ(n.rejected()[RejectReason::kBadSize], 3u);
  EXPECT_EQ(n.rejected()[RejectReason::kBadTime], 1u);
  EXPECT_EQ(n.rejected()[RejectReason::kUnknownSymbol], 1u);
  EXPECT_EQ(n.rejected().total(), 11u);
  // A rejected tick does not use up a sequence number; zero size is a valid trade.
  const auto ok = n.normalize(0, 1, 1.0, 0.0);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->seq, 1u);
  EXPECT_EQ(ok->size, 0);
  EXPECT_EQ(to_string(RejectReason::kBadSize), "bad_size");
}

TEST(TickNormalizer, AcceptsIntegerTicksExactlyWithTheSameChecks) {
  const auto reg = registry();
  TickNormalizer n(reg);
  const std::int64_t big = (std::int64_t{1} << 52) + 1;  // doubles * 0.01 would not round-trip
  const auto t = n.accept(0, 5, big, 300, big - 1, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->price, big);
  EXPECT_EQ(t->bid, big - 1);
  EXPECT_EQ(t->ask, 0);  // no quote
  EXPECT_EQ(t->seq, 1u);
  EXPECT_EQ(n.normalize(0, 6, 1.0, 1)->seq, 2u);  // one sequence for both entry points
  EXPECT_FALSE(n.accept(0, 1, 0, 1));
  EXPECT_FALSE(n.accept(0, 1, -3, 1));
  EXPECT_FALSE(n.accept(0, 1, std::int64_t{1} << 53, 1));
  EXPECT_FALSE(n.accept(0, 1, 5, -1));
  EXPECT_FALSE(n.accept(0, -1, 5, 1));
  EXPECT_FALSE(n.accept(7, 1, 5, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kBadPrice], 3u);
  EXPECT_EQ(n.rejected()[RejectReason::kBadSize], 1u);
  EXPECT_EQ(n.rejected()[RejectReason::kBadTime], 1u);
  EXPECT_EQ(n.rejected()[RejectReason::kUnknownSymbol], 1u);
}

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kStart = 1'767'364'200 * kSec;  // 2026-01-02 14:30 UTC
constexpr std::int64_t k2099 = 4'070'908'800 * kSec;   // 2099-01-01 UTC

// A gap record skips numbers (.stt v3); a count that is not a plausible drop is a corrupt
// record, rejected, and never wraps the symbol's numbers.
TEST(TickNormalizer, AGapSkipsNumbersAndAnImplausibleCountIsRejected) {
  const auto reg = registry();
  TickNormalizer n(reg);
  n.skip(0, 5);
  EXPECT_EQ(n.normalize(0, 1, 1.0, 1)->seq, 6u);
  n.skip(0, 0);
  n.skip(0, std::int64_t{1} << 41);
  n.skip(0, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(n.rejected()[RejectReason::kBadSize], 3u);
  n.skip(0, std::int64_t{1} << 40);  // the largest taken
  EXPECT_EQ(n.normalize(0, 2, 1.0, 1)->seq, (std::uint64_t{1} << 40) + 7);
  EXPECT_EQ(n.skipped(), 5u + (std::uint64_t{1} << 40));
}

TEST(TimeGuard, ATickFromTheFutureIsRejectedAndMovesNoClock) {
  const auto reg = registry();
  TickNormalizer n(reg);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(n.normalize(0, kStart + i * kSec, 100.0, 1));
  EXPECT_FALSE(n.normalize(0, k2099, 100.0, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kFutureTime], 1u);
  for (int i = 20; i < 40; ++i) {
    const auto t = n.normalize(0, kStart + i * kSec, 100.0, 1);
    ASSERT_TRUE(t) << i;
    EXPECT_EQ(t->seq, static_cast<std::uint64_t>(i + 1));  // the rejected tick used no number
  }
  EXPECT_EQ(to_string(RejectReason::kFutureTime), "future_time");
}

TEST(TimeGuard, TheSkewIsInclusiveAndMeasuredFromTheFeedsClock) {
  const auto reg = registry();
  TickNormalizer n(reg, {.max_skew_ns = 10 * kSec});
  ASSERT_TRUE(n.normalize(0, kStart, 1.0, 1));  // the first tick of a file: accepted
  ASSERT_TRUE(n.normalize(1, kStart + 9 * kSec, 1.0, 1));
  // Symbol 0 was quiet while symbol 1 traded: the feed's clock is the reference.
  EXPECT_TRUE(n.normalize(0, kStart + 19 * kSec, 1.0, 1));       // exactly the skew: in
  EXPECT_FALSE(n.normalize(1, kStart + 29 * kSec + 1, 1.0, 1));  // one ns more: out
  EXPECT_TRUE(n.normalize(1, kStart + 29 * kSec, 1.0, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kFutureTime], 1u);
}

TEST(TimeGuard, AGapOfTheWholeFeedIsAcceptedOnceConfirmed) {
  const auto reg = registry();
  TickNormalizer n(reg, {.max_skew_ns = 60 * kSec, .confirm = 2});
  ASSERT_TRUE(n.normalize(0, kStart, 1.0, 1));
  const std::int64_t next_day = kStart + 86'400 * kSec;
  EXPECT_FALSE(n.normalize(0, next_day, 1.0, 1));        // first of the run: rejected
  EXPECT_TRUE(n.normalize(1, next_day + kSec, 1.0, 1));  // agrees: the clock jumps
  EXPECT_TRUE(n.normalize(0, next_day + 2 * kSec, 1.0, 1));
  // Two far-apart future ticks do not confirm each other; a good tick resets the run.
  EXPECT_FALSE(n.normalize(0, k2099, 1.0, 1));
  EXPECT_TRUE(n.normalize(0, next_day + 3 * kSec, 1.0, 1));
  EXPECT_FALSE(n.normalize(0, k2099 + kSec, 1.0, 1));
  EXPECT_FALSE(n.normalize(0, k2099 + 600 * kSec, 1.0, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kFutureTime], 4u);
}

TEST(TimeGuard, ALiveFeedIsCheckedAgainstTheWallClockFromItsFirstTick) {
  const auto reg = registry();
  std::int64_t wall = kStart;
  TickNormalizer n(reg, {.max_skew_ns = 5 * kSec, .now = [&] { return wall; }});
  EXPECT_FALSE(n.normalize(0, kStart + 6 * kSec, 1.0, 1));  // even the first tick
  EXPECT_TRUE(n.normalize(0, kStart + 5 * kSec, 1.0, 1));
  EXPECT_FALSE(n.normalize(0, k2099, 1.0, 1));
  EXPECT_FALSE(n.normalize(0, k2099, 1.0, 1));  // no confirmation on a live feed
  wall = kStart + 3600 * kSec;                  // a quiet hour is no reason to reject
  EXPECT_TRUE(n.accept(1, wall, 5, 1));
  EXPECT_EQ(n.rejected()[RejectReason::kFutureTime], 3u);
}

TEST(BadTickFilter, IsOffByDefault) {
  const auto reg = registry();
  TickNormalizer n(reg);
  EXPECT_TRUE(n.normalize(0, 1, 100.0, 1, 100.02, 100.01));  // crossed, but no filter
  EXPECT_TRUE(n.normalize(0, 2, 100.0, 1e12));
}

TEST(BadTickFilter, RejectsNonPositiveOrCrossedQuotesWhenQuotesArePresent) {
  const auto reg = registry();
  TickNormalizer n(reg, {}, {.enabled = true});
  EXPECT_TRUE(n.normalize(0, 1, 100.0, 1, 99.99, 100.01));
  EXPECT_TRUE(n.normalize(0, 2, 100.0, 1));                   // no quotes: nothing to check
  EXPECT_FALSE(n.normalize(0, 3, 100.0, 1, 100.01, 100.01));  // ask == bid
  EXPECT_FALSE(n.normalize(0, 4, 100.0, 1, 100.02, 100.01));  // ask < bid
  EXPECT_FALSE(n.normalize(0, 5, 100.0, 1, 0.0, 100.01));     // a zero side
  EXPECT_FALSE(n.normalize(0, 6, 100.0, 1, -1.0, 100.01));    // a negative side
  EXPECT_FALSE(n.accept(0, 7, 10000, 1, 10000, 9999));        // integer entry too
  EXPECT_EQ(n.rejected()[RejectReason::kBadQuote], 5u);
  ASSERT_EQ(n.reject_samples().size(), 3u);  // the first few, as given
  EXPECT_EQ(n.reject_samples()[0].reason, RejectReason::kBadQuote);
  EXPECT_EQ(n.reject_samples()[0].bid, 100.01);
  EXPECT_EQ(n.reject_samples()[1].ts_ns, 4);
  TickNormalizer off(reg, {}, {.enabled = true, .quotes = false});
  EXPECT_TRUE(off.normalize(0, 1, 100.0, 1, 100.02, 100.01));
}

TEST(BadTickFilter, RejectsPricesOutsideTheBandAroundTheRecentMedian) {
  const auto reg = registry();
  // Median of the last 5 prices; MAD-band 3 MADs, never narrower than 1 % of the median.
  TickNormalizer n(reg, {}, {.enabled = true, .band_k = 3.0, .band_n = 5, .band_floor_pct = 1.0});
  for (const double p : {100.0, 100.1, 99.9, 100.0, 100.2})  // median 100.00, MAD 0.10
    ASSERT_TRUE(n.normalize(0, 1, p, 1));
  // Limit = max(3 * 10 ticks, 1 % of 10000 ticks = 100 ticks) = 100 ticks: inclusive.
  EXPECT_TRUE(n.normalize(0, 2, 101.0, 1));   // 100 ticks from the median: exactly the limit
  EXPECT_FALSE(n.normalize(0, 3, 150.0, 1));  // a fat finger
  EXPECT_EQ(n.rejected()[RejectReason::kOutsideBand], 1u);
  EXPECT_TRUE(n.normalize(1, 3, 150.0, 0.1));  // per symbol: the other has no reference yet
  // A lasting move is accepted once it holds the median of the recent prices.
  int accepted = 0;
  for (int i = 0; i < 5; ++i)
    accepted += n.normalize(0, 4 + i, 150.0, 1) ? 1 : 0;
  EXPECT_EQ(accepted, 3);  // 150 enters the window each time; from the third on it is the median
  TickNormalizer off(reg, {}, {.enabled = true, .band_k = 0.0, .band_n = 5});
  for (const double p : {100.0, 100.0, 100.0, 100.0, 100.0, 150.0})
    EXPECT_TRUE(off.normalize(0, 1, p, 1));
}

TEST(BadTickFilter, RejectsAbsurdSizes) {
  const auto reg = registry();
  TickNormalizer n(reg, {}, {.enabled = true, .max_size = 1000.0});
  EXPECT_TRUE(n.normalize(0, 1, 100.0, 1000));
  EXPECT_FALSE(n.normalize(0, 2, 100.0, 1001));
  EXPECT_FALSE(n.normalize(1, 2, 100.0, 0.00002));  // 2000 lots at size_scale 1e8
  EXPECT_EQ(n.rejected()[RejectReason::kAbsurdSize], 2u);
  EXPECT_EQ(to_string(RejectReason::kAbsurdSize), "absurd_size");
  EXPECT_EQ(to_string(RejectReason::kOutsideBand), "outside_band");
  EXPECT_EQ(to_string(RejectReason::kBadQuote), "bad_quote");
}

TEST(TimeGuard, ZeroSkewTurnsItOff) {
  const auto reg = registry();
  TickNormalizer n(reg, {.max_skew_ns = 0});
  ASSERT_TRUE(n.normalize(0, kStart, 1.0, 1));
  EXPECT_TRUE(n.normalize(0, k2099, 1.0, 1));
}

}  // namespace
}  // namespace spacetime::feed
