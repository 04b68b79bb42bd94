// Asserts that two History implementations answer a wide set of queries identically: every
// symbol, series and timeframe; whole and partial time ranges; cursors; limits; oldest and
// newest first; and a full walk page by page.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <vector>

#include "store/history.hpp"

namespace spacetime::testing {

inline std::vector<store::HistoryQuery> queries_over(std::span<const market::Event> events,
                                                     std::size_t symbols) {
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
  for (const auto& e : events) {
    lo = std::min(lo, market::event_time(e));
    hi = std::max(hi, market::event_time(e));
  }
  const std::int64_t span = hi - lo;
  std::vector<store::HistoryQuery> out;
  for (std::size_t s = 0; s < symbols; ++s) {
    for (std::size_t k = 0; k < store::kSeriesCount; ++k) {
      const auto series = static_cast<store::Series>(k);
      const std::size_t tfs = series == store::Series::kCandles ? market::kTimeframeCount : 1;
      for (std::size_t tf = 0; tf < tfs; ++tf) {
        for (const bool newest : {false, true}) {
          for (const std::size_t limit : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
            for (const std::uint64_t after : {0ull, 3ull, 50ull}) {
              for (int r = 0; r < 4; ++r) {
                store::HistoryQuery q;
                q.symbol = static_cast<market::SymbolId>(s);
                q.series = series;
                q.tf = market::kAllTimeframes[tf];
                q.newest = newest;
                q.limit = limit;
                q.after_seq = after;
                if (r == 1) q.from_ns = lo + span / 3;
                if (r == 2) q.to_ns = lo + span / 2;
                if (r == 3) {
                  q.from_ns = lo + span / 4;
                  q.to_ns = lo + span / 4 + span / 10;
                }
                out.push_back(q);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

inline void expect_same_answers(const store::History& expected, const store::History& got,
                                std::span<const market::Event> events, std::size_t symbols) {
  std::size_t compared = 0, rows = 0;
  for (const auto& q : queries_over(events, symbols)) {
    const auto a = expected.query(q);
    const auto b = got.query(q);
    ASSERT_EQ(a.rows.size(), b.rows.size())
        << "symbol " << q.symbol << " series " << store::to_string(q.series) << " tf "
        << market::to_string(q.tf) << " after " << q.after_seq << " limit " << q.limit << " newest "
        << q.newest << " from " << q.from_ns << " to " << q.to_ns;
    ASSERT_EQ(a.more, b.more) << "symbol " << q.symbol << " series " << store::to_string(q.series);
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
      ASSERT_TRUE(a.rows[i] == b.rows[i])
          << "row " << i << " of series " << store::to_string(q.series) << " seq "
          << market::channel_seq(a.rows[i]) << " vs " << market::channel_seq(b.rows[i]);
    }
    ++compared;
    rows += a.rows.size();
  }
  EXPECT_GT(compared, 100u);
  EXPECT_GT(rows, 1000u);
}

// Walks a series page by page through the cursor and returns every row.
inline std::vector<market::Event> walk(const store::History& h, store::HistoryQuery q) {
  std::vector<market::Event> out;
  for (;;) {
    const auto page = h.query(q);
    out.insert(out.end(), page.rows.begin(), page.rows.end());
    if (!page.more || page.rows.empty()) return out;
    const std::uint64_t next = market::channel_seq(page.rows.back());
    if (next <= q.after_seq) {  // a store whose cursor does not move would loop for ever
      ADD_FAILURE() << "the cursor did not move past " << q.after_seq;
      return out;
    }
    q.after_seq = next;
  }
}

// Asserts that two History implementations hold the same rows: every symbol, series and
// timeframe walked whole, page by page (the outage tests' "nothing lost, nothing changed";
// expect_same_answers is the wide check of query shapes, ~1,600 queries).
inline void expect_same_rows(const store::History& expected, const store::History& got,
                             std::size_t symbols, std::size_t page = 5000) {
  std::size_t rows = 0;
  for (std::size_t s = 0; s < symbols; ++s) {
    for (std::size_t k = 0; k < store::kSeriesCount; ++k) {
      const auto series = static_cast<store::Series>(k);
      const std::size_t tfs = series == store::Series::kCandles ? market::kTimeframeCount : 1;
      for (std::size_t tf = 0; tf < tfs; ++tf) {
        store::HistoryQuery q;
        q.symbol = static_cast<market::SymbolId>(s);
        q.series = series;
        q.tf = market::kAllTimeframes[tf];
        q.limit = page;
        const auto a = walk(expected, q);
        const auto b = walk(got, q);
        ASSERT_EQ(a.size(), b.size()) << "symbol " << s << " series " << store::to_string(series)
                                      << " tf " << market::to_string(q.tf);
        for (std::size_t i = 0; i < a.size(); ++i) {
          ASSERT_TRUE(a[i] == b[i])
              << "row " << i << " of series " << store::to_string(series) << " tf "
              << market::to_string(q.tf) << " seq " << market::channel_seq(a[i]) << " vs "
              << market::channel_seq(b[i]);
        }
        rows += a.size();
      }
    }
  }
  EXPECT_GT(rows, 1000u);
}

}  // namespace spacetime::testing
