// The embedded store: one SQLite file (WAL) holding every series, one table per series,
// keyed by symbol name and channel number so that rewriting a batch is idempotent; ticks
// as blocks of a symbol's consecutive ticks (tick_block.hpp), merged when a write overlaps
// one. The default backend (`sqlite:` = <data-dir>/spacetime.db); the schema migrates
// itself.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "market/symbol.hpp"
#include "store/history.hpp"
#include "store/tick_block.hpp"

struct sqlite3;

namespace spacetime::store {

class SqliteStore final : public Backend {
 public:
  // Opens (creating if needed) the database at path and migrates it to the latest schema.
  // Throws StoreError naming the path when it cannot. `note`, when given, hears about a
  // migration that has work to do (its start, progress every 2 s, its end): converting a
  // large database's ticks can take minutes.
  SqliteStore(const market::SymbolRegistry& symbols, std::string path,
              std::function<void(const std::string&)> note = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void write(std::span<const market::Event> events) override;
  // Takes the runs as its tick blocks: a live run is stored with no decoding.
  void write_encoded(std::span<const market::Event> events,
                     const detail::TickBatch& ticks) override;
  HistoryPage query(const HistoryQuery& q) const override;
  std::string describe() const override;
  std::uint64_t apply_retention(std::int64_t now_ns, const Retention& retention) override;
  market::ChannelSequences last_sequences(market::SymbolId symbol) const override;
  std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const override;
  // The background checkpointer's counts: wal_checkpoints (as below); wal_checkpoints_busy,
  // tries that found the database busy (SQLITE_BUSY: the writer committing at that instant,
  // or another checkpoint running — the writer's own at 256 MiB, another process's), normal
  // now and then, the next commit tries again; wal_checkpoints_failed, tries that failed
  // otherwise (an I/O error, a full disk): the WAL then grows until the writer's own
  // checkpoint at 256 MiB.
  std::vector<std::pair<std::string, std::uint64_t>> metrics() const override;

  // The schema version the database is at (PRAGMA user_version).
  int schema_version() const;
  static int latest_schema_version();
  // WAL checkpoints done by the store's background checkpointer (the writer never waits
  // for one until the WAL reaches 256 MiB).
  std::uint64_t wal_checkpoints() const;

 private:
  struct Connection;
  void write_locked(std::span<const market::Event> events, const detail::TickBatch& ticks);
  const market::SymbolRegistry& symbols_;
  std::string path_;
  // Writes and reads use their own connections: with WAL a query never waits for a batch.
  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;
  mutable std::mutex read_mutex_;
  std::unique_ptr<Connection> reader_;
  class Checkpointer;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace spacetime::store
