// The quarantine file of a recording (docs/FEEDS.md "Quarantine file"): every tick the feed
// boundary rejected (bad-tick filter, time guards, bad values), as the feed gave it, with
// the reason, so that nothing disappears unexplained. CSV, bounded: rows past the limit are
// counted, not written. Created by open(), or else on the first reject.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "feed/normalizer.hpp"
#include "market/symbol.hpp"

namespace spacetime::feed {

class QuarantineFile {
 public:
  static constexpr std::uint64_t kDefaultMaxRows = 100'000;

  // The file is `path`; nothing is created until the first write(). The registry must
  // outlive the file.
  QuarantineFile(std::string path, const market::SymbolRegistry& symbols,
                 std::uint64_t max_rows = kDefaultMaxRows);
  ~QuarantineFile();
  QuarantineFile(const QuarantineFile&) = delete;
  QuarantineFile& operator=(const QuarantineFile&) = delete;

  // `day.stt` -> `day.quarantine.csv` (and `day.csv`, `day.stt.zst` likewise; any other name
  // gets `.quarantine.csv` appended): next to the recording it explains.
  static std::string path_for(const std::string& output);

  // Creates (truncates) the file with its header now, so that a file left by an earlier
  // recording of the same name is never taken for this one's. False (and error()) when it
  // cannot be created.
  bool open() noexcept;

  // One row: ts (ISO-8601 UTC, or integer nanoseconds when negative), symbol, price, size,
  // bid, ask (as given), reason. Never throws: a row past max_rows, or after a write error,
  // is counted in overflow(); the error is kept for error().
  void write(const RejectedTick& tick) noexcept;
  // Flushes and closes; returns false when any write failed.
  bool close() noexcept;

  const std::string& path() const { return path_; }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t overflow() const { return overflow_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  const market::SymbolRegistry& symbols_;
  std::uint64_t max_rows_;
  std::FILE* file_ = nullptr;
  std::uint64_t rows_ = 0;
  std::uint64_t overflow_ = 0;
  std::string error_;
};

}  // namespace spacetime::feed
