#include "store/postgres_store.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "fields.hpp"

namespace spacetime::store {
namespace {

using detail::columns_of;
using detail::table_of;

constexpr Series kAllSeries[] = {Series::kCandles, Series::kTicks, Series::kSamples,
                                 Series::kSpikes, Series::kReversals};

// The conflict key of a series' table. Candles are keyed by bucket start as the product
// describes; within one (symbol, timeframe) bar number and bucket start go together.
std::string_view key_of(Series s) {
  return s == Series::kCandles ? "symbol, tf, t" : "symbol, seq";
}

// Migration 1 is the tables of the field lists of schema version 1 (fields.hpp). A field
// added later needs a migration 2 (ALTER TABLE), appended to kMigrations below.
std::string migration_1() {
  std::string sql;
  for (const auto s : kAllSeries) {
    std::string cols = "symbol TEXT NOT NULL";
    for (const auto& [name, real] : columns_of(s))
      cols += fmt::format(", {} {}", name, real ? "DOUBLE PRECISION" : "BIGINT NOT NULL");
    sql += fmt::format("CREATE TABLE {} ({}, PRIMARY KEY ({}));\n", table_of(s), cols, key_of(s));
    sql += s == Series::kCandles
               ? "CREATE INDEX candles_seq ON candles (symbol, tf, seq);\n"
               : fmt::format("CREATE INDEX {0}_time ON {0} (symbol, t);\n", table_of(s));
  }
  return sql;
}

// Migration 2: the bar in progress per (symbol, timeframe), so that a restart continues it.
std::string migration_2() {
  std::string cols = "symbol TEXT NOT NULL";
  for (const auto& [name, real] : columns_of(Series::kCandles))
    cols += fmt::format(", {} {}", name, real ? "DOUBLE PRECISION" : "BIGINT NOT NULL");
  return fmt::format("CREATE TABLE open_candles ({}, PRIMARY KEY (symbol, tf));\n", cols);
}

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> kMigrations = {migration_1(), migration_2()};
  return kMigrations;
}

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

std::string without_password(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

bool connection_lost(PGconn* conn, const PGresult* r) {
  if (PQstatus(conn) != CONNECTION_OK) return true;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  // 08: connection exception; 57P01..03: shutdown, crash, cannot connect now.
  return state && (std::strncmp(state, "08", 2) == 0 || std::strncmp(state, "57P0", 4) == 0);
}

std::string first_line(const char* message) {
  std::string m = message ? message : "unknown error";
  const auto nl = m.find('\n');
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

void append_copy_text(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);  // shortest text that reads back exactly
  }
}

std::int64_t parse_int(const char* s) {
  std::int64_t v = 0;
  std::from_chars(s, s + std::strlen(s), v);
  return v;
}

}  // namespace

PostgresStore::PostgresStore(const market::SymbolRegistry& symbols, std::string url)
    : symbols_(symbols), display_(without_password(url)) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    throw StoreError(fmt::format("store {}: not a postgresql:// URL", display_));
  }
  url_ = url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
  std::lock_guard lock(mutex_);
  try {
    migrate(connection());
  } catch (...) {
    // The destructor does not run when a constructor throws.
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

PostgresStore::~PostgresStore() {
  if (conn_) PQfinish(conn_);
}

int PostgresStore::latest_schema_version() {
  return static_cast<int>(migrations().size());
}

std::string PostgresStore::describe() const {
  return fmt::format("{} (schema v{}, COPY + upsert, every series)", display_,
                     latest_schema_version());
}

void PostgresStore::fail(std::string_view what, const char* message) const {
  const std::string msg = fmt::format("store {}: {}: {}", display_, what, first_line(message));
  if (conn_ && PQstatus(conn_) != CONNECTION_OK) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreUnavailable(msg);
  }
  throw StoreError(msg);
}

PGconn* PostgresStore::connection() const {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_) {
    throw StoreUnavailable(fmt::format(
        "store {}: reconnecting (next attempt in {} ms)", display_,
        std::chrono::duration_cast<std::chrono::milliseconds>(next_connect_ - now).count()));
  }
  PGconn* conn = PQconnectdb(url_.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string msg =
        fmt::format("store {}: cannot connect: {}", display_, first_line(PQerrorMessage(conn)));
    const bool refused_login = std::strstr(PQerrorMessage(conn), "authentication") != nullptr ||
                               std::strstr(PQerrorMessage(conn), "does not exist") != nullptr;
    PQfinish(conn);
    // Capped exponential backoff between attempts, so an outage costs no busy loop.
    backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds(100)),
                        std::chrono::milliseconds(5000));
    next_connect_ = now + backoff_;
    if (refused_login) throw StoreError(msg);
    throw StoreUnavailable(msg);
  }
  backoff_ = std::chrono::milliseconds(0);
  next_connect_ = {};
  conn_ = conn;
  // Shortest exact text for doubles, whatever the server's default.
  Result r(PQexec(conn_, "SET extra_float_digits = 3; SET client_min_messages = warning"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("session", PQerrorMessage(conn_));
  for (const auto s : kAllSeries) {
    // Staging tables for COPY, private to this session, emptied by every commit.
    Result t(PQexec(conn_, fmt::format("CREATE TEMP TABLE IF NOT EXISTS stage_{0} (LIKE {0}) ON "
                                       "COMMIT DELETE ROWS",
                                       table_of(s))
                               .c_str()));
    // Before the migration the tables do not exist yet: the staging tables come after it.
    if (PQresultStatus(t.get()) != PGRES_COMMAND_OK) break;
  }
  return conn_;
}

void PostgresStore::migrate(PGconn* conn) const {
  auto exec = [&](const std::string& sql) {
    Result r(PQexec(conn, sql.c_str()));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const std::string msg = PQerrorMessage(conn);
      Result rb(PQexec(conn, "ROLLBACK"));
      fail("migration", msg.c_str());
    }
    return r;
  };
  exec("BEGIN");
  // One migrating process at a time (two services starting together).
  exec("SELECT pg_advisory_xact_lock(7436154)");
  exec("CREATE TABLE IF NOT EXISTS spacetime_schema (version INTEGER NOT NULL)");
  auto r = exec("SELECT max(version) FROM spacetime_schema");
  const int from = PQgetisnull(r.get(), 0, 0) ? 0 : std::atoi(PQgetvalue(r.get(), 0, 0));
  const auto& all = migrations();
  if (from > static_cast<int>(all.size())) {
    exec("ROLLBACK");
    throw StoreError(fmt::format("store {}: schema version {} is newer than this build knows ({})",
                                 display_, from, all.size()));
  }
  for (std::size_t v = static_cast<std::size_t>(from); v < all.size(); ++v) {
    exec(all[v]);
    exec(fmt::format("INSERT INTO spacetime_schema VALUES ({})", v + 1));
  }
  exec("COMMIT");
  // Now that the tables exist, the session's staging tables can be made.
  PQfinish(conn_);
  conn_ = nullptr;
  connection();
}

void PostgresStore::write(std::span<const market::Event> events) {
  std::array<std::string, kSeriesCount> copy;
  std::array<std::size_t, kSeriesCount> rows{};
  std::vector<const market::CandleEvent*> in_progress;
  for (const auto& e : events) {
    const auto series = series_of(e);
    if (const auto* bar = open_bar_of(e); bar && bar->symbol < symbols_.size()) {
      in_progress.push_back(bar);
      continue;
    }
    if (!series) continue;
    const market::SymbolId id = market::symbol_of(e);
    if (id >= symbols_.size()) continue;
    auto& out = copy[static_cast<std::size_t>(*series)];
    append_copy_text(out, symbols_.info(id).name);
    detail::with_row(e, [&](const auto& row) {
      detail::visit_fields(row, [&](const char*, const auto& field) {
        using T = std::decay_t<decltype(field)>;
        out += '\t';
        if constexpr (detail::kIsReal<T>) {
          append_double(out, field);
        } else {
          fmt::format_to(std::back_inserter(out), "{}", detail::to_int(field));
        }
      });
    });
    out += '\n';
    ++rows[static_cast<std::size_t>(*series)];
  }
  std::lock_guard lock(mutex_);
  PGconn* conn = connection();
  auto exec = [&](const std::string& sql, std::string_view what) {
    Result r(PQexec(conn, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      const std::string msg = PQerrorMessage(conn);
      if (!connection_lost(conn, r.get())) Result rb(PQexec(conn, "ROLLBACK"));
      fail(what, msg.c_str());
    }
  };
  exec("BEGIN", "write");
  for (const auto s : kAllSeries) {
    const auto i = static_cast<std::size_t>(s);
    if (rows[i] == 0) continue;
    std::string cols = "symbol", updates;
    for (const auto& [name, real] : columns_of(s)) {
      cols += "," + name;
      updates += fmt::format("{}{}=EXCLUDED.{}", updates.empty() ? "" : ",", name, name);
    }
    // COPY the rows into `table`; false on a duplicate key (SQLSTATE 23505), which the
    // caller answers with the upsert path.
    auto copy_into = [&](const std::string& table) {
      {
        Result r(PQexec(conn, fmt::format("COPY {} ({}) FROM STDIN", table, cols).c_str()));
        if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
          const std::string msg = PQerrorMessage(conn);
          if (!connection_lost(conn, r.get())) Result rb(PQexec(conn, "ROLLBACK"));
          fail("copy", msg.c_str());
        }
      }
      const auto& data = copy[i];
      if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
          PQputCopyEnd(conn, nullptr) != 1) {
        fail("copy", PQerrorMessage(conn));
      }
      Result r(PQgetResult(conn));
      const bool ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
      const char* state = ok ? nullptr : PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      const std::string msg = ok ? "" : PQerrorMessage(conn);
      while (Result more{PQgetResult(conn)}) {
      }
      if (ok) return true;
      if (state && std::strcmp(state, "23505") == 0) return false;
      if (!connection_lost(conn, r.get())) Result rb(PQexec(conn, "ROLLBACK"));
      fail("copy", msg.c_str());
    };
    // New rows (the usual case) are copied straight into the table. A batch that meets rows
    // already there (a replay, a revision) goes through the staging table and an upsert.
    exec("SAVEPOINT fresh", "write");
    if (copy_into(std::string(table_of(s)))) {
      exec("RELEASE SAVEPOINT fresh", "write");
      continue;
    }
    exec("ROLLBACK TO SAVEPOINT fresh", "write");
    copy_into(fmt::format("stage_{}", table_of(s)));
    exec(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM stage_{0} ON CONFLICT ({2}) DO "
                     "UPDATE SET {3}",
                     table_of(s), cols, key_of(s), updates),
         "upsert");
  }
  if (!in_progress.empty()) {
    // A few rows per batch (at most one per symbol and timeframe): one upsert of literals.
    std::string cols = "symbol", updates, values;
    for (const auto& [name, real] : columns_of(Series::kCandles)) {
      cols += "," + name;
      updates += fmt::format("{}{}=EXCLUDED.{}", updates.empty() ? "" : ",", name, name);
    }
    for (const auto* bar : in_progress) {
      const std::string& name = symbols_.info(bar->symbol).name;
      std::unique_ptr<char, decltype(&PQfreemem)> literal(
          PQescapeLiteral(conn, name.data(), name.size()), &PQfreemem);
      if (!literal) fail("open bars", PQerrorMessage(conn));
      values += values.empty() ? "(" : ",(";
      values += literal.get();
      detail::visit_fields(*bar, [&](const char*, const auto& field) {
        using T = std::decay_t<decltype(field)>;
        values += ",'";
        if constexpr (detail::kIsReal<T>) {
          append_double(values, field);
        } else {
          fmt::format_to(std::back_inserter(values), "{}", detail::to_int(field));
        }
        values += '\'';
      });
      values += ')';
    }
    exec(fmt::format("INSERT INTO open_candles ({}) VALUES {} ON CONFLICT (symbol, tf) DO UPDATE "
                     "SET {}",
                     cols, values, updates),
         "open bars");
  }
  exec("COMMIT", "commit");
}

std::vector<market::CandleEvent> PostgresStore::open_bars(market::SymbolId symbol) const {
  std::vector<market::CandleEvent> out;
  if (symbol >= symbols_.size()) return out;
  std::string cols;
  for (const auto& [name, real] : columns_of(Series::kCandles))
    cols += (cols.empty() ? "" : ",") + name;
  const std::string name = symbols_.info(symbol).name;
  const char* values[] = {name.c_str()};
  std::lock_guard lock(mutex_);
  PGconn* conn = connection();
  Result r(PQexecParams(
      conn, fmt::format("SELECT {} FROM open_candles WHERE symbol=$1 ORDER BY tf", cols).c_str(), 1,
      nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("open bars", PQerrorMessage(conn));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    int col = 0;
    const auto e = detail::read_row(Series::kCandles, symbol, [&](auto& ev) {
      detail::visit_fields(ev, [&](const char*, auto& field) {
        using T = std::decay_t<decltype(field)>;
        const char* text = PQgetvalue(r.get(), row, col++);
        if constexpr (detail::kIsReal<T>) {
          field = std::strtod(text, nullptr);
        } else {
          detail::from_int(field, parse_int(text));
        }
      });
    });
    if (const auto* bar = std::get_if<market::CandleEvent>(&e)) out.push_back(*bar);
  }
  return out;
}

HistoryPage PostgresStore::query(const HistoryQuery& q) const {
  HistoryPage page;
  if (q.limit == 0 || q.symbol >= symbols_.size()) return page;
  std::string cols;
  for (const auto& [name, real] : columns_of(q.series))
    cols += (cols.empty() ? "" : ",") + name;
  // Within a channel time never decreases as the number grows, so ordering by time orders
  // by number: without a cursor the time index serves the range (and the planner does not
  // walk the number index from the start, filtering on time), with one the number index.
  const char* dir = q.newest ? "DESC" : "ASC";
  const std::string order = q.after_seq != 0 ? fmt::format("seq {}", dir)
                            : q.series == Series::kCandles
                                ? fmt::format("t {}", dir)  // unique per (symbol, tf)
                                : fmt::format("t {0}, seq {0}", dir);
  const std::string sql = fmt::format(
      "SELECT {} FROM {} WHERE symbol=$1 AND seq>$2 AND t>=$3 AND t<$4 {} ORDER BY {} LIMIT $5",
      cols, table_of(q.series), q.series == Series::kCandles ? "AND tf=$6" : "", order);
  const std::string p[] = {symbols_.info(q.symbol).name,
                           std::to_string(std::min<std::uint64_t>(
                               q.after_seq, std::numeric_limits<std::int64_t>::max())),
                           std::to_string(q.from_ns),
                           std::to_string(q.to_ns),
                           std::to_string(std::min<std::size_t>(q.limit, 1u << 30) + 1),
                           std::to_string(static_cast<int>(q.tf))};
  const char* values[6];
  for (int i = 0; i < 6; ++i)
    values[i] = p[i].c_str();
  const int nparams = q.series == Series::kCandles ? 6 : 5;
  std::lock_guard lock(mutex_);
  PGconn* conn = connection();
  Result r(PQexecParams(conn, sql.c_str(), nparams, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("query", PQerrorMessage(conn));
  const int n = PQntuples(r.get());
  for (int row = 0; row < n; ++row) {
    if (page.rows.size() == q.limit) {
      page.more = true;
      break;
    }
    int col = 0;
    page.rows.push_back(detail::read_row(q.series, q.symbol, [&](auto& ev) {
      detail::visit_fields(ev, [&](const char*, auto& field) {
        using T = std::decay_t<decltype(field)>;
        const char* text = PQgetvalue(r.get(), row, col++);
        if constexpr (detail::kIsReal<T>) {
          field = std::strtod(text, nullptr);
        } else {
          detail::from_int(field, parse_int(text));
        }
      });
    }));
  }
  if (q.newest) std::reverse(page.rows.begin(), page.rows.end());
  return page;
}

std::uint64_t PostgresStore::apply_retention(std::int64_t now_ns, const Retention& r) {
  std::lock_guard lock(mutex_);
  PGconn* conn = connection();
  std::uint64_t deleted = 0;
  auto run = [&](const std::string& sql) {
    Result res(PQexec(conn, sql.c_str()));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) fail("retention", PQerrorMessage(conn));
    deleted += std::strtoull(PQcmdTuples(res.get()), nullptr, 10);
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

market::ChannelSequences PostgresStore::last_sequences(market::SymbolId symbol) const {
  market::ChannelSequences out;
  if (symbol >= symbols_.size()) return out;
  const std::string name = symbols_.info(symbol).name;
  const char* values[] = {name.c_str()};
  std::lock_guard lock(mutex_);
  PGconn* conn = connection();
  Result r(
      PQexecParams(conn,
                   "SELECT 'c' || tf, max(seq) FROM candles WHERE symbol=$1 GROUP BY tf UNION ALL "
                   "SELECT 'ticks', max(seq) FROM ticks WHERE symbol=$1 UNION ALL "
                   "SELECT 'samples', max(seq) FROM samples WHERE symbol=$1 UNION ALL "
                   "SELECT 'spikes', max(seq) FROM spikes WHERE symbol=$1 UNION ALL "
                   "SELECT 'reversals', max(seq) FROM reversals WHERE symbol=$1",
                   1, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("last sequences", PQerrorMessage(conn));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    if (PQgetisnull(r.get(), row, 1)) continue;
    const std::string_view what = PQgetvalue(r.get(), row, 0);
    const auto v = static_cast<std::uint64_t>(parse_int(PQgetvalue(r.get(), row, 1)));
    if (what.starts_with("c")) {
      const auto tf = static_cast<std::size_t>(std::atoi(what.data() + 1));
      if (tf < market::kTimeframeCount) out.bars[tf] = v;
    } else if (what == "ticks") {
      out.ticks = v;
    } else if (what == "samples") {
      out.samples = v;
    } else if (what == "spikes") {
      out.spikes = v;
    } else if (what == "reversals") {
      out.reversals = v;
    }
  }
  return out;
}

}  // namespace spacetime::store
