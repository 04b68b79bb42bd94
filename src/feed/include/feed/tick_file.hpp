// Tick files: CSV for people and other tools, .stt (fixed-size binary records, optionally in
// zstd-compressed blocks) for speed; layouts in docs/FEEDS.md "Tick files". Opening a file
// registers every symbol it holds, so the SymbolRegistry is complete before the engine starts,
// and every tick read goes through the TickNormalizer (the feed boundary).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "feed/normalizer.hpp"
#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

enum class TickFileFormat : std::uint8_t {
  kAuto,  // reading: .stt magic, else the extension, else CSV; writing: the extension
  kCsv,
  kStt,
};
std::string_view to_string(TickFileFormat format);

// A file that cannot be used: it cannot be opened or written, it is truncated, or it is
// corrupt. The message names the file and, when it is about the content, the byte offset.
class TickFileError : public std::runtime_error {
 public:
  explicit TickFileError(const std::string& what, std::optional<std::uint64_t> offset = {})
      : std::runtime_error(what), offset_(offset) {}
  std::optional<std::uint64_t> offset() const { return offset_; }

 private:
  std::optional<std::uint64_t> offset_;
};

// Quantisation of one symbol (docs/INDICATORS.md D1).
struct Quantisation {
  double tick_size = 0.01;
  double size_scale = 1.0;
};

struct TickFileOptions {
  TickFileFormat format = TickFileFormat::kAuto;
  // For symbols without an entry in `symbols`. Unset: CSV uses 0.01 and 1; .stt keeps the
  // parameters stored in the file. Set on a .stt file: its ticks are re-quantised.
  std::optional<double> tick_size{};
  std::optional<double> size_scale{};
  std::unordered_map<std::string, Quantisation> symbols{};  // per-symbol overrides
  // A symbol that is already in the registry keeps the parameters it has there.
  TimeGuard time_guard{};  // docs/FEEDS.md "Time guards"; the file's own clock
  BadTickFilter filter{};  // docs/FEEDS.md "Bad-tick filter"; off by default for files
};

// Why a CSV line was skipped. The line is counted and skipped; reading goes on.
enum class LineError : std::uint8_t {
  kBadHeader,     // first line is not `ts|ts_ns,symbol,price,size[,bid][,ask]` in any order
  kFieldCount,    // not as many fields as the header
  kBadTimestamp,  // neither integer nanoseconds nor ISO-8601 UTC
  kBadNumber,     // price, size, bid or ask is not a number
  kBadSymbol,     // empty, longer than kMaxSymbolLength, or with control characters
};
inline constexpr std::size_t kLineErrorCount = 5;
inline constexpr std::size_t kMaxSymbolLength = 64;
std::string_view to_string(LineError error);

struct LineDiagnostic {
  std::uint64_t line = 0;  // 1-based physical line, as an editor shows it
  std::string message;
};

struct LineErrors {
  std::array<std::uint64_t, kLineErrorCount> by_kind{};
  std::array<std::optional<LineDiagnostic>, kLineErrorCount> first{};  // first of each kind

  std::uint64_t operator[](LineError e) const { return by_kind[static_cast<std::size_t>(e)]; }
  const std::optional<LineDiagnostic>& first_of(LineError e) const {
    return first[static_cast<std::size_t>(e)];
  }
  std::uint64_t total() const;
};

class TickFileReader {
 public:
  // Opens a tick file (memory-mapped) and registers all its symbols in `symbols`: a CSV
  // file's symbol column is pre-scanned, a .stt file's symbol table is read. The registry
  // must outlive the reader. Throws TickFileError for a file that cannot be opened, a .stt
  // file that is truncated or whose header or block structure is corrupt.
  static TickFileReader open(const std::filesystem::path& path, market::SymbolRegistry& symbols,
                             const TickFileOptions& options = {});
  // The same over bytes already in memory (tests, fuzzers); `bytes` must outlive the reader.
  static TickFileReader from_buffer(std::string_view bytes, market::SymbolRegistry& symbols,
                                    const TickFileOptions& options = {});

  TickFileReader(TickFileReader&&) noexcept;
  TickFileReader& operator=(TickFileReader&&) noexcept;
  ~TickFileReader();

  // Fills `out` with the next accepted ticks, in file order, seq re-derived per symbol
  // (1-based); returns how many, 0 at the end. Throws TickFileError when it reaches a corrupt
  // zstd block; bad lines and invalid ticks are counted instead.
  std::size_t read(std::span<market::Tick> out);

  TickFileFormat format() const;
  std::uint64_t bytes_read() const;  // progress: bytes of the file consumed so far
  std::uint64_t total_bytes() const;
  // CSV: non-blank lines after the header; .stt: records. Accepted ticks can be fewer.
  std::uint64_t expected_ticks() const;
  std::uint64_t ticks_read() const;  // accepted so far
  const LineErrors& line_errors() const;
  const RejectCounts& rejected() const;  // by the TickNormalizer
  // Gap records taken (.stt version 3): with ticks_read() and rejected(), every record.
  std::uint64_t gaps_read() const;
  // The first few rejected ticks of each reason, as read (TickNormalizer::reject_samples).
  const std::vector<RejectedTick>& reject_samples() const;

 private:
  struct Impl;
  explicit TickFileReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class CsvTime : std::uint8_t { kNanoseconds, kIso };

struct TickFileWriterOptions {
  TickFileFormat format = TickFileFormat::kAuto;  // kAuto: by extension (.csv / .stt)
  bool zstd = false;                              // .stt only
  int zstd_level = 3;
  std::uint32_t block_ticks = 16'384;  // ticks per zstd block, 1 ... 65'536
  CsvTime csv_time = CsvTime::kNanoseconds;
};

// Writes ticks of one registry: the symbols are those of the registry when the writer is
// created (a .stt file stores them all in its header). Ticks keep their integer price ticks
// and lots exactly; seq is not stored (a reader re-derives it).
class TickFileWriter {
 public:
  // Throws TickFileError when the file cannot be created, std::invalid_argument for options
  // that cannot work (unknown extension, zstd on CSV, a symbol name CSV cannot hold).
  static TickFileWriter create(const std::filesystem::path& path,
                               const market::SymbolRegistry& symbols,
                               const TickFileWriterOptions& options = {});
  // Appends the file to `out` instead (tests, fuzz seeds); options.format must be set.
  static TickFileWriter to_buffer(std::string& out, const market::SymbolRegistry& symbols,
                                  const TickFileWriterOptions& options);

  TickFileWriter(TickFileWriter&&) noexcept;
  TickFileWriter& operator=(TickFileWriter&&) noexcept;
  // Closes if close() was not called; errors are lost then, so call close().
  ~TickFileWriter();

  // Throws std::invalid_argument for a tick whose symbol is not in the writer's table, and
  // TickFileError on an I/O error.
  void write(std::span<const market::Tick> ticks);
  // Flushes the last block and records the tick count in the .stt header.
  void close();

  std::uint64_t ticks_written() const;  // records, trade corrections included (.stt)
  std::uint64_t bytes_written() const;
  // Trade corrections left out because the format has no place for them (CSV).
  std::uint64_t corrections_skipped() const;
  // Gap records (a live feed's dropped trades, market::TickKind::kGap) left out (CSV).
  std::uint64_t gaps_skipped() const;

 private:
  struct Impl;
  explicit TickFileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacetime::feed
