#include "store/sqlite_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

#include "fields.hpp"

namespace spacetime::store {
namespace {

using detail::columns_of;
using detail::table_of;

// Numbered migrations: migration i (1-based) takes the schema from version i-1 to i. Never
// edit one that has shipped; append a new one.
constexpr std::array<const char*, 3> kMigrations = {
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
};

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
                            table_of(s), channel_where(s))
              : fmt::format("SELECT seq FROM {} WHERE {} AND seq<?2 ORDER BY seq DESC LIMIT 1",
                            table_of(s), channel_where(s));
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

  Connection(const std::string& p, bool writer) : path(p) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = fmt::format("sqlite:{}: cannot open: {}", path,
                                          db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
      sqlite3_close(db);
      db = nullptr;
      throw StoreError(msg);
    }
    sqlite3_busy_timeout(db, 5000);
    // The destructor does not run when a constructor throws: close the handle here.
    try {
      // WAL: readers never block the writer. synchronous=NORMAL: a commit survives kill -9
      // (the WAL is in the OS cache); a power cut may lose the last commits, never corrupts.
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");
      exec("PRAGMA cache_size=-65536");  // 64 MiB: the indexes of a day stay in memory
      if (writer) migrate();
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
      for (std::size_t v = static_cast<std::size_t>(from); v < kMigrations.size(); ++v)
        exec(kMigrations[v]);
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

SqliteStore::SqliteStore(const market::SymbolRegistry& symbols, std::string path)
    : symbols_(symbols), path_(std::move(path)) {
  writer_ = std::make_unique<Connection>(path_, true);
  reader_ = std::make_unique<Connection>(path_, false);
}

SqliteStore::~SqliteStore() = default;

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
  auto& c = *writer_;
  c.exec("BEGIN");
  try {
    for (const auto& e : events) {
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
  // Channel by channel along the primary key (there is no time index): find the first row
  // to keep, delete the numbers below it.
  auto trim = [&](Series s, std::int64_t keep_ns, std::optional<market::Timeframe> only_tf) {
    const std::string table(table_of(s));
    sqlite3_stmt* next_symbol = c.prepare(
        fmt::format("SELECT symbol FROM {} WHERE symbol>?1 ORDER BY symbol LIMIT 1", table));
    sqlite3_stmt* erase =
        c.prepare(fmt::format("DELETE FROM {} WHERE {} AND seq<?2", table, channel_where(s)));
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
        const int rc2 = sqlite3_step(erase);
        sqlite3_reset(erase);
        if (rc2 != SQLITE_DONE) fail(c.db, path_, "retention", rc2);
        deleted += static_cast<std::uint64_t>(sqlite3_changes64(c.db));
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
  out.ticks = max_seq("SELECT max(seq) FROM ticks WHERE symbol=?1", -1);
  out.samples = max_seq("SELECT max(seq) FROM samples WHERE symbol=?1", -1);
  out.spikes = max_seq("SELECT max(seq) FROM spikes WHERE symbol=?1", -1);
  out.reversals = max_seq("SELECT max(seq) FROM reversals WHERE symbol=?1", -1);
  return out;
}

}  // namespace spacetime::store
