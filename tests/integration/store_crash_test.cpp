// kill -9 of a recording `spacetime serve` and a restart: the SQLite file is intact, nothing
// older than the batch window is lost, and channel numbers continue without gap or repeat.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "support/child_process.hpp"

namespace spacetime {
namespace {

namespace fs = std::filesystem;

struct TickStats {
  std::int64_t rows = 0, max_seq = 0, max_t = 0;
};

std::map<std::string, TickStats> tick_stats(const fs::path& db) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::map<std::string, TickStats> out;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(
      raw, "SELECT symbol, sum(count), max(last_seq), max(t_last) FROM tick_blocks GROUP BY symbol",
      -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] = {
        sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
        sqlite3_column_int64(stmt, 3)};
  }
  sqlite3_finalize(stmt);
  std::string integrity;
  sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &stmt, nullptr);
  if (sqlite3_step(stmt) == SQLITE_ROW)
    integrity = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  EXPECT_EQ(integrity, "ok");
  return out;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(StoreCrash, KillNineLosesAtMostTheBatchWindowAndNumberingContinues) {
  const fs::path dir =
      fs::temp_directory_path() / ("spacetime-crash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
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
  std::int64_t killed_at = 0;
  {
    testing::ChildProcess serve(SPACETIME_BIN, args, dir / "first.log");
    ASSERT_TRUE(serve.wait_for("listening on", std::chrono::seconds(20))) << serve.output();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    killed_at = now_ns();
    serve.signal(SIGKILL);
    ASSERT_TRUE(serve.wait_exit(std::chrono::seconds(5)));
  }
  const auto first = tick_stats(dir / "data" / "spacetime.db");
  ASSERT_EQ(first.size(), 3u);
  for (const auto& [symbol, s] : first) {
    EXPECT_EQ(s.rows, s.max_seq) << symbol;  // whole batches only: no hole
    // The simulator's clock is the wall clock: what is stored reaches to within the batch
    // window (200 ms) plus a drain, well under a second, of the kill.
    EXPECT_GT(s.max_t, killed_at - 1'000'000'000) << symbol;
  }
  {
    testing::ChildProcess serve(SPACETIME_BIN, args, dir / "second.log");
    ASSERT_TRUE(serve.wait_for("listening on", std::chrono::seconds(20))) << serve.output();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_EQ(serve.stop(), 0);
  }
  const auto second = tick_stats(dir / "data" / "spacetime.db");
  for (const auto& [symbol, s] : second) {
    EXPECT_GT(s.max_seq, first.at(symbol).max_seq) << symbol;
    EXPECT_EQ(s.rows, s.max_seq) << symbol << ": numbers continued without gap or repeat";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace spacetime
