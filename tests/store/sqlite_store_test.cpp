#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/memory_store.hpp"
#include "support/event_stream.hpp"
#include "support/history_compare.hpp"

namespace spacetime::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  SqliteStoreTest() {
    dir = fs::temp_directory_path() /
          ("spacetime_sqlite_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~SqliteStoreTest() override { fs::remove_all(dir); }
  std::string db() const { return (dir / "spacetime.db").string(); }
  fs::path dir;
};

TEST_F(SqliteStoreTest, AnswersEveryQueryLikeTheMemoryStore) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 3, 60'000);
  MemoryStore memory(symbols, 1'000'000);
  SqliteStore sqlite(symbols, db());
  // Written in uneven batches, like the recorder does.
  for (std::size_t i = 0; i < events.size(); i += 4999) {
    const auto n = std::min<std::size_t>(4999, events.size() - i);
    memory.write(std::span(events).subspan(i, n));
    sqlite.write(std::span(events).subspan(i, n));
  }
  testing::expect_same_answers(memory, sqlite, events, 3);
  std::uint64_t spikes = 0;  // rare: not every symbol has one in this stream
  for (market::SymbolId s = 0; s < 3; ++s) {
    const auto a = memory.last_sequences(s);
    const auto b = sqlite.last_sequences(s);
    for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
      EXPECT_EQ(a.bars[tf], b.bars[tf]);
    EXPECT_EQ(a.ticks, b.ticks);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.spikes, b.spikes);
    EXPECT_EQ(a.reversals, b.reversals);
    spikes += b.spikes;
    EXPECT_GT(b.reversals, 0u);
    EXPECT_GT(b.samples, 0u);
  }
  EXPECT_GT(spikes, 0u);
}

TEST_F(SqliteStoreTest, RewritingBatchesIsIdempotentAndSurvivesReopening) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 20'000);
  {
    SqliteStore sqlite(symbols, db());
    sqlite.write(events);
    sqlite.write(std::span(events).subspan(0, events.size() / 2));
  }
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  SqliteStore reopened(symbols, db());
  EXPECT_EQ(reopened.schema_version(), SqliteStore::latest_schema_version());
  testing::expect_same_answers(memory, reopened, events, 2);
}

TEST_F(SqliteStoreTest, KeysRowsBySymbolNameNotRunId) {
  market::SymbolRegistry first;
  const auto events = testing::simulated_events(first, 2, 5'000);
  {
    SqliteStore sqlite(first, db());
    sqlite.write(events);
  }
  // The next run knows the symbols in another order: SYM1 gets id 0.
  market::SymbolRegistry second;
  second.add({.name = "SYM1"});
  second.add({.name = "SYM0"});
  SqliteStore sqlite(second, db());
  MemoryStore memory(first, 1'000'000);
  memory.write(events);
  const HistoryQuery q{.symbol = 1, .series = Series::kTicks, .limit = 100000};
  const auto a = memory.query(q);
  auto b = sqlite.query({.symbol = 0, .series = Series::kTicks, .limit = 100000});
  ASSERT_EQ(a.rows.size(), b.rows.size());
  ASSERT_FALSE(b.rows.empty());
  for (auto& e : b.rows)
    std::get<market::TickEvent>(e).symbol = 1;
  for (std::size_t i = 0; i < a.rows.size(); ++i)
    ASSERT_TRUE(a.rows[i] == b.rows[i]);
}

TEST_F(SqliteStoreTest, RetentionDeletesOnlyWhatIsOlderThanItsSeries) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 1, 20'000);
  SqliteStore sqlite(symbols, db());
  MemoryStore memory(symbols, 1'000'000);
  sqlite.write(events);
  memory.write(events);
  std::int64_t last = 0;
  for (const auto& e : events)
    last = std::max(last, market::event_time(e));
  Retention r;
  r.ticks_ns = 60 * market::kNanosPerSecond;
  r.candles_ns[0] = 120 * market::kNanosPerSecond;
  r.samples_ns = 30 * market::kNanosPerSecond;
  const auto deleted = sqlite.apply_retention(last, r);
  EXPECT_GT(deleted, 0u);
  EXPECT_EQ(deleted, memory.apply_retention(last, r));
  testing::expect_same_answers(memory, sqlite, events, 1);
}

TEST_F(SqliteStoreTest, AnUnopenablePathIsOneClearError) {
  market::SymbolRegistry symbols;
  try {
    SqliteStore sqlite(symbols, "/nonexistent/dir/spacetime.db");
    FAIL() << "opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("sqlite:/nonexistent/dir/spacetime.db"), std::string::npos)
        << e.what();
  }
}

TEST_F(SqliteStoreTest, MigratesAnOlderSchemaAndRefusesANewerOne) {
  market::SymbolRegistry symbols;
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_THROW(SqliteStore(symbols, db()), StoreError);
}

}  // namespace
}  // namespace spacetime::store
