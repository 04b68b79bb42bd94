// The InfluxDB 1.x backend: line protocol over HTTP (gzip bodies, nanosecond precision) to
// /write, InfluxQL over /query. One measurement per series, tagged by symbol (and timeframe
// for candles); the event time is the point's timestamp, so a rewritten point replaces
// itself. Schema 2: candles, ticks and samples as `seq` and one packed string field (the
// layout and its version check: docs/OPERATIONS.md). InfluxDB 2 and 3 answer the same v1
// endpoints (docs/OPERATIONS.md).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::store {

namespace detail {
class HttpClient;
struct HttpResponse;
}  // namespace detail

// influxdb://[USER[:PASSWORD]@]HOST:PORT/DB, taken apart. User and password may be
// %-escaped; they go to every request as HTTP basic authentication (InfluxDB 1.x, and the
// v1 endpoints of 2.x/3.x). `display` is the URL without the password, for messages.
struct InfluxUrl {
  std::string user, password, host, db, display;
  std::uint16_t port = 0;
  std::string authorization;  // the "Authorization: Basic ..." header line; empty: no user
};
// Throws StoreError (one line, no password) when the URL is not of that shape.
InfluxUrl parse_influx_url(const std::string& url);

class InfluxStore final : public Backend {
 public:
  // url: influxdb://[USER:PASSWORD@]HOST:PORT/DB. Pings the server and creates the database if
  // missing; throws StoreUnavailable (unreachable) or StoreError (bad URL, refused login), one
  // line, without the password.
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
  // The layout of the points (docs/OPERATIONS.md, InfluxDB): 2 packs candles, ticks and
  // samples into few fields. An older or newer database is refused at start-up.
  static constexpr std::int64_t kSchemaVersion = 2;
  void check_schema();
  std::string run_query(const std::string& q, bool post) const;
  // The /query answer as it came (status and body); throws StoreUnavailable only when the
  // server cannot be reached.
  detail::HttpResponse query_response(const std::string& q, bool post) const;
  void post_write(detail::HttpClient& http, std::string_view lines) const;

  // A batch goes as up to kInFlight concurrent requests of at least kMinPointsPerRequest
  // points each, one kept-alive connection per request slot.
  static constexpr std::size_t kInFlight = 2;
  static constexpr std::size_t kMinPointsPerRequest = 1000;

  const market::SymbolRegistry& symbols_;
  std::string url_, host_, db_;
  std::uint16_t port_ = 0;
  std::vector<std::string> auth_;  // the Authorization header line, when the URL has a user
  mutable std::mutex mutex_;
  std::unique_ptr<detail::HttpClient> http_;  // queries and start-up
  std::mutex write_mutex_;                    // one write() at a time
  std::vector<std::unique_ptr<detail::HttpClient>> writers_;
};

}  // namespace spacetime::store
