#include "store/sqlite_store.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "fields.hpp"
#include "store/tick_block.hpp"

namespace spacetime::store {
namespace {

using detail::columns_of;
using detail::table_of;

// Numbered migrations: migration i (1-based) takes the schema from version i-1 to i. Never
// edit one that has shipped; append a new one.
constexpr std::array<const char*, 5> kMigrations = {
    R"sql(
CREATE TABLE candles (symbol TEXT NOT NULL, tf INTEGER NOT NULL, seq INTEGER NOT NULL,
  t INTEGER NOT NULL, open INTEGER, high INTEGER, low INTEGER, close INTEGER, volume INTEGER,
  first_ns INTEGER, last_ns INTEGER, ticks INTEGER, closed INTEGER,
  volume_zlma_ready INTEGER, volume_zlma REAL, bar_intensity_ready INTEGER, bar_intensity REAL,
  PRIMARY KEY (symbol, tf, seq)) WITHOUT ROWID;
CREATE INDEX candles_time ON candles (symbol, tf, t);
CREATE TABLE ticks (symbol TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL,
  tick_seq INTEGER, price INTEGER, size INTEGER, bid INTEGER, ask INTEGER,
  PRIMARY KEY (symbol, seq)) WITHOUT ROWID;
CREATE INDEX ticks_time ON ticks (symbol, t);
CREATE TABLE samples (symbol TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL,
  t_last INTEGER, raw_last REAL, raw_min REAL, raw_max REAL, sma_ready INTEGER,
  ema_ready INTEGER, zlma_ready INTEGER, sma REAL, ema REAL, zlma REAL, zone INTEGER,
  smoothed REAL, upper REAL, baseline REAL, lower REAL,
  PRIMARY KEY (symbol, seq)) WITHOUT ROWID;
CREATE INDEX samples_time ON samples (symbol, t);
CREATE TABLE spikes (symbol TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL,
  kind INTEGER, tick_seq INTEGER, t_start INTEGER, t_peak INTEGER, intensity REAL, z REAL,
  ticks INTEGER, price_start INTEGER, price_end INTEGER,
  PRIMARY KEY (symbol, seq)) WITHOUT ROWID;
CREATE INDEX spikes_time ON spikes (symbol, t);
CREATE TABLE reversals (symbol TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL,
  tick_seq INTEGER, version INTEGER, direction INTEGER, price INTEGER, reason INTEGER,
  strength REAL, PRIMARY KEY (symbol, seq)) WITHOUT ROWID;
CREATE INDEX reversals_time ON reversals (symbol, t);
)sql",
    // 2: the bar in progress per (symbol, timeframe), so that a restart continues it.
    R"sql(
CREATE TABLE open_candles (symbol TEXT NOT NULL, tf INTEGER NOT NULL, seq INTEGER NOT NULL,
  t INTEGER NOT NULL, open INTEGER, high INTEGER, low INTEGER, close INTEGER, volume INTEGER,
  first_ns INTEGER, last_ns INTEGER, ticks INTEGER, closed INTEGER,
  volume_zlma_ready INTEGER, volume_zlma REAL, bar_intensity_ready INTEGER, bar_intensity REAL,
  PRIMARY KEY (symbol, tf)) WITHOUT ROWID;
)sql",
    // 3: no time indexes. Within a channel time never decreases as the number grows, so a
    // binary search along the primary key finds a time (SqliteStore::Connection::first_at);
    // each index cost as much to keep up as its table (half the write rate).
    R"sql(
DROP INDEX IF EXISTS candles_time;
DROP INDEX IF EXISTS ticks_time;
DROP INDEX IF EXISTS samples_time;
DROP INDEX IF EXISTS spikes_time;
DROP INDEX IF EXISTS reversals_time;
)sql",
    // 4: ticks in blocks, one row per symbol and run of ticks (tick_block.hpp): `seq` and `t`
    // are the first tick's, `last_seq` and `t_last` the last one's. Blocks of a symbol never
    // overlap. A rowid table: its rows are large. After this, Connection::convert_tick_rows
    // moves the rows of `ticks` into blocks and drops it.
    R"sql(
CREATE TABLE tick_blocks (symbol TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, t_last INTEGER NOT NULL, count INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (symbol, seq));
)sql",
    // 5: tick blocks are written in format 2 (tick_block.hpp), which a build of schema 4
    // reads as corrupt: the version makes such a build refuse the database with one line
    // instead. Nothing to move (format 1 blocks are still read).
    R"sql(
SELECT 1;
)sql",
};

// The most ticks in one block. A batch's ticks of one symbol are one block up to this.
using detail::kTickBlockMax;

// The table a series is kept in here (ticks: in blocks, keyed by their first tick).
std::string_view table_here(Series s) {
  return s == Series::kTicks ? "tick_blocks" : table_of(s);
}

std::int64_t to_key(std::uint64_t seq) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(seq, std::numeric_limits<std::int64_t>::max()));
}

bool unavailable(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
         primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
}

[[noreturn]] void fail(sqlite3* db, const std::string& path, std::string_view what, int rc) {
  const std::string msg =
      fmt::format("sqlite:{}: {}: {}", path, what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (unavailable(rc)) throw StoreUnavailable(msg);
  throw StoreError(msg);
}

// A connection to the database at `path`, with the busy timeout every connection here uses.
// Throws StoreError naming the path when SQLite cannot open it.
sqlite3* open_database(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = fmt::format("sqlite:{}: cannot open: {}", path,
                                        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    throw StoreError(msg);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

std::string insert_sql(Series s, std::string_view table) {
  std::string cols = "symbol", marks = "?";
  for (const auto& [name, real] : columns_of(s)) {
    cols += "," + name;
    marks += ",?";
  }
  return fmt::format("INSERT OR REPLACE INTO {} ({}) VALUES ({})", table, cols, marks);
}

std::string candle_columns() {
  std::string cols;
  for (const auto& [name, real] : columns_of(Series::kCandles))
    cols += (cols.empty() ? "" : ",") + name;
  return cols;
}

// Within a channel event time never decreases as the number grows, so a time range is a
// range of channel numbers: two binary searches along the primary key find its ends, and
// the rows are read along it.
std::string select_sql(Series s, bool newest) {
  std::string cols;
  for (const auto& [name, real] : columns_of(s))
    cols += (cols.empty() ? "" : ",") + name;
  return fmt::format(
      "SELECT {} FROM {} WHERE symbol=?1 AND {} seq>?2 AND seq<?7 AND t>=?3 AND "
      "t<?4 ORDER BY seq {} LIMIT ?5",
      cols, table_of(s), s == Series::kCandles ? "tf=?6 AND" : "", newest ? "DESC" : "ASC");
}

// The key prefix of a channel: symbol ?1, and timeframe ?3 for candles.
std::string_view channel_where(Series s) {
  return s == Series::kCandles ? "symbol=?1 AND tf=?3" : "symbol=?1";
}

// The row at or after number ?2 (next=true: seq and t), or the number before ?2.
std::string step_sql(Series s, bool next) {
  return next ? fmt::format("SELECT seq, t FROM {} WHERE {} AND seq>=?2 ORDER BY seq LIMIT 1",
                            table_here(s), channel_where(s))
              : fmt::format("SELECT seq FROM {} WHERE {} AND seq<?2 ORDER BY seq DESC LIMIT 1",
                            table_here(s), channel_where(s));
}

}  // namespace

struct SqliteStore::Connection {
  sqlite3* db = nullptr;
  const std::string& path;
  std::array<sqlite3_stmt*, kSeriesCount> insert{};
  std::array<sqlite3_stmt*, kSeriesCount * 2> select{};  // [series * 2 + newest]
  std::array<sqlite3_stmt*, kSeriesCount * 2> step{};    // [series * 2 + next]
  sqlite3_stmt* insert_open = nullptr;
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  // Tick blocks: a symbol's blocks from number ?2 down / up, one block in, one out; the
  // last number of the block at or below ?2 (no blob read).
  sqlite3_stmt* blocks_down = nullptr;
  sqlite3_stmt* blocks_up = nullptr;
  sqlite3_stmt* block_insert = nullptr;
  sqlite3_stmt* block_delete = nullptr;
  sqlite3_stmt* block_probe = nullptr;
  std::string block_bytes;                    // the block being written
  std::vector<market::TickEvent> overlapped;  // ticks of blocks a write overlaps
  std::vector<market::TickEvent> merged;

  std::function<void(const std::string&)> note;  // migration progress; may be empty

  Connection(const std::string& p, bool writer,
             std::function<void(const std::string&)> progress = {})
      : path(p), note(std::move(progress)) {
    db = open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    // The destructor does not run when a constructor throws: close the handle here.
    try {
      // WAL: readers never block the writer. synchronous=NORMAL: a commit survives kill -9
      // (the WAL is in the OS cache); a power cut may lose the last commits, never corrupts.
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");
      exec("PRAGMA cache_size=-65536");  // 64 MiB: the indexes of a day stay in memory
      if (writer) {
        // The WAL file is cut back to 64 MiB when it starts over after a burst (the writer
        // starts it over; on a reader the limit would do nothing).
        exec("PRAGMA journal_size_limit=67108864");
        migrate();
      }
    } catch (...) {
      sqlite3_close(db);
      db = nullptr;
      throw;
    }
  }
  ~Connection() {
    for (auto* s : insert)
      sqlite3_finalize(s);
    for (auto* s : select)
      sqlite3_finalize(s);
    for (auto* s : step)
      sqlite3_finalize(s);
    sqlite3_finalize(insert_open);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    for (auto* s : {blocks_down, blocks_up, block_insert, block_delete, block_probe})
      sqlite3_finalize(s);
    sqlite3_close(db);
  }

  void exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      const std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      const std::string text = fmt::format("sqlite:{}: {}", path, msg);
      if (unavailable(rc)) throw StoreUnavailable(text);
      throw StoreError(text);
    }
  }

  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(db, path, "prepare", rc);
    return stmt;
  }

  int user_version() {
    sqlite3_stmt* stmt = prepare("PRAGMA user_version");
    int v = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  }

  void migrate() {
    exec("BEGIN IMMEDIATE");
    try {
      const int from = user_version();
      if (from > static_cast<int>(kMigrations.size())) {
        throw StoreError(
            fmt::format("sqlite:{}: schema version {} is newer than this build knows ({})", path,
                        from, kMigrations.size()));
      }
      // A database with data on an older schema says so (a new one has nothing to move).
      const bool has_data = from > 0;
      if (has_data && note && from < static_cast<int>(kMigrations.size())) {
        note(fmt::format("sqlite:{}: migrating from schema v{} to v{}", path, from,
                         kMigrations.size()));
      }
      for (std::size_t v = static_cast<std::size_t>(from); v < kMigrations.size(); ++v) {
        exec(kMigrations[v]);
        if (v == 3) convert_tick_rows();
      }
      exec(fmt::format("PRAGMA user_version={}", kMigrations.size()).c_str());
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  sqlite3_stmt* insert_stmt(Series s) {
    auto& stmt = insert[static_cast<std::size_t>(s)];
    if (!stmt) stmt = prepare(insert_sql(s, table_of(s)));
    return stmt;
  }
  sqlite3_stmt* insert_open_stmt() {
    if (!insert_open) insert_open = prepare(insert_sql(Series::kCandles, "open_candles"));
    return insert_open;
  }
  sqlite3_stmt* select_stmt(Series s, bool newest) {
    auto& stmt = select[static_cast<std::size_t>(s) * 2 + (newest ? 1 : 0)];
    if (!stmt) stmt = prepare(select_sql(s, newest));
    return stmt;
  }
  // One step of a search along a channel's primary key: the first row at or after number
  // `seq` (next: its number and time), or the number of the last row before it.
  std::optional<std::pair<std::int64_t, std::int64_t>> step_row(Series s, bool next,
                                                                const std::string& symbol,
                                                                market::Timeframe tf,
                                                                std::int64_t seq) {
    auto& stmt = step[static_cast<std::size_t>(s) * 2 + (next ? 1 : 0)];
    if (!stmt) stmt = prepare(step_sql(s, next));
    sqlite3_bind_text(stmt, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, seq);
    if (s == Series::kCandles) sqlite3_bind_int(stmt, 3, static_cast<int>(tf));
    std::optional<std::pair<std::int64_t, std::int64_t>> out;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      out.emplace(sqlite3_column_int64(stmt, 0), next ? sqlite3_column_int64(stmt, 1) : 0);
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "query", rc);
    return out;
  }

  // The number of the channel's first row at or after time t; nullopt when none is. A
  // binary search over the numbers (time never decreases as they grow), each probe one
  // primary-key lookup; gaps (retention, a lost batch) are stepped over.
  std::optional<std::int64_t> first_at(Series s, const std::string& symbol, market::Timeframe tf,
                                       std::int64_t t) {
    const auto first = step_row(s, true, symbol, tf, std::numeric_limits<std::int64_t>::min());
    if (!first) return std::nullopt;
    if (first->second >= t) return first->first;
    const auto last = step_row(s, false, symbol, tf, std::numeric_limits<std::int64_t>::max());
    std::int64_t lo = first->first + 1, hi = last ? last->first : first->first;
    std::optional<std::int64_t> found;
    while (lo <= hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      const auto row = step_row(s, true, symbol, tf, mid);
      if (!row || row->first > hi) {
        hi = mid - 1;  // no row in [mid, hi]
      } else if (row->second >= t) {
        found = row->first;
        hi = mid - 1;
      } else {
        lo = row->first + 1;
      }
    }
    return found;
  }

  // --- Ticks in blocks (migration 4) ---

  sqlite3_stmt* blocks_stmt(bool down) {
    auto& stmt = down ? blocks_down : blocks_up;
    if (!stmt) {
      stmt = prepare(fmt::format(
          "SELECT seq, last_seq, t, t_last, count, data FROM tick_blocks WHERE symbol=?1 AND "
          "seq{}?2 ORDER BY seq {}",
          down ? "<=" : ">=", down ? "DESC" : "ASC"));
    }
    return stmt;
  }

  // Appends the ticks of the block at the statement's current row to `out`; a block that
  // does not decode, or whose ends disagree with its key, is a StoreError naming it.
  void read_block(sqlite3_stmt* stmt, const std::string& symbol, market::SymbolId id,
                  std::vector<market::TickEvent>& out) {
    const std::int64_t first = sqlite3_column_int64(stmt, 0);
    const std::int64_t last = sqlite3_column_int64(stmt, 1);
    const std::int64_t count = sqlite3_column_int64(stmt, 4);
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, 5));
    const auto bytes = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 5));
    const std::size_t was = out.size();
    if (count < 1 || !data ||
        !detail::decode_ticks({data, bytes}, static_cast<std::size_t>(count), id, out) ||
        out[was].seq != static_cast<std::uint64_t>(first) ||
        out.back().seq != static_cast<std::uint64_t>(last)) {
      out.resize(was);
      throw StoreError(
          fmt::format("sqlite:{}: the tick block ({}, {}) is corrupt", path, symbol, first));
    }
  }

  void delete_block(const std::string& symbol, std::int64_t key, std::string_view what) {
    if (!block_delete) block_delete = prepare("DELETE FROM tick_blocks WHERE symbol=?1 AND seq=?2");
    sqlite3_bind_text(block_delete, 1, symbol.data(), static_cast<int>(symbol.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(block_delete, 2, key);
    const int rc = sqlite3_step(block_delete);
    sqlite3_reset(block_delete);
    if (rc != SQLITE_DONE) fail(db, path, what, rc);
  }

  // Writes one symbol's ticks (any order; of equal numbers the last wins, as a row
  // rewrite would). Blocks the numbers overlap are merged with them, the new ticks winning,
  // so that a rewritten or replayed batch is idempotent and blocks never overlap.
  void write_ticks(const std::string& symbol, std::vector<market::TickEvent>& ticks) {
    if (ticks.empty()) return;
    auto by_seq = [](const market::TickEvent& x, const market::TickEvent& y) {
      return x.seq < y.seq;
    };
    // A live batch's numbers rise strictly: nothing to sort or fold.
    const bool rising =
        std::adjacent_find(ticks.begin(), ticks.end(), [](const auto& x, const auto& y) {
          return x.seq >= y.seq;
        }) == ticks.end();
    if (!rising) {
      std::stable_sort(ticks.begin(), ticks.end(), by_seq);
      // Of equal numbers keep the last.
      std::size_t out = 0;
      for (std::size_t i = 0; i < ticks.size(); ++i) {
        if (out > 0 && ticks[out - 1].seq == ticks[i].seq) {
          ticks[out - 1] = ticks[i];
        } else {
          ticks[out++] = ticks[i];
        }
      }
      ticks.resize(out);
    }
    // Segment by segment, each touching at most one stored block: the new ticks inside a
    // stored block are merged with it (the new winning), those between blocks become blocks
    // of their own. A revised old tick rewrites its own block, nothing else.
    std::size_t at = 0;
    while (at < ticks.size()) {
      const std::int64_t s = to_key(ticks[at].seq);
      overlapped.clear();
      std::optional<std::int64_t> holder_key, holder_last, next_key;
      sqlite3_stmt* down = blocks_stmt(true);
      sqlite3_bind_text(down, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
      sqlite3_bind_int64(down, 2, s);
      int rc = sqlite3_step(down);
      try {
        if (rc == SQLITE_ROW && sqlite3_column_int64(down, 1) >= s) {
          holder_key = sqlite3_column_int64(down, 0);
          holder_last = sqlite3_column_int64(down, 1);
          read_block(down, symbol, ticks[at].symbol, overlapped);
        }
      } catch (...) {
        sqlite3_reset(down);
        throw;
      }
      sqlite3_reset(down);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "insert", rc);
      std::size_t end = at;
      if (holder_key) {
        while (end < ticks.size() && to_key(ticks[end].seq) <= *holder_last)
          ++end;
        delete_block(symbol, *holder_key, "insert");
        merged.clear();
        std::size_t i = 0, j = at;
        while (i < overlapped.size() || j < end) {
          if (j == end || (i < overlapped.size() && overlapped[i].seq < ticks[j].seq)) {
            merged.push_back(overlapped[i++]);
          } else {
            if (i < overlapped.size() && overlapped[i].seq == ticks[j].seq) ++i;
            merged.push_back(ticks[j++]);
          }
        }
        insert_blocks(symbol, merged);
      } else {
        if (s < std::numeric_limits<std::int64_t>::max()) {
          sqlite3_stmt* up = blocks_stmt(false);
          sqlite3_bind_text(up, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
          sqlite3_bind_int64(up, 2, s + 1);
          rc = sqlite3_step(up);
          if (rc == SQLITE_ROW) next_key = sqlite3_column_int64(up, 0);
          sqlite3_reset(up);
          if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "insert", rc);
        }
        while (end < ticks.size() && (!next_key || to_key(ticks[end].seq) < *next_key))
          ++end;
        insert_blocks(symbol, std::span(ticks).subspan(at, end - at));
      }
      at = end;
    }
  }

  // Ticks in seq order that no stored block overlaps, as blocks of at most kTickBlockMax.
  void insert_blocks(const std::string& symbol, std::span<const market::TickEvent> ticks) {
    for (std::size_t at = 0; at < ticks.size(); at += kTickBlockMax) {
      const auto part = ticks.subspan(at, std::min(kTickBlockMax, ticks.size() - at));
      detail::encode_ticks(part, block_bytes);
      insert_block(symbol, {part.front().seq, part.front().t}, {part.back().seq, part.back().t},
                   part.size(), block_bytes);
    }
  }

  // A block's first or last tick's number and time.
  struct BlockEnd {
    std::uint64_t seq;
    std::int64_t t;
  };

  void insert_block(const std::string& symbol, BlockEnd first, BlockEnd last, std::size_t count,
                    std::string_view bytes) {
    if (!block_insert) {
      block_insert = prepare(
          "INSERT OR REPLACE INTO tick_blocks (symbol, seq, last_seq, t, t_last, count, data) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    }
    sqlite3_bind_text(block_insert, 1, symbol.data(), static_cast<int>(symbol.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(block_insert, 2, to_key(first.seq));
    sqlite3_bind_int64(block_insert, 3, to_key(last.seq));
    sqlite3_bind_int64(block_insert, 4, first.t);
    sqlite3_bind_int64(block_insert, 5, last.t);
    sqlite3_bind_int64(block_insert, 6, static_cast<std::int64_t>(count));
    sqlite3_bind_blob(block_insert, 7, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(block_insert);
    sqlite3_reset(block_insert);
    if (rc != SQLITE_DONE) fail(db, path, "insert", rc);
  }

  detail::TickBatch write_ticks_scratch;     // write(): the ticks of its events, encoded
  std::vector<market::TickEvent> run_ticks;  // a run that must be merged, decoded

  // True when a stored block of the symbol holds a number in [lo, hi].
  bool overlaps(const std::string& symbol, std::uint64_t lo, std::uint64_t hi) {
    // Only last_seq: a query naming the blob would copy the symbol's newest block (up to
    // 4,096 ticks) out of its overflow pages at every write of a live run.
    if (!block_probe) {
      block_probe = prepare(
          "SELECT last_seq FROM tick_blocks WHERE symbol=?1 AND seq<=?2 ORDER BY seq DESC "
          "LIMIT 1");
    }
    sqlite3_stmt* down = block_probe;
    sqlite3_bind_text(down, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
    sqlite3_bind_int64(down, 2, to_key(hi));
    const int rc = sqlite3_step(down);
    const bool hit = rc == SQLITE_ROW && sqlite3_column_int64(down, 0) >= to_key(lo);
    sqlite3_reset(down);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "insert", rc);
    return hit;
  }

  // A run of one symbol's ticks from a batch: a live run (numbers rising, after every
  // stored block) goes in as it is, with one probe and no copy; any other is decoded and
  // merged with the blocks it overlaps.
  void write_run(const std::string& symbol, const detail::TickRun& run) {
    if (run.count == 0) return;
    if (run.max_seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw StoreError(fmt::format("sqlite:{}: tick number {} of {} is above 2^63-1", path,
                                   run.max_seq, symbol));
    }
    if (run.rising && !overlaps(symbol, run.first_seq, run.last_seq())) {
      return insert_block(symbol, {run.first_seq, run.first_t}, {run.last_seq(), run.last_t()},
                          run.count, {run.bytes.data(), run.bytes.size()});
    }
    run_ticks.clear();
    if (!detail::decode_run(run, run_ticks)) {
      throw StoreError(
          fmt::format("sqlite:{}: a batch's ticks of {} did not encode", path, symbol));
    }
    write_ticks(symbol, run_ticks);
  }

  // Retention's last step for a symbol's ticks: the ticks older than `cut` in its first
  // block (the only one that can straddle the cut once older blocks are gone) are removed
  // by rewriting the block. Returns how many went.
  std::uint64_t trim_first_block(const std::string& symbol, std::int64_t cut) {
    std::vector<market::TickEvent> ticks;
    std::int64_t key = 0;
    sqlite3_stmt* up = blocks_stmt(false);
    sqlite3_bind_text(up, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
    sqlite3_bind_int64(up, 2, std::numeric_limits<std::int64_t>::min());
    int rc = sqlite3_step(up);
    try {
      if (rc == SQLITE_ROW && sqlite3_column_int64(up, 2) < cut) {
        key = sqlite3_column_int64(up, 0);
        read_block(up, symbol, 0, ticks);
      }
    } catch (...) {
      sqlite3_reset(up);
      throw;
    }
    sqlite3_reset(up);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "retention", rc);
    if (ticks.empty()) return 0;
    const auto keep = std::find_if(ticks.begin(), ticks.end(),
                                   [&](const market::TickEvent& k) { return k.t >= cut; });
    const auto gone = static_cast<std::uint64_t>(keep - ticks.begin());
    ticks.erase(ticks.begin(), keep);
    exec("SAVEPOINT trim_block");
    try {
      delete_block(symbol, key, "retention");
      write_ticks(symbol, ticks);
      exec("RELEASE trim_block");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK TO trim_block; RELEASE trim_block", nullptr, nullptr, nullptr);
      throw;
    }
    return gone;
  }

  // Migration 4's data step: the rows of the old `ticks` table into blocks, then the table
  // goes. Within the migration's transaction.
  void convert_tick_rows() {
    std::int64_t total = 0;
    if (note) {
      sqlite3_stmt* count = prepare("SELECT count(*) FROM ticks");
      if (sqlite3_step(count) == SQLITE_ROW) total = sqlite3_column_int64(count, 0);
      sqlite3_finalize(count);
    }
    const auto started = std::chrono::steady_clock::now();
    auto said = started;
    std::int64_t done = 0;
    if (note && total > 0) {
      note(fmt::format("sqlite:{}: migration 4: {} tick rows into blocks", path, total));
    }
    sqlite3_stmt* rows = prepare(
        "SELECT symbol, seq, t, tick_seq, price, size, bid, ask FROM ticks ORDER BY symbol, seq");
    std::string symbol;
    std::vector<market::TickEvent> run;
    int rc;
    try {
      while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
        if (note && (++done & 0xffff) == 0) {
          const auto now = std::chrono::steady_clock::now();
          if (now - said >= std::chrono::seconds(2)) {
            said = now;
            note(fmt::format("sqlite:{}: migration 4: {} of {} tick rows ({} %)", path, done, total,
                             total > 0 ? done * 100 / total : 0));
          }
        }
        const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(rows, 0));
        if (name != symbol || run.size() == kTickBlockMax) {
          write_ticks(symbol, run);
          run.clear();
          symbol = name;
        }
        run.push_back({.seq = static_cast<std::uint64_t>(sqlite3_column_int64(rows, 1)),
                       .tick_seq = static_cast<std::uint64_t>(sqlite3_column_int64(rows, 3)),
                       .t = sqlite3_column_int64(rows, 2),
                       .price = sqlite3_column_int64(rows, 4),
                       .size = sqlite3_column_int64(rows, 5),
                       .bid = sqlite3_column_int64(rows, 6),
                       .ask = sqlite3_column_int64(rows, 7)});
      }
      write_ticks(symbol, run);
    } catch (...) {
      sqlite3_finalize(rows);
      throw;
    }
    sqlite3_finalize(rows);
    if (rc != SQLITE_DONE) fail(db, path, "migration 4", rc);
    exec("DROP TABLE ticks");
    if (note && total > 0) {
      note(fmt::format(
          "sqlite:{}: migration 4: {} tick rows moved into blocks in {:.1f} s", path, total,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
    }
  }

  // A page of ticks: the blocks that may hold the range are found along the key (the
  // block before the first one starting in range may hold its first ticks), decoded, and
  // filtered tick by tick.
  HistoryPage tick_page(const HistoryQuery& q, const std::string& symbol) {
    HistoryPage page;
    const std::size_t want = std::min<std::size_t>(q.limit, 1u << 30) + 1;
    const auto tf = market::Timeframe::k1s;  // unused for ticks
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    std::vector<market::TickEvent> block;
    sqlite3_stmt* stmt = nullptr;
    auto scan = [&](bool down, std::int64_t from_key, auto&& take_block) {
      stmt = blocks_stmt(down);
      sqlite3_bind_text(stmt, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
      sqlite3_bind_int64(stmt, 2, from_key);
      int rc;
      try {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
          block.clear();
          if (!take_block(block)) break;
        }
      } catch (...) {
        sqlite3_reset(stmt);
        throw;
      }
      sqlite3_reset(stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "query", rc);
    };
    std::vector<market::TickEvent> got;
    auto wanted = [&](const market::TickEvent& k) {
      return k.seq > q.after_seq && k.t >= q.from_ns && k.t < q.to_ns;
    };
    if (!q.newest) {
      // Start at the block holding after_seq + 1, or later at the one before the first
      // block starting at or after from_ns.
      std::int64_t start = std::numeric_limits<std::int64_t>::min();
      const std::int64_t next = to_key(q.after_seq) == kMax ? kMax : to_key(q.after_seq) + 1;
      if (const auto at =
              step_row(Series::kTicks, false, symbol, tf, next == kMax ? kMax : next + 1))
        start = at->first;
      if (q.from_ns != std::numeric_limits<std::int64_t>::min()) {
        const auto f = first_at(Series::kTicks, symbol, tf, q.from_ns);
        const auto before = step_row(Series::kTicks, false, symbol, tf, f ? *f : kMax);
        if (before) {
          start = std::max(start, before->first);
        } else if (f) {
          start = std::max(start, *f);
        } else {
          return page;
        }
      }
      scan(false, start, [&](std::vector<market::TickEvent>& b) {
        if (sqlite3_column_int64(stmt, 2) >= q.to_ns) return false;
        read_block(stmt, symbol, q.symbol, b);
        for (const auto& k : b) {
          if (k.t >= q.to_ns) return false;
          if (wanted(k)) got.push_back(k);
          if (got.size() == want) return false;
        }
        return true;
      });
    } else {
      // Start at the last block starting before the first one at or after to_ns.
      std::int64_t start = kMax;
      if (q.to_ns != kMax) {
        const auto f = first_at(Series::kTicks, symbol, tf, q.to_ns);
        const auto before = step_row(Series::kTicks, false, symbol, tf, f ? *f : kMax);
        if (!before) return page;
        start = before->first;
      }
      scan(true, start, [&](std::vector<market::TickEvent>& b) {
        if (sqlite3_column_int64(stmt, 1) <= to_key(q.after_seq) ||
            sqlite3_column_int64(stmt, 3) < q.from_ns)
          return false;
        read_block(stmt, symbol, q.symbol, b);
        for (auto it = b.rbegin(); it != b.rend(); ++it) {
          if (it->seq <= q.after_seq || it->t < q.from_ns) return false;
          if (wanted(*it)) got.push_back(*it);
          if (got.size() == want) return false;
        }
        return true;
      });
      std::reverse(got.begin(), got.end());
    }
    if (got.size() > q.limit) {
      page.more = true;
      if (q.newest) {
        got.erase(got.begin());
      } else {
        got.pop_back();
      }
    }
    page.rows.assign(got.begin(), got.end());
    return page;
  }

  // The channel number at one end of a time range: the first row at or after t (first), or
  // the last row before t; nullopt when no row is on that side.
  std::optional<std::int64_t> probe_seq(Series s, bool first, const std::string& symbol,
                                        std::int64_t t, market::Timeframe tf) {
    const auto at = first_at(s, symbol, tf, t);
    if (first) return at;
    const auto before =
        step_row(s, false, symbol, tf, at ? *at : std::numeric_limits<std::int64_t>::max());
    if (!before) return std::nullopt;
    return before->first;
  }
};

// Checkpoints the WAL (copies its pages into the database file) on a thread and connection
// of its own. SQLite's default does it in the committing thread, after the commit that took
// the WAL past 1000 pages: the recorder then copied ~4 MB and waited for two fdatasync
// calls, milliseconds in which the engine waited for room in the recorder's ring and the
// feed for the engine (uncapped, about 10 % of the run with the cores idle:
// docs/PERFORMANCE.md). A checkpoint in the background runs beside the writer's commits.
class SqliteStore::Checkpointer {
 public:
  // The WAL's size, in pages, after which a commit wakes the checkpointer (SQLite's
  // default for its own), and the backstop: a writer that commits faster than the
  // checkpointer copies checkpoints itself at this size, so the WAL stays bounded (256 MiB
  // with 4 KiB pages).
  static constexpr int kWakePages = 1000;
  static constexpr int kBackstopPages = 1 << 16;

  Checkpointer(const std::string& path, sqlite3* writer)
      : writer_(writer), db_(open_database(path, SQLITE_OPEN_READWRITE)) {
    // A connection checkpoints only a WAL it has opened, which it does when it first reads
    // the database. Should that fail (or the file not be in WAL mode), the writer keeps
    // SQLite's automatic checkpoint.
    if (!in_wal_mode() ||
        sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    try {
      thread_ = std::jthread([this](std::stop_token stop) {
        pthread_setname_np(pthread_self(), "sqlite-ckpt");  // in top -H, perf, gdb
        run(stop);
      });
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
    // Replaces the automatic checkpoint of the writer's connection.
    sqlite3_wal_hook(writer_, &Checkpointer::committed, this);
  }
  ~Checkpointer() {
    if (!db_) return;
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    thread_.request_stop();
    thread_.join();
    sqlite3_close(db_);
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // WAL checkpoints done here; none at all when the writer kept the automatic ones.
  std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }
  std::uint64_t busy() const { return busy_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  bool in_wal_mode() {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &stmt, nullptr) != SQLITE_OK) {
      return false;
    }
    bool wal = false;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      wal = mode && std::string_view(mode) == "wal";
    }
    sqlite3_finalize(stmt);
    return wal;
  }

  // SQLite calls this in the writer's thread after each commit, with the WAL's size.
  static int committed(void* self, sqlite3* db, const char* name, int pages) noexcept {
    auto& c = *static_cast<Checkpointer*>(self);
    if (pages >= kBackstopPages) {
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kWakePages) {
      {
        std::lock_guard lock(c.mutex_);
        c.due_ = true;
      }
      c.wake_.notify_one();
    }
    return SQLITE_OK;
  }

  void run(std::stop_token stop) {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait(lock, stop, [this] { return due_; })) return;
        due_ = false;
      }
      // PASSIVE never blocks the writer, and copies what was committed when it started;
      // the WAL starts over from its beginning at the first write transaction that begins
      // after everything has been copied (and no reader still needs it). SQLITE_BUSY (the
      // writer committing at that instant, another checkpoint running: the writer's
      // backstop, another process's) and other errors are counted apart and leave the WAL
      // to the next try (the next commit wakes this thread again) or to the backstop.
      int log = -1, copied = -1;
      const int rc =
          sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if ((rc & 0xff) == SQLITE_BUSY) {
        busy_.fetch_add(1, std::memory_order_relaxed);
      } else if (rc != SQLITE_OK) {
        failed_.fetch_add(1, std::memory_order_relaxed);
      } else if (log >= 0) {
        checkpoints_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  sqlite3* writer_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool due_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> busy_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::jthread thread_;
};

SqliteStore::SqliteStore(const market::SymbolRegistry& symbols, std::string path,
                         std::function<void(const std::string&)> note)
    : symbols_(symbols), path_(std::move(path)) {
  writer_ = std::make_unique<Connection>(path_, true, std::move(note));
  reader_ = std::make_unique<Connection>(path_, false);
  checkpointer_ = std::make_unique<Checkpointer>(path_, writer_->db);
}

// The checkpointer goes first: it unhooks itself from the writer's connection.
SqliteStore::~SqliteStore() {
  checkpointer_.reset();
}

std::uint64_t SqliteStore::wal_checkpoints() const {
  return checkpointer_->checkpoints();
}

std::vector<std::pair<std::string, std::uint64_t>> SqliteStore::metrics() const {
  return {{"wal_checkpoints", wal_checkpoints()},
          {"wal_checkpoints_busy", checkpointer_->busy()},
          {"wal_checkpoints_failed", checkpointer_->failed()}};
}

int SqliteStore::latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

int SqliteStore::schema_version() const {
  std::lock_guard lock(read_mutex_);
  return reader_->user_version();
}

std::string SqliteStore::describe() const {
  return fmt::format("sqlite:{} (schema v{}, WAL)", path_, latest_schema_version());
}

void SqliteStore::write(std::span<const market::Event> events) {
  std::lock_guard lock(write_mutex_);
  auto& ticks = writer_->write_ticks_scratch;
  ticks.clear();
  for (const auto& e : events) {
    const auto* tick = std::get_if<market::TickEvent>(&e);
    if (tick && tick->symbol < symbols_.size()) ticks.add(*tick);
  }
  write_locked(events, ticks);
}

void SqliteStore::write_encoded(std::span<const market::Event> events,
                                const detail::TickBatch& ticks) {
  std::lock_guard lock(write_mutex_);
  write_locked(events, ticks);
}

// One transaction: the rows of `events` (ticks among them are left to `ticks`), then each
// run of ticks as a block (of at most kTickBlockMax).
void SqliteStore::write_locked(std::span<const market::Event> events,
                               const detail::TickBatch& ticks) {
  auto& c = *writer_;
  // IMMEDIATE: the write lock is taken here, where the busy timeout waits for it. A deferred
  // BEGIN would read first (a run looks up its symbol's last block) and then upgrade, and
  // an upgrade that meets the lock held gets SQLITE_BUSY at once, busy timeout or not: the
  // checkpointer holds it for an instant when it reads the WAL's header torn by a commit.
  c.exec("BEGIN IMMEDIATE");
  try {
    for (const auto& e : events) {
      if (std::holds_alternative<market::TickEvent>(e)) continue;
      const auto series = series_of(e);
      const bool open_bar = open_bar_of(e) != nullptr;
      if (!series && !open_bar) continue;
      const market::SymbolId id = market::symbol_of(e);
      if (id >= symbols_.size()) continue;
      sqlite3_stmt* stmt = open_bar ? c.insert_open_stmt() : c.insert_stmt(*series);
      const std::string& name = symbols_.info(id).name;
      sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
      int col = 2;
      detail::with_row(e, [&](const auto& row) {
        detail::visit_fields(row, [&](const char*, const auto& field) {
          using T = std::decay_t<decltype(field)>;
          if constexpr (detail::kIsReal<T>) {
            sqlite3_bind_double(stmt, col++, field);
          } else {
            sqlite3_bind_int64(stmt, col++, detail::to_int(field));
          }
        });
      });
      const int rc = sqlite3_step(stmt);
      sqlite3_reset(stmt);
      if (rc != SQLITE_DONE) fail(c.db, path_, "insert", rc);
    }
    for (const auto& run : ticks.runs()) {
      if (run.symbol >= symbols_.size()) continue;
      c.write_run(symbols_.info(run.symbol).name, run);
    }
    c.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

HistoryPage SqliteStore::query(const HistoryQuery& q) const {
  HistoryPage page;
  if (q.limit == 0 || q.symbol >= symbols_.size()) return page;
  std::lock_guard lock(read_mutex_);
  const std::string& name = symbols_.info(q.symbol).name;
  // One read transaction: the probes and the scan see one snapshot, so a merge committed
  // in between (which re-keys tick blocks) cannot make the scan skip or repeat rows.
  struct ReadTransaction {
    Connection& c;
    explicit ReadTransaction(Connection& conn) : c(conn) { c.exec("BEGIN"); }
    ~ReadTransaction() { sqlite3_exec(c.db, "COMMIT", nullptr, nullptr, nullptr); }
  } snapshot(*reader_);
  if (q.series == Series::kTicks) return reader_->tick_page(q, name);
  std::int64_t after = static_cast<std::int64_t>(
      std::min<std::uint64_t>(q.after_seq, std::numeric_limits<std::int64_t>::max()));
  std::int64_t below = std::numeric_limits<std::int64_t>::max();
  if (q.from_ns != std::numeric_limits<std::int64_t>::min()) {
    const auto first = reader_->probe_seq(q.series, true, name, q.from_ns, q.tf);
    if (!first) return page;
    after = std::max(after, *first - 1);
  }
  if (q.to_ns != std::numeric_limits<std::int64_t>::max()) {
    const auto last = reader_->probe_seq(q.series, false, name, q.to_ns, q.tf);
    if (!last) return page;
    below = *last + 1;
  }
  sqlite3_stmt* stmt = reader_->select_stmt(q.series, q.newest);
  sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 2, after);
  sqlite3_bind_int64(stmt, 7, below);
  sqlite3_bind_int64(stmt, 3, q.from_ns);
  sqlite3_bind_int64(stmt, 4, q.to_ns);
  // One row more than asked says whether there are more.
  const std::size_t want = std::min<std::size_t>(q.limit, 1u << 30) + 1;
  sqlite3_bind_int64(stmt, 5, static_cast<std::int64_t>(want));
  if (q.series == Series::kCandles) sqlite3_bind_int(stmt, 6, static_cast<int>(q.tf));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (page.rows.size() == q.limit) {
      page.more = true;
      break;
    }
    int col = 0;
    page.rows.push_back(detail::read_row(q.series, q.symbol, [&](auto& row) {
      detail::visit_fields(row, [&](const char*, auto& field) {
        using T = std::decay_t<decltype(field)>;
        if constexpr (detail::kIsReal<T>) {
          field = sqlite3_column_double(stmt, col++);
        } else {
          detail::from_int(field, sqlite3_column_int64(stmt, col++));
        }
      });
    }));
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(reader_->db, path_, "query", rc);
  if (q.newest) std::reverse(page.rows.begin(), page.rows.end());
  return page;
}

std::uint64_t SqliteStore::apply_retention(std::int64_t now_ns, const Retention& r) {
  std::lock_guard lock(write_mutex_);
  auto& c = *writer_;
  std::uint64_t deleted = 0;
  // A symbol's first tick block that cannot be read (corrupt) keeps its old ticks; the
  // round goes on with the other symbols and series, then says so.
  std::size_t untrimmed = 0;
  std::string untrimmed_error;
  // Channel by channel along the primary key (there is no time index): find the first row
  // to keep, delete the numbers below it.
  auto trim = [&](Series s, std::int64_t keep_ns, std::optional<market::Timeframe> only_tf) {
    const std::string table(table_here(s));
    const bool ticks = s == Series::kTicks;
    sqlite3_stmt* next_symbol = c.prepare(
        fmt::format("SELECT symbol FROM {} WHERE symbol>?1 ORDER BY symbol LIMIT 1", table));
    // A tick block goes when its last tick is older than the cut: blocks starting before
    // the first block at or after it may still hold newer ticks.
    sqlite3_stmt* erase = c.prepare(
        ticks ? std::string("DELETE FROM tick_blocks WHERE symbol=?1 AND seq<?2 AND t_last<?3 "
                            "RETURNING count")
              : fmt::format("DELETE FROM {} WHERE {} AND seq<?2", table, channel_where(s)));
    std::string symbol;
    bool started = false;
    try {
      for (;;) {
        if (started) {
          sqlite3_bind_text(next_symbol, 1, symbol.data(), static_cast<int>(symbol.size()),
                            SQLITE_TRANSIENT);
        } else {
          sqlite3_bind_text(next_symbol, 1, "", 0, SQLITE_STATIC);
        }
        const int rc = sqlite3_step(next_symbol);
        if (rc != SQLITE_ROW) {
          sqlite3_reset(next_symbol);
          if (rc != SQLITE_DONE) fail(c.db, path_, "retention", rc);
          break;
        }
        symbol = reinterpret_cast<const char*>(sqlite3_column_text(next_symbol, 0));
        sqlite3_reset(next_symbol);
        started = true;
        const market::Timeframe tf = only_tf.value_or(market::Timeframe::k1s);
        const auto keep_from = c.first_at(s, symbol, tf, now_ns - keep_ns);
        sqlite3_bind_text(erase, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
        sqlite3_bind_int64(erase, 2, keep_from.value_or(std::numeric_limits<std::int64_t>::max()));
        if (s == Series::kCandles) sqlite3_bind_int(erase, 3, static_cast<int>(tf));
        if (ticks) sqlite3_bind_int64(erase, 3, now_ns - keep_ns);
        int rc2;
        while ((rc2 = sqlite3_step(erase)) == SQLITE_ROW)
          deleted += static_cast<std::uint64_t>(sqlite3_column_int64(erase, 0));  // a block's ticks
        sqlite3_reset(erase);
        if (rc2 != SQLITE_DONE) fail(c.db, path_, "retention", rc2);
        if (ticks) {
          try {
            deleted += c.trim_first_block(symbol, now_ns - keep_ns);
          } catch (const StoreError& e) {
            if (untrimmed++ == 0) untrimmed_error = e.what();
          }
        } else {
          deleted += static_cast<std::uint64_t>(sqlite3_changes64(c.db));
        }
      }
    } catch (...) {
      sqlite3_finalize(next_symbol);
      sqlite3_finalize(erase);
      throw;
    }
    sqlite3_finalize(next_symbol);
    sqlite3_finalize(erase);
  };
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf) {
    if (r.candles_ns[tf] > 0) trim(Series::kCandles, r.candles_ns[tf], market::kAllTimeframes[tf]);
  }
  const std::pair<Series, std::int64_t> others[] = {{Series::kTicks, r.ticks_ns},
                                                    {Series::kSamples, r.samples_ns},
                                                    {Series::kSpikes, r.spikes_ns},
                                                    {Series::kReversals, r.reversals_ns}};
  for (const auto& [series, keep] : others) {
    if (keep > 0) trim(series, keep, std::nullopt);
  }
  if (untrimmed > 0) {
    throw StoreError(
        fmt::format("sqlite:{}: retention: the first tick block of {} symbol(s) kept its old ticks "
                    "(everything else was applied): {}",
                    path_, untrimmed, untrimmed_error));
  }
  return deleted;
}

std::vector<market::CandleEvent> SqliteStore::open_bars(market::SymbolId symbol) const {
  std::vector<market::CandleEvent> out;
  if (symbol >= symbols_.size()) return out;
  std::lock_guard lock(read_mutex_);
  auto& c = *reader_;
  const std::string& name = symbols_.info(symbol).name;
  sqlite3_stmt* stmt = c.prepare(
      fmt::format("SELECT {} FROM open_candles WHERE symbol=?1 ORDER BY tf", candle_columns()));
  sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int col = 0;
    const auto row = detail::read_row(Series::kCandles, symbol, [&](auto& ev) {
      detail::visit_fields(ev, [&](const char*, auto& field) {
        using T = std::decay_t<decltype(field)>;
        if constexpr (detail::kIsReal<T>) {
          field = sqlite3_column_double(stmt, col++);
        } else {
          detail::from_int(field, sqlite3_column_int64(stmt, col++));
        }
      });
    });
    if (const auto* bar = std::get_if<market::CandleEvent>(&row)) out.push_back(*bar);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) fail(c.db, path_, "open bars", rc);
  return out;
}

market::ChannelSequences SqliteStore::last_sequences(market::SymbolId symbol) const {
  market::ChannelSequences out;
  if (symbol >= symbols_.size()) return out;
  std::lock_guard lock(read_mutex_);
  auto& c = *reader_;
  const std::string& name = symbols_.info(symbol).name;
  auto max_seq = [&](const std::string& sql, int tf) -> std::uint64_t {
    sqlite3_stmt* stmt = c.prepare(sql);
    sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    if (tf >= 0) sqlite3_bind_int(stmt, 2, tf);
    std::uint64_t v = 0;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) v = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(c.db, path_, "last_sequences", rc);
    return v;
  };
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf)
    out.bars[tf] =
        max_seq("SELECT max(seq) FROM candles WHERE symbol=?1 AND tf=?2", static_cast<int>(tf));
  // Blocks do not overlap: the last block ends at the symbol's last tick.
  out.ticks =
      max_seq("SELECT last_seq FROM tick_blocks WHERE symbol=?1 ORDER BY seq DESC LIMIT 1", -1);
  out.samples = max_seq("SELECT max(seq) FROM samples WHERE symbol=?1", -1);
  out.spikes = max_seq("SELECT max(seq) FROM spikes WHERE symbol=?1", -1);
  out.reversals = max_seq("SELECT max(seq) FROM reversals WHERE symbol=?1", -1);
  return out;
}

}  // namespace spacetime::store
