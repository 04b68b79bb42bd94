// Store throughput and history latency: rows/s written per backend for closed candles,
// ticks and intensity samples (batches of 16,384, as the recorder writes), and the latency of
// a 10-minute and a 1-day history query next to the same query on the in-memory store.
//   store_bench [ROWS]     SQLite and memory always; PostgreSQL and InfluxDB when
//   SPACETIME_TEST_POSTGRES_URL / SPACETIME_TEST_INFLUXDB_URL are set, e.g. under
//   scripts/services run postgres influxdb -- build/release/bin/store_bench
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/influx_store.hpp"
#include "store/memory_store.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

using namespace spacetime;

namespace {

constexpr std::int64_t kStart = 1'767'364'800'000'000'000;  // 2026-01-02T14:40:00Z
constexpr std::size_t kSymbols = 10;
constexpr std::size_t kBatch = 16384;  // RecorderConfig::batch_events

std::vector<market::Event> candles(std::size_t n, std::uint64_t first_seq) {
  std::vector<market::Event> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto sym = static_cast<market::SymbolId>(i % kSymbols);
    const std::uint64_t seq = first_seq + i / kSymbols;
    const std::int64_t t = kStart + static_cast<std::int64_t>(seq) * market::kNanosPerSecond;
    out.push_back(
        market::CandleEvent{.symbol = sym,
                            .tf = market::Timeframe::k1s,
                            .closed = true,
                            .seq = seq,
                            .candle = {t, 100, 105, 99, 101, 37, t + 1000, t + 900'000'000, 12},
                            .volume_zlma_ready = true,
                            .volume_zlma = 36.25 + static_cast<double>(i % 7),
                            .bar_intensity_ready = true,
                            .bar_intensity = 12.5});
  }
  return out;
}

std::vector<market::Event> ticks(std::size_t n, std::uint64_t first_seq) {
  std::vector<market::Event> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = first_seq + i / kSymbols;
    out.push_back(market::TickEvent{.symbol = static_cast<market::SymbolId>(i % kSymbols),
                                    .seq = seq,
                                    .tick_seq = i,
                                    .t = kStart + static_cast<std::int64_t>(seq) * 1'000'000,
                                    .price = 10'000 + static_cast<std::int64_t>(i % 13),
                                    .size = 100,
                                    .bid = 9'999,
                                    .ask = 10'001});
  }
  return out;
}

std::vector<market::Event> samples(std::size_t n, std::uint64_t first_seq) {
  std::vector<market::Event> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = first_seq + i / kSymbols;
    const double x = 100.0 + static_cast<double>(i % 101) * 0.37;
    out.push_back(
        market::SampleEvent{.symbol = static_cast<market::SymbolId>(i % kSymbols),
                            .seq = seq,
                            .t = kStart + static_cast<std::int64_t>(seq) * 100'000'000,
                            .t_last = kStart + static_cast<std::int64_t>(seq) * 100'000'000 + 99,
                            .raw_last = x,
                            .raw_min = x - 1,
                            .raw_max = x + 1,
                            .sma_ready = true,
                            .ema_ready = true,
                            .zlma_ready = true,
                            .sma = x,
                            .ema = x * 1.01,
                            .zlma = x * 0.99,
                            .zone = market::Zone::kNeutral,
                            .smoothed = x,
                            .upper = x + 5,
                            .baseline = x,
                            .lower = x - 5});
  }
  return out;
}

double rows_per_second(store::Backend& b, const std::vector<market::Event>& rows) {
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < rows.size(); i += kBatch)
    b.write(std::span(rows).subspan(i, std::min(kBatch, rows.size() - i)));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(rows.size()) / s;
}

struct Latency {
  double p50_us = 0, p99_us = 0;
  std::size_t rows = 0;
};

Latency latency(const store::History& h, const store::HistoryQuery& q, int runs) {
  std::vector<double> us;
  std::size_t rows = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    rows = h.query(q).rows.size();
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], rows};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  market::SymbolRegistry symbols;
  const std::string prefix = "B" + std::to_string(::getpid()) + "_";
  for (std::size_t s = 0; s < kSymbols; ++s)
    symbols.add({.name = prefix + "SYM" + std::to_string(s)});
  const auto dir =
      std::filesystem::temp_directory_path() / ("store_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  struct Named {
    std::string name;
    std::unique_ptr<store::Backend> backend;
  };
  std::vector<Named> backends;
  backends.push_back({"memory", std::make_unique<store::MemoryStore>(symbols, 10'000'000)});
  backends.push_back(
      {"sqlite", std::make_unique<store::SqliteStore>(symbols, (dir / "bench.db").string())});
  if (const char* pg = std::getenv("SPACETIME_TEST_POSTGRES_URL"))
    backends.push_back({"postgresql", std::make_unique<store::PostgresStore>(symbols, pg)});
  if (const char* ix = std::getenv("SPACETIME_TEST_INFLUXDB_URL"))
    backends.push_back({"influxdb", std::make_unique<store::InfluxStore>(symbols, ix)});

  const auto c = candles(n, 1);
  const auto t = ticks(n, 1);
  const auto s = samples(n, 1);
  // One day of 1s candles for one symbol: the history-query data set.
  std::vector<market::Event> day;
  for (std::uint64_t i = 1; i <= 86'400; ++i) {
    const std::int64_t start = kStart + static_cast<std::int64_t>(i) * market::kNanosPerSecond;
    day.push_back(market::CandleEvent{.symbol = 0,
                                      .tf = market::Timeframe::k1m,
                                      .closed = true,
                                      .seq = i,
                                      .candle = {start, 1, 2, 1, 2, 5, start, start, 3}});
  }

  fmt::print("store_bench: {} rows per series, {} symbols, batches of {} rows, 2 cores\n\n", n,
             kSymbols, kBatch);
  fmt::print("{:<12} {:>16} {:>16} {:>16}\n", "backend", "candles rows/s", "ticks rows/s",
             "samples rows/s");
  for (auto& b : backends) {
    const double rc = rows_per_second(*b.backend, c);
    const double rt = rows_per_second(*b.backend, t);
    const double rs = rows_per_second(*b.backend, s);
    fmt::print("{:<12} {:>16.0f} {:>16.0f} {:>16.0f}\n", b.name, rc, rt, rs);
  }

  fmt::print("\nhistory query (one symbol, a day of bars; p50 / p99 over 50 runs, microseconds)\n");
  fmt::print("{:<12} {:>26} {:>26} {:>26}\n", "backend", "10 min (600 rows)",
             "1 day newest 1000 rows", "1 day (86400 rows)");
  const std::int64_t mid = kStart + 43'200 * market::kNanosPerSecond;
  const store::HistoryQuery ten{.symbol = 0,
                                .series = store::Series::kCandles,
                                .tf = market::Timeframe::k1m,
                                .from_ns = mid,
                                .to_ns = mid + 600 * market::kNanosPerSecond,
                                .limit = 1000};
  store::HistoryQuery newest{.symbol = 0,
                             .series = store::Series::kCandles,
                             .tf = market::Timeframe::k1m,
                             .from_ns = kStart,
                             .to_ns = kStart + 86'401 * market::kNanosPerSecond,
                             .limit = 1000,
                             .newest = true};
  store::HistoryQuery whole = newest;
  whole.newest = false;
  whole.limit = 100'000;
  for (auto& b : backends) {
    b.backend->write(day);
    const auto a = latency(*b.backend, ten, 50);
    const auto n1 = latency(*b.backend, newest, 50);
    const auto d = latency(*b.backend, whole, b.name == "influxdb" ? 5 : 20);
    auto cell = [](const Latency& l) {
      return fmt::format("{:.0f} / {:.0f} ({} rows)", l.p50_us, l.p99_us, l.rows);
    };
    fmt::print("{:<12} {:>26} {:>26} {:>26}\n", b.name, cell(a), cell(n1), cell(d));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
