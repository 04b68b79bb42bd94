// .stt tick files (stt_format.hpp): the header and, for zstd files, every block header are
// validated when the file is opened, so truncation is reported before any tick is read;
// a zstd frame that fails to decompress or to match its checksum is reported when reached.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feed/files/tick_source.hpp"

struct ZSTD_DCtx_s;

namespace spacetime::feed::files {

class SttTickSource final : public TickSource {
 public:
  // Throws TickFileError naming `name` and the byte offset for a truncated or corrupt file.
  SttTickSource(std::string_view data, std::string name, market::SymbolRegistry& symbols,
                const TickFileOptions& options);
  ~SttTickSource() override;

  std::size_t read(std::span<market::Tick> out) override;
  TickFileFormat format() const override { return TickFileFormat::kStt; }
  std::uint64_t bytes_read() const override { return bytes_read_; }
  std::uint64_t total_bytes() const override { return data_.size(); }
  std::uint64_t expected_ticks() const override { return records_; }
  std::uint64_t gaps_read() const override { return gaps_read_; }
  std::uint64_t ticks_read() const override { return normalizer_->accepted(); }
  const LineErrors& line_errors() const override { return no_line_errors_; }
  const RejectCounts& rejected() const override { return normalizer_->rejected(); }
  const std::vector<RejectedTick>& reject_samples() const override {
    return normalizer_->reject_samples();
  }

 private:
  // Per symbol of the file's table: its registry id and how to turn its integers back into
  // the prices the normalizer quantises (exact for |ticks| < 2^50, docs/FEEDS.md).
  struct FileSymbol {
    market::SymbolId id;
    double tick_size;
    double size_scale;
    bool same_units;  // the registry quantises this symbol as the file did
  };

  [[noreturn]] void corrupt(std::uint64_t offset, const std::string& what) const;
  void read_header(market::SymbolRegistry& symbols, const TickFileOptions& options);
  void check_records();
  void check_blocks();
  bool load_block();  // decompresses the next block into raw_; false at the end
  std::size_t decode(const char* records, std::size_t count, market::Tick* out);

  struct DctxFree {
    void operator()(ZSTD_DCtx_s* ctx) const;
  };

  std::string_view data_;
  std::string name_;
  bool zstd_ = false;
  std::uint16_t version_ = 0;  // the file's format version
  std::uint64_t header_size_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t gaps_read_ = 0;
  std::vector<FileSymbol> symbols_;
  std::optional<TickNormalizer> normalizer_;
  LineErrors no_line_errors_;

  std::uint64_t pos_ = 0;  // next record (flat) or block header (zstd)
  std::uint64_t bytes_read_ = 0;
  const char* chunk_ = nullptr;  // records not yet decoded
  std::size_t chunk_left_ = 0;
  std::vector<char> raw_;  // one decompressed block
  std::unique_ptr<ZSTD_DCtx_s, DctxFree> dctx_;
};

}  // namespace spacetime::feed::files
