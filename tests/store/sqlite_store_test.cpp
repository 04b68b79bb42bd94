#include "store/sqlite_store.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "store/memory_store.hpp"
#include "support/event_stream.hpp"
#include "support/history_compare.hpp"
#include "support/tick_block_v1.hpp"

namespace spacetime::store {
namespace {

namespace fs = std::filesystem;

// Symbol 0's tick number `seq`, a millisecond after the one before it, one lot at `price`.
market::Event tick_of_es(std::uint64_t seq, std::int64_t price) {
  return market::TickEvent{.symbol = 0,
                           .seq = seq,
                           .tick_seq = seq,
                           .t = static_cast<std::int64_t>(seq) * 1'000'000,
                           .price = price,
                           .size = 1};
}

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

// Time ranges are found by binary search along the channel numbers (no time index): rows
// missing here and there (a lost batch, retention) must not change an answer.
TEST_F(SqliteStoreTest, AnswersLikeTheMemoryStoreWithGapsInTheNumbers) {
  market::SymbolRegistry symbols;
  auto events = testing::simulated_events(symbols, 2, 30'000);
  std::erase_if(events, [](const market::Event& e) {
    const auto seq = market::channel_seq(e);
    return !market::is_value(e) && (seq % 7 == 3 || (seq > 500 && seq < 2500));
  });
  MemoryStore memory(symbols, 1'000'000);
  SqliteStore sqlite(symbols, db());
  memory.write(events);
  sqlite.write(events);
  testing::expect_same_answers(memory, sqlite, events, 2);
}

// A database of schema v1 (one row per tick, with the time indexes since dropped)
// migrates to the latest: its ticks move into blocks and every row is kept.
TEST_F(SqliteStoreTest, MigratesAVersion1DatabaseKeepingItsRows) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 12'000);
  std::vector<market::Event> rows;  // everything but the ticks, written by the store
  for (const auto& e : events) {
    if (!std::holds_alternative<market::TickEvent>(e)) rows.push_back(e);
  }
  {
    SqliteStore sqlite(symbols, db());
    sqlite.write(rows);
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "DROP TABLE open_candles; DROP TABLE tick_blocks; "
                         "CREATE TABLE ticks (symbol TEXT NOT NULL, seq INTEGER NOT NULL, "
                         "t INTEGER NOT NULL, tick_seq INTEGER, price INTEGER, size INTEGER, "
                         "bid INTEGER, ask INTEGER, PRIMARY KEY (symbol, seq)) WITHOUT ROWID; "
                         "CREATE INDEX ticks_time ON ticks (symbol, t); PRAGMA user_version=1; "
                         "BEGIN",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "INSERT INTO ticks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1,
                               &insert, nullptr),
            SQLITE_OK);
  std::size_t ticks = 0;
  for (const auto& e : events) {
    const auto* k = std::get_if<market::TickEvent>(&e);
    if (!k) continue;
    const std::string& name = symbols.info(k->symbol).name;
    sqlite3_bind_text(insert, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, static_cast<std::int64_t>(k->seq));
    sqlite3_bind_int64(insert, 3, k->t);
    sqlite3_bind_int64(insert, 4, static_cast<std::int64_t>(k->tick_seq));
    sqlite3_bind_int64(insert, 5, k->price);
    sqlite3_bind_int64(insert, 6, k->size);
    sqlite3_bind_int64(insert, 7, k->bid);
    sqlite3_bind_int64(insert, 8, k->ask);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_reset(insert);
    ++ticks;
  }
  sqlite3_finalize(insert);
  ASSERT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  ASSERT_GT(ticks, 5000u);         // more than one block for a symbol
  std::vector<std::string> notes;  // what the app logs while the migration runs
  SqliteStore reopened(symbols, db(), [&](const std::string& m) { notes.push_back(m); });
  EXPECT_EQ(reopened.schema_version(), SqliteStore::latest_schema_version());
  ASSERT_GE(notes.size(), 3u);
  EXPECT_NE(notes.front().find("migrating from schema v1 to v5"), std::string::npos)
      << notes.front();
  EXPECT_NE(notes[1].find(fmt::format("migration 4: {} tick rows into blocks", ticks)),
            std::string::npos)
      << notes[1];
  EXPECT_NE(notes.back().find(fmt::format("{} tick rows moved into blocks in", ticks)),
            std::string::npos)
      << notes.back();
  {  // Opening it again has nothing to migrate: nothing said.
    std::vector<std::string> again;
    SqliteStore quiet(symbols, db(), [&](const std::string& m) { again.push_back(m); });
    EXPECT_TRUE(again.empty()) << again.front();
  }
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  testing::expect_same_answers(memory, reopened, events, 2);
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "SELECT 1 FROM ticks", nullptr, nullptr, nullptr), SQLITE_OK)
      << "the old table is gone";
  sqlite3_close(raw);
}

// Ticks are kept in blocks: a batch that overlaps stored blocks at other boundaries (a
// spool replay, a second replay of a file, a revised tick) gives the answers of a store
// that keeps one row per tick, the last write of a number winning.
TEST_F(SqliteStoreTest, TickBlocksMergeOverlappingWritesLikeRows) {
  market::SymbolRegistry symbols;
  auto events = testing::simulated_events(symbols, 2, 30'000);
  MemoryStore memory(symbols, 1'000'000);
  SqliteStore sqlite(symbols, db());
  auto both = [&](std::span<const market::Event> part) {
    memory.write(part);
    sqlite.write(part);
  };
  const std::span<const market::Event> all(events);
  const std::size_t n = all.size();
  both(all.subspan(0, n / 2));
  both(all.subspan(n / 3, n / 2));    // straddles the first write's end
  both(all.subspan(n / 10, n / 20));  // inside the first
  both(all.subspan(n / 2 + 17, n / 2 - 17));
  both(all.subspan(n / 4 - 3, 9000));  // more than one block of a symbol
  // Revised ticks (same numbers, other values) inside a stored block, out of order.
  std::vector<market::Event> revised;
  for (std::size_t i = n / 5; i < n / 5 + 4000; ++i) {
    if (auto* k = std::get_if<market::TickEvent>(&events[i]); k && k->seq % 3 == 0) {
      market::TickEvent r = *k;
      r.price += 7;
      r.size = -r.size;  // any value round-trips
      revised.insert(revised.begin(), r);
    }
  }
  ASSERT_GT(revised.size(), 100u);
  both(revised);
  testing::expect_same_answers(memory, sqlite, events, 2);
  for (market::SymbolId s = 0; s < 2; ++s)
    EXPECT_EQ(memory.last_sequences(s).ticks, sqlite.last_sequences(s).ticks);
}

// Blocks written before 2026-12-04 hold format 1, in a database of schema 4: it is migrated,
// and its blocks are read, and merged when a write overlaps them, like the blocks of now.
TEST_F(SqliteStoreTest, ASchema4DatabaseOfFormat1BlocksIsReadAndMergedLikeOneOfNow) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 20'000);
  MemoryStore memory(symbols, 1'000'000);
  memory.write(events);
  SqliteStore(symbols, db()).write(events);
  // Every block re-encoded as format 1.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  std::vector<std::pair<std::int64_t, std::string>> v1;
  sqlite3_stmt* rows = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(raw, "SELECT rowid, count, data FROM tick_blocks", -1, &rows, nullptr),
      SQLITE_OK);
  while (sqlite3_step(rows) == SQLITE_ROW) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(rows, 2));
    const std::span bytes(data, static_cast<std::size_t>(sqlite3_column_bytes(rows, 2)));
    ASSERT_EQ(bytes[0], 2) << "written in format 2";
    std::vector<market::TickEvent> ticks;
    ASSERT_TRUE(detail::decode_ticks(bytes, static_cast<std::size_t>(sqlite3_column_int64(rows, 1)),
                                     0, ticks));
    v1.emplace_back(sqlite3_column_int64(rows, 0), testing::encode_ticks_v1(ticks));
  }
  sqlite3_finalize(rows);
  ASSERT_GT(v1.size(), 2u);
  sqlite3_stmt* update = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "UPDATE tick_blocks SET data=?1 WHERE rowid=?2", -1, &update,
                               nullptr),
            SQLITE_OK);
  for (const auto& [rowid, bytes] : v1) {
    sqlite3_bind_blob(update, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    sqlite3_bind_int64(update, 2, rowid);
    ASSERT_EQ(sqlite3_step(update), SQLITE_DONE);
    sqlite3_reset(update);
  }
  sqlite3_finalize(update);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version=4", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);

  SqliteStore sqlite(symbols, db());
  EXPECT_EQ(sqlite.schema_version(), SqliteStore::latest_schema_version());
  testing::expect_same_answers(memory, sqlite, events, 2);
  // Revised ticks over format 1 blocks: merged, the new ones winning.
  std::vector<market::Event> revised;
  for (std::size_t i = events.size() / 3; i < events.size() / 2; ++i) {
    if (const auto* k = std::get_if<market::TickEvent>(&events[i])) {
      market::TickEvent r = *k;
      r.price += 3;
      revised.push_back(r);
    }
  }
  ASSERT_GT(revised.size(), 100u);
  memory.write(revised);
  sqlite.write(revised);
  testing::expect_same_answers(memory, sqlite, events, 2);
}

// The recorder's way in: the ticks encoded apart (detail::TickBatch), taken as blocks by
// SQLite and decoded by any other backend (Backend's default), overlaps and all.
TEST_F(SqliteStoreTest, TicksEncodedApartAreStoredLikeTicksAmongTheEvents) {
  market::SymbolRegistry symbols;
  auto events = testing::simulated_events(symbols, 2, 30'000);
  MemoryStore memory(symbols, 1'000'000), decoded(symbols, 1'000'000);
  SqliteStore sqlite(symbols, db());
  std::vector<market::Event> rest;
  detail::TickBatch ticks;
  auto both = [&](std::span<const market::Event> part) {
    rest.clear();
    ticks.clear();
    for (const auto& e : part) {
      if (const auto* k = std::get_if<market::TickEvent>(&e)) {
        ticks.add(*k);
      } else {
        rest.push_back(e);
      }
    }
    memory.write(part);
    sqlite.write_encoded(rest, ticks);
    decoded.write_encoded(rest, ticks);
  };
  const std::span<const market::Event> all(events);
  const std::size_t n = all.size();
  both(all.subspan(0, n / 2));
  both(all.subspan(n / 3, n / 2));  // straddles the first write's end
  both(all.subspan(n / 2 + 17, n / 2 - 17));
  std::vector<market::Event> backwards;  // a run that is not rising, inside stored blocks
  for (std::size_t i = n / 5; i < n / 5 + 4000; ++i) {
    if (auto* k = std::get_if<market::TickEvent>(&events[i]); k && k->seq % 3 == 0) {
      market::TickEvent r = *k;
      r.price += 7;
      backwards.insert(backwards.begin(), r);
    }
  }
  ASSERT_GT(backwards.size(), 100u);
  both(backwards);
  testing::expect_same_answers(memory, sqlite, events, 2);
  testing::expect_same_answers(memory, decoded, events, 2);
}

// The WAL's pages are copied into the database file by the store's own checkpointer
// thread: the writer's commits only wake it (SQLite's automatic checkpoint would make a
// commit wait for the copy and two fdatasync calls).
TEST_F(SqliteStoreTest, ABackgroundThreadCheckpointsTheWal) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "ES"});
  SqliteStore sqlite(symbols, db());
  const auto initial = fs::file_size(db());
  std::vector<market::Event> batch;
  std::uint64_t seq = 0;
  // Each commit adds at least a block's page and its key's index page to the WAL: 1500
  // commits take it well past the 1000 pages that wake the checkpointer.
  for (int commit = 0; commit < 1500; ++commit) {
    batch.clear();
    for (int i = 0; i < 50; ++i) {
      ++seq;
      batch.push_back(tick_of_es(seq, 100 + static_cast<std::int64_t>(seq % 7)));
    }
    sqlite.write(batch);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sqlite.wal_checkpoints() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(sqlite.wal_checkpoints(), 1u);
  // The counts are the store's metrics (store_sqlite_wal_checkpoints... on /metrics). A
  // checkpoint may find the writer committing (busy, tried again); none may fail.
  const auto metrics = sqlite.metrics();
  const auto metric = [&](std::string_view name) {
    const auto it = std::find_if(metrics.begin(), metrics.end(),
                                 [&](const auto& m) { return m.first == name; });
    return it == metrics.end() ? std::optional<std::uint64_t>{} : it->second;
  };
  EXPECT_GE(metric("wal_checkpoints").value_or(0), 1u);
  EXPECT_TRUE(metric("wal_checkpoints_busy").has_value());
  EXPECT_EQ(metric("wal_checkpoints_failed"), std::optional<std::uint64_t>(0));
  EXPECT_GT(fs::file_size(db()), initial + 100'000) << "the pages went into the database file";
  // And the rows read back in full.
  const HistoryPage page =
      sqlite.query(HistoryQuery{.symbol = 0, .series = Series::kTicks, .limit = 100'000});
  EXPECT_EQ(page.rows.size(), seq);
  EXPECT_FALSE(page.more);
}

// One revised old tick in a live batch rewrites the block that holds it and nothing else
// (merging the whole span from it to the newest tick rewrote every block in between).
TEST_F(SqliteStoreTest, ARevisedOldTickRewritesOnlyItsOwnBlock) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "ES"});
  std::vector<market::Event> ticks;
  for (std::uint64_t i = 1; i <= 20'000; ++i) {
    ticks.push_back(tick_of_es(i, 100 + static_cast<std::int64_t>(i % 9)));
  }
  MemoryStore memory(symbols, 1'000'000);
  SqliteStore sqlite(symbols, db());
  const std::span<const market::Event> all(ticks);
  for (std::size_t i = 0; i < 19'900; i += 100) {
    memory.write(all.subspan(i, 100));
    sqlite.write(all.subspan(i, 100));
  }
  auto blocks = [&] {
    std::map<std::int64_t, std::string> out;
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw, "SELECT seq, hex(data) FROM tick_blocks", -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out[sqlite3_column_int64(stmt, 0)] =
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  };
  const auto before = blocks();
  ASSERT_EQ(before.size(), 199u);
  std::vector<market::Event> batch(all.begin() + 19'900, all.end());
  auto revised = std::get<market::TickEvent>(ticks[150 - 1]);  // seq 150, in block 101
  revised.price = 7;
  batch.insert(batch.begin() + 40, revised);
  memory.write(batch);
  sqlite.write(batch);
  const auto after = blocks();
  std::size_t changed = 0;
  for (const auto& [key, data] : before) {
    const auto it = after.find(key);
    if (it == after.end() || it->second != data) ++changed;
  }
  EXPECT_EQ(changed, 1u);
  EXPECT_EQ(after.size(), 200u);  // and one block for the new ticks
  testing::expect_same_answers(memory, sqlite, ticks, 1);
}

// A reader paging through the ticks while a writer fills the gaps between them (each fill
// grows a block past kTickBlockMax and splits it: the blocks are re-keyed) sees every
// tick that was there before once, in order, never one twice.
TEST_F(SqliteStoreTest, PagingWhileWritesReKeyBlocksSkipsNothing) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "NQ"});
  constexpr std::uint64_t kSeqs = 24'000;
  auto tick = [](std::uint64_t i) -> market::Event {
    return market::TickEvent{
        .symbol = 0, .seq = i, .tick_seq = i, .t = static_cast<std::int64_t>(i), .price = 5};
  };
  std::vector<market::Event> evens, odds;
  for (std::uint64_t i = 1; i <= kSeqs; ++i)
    (i % 2 ? odds : evens).push_back(tick(i));
  for (int round = 0; round < 3; ++round) {
    const std::string path = (dir / ("paging" + std::to_string(round) + ".db")).string();
    SqliteStore sqlite(symbols, path);
    sqlite.write(evens);  // blocks of 4096 even numbers, 8192 numbers wide
    std::atomic<bool> done{false};
    std::thread writer([&] {
      const std::span<const market::Event> all(odds);
      for (std::size_t i = (round * 1777) % 3000; i < all.size() && !done.load(); i += 300)
        sqlite.write(all.subspan(i, std::min<std::size_t>(300, all.size() - i)));
    });
    for (int walk = 0; walk < 8; ++walk) {
      std::uint64_t last = 0, even_seen = 0;
      for (HistoryQuery q{.symbol = 0, .series = Series::kTicks, .limit = 61};;) {
        const auto page = sqlite.query(q);
        for (const auto& e : page.rows) {
          const auto seq = market::channel_seq(e);
          ASSERT_GT(seq, last) << "round " << round << " walk " << walk;
          ASSERT_TRUE(seq % 2 == 1 || seq == last + 2 || (seq == last + 1 && last % 2 == 1))
              << "an even tick was skipped before " << seq << " (round " << round << ")";
          if (seq % 2 == 0) ++even_seen;
          last = seq;
        }
        // Newest first up to a time: the newest tick before it is always there.
        const auto newest = sqlite.query(
            {.symbol = 0, .series = Series::kTicks, .to_ns = 15'001, .limit = 3, .newest = true});
        ASSERT_EQ(newest.rows.size(), 3u);
        ASSERT_EQ(market::channel_seq(newest.rows.back()), 15'000u) << "round " << round;
        if (!page.more) break;
        q.after_seq = last;
      }
      ASSERT_EQ(even_seen, evens.size()) << "round " << round << " walk " << walk;
    }
    done = true;
    writer.join();
  }
}

TEST_F(SqliteStoreTest, ACorruptTickBlockIsAClearErrorNamingIt) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 1, 2'000);
  SqliteStore sqlite(symbols, db());
  sqlite.write(events);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE tick_blocks SET data = substr(data, 1, length(data) - 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  try {
    sqlite.query({.symbol = 0, .series = Series::kTicks, .limit = 10});
    FAIL() << "a truncated block was read";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("tick block (SYM0, 1) is corrupt"), std::string::npos)
        << e.what();
  }
}

// Retention with one symbol's straddling tick block corrupt: that block keeps its ticks,
// the other symbols and the later series are still trimmed, and the round ends in one
// error naming the block.
TEST_F(SqliteStoreTest, RetentionGoesOnPastACorruptTickBlockAndSaysSo) {
  market::SymbolRegistry symbols;
  const auto events = testing::simulated_events(symbols, 2, 4'000);
  SqliteStore sqlite(symbols, db());
  sqlite.write(events);
  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = 0;
  for (const auto& e : events) {
    if (const auto* k = std::get_if<market::TickEvent>(&e)) {
      first = std::min(first, k->t);
      last = std::max(last, k->t);
    }
  }
  const std::int64_t cut = first + (last - first) / 2;  // inside each symbol's one block
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "UPDATE tick_blocks SET data = substr(data, 1, length(data) - 1) "
                         "WHERE symbol = 'SYM0'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  Retention r;
  r.ticks_ns = last - cut;
  r.samples_ns = last - cut;  // trimmed after the ticks
  try {
    sqlite.apply_retention(last, r);
    FAIL() << "a corrupt block was trimmed";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("tick block (SYM0, 1) is corrupt"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("everything else was applied"), std::string::npos);
  }
  const auto ticks = sqlite.query({.symbol = 1, .series = Series::kTicks, .limit = 100000});
  ASSERT_FALSE(ticks.rows.empty());
  for (const auto& e : ticks.rows)
    ASSERT_GE(std::get<market::TickEvent>(e).t, cut);
  for (const market::SymbolId s : {0, 1}) {
    const auto samples = sqlite.query({.symbol = s, .series = Series::kSamples, .limit = 100000});
    ASSERT_FALSE(samples.rows.empty());
    for (const auto& e : samples.rows)
      ASSERT_GE(market::event_time(e), cut);
  }
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

// The bar in progress: the newest per (symbol, timeframe) replaces the one before, survives
// reopening, and stays out of the closed candles that history answers with.
TEST_F(SqliteStoreTest, KeepsTheNewestBarInProgressPerTimeframeApartFromClosedCandles) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "AAA"});
  symbols.add({.name = "BBB"});
  auto bar = [](market::SymbolId s, market::Timeframe tf, std::uint64_t seq, std::int64_t high) {
    return market::CandleEvent{
        .symbol = s,
        .tf = tf,
        .closed = false,
        .seq = seq,
        .candle = {.start_ns = 60'000'000'000 * static_cast<std::int64_t>(seq),
                   .open = 100,
                   .high = high,
                   .low = 90,
                   .close = 95,
                   .volume = 7,
                   .first_ns = 1,
                   .last_ns = 2,
                   .ticks = 3}};
  };
  const std::vector<market::Event> batch1 = {bar(0, market::Timeframe::k1m, 4, 101),
                                             bar(0, market::Timeframe::k1s, 9, 102),
                                             bar(1, market::Timeframe::k1m, 2, 103)};
  const std::vector<market::Event> batch2 = {bar(0, market::Timeframe::k1m, 5, 104)};
  {
    SqliteStore sqlite(symbols, db());
    sqlite.write(batch1);
    sqlite.write(batch2);
  }
  SqliteStore sqlite(symbols, db());
  const auto a = sqlite.open_bars(0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], std::get<market::CandleEvent>(batch1[1]));  // 1s, ordered by timeframe
  EXPECT_EQ(a[1], std::get<market::CandleEvent>(batch2[0]));  // the newer 1m replaced seq 4
  const auto b = sqlite.open_bars(1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], std::get<market::CandleEvent>(batch1[2]));
  EXPECT_TRUE(sqlite.query({.symbol = 0, .series = Series::kCandles, .tf = market::Timeframe::k1m})
                  .rows.empty());
  EXPECT_EQ(sqlite.last_sequences(0).bars[market::index_of(market::Timeframe::k1m)], 0u);
  MemoryStore memory(symbols, 100);
  memory.write(batch1);
  memory.write(batch2);
  EXPECT_EQ(memory.open_bars(0), a);
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
  try {
    SqliteStore refused(symbols, db());
    FAIL() << "a database of a newer schema was opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("schema version 99 is newer than this build knows ({})",
                              SqliteStore::latest_schema_version())),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace spacetime::store
