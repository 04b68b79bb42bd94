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

}  // namespace
}  // namespace spacetime::feed
