// Indicator output files for offline analysis (`spacetime replay|record --indicators-out`):
// every deterministic event (closed candles, intensity, buffer, spikes, reversals; not the
// display-only bars in progress) as CSV or JSON lines, doubles in shortest round-trip form,
// so two runs over the same ticks give byte-identical files. Layout: docs/INDICATORS.md § 13.
#pragma once

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>

#include "market/event.hpp"
#include "market/symbol.hpp"

namespace spacetime::app {

enum class EventFormat { kCsv, kJsonl };

class EventFileWriter final : public market::EventSink {
 public:
  // Format by extension: .csv or .jsonl (also .ndjson). Throws std::runtime_error naming
  // the file when it cannot be created or the extension is neither.
  EventFileWriter(const std::filesystem::path& path, const market::SymbolRegistry& symbols);
  ~EventFileWriter() override;
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // publish() is thread-safe: engine shards may publish concurrently (order between shards
  // is then the order of arrival; use one shard for a reproducible file). Never throws: it
  // runs on engine threads. A write error is kept, writing stops, and close() reports it.
  //
  // Flushes and closes; throws std::runtime_error for the first write error. Idempotent.
  void close();
  std::uint64_t events_written() const { return written_; }

 private:
  void on_publish(std::span<const market::Event> events, std::int64_t origin_ns) override;
  void append(const market::Event& e);
  void flush_buffer();

  std::filesystem::path path_;
  const market::SymbolRegistry& symbols_;
  EventFormat format_;
  std::FILE* file_ = nullptr;
  std::mutex mutex_;
  std::string buffer_;
  std::string error_;  // the first write error; nothing is written after it
  std::uint64_t written_ = 0;
};

}  // namespace spacetime::app
