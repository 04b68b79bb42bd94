// The InfluxDB 1.x backend: line protocol over HTTP (gzip bodies, nanosecond precision) to
// /write, InfluxQL over /query. One measurement per series, tagged by symbol (and timeframe
// for candles); the event time is the point's timestamp, so a rewritten point replaces
// itself. InfluxDB 2 and 3 answer the same v1 endpoints (docs/OPERATIONS.md).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::store {

namespace detail {
class HttpClient;
}

class InfluxStore final : public Backend {
 public:
  // url: influxdb://HOST:PORT/DB. Pings the server and creates the database if missing;
  // throws StoreUnavailable (unreachable) or StoreError (bad URL), one line.
  InfluxStore(const market::SymbolRegistry& symbols, const std::string& url);
  ~InfluxStore() override;

  void write(std::span<const market::Event> events) override;
  HistoryPage query(const HistoryQuery& q) const override;
  std::string describe() const override;
  // Deletes by time with InfluxQL DELETE; InfluxDB does not say how many points went, so
  // this returns 0.
  std::uint64_t apply_retention(std::int64_t now_ns, const Retention& retention) override;
  market::ChannelSequences last_sequences(market::SymbolId symbol) const override;

 private:
  std::string run_query(const std::string& q, bool post) const;

  const market::SymbolRegistry& symbols_;
  std::string url_, host_, db_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::unique_ptr<detail::HttpClient> http_;
};

}  // namespace spacetime::store
