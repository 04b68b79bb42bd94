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
constexpr std::array<const char*, 2> kMigrations = {
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
// range of channel numbers: two probes of the time index find its ends, and the rows are
// read along the primary key (one lookup per row fewer than through the time index).
std::string select_sql(Series s, bool newest) {
  std::string cols;
  for (const auto& [name, real] : columns_of(s))
    cols += (cols.empty() ? "" : ",") + name;
  return fmt::format(
      "SELECT {} FROM {} NOT INDEXED WHERE symbol=?1 AND {} seq>?2 AND seq<?7 AND t>=?3 AND "
      "t<?4 ORDER BY seq {} LIMIT ?5",
      cols, table_of(s), s == Series::kCandles ? "tf=?6 AND" : "", newest ? "DESC" : "ASC");
}

// The first number at or after a time (first=true), or the last before it.
std::string probe_sql(Series s, bool first) {
  return fmt::format(
      "SELECT seq FROM {0} INDEXED BY {0}_time WHERE symbol=?1 AND {1} t{2}?2 ORDER BY t {3}, "
      "seq {3} LIMIT 1",
      table_of(s), s == Series::kCandles ? "tf=?3 AND" : "", first ? ">=" : "<",
      first ? "ASC" : "DESC");
}

}  // namespace

struct SqliteStore::Connection {
  sqlite3* db = nullptr;
  const std::string& path;
  std::array<sqlite3_stmt*, kSeriesCount> insert{};
  std::array<sqlite3_stmt*, kSeriesCount * 2> select{};  // [series * 2 + newest]
  std::array<sqlite3_stmt*, kSeriesCount * 2> probe{};   // [series * 2 + first]
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
    for (auto* s : probe)
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
  // The channel number at one end of a time range; nullopt when no row is on that side.
  std::optional<std::int64_t> probe_seq(Series s, bool first, const std::string& symbol,
                                        std::int64_t t, market::Timeframe tf) {
    auto& stmt = probe[static_cast<std::size_t>(s) * 2 + (first ? 1 : 0)];
    if (!stmt) stmt = prepare(probe_sql(s, first));
    sqlite3_bind_text(stmt, 1, symbol.data(), static_cast<int>(symbol.size()), SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, t);
    if (s == Series::kCandles) sqlite3_bind_int(stmt, 3, static_cast<int>(tf));
    std::optional<std::int64_t> out;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) out = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, path, "query", rc);
    return out;
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
  auto run = [&](const std::string& sql) {
    c.exec(sql.c_str());
    deleted += static_cast<std::uint64_t>(sqlite3_changes64(c.db));
  };
  for (std::size_t tf = 0; tf < market::kTimeframeCount; ++tf) {
    if (r.candles_ns[tf] > 0)
      run(fmt::format("DELETE FROM candles WHERE tf={} AND t<{}", tf, now_ns - r.candles_ns[tf]));
  }
  const std::pair<const char*, std::int64_t> others[] = {{"ticks", r.ticks_ns},
                                                         {"samples", r.samples_ns},
                                                         {"spikes", r.spikes_ns},
                                                         {"reversals", r.reversals_ns}};
  for (const auto& [table, keep] : others) {
    if (keep > 0) run(fmt::format("DELETE FROM {} WHERE t<{}", table, now_ns - keep));
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
