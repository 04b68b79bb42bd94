// Stop and start `spacetime serve` inside a bar: the bar in progress at the stop is stored
// and continued by the next run, so it is stored once, with the ticks of both runs, and the
// bar numbers go on without gap or repeat (docs/OPERATIONS.md, "The bar in progress").
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <thread>

#include "store/tick_block.hpp"
#include "support/child_process.hpp"

namespace spacetime {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kBar = 10 * kSecond;  // the 10s timeframe
constexpr int kTf10s = 1;                    // market::index_of(Timeframe::k10s)

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Bar {
  std::int64_t seq = 0, t = 0, open = 0, high = 0, low = 0, close = 0, volume = 0, first_ns = 0,
               last_ns = 0, ticks = 0;
};

class Db {
 public:
  explicit Db(const fs::path& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Rows of `sql` (symbol first, then integers), by symbol.
  std::map<std::string, std::vector<std::int64_t>> rows(const std::string& sql) const {
    std::map<std::string, std::vector<std::int64_t>> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      auto& row = out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))];
      for (int i = 1; i < sqlite3_column_count(stmt); ++i)
        row.push_back(sqlite3_column_int64(stmt, i));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // Per symbol, the ticks with t in [from, to) (decoded from their blocks): count, sum of
  // sizes, highest and lowest price.
  std::map<std::string, std::vector<std::int64_t>> ticks_in(std::int64_t from,
                                                            std::int64_t to) const {
    std::map<std::string, std::vector<std::int64_t>> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_,
                                 "SELECT symbol, count, data FROM tick_blocks WHERE t<?1 AND "
                                 "t_last>=?2 ORDER BY symbol, seq",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, to);
    sqlite3_bind_int64(stmt, 2, from);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<market::TickEvent> block;
      const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, 2));
      EXPECT_TRUE(store::detail::decode_ticks(
          {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, 2))},
          static_cast<std::size_t>(sqlite3_column_int64(stmt, 1)), 0, block));
      auto& row = out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))];
      if (row.empty())
        row = {0, 0, std::numeric_limits<std::int64_t>::min(),
               std::numeric_limits<std::int64_t>::max()};
      for (const auto& k : block) {
        if (k.t < from || k.t >= to) continue;
        row[0] += 1;
        row[1] += k.size;
        row[2] = std::max(row[2], k.price);
        row[3] = std::min(row[3], k.price);
      }
    }
    sqlite3_finalize(stmt);
    return out;
  }
  std::map<std::string, Bar> bars(const std::string& table, const std::string& where) const {
    std::map<std::string, Bar> out;
    for (const auto& [symbol, r] :
         rows("SELECT symbol, seq, t, open, high, low, close, volume, first_ns, last_ns, ticks "
              "FROM " +
              table + " WHERE tf=" + std::to_string(kTf10s) + where)) {
      out[symbol] = {r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]};
    }
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(StoreRestart, TheBarOpenAcrossARestartIsStoredOnceWithTheTicksOfBothRuns) {
  const fs::path dir =
      fs::temp_directory_path() / ("spacetime-restart-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "data" / "spacetime.db";
  // The simulator's clock is the wall clock, so the 10s buckets are the wall clock's.
  const std::vector<std::string> args = {"serve",
                                         "--port",
                                         "0",
                                         "--symbols",
                                         "3",
                                         "--rate",
                                         "3000",
                                         "--web-root",
                                         dir.string(),
                                         "--data-dir",
                                         (dir / "data").string()};
  std::int64_t stopped_at = 0;
  {
    testing::ChildProcess serve(SPACETIME_BIN, args, dir / "first.log");
    ASSERT_TRUE(serve.wait_for("listening on", std::chrono::seconds(20))) << serve.output();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    // Stop early in a bucket, so that the next run starts before the bucket ends.
    while (now_ns() % kBar < kSecond || now_ns() % kBar >= 5 * kSecond)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stopped_at = now_ns();
    ASSERT_EQ(serve.stop(), 0) << serve.output();
  }
  const std::int64_t bucket = stopped_at / kBar * kBar;
  std::map<std::string, Bar> open_at_stop;
  {
    Db first(db);
    open_at_stop = first.bars("open_candles", "");
    const auto last_closed =
        first.rows("SELECT symbol, max(seq) FROM candles WHERE tf=" + std::to_string(kTf10s) +
                   " GROUP BY symbol");
    ASSERT_EQ(open_at_stop.size(), 3u);
    for (const auto& [symbol, bar] : open_at_stop) {
      EXPECT_EQ(bar.t, bucket) << symbol;
      // No 10 s bar may have closed yet when the first run stopped within its first bucket.
      const auto closed = last_closed.find(symbol);
      EXPECT_EQ(bar.seq, (closed == last_closed.end() ? 0 : closed->second[0]) + 1) << symbol;
    }
  }
  std::int64_t restarted_at = 0;
  {
    testing::ChildProcess serve(SPACETIME_BIN, args, dir / "second.log");
    ASSERT_TRUE(serve.wait_for("listening on", std::chrono::seconds(20))) << serve.output();
    restarted_at = now_ns();
    ASSERT_LT(restarted_at, bucket + kBar) << "the restart took too long for this test";
    EXPECT_NE(serve.output().find("bars in progress from the store"), std::string::npos)
        << serve.output();
    // Past the bucket's end, so that the bar closes in this run.
    while (now_ns() < bucket + kBar + 1500 * 1'000'000)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(serve.stop(), 0) << serve.output();
  }
  Db after(db);
  const auto numbering =
      after.rows("SELECT symbol, count(*), max(seq), count(DISTINCT t) FROM candles WHERE tf=" +
                 std::to_string(kTf10s) + " GROUP BY symbol");
  const auto across = after.bars("candles", " AND t=" + std::to_string(bucket));
  // The ticks of the bucket, from both runs (every tick is recorded).
  const auto ticks = after.ticks_in(bucket, bucket + kBar);
  ASSERT_EQ(across.size(), 3u);
  for (const auto& [symbol, before] : open_at_stop) {
    const auto& n = numbering.at(symbol);
    EXPECT_EQ(n[0], n[1]) << symbol << ": bar numbers continue without gap or repeat";
    EXPECT_EQ(n[0], n[2]) << symbol << ": one bar per bucket";
    const Bar& bar = across.at(symbol);
    const auto& tk = ticks.at(symbol);
    EXPECT_EQ(bar.seq, before.seq) << symbol;
    EXPECT_EQ(bar.open, before.open) << symbol;
    EXPECT_EQ(bar.first_ns, before.first_ns) << symbol;
    EXPECT_GE(bar.last_ns, restarted_at - kSecond) << symbol << ": the second run's ticks joined";
    EXPECT_GT(bar.volume, before.volume) << symbol;
    EXPECT_EQ(bar.ticks, tk[0]) << symbol;
    EXPECT_EQ(bar.volume, tk[1]) << symbol << ": volume of both runs";
    EXPECT_EQ(bar.high, tk[2]) << symbol;
    EXPECT_EQ(bar.low, tk[3]) << symbol;
    EXPECT_GE(bar.high, before.high) << symbol;
    EXPECT_LE(bar.low, before.low) << symbol;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace spacetime
