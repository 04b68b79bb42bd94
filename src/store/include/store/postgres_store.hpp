// The PostgreSQL backend (libpq): every series in its own table, keyed by symbol name and
// channel number (candles by symbol, timeframe and bucket start), written per batch by a
// text COPY; a batch meeting stored rows (a replay) goes by COPY into a staging table and
// INSERT ... ON CONFLICT DO UPDATE. Reconnects with backoff; unreachable: StoreUnavailable.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "market/symbol.hpp"
#include "store/history.hpp"

struct pg_conn;

namespace spacetime::store {

class PostgresStore final : public Backend {
 public:
  // url: postgresql://USER:PASS@HOST:PORT/DB[?params]. Connects and migrates; throws
  // StoreUnavailable (unreachable) or StoreError (bad URL, refused login, ...), one line.
  PostgresStore(const market::SymbolRegistry& symbols, std::string url);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  void write(std::span<const market::Event> events) override;
  HistoryPage query(const HistoryQuery& q) const override;
  std::string describe() const override;
  std::uint64_t apply_retention(std::int64_t now_ns, const Retention& retention) override;
  market::ChannelSequences last_sequences(market::SymbolId symbol) const override;
  std::vector<market::CandleEvent> open_bars(market::SymbolId symbol) const override;

  static int latest_schema_version();

 private:
  pg_conn* connection() const;  // connected, or throws StoreUnavailable
  [[noreturn]] void fail(std::string_view what, const char* message) const;
  void migrate(pg_conn* conn) const;

  const market::SymbolRegistry& symbols_;
  std::string url_;      // with connect_timeout added
  std::string display_;  // the URL without its password, for messages
  mutable std::mutex mutex_;
  mutable pg_conn* conn_ = nullptr;
  mutable std::chrono::steady_clock::time_point next_connect_{};
  mutable std::chrono::milliseconds backoff_{0};
};

}  // namespace spacetime::store
