#include "feed/files/stt_reader.hpp"

#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "feed/files/stt_format.hpp"

namespace spacetime::feed::files {
namespace {

using namespace stt;

constexpr market::SymbolId kNoSymbol = std::numeric_limits<market::SymbolId>::max();

std::string str(std::uint64_t v) {
  return std::to_string(v);
}

bool positive_finite(double v) {
  return v > 0.0 && std::isfinite(v);
}

}  // namespace

void SttTickSource::DctxFree::operator()(ZSTD_DCtx_s* ctx) const {
  ZSTD_freeDCtx(ctx);
}

SttTickSource::SttTickSource(std::string_view data, std::string name,
                             market::SymbolRegistry& symbols, const TickFileOptions& options)
    : data_(data), name_(std::move(name)) {
  read_header(symbols, options);
  if (zstd_) {
    check_blocks();
  } else {
    check_records();
    chunk_ = data_.data() + header_size_;
    chunk_left_ = records_;
  }
  pos_ = header_size_;
  bytes_read_ = header_size_;
  normalizer_.emplace(symbols, options.time_guard, options.filter);
}

SttTickSource::~SttTickSource() = default;

void SttTickSource::corrupt(std::uint64_t offset, const std::string& what) const {
  throw TickFileError(name_ + ": byte offset " + str(offset) + ": " + what, offset);
}

void SttTickSource::read_header(market::SymbolRegistry& symbols, const TickFileOptions& options) {
  const std::uint64_t size = data_.size();
  const std::string ends = "the file ends at byte offset " + str(size);
  const std::size_t magic_bytes = std::min<std::size_t>(data_.size(), kMagic.size());
  if (data_.substr(0, magic_bytes) != kMagicView.substr(0, magic_bytes)) {
    corrupt(0, "not a .stt tick file (bad magic)");
  }
  if (size < kFixedHeaderSize) corrupt(size, "truncated header: " + ends);
  const char* const p = data_.data();
  if (const auto v = load<std::uint16_t>(p + kOffVersion); v < kOldestVersion || v > kVersion) {
    corrupt(kOffVersion, "unsupported .stt version " + str(v) + " (this build reads versions " +
                             str(kOldestVersion) + " to " + str(kVersion) + ")");
  } else {
    version_ = v;
  }
  const auto flags = load<std::uint16_t>(p + kOffFlags);
  if ((flags & ~kKnownFlags) != 0) corrupt(kOffFlags, "unknown flags " + str(flags));
  zstd_ = (flags & kFlagZstd) != 0;
  header_size_ = load<std::uint32_t>(p + kOffHeaderSize);
  if (header_size_ < kFixedHeaderSize || header_size_ % 8 != 0) {
    corrupt(kOffHeaderSize, "bad header size " + str(header_size_));
  }
  if (header_size_ > size) {
    corrupt(size, "truncated header: it has " + str(header_size_) + " bytes, " + ends);
  }
  const std::string_view header = data_.substr(0, header_size_);
  if (load<std::uint32_t>(p + kOffChecksum) != header_checksum(header)) {
    corrupt(kOffChecksum, "header checksum mismatch (corrupt header)");
  }
  records_ = load<std::uint64_t>(p + kOffRecordCount);

  const auto count = load<std::uint32_t>(p + kOffSymbolCount);
  if (count > (header_size_ - kFixedHeaderSize) / (kSymbolEntrySize + 1)) {
    corrupt(kOffSymbolCount, "symbol count " + str(count) + " does not fit the header");
  }
  symbols_.reserve(count);
  std::uint64_t off = kFixedHeaderSize;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (off + kSymbolEntrySize > header_size_) corrupt(off, "symbol table overruns the header");
    const auto tick_size = load<double>(p + off);
    const auto size_scale = load<double>(p + off + 8);
    const auto decimals = static_cast<unsigned char>(p[off + 16]);
    const auto length = load<std::uint16_t>(p + off + 18);
    if (length == 0 || length > kMaxNameLength || off + kSymbolEntrySize + length > header_size_) {
      corrupt(off + 18, "bad symbol name length " + str(length));
    }
    if (!positive_finite(tick_size) || !positive_finite(size_scale)) {
      corrupt(off, "symbol " + str(i) + ": tick size and size scale must be positive");
    }
    std::string symbol(data_.substr(off + kSymbolEntrySize, length));
    // Overrides re-quantise the stored integers through the normalizer; without them the
    // file's own parameters round-trip every integer exactly.
    Quantisation q{.tick_size = options.tick_size.value_or(tick_size),
                   .size_scale = options.size_scale.value_or(size_scale)};
    if (const auto it = options.symbols.find(symbol); it != options.symbols.end()) q = it->second;
    const int shown =
        q.tick_size == tick_size && decimals <= 18 ? decimals : market::decimals_for(q.tick_size);
    const market::SymbolId id = symbols.add(
        {.name = symbol, .tick_size = q.tick_size, .size_scale = q.size_scale, .decimals = shown});
    const auto& info = symbols.info(id);  // an already registered symbol keeps its own units
    symbols_.push_back(
        {.id = id,
         .tick_size = tick_size,
         .size_scale = size_scale,
         .same_units = info.tick_size == tick_size && info.size_scale == size_scale});
    off += kSymbolEntrySize + length;
  }
  if ((off + 7) / 8 * 8 != header_size_) {
    corrupt(off, "symbol table ends at byte offset " + str(off) + " but the header has " +
                     str(header_size_) + " bytes");
  }
}

void SttTickSource::check_records() {
  const std::uint64_t size = data_.size();
  const std::uint64_t body = size - header_size_;
  const std::string ends = "the file ends at byte offset " + str(size);
  if (records_ == kUnknownCount) {
    // Written by a writer that never reached close(): trust the length, but only whole records.
    if (body % kRecordSize != 0) {
      corrupt(size, "truncated record: " + ends + ", " + str(body % kRecordSize) +
                        " bytes into record " + str(body / kRecordSize) + " (which starts at " +
                        "byte offset " + str(size - body % kRecordSize) + ")");
    }
    records_ = body / kRecordSize;
    return;
  }
  if (records_ > body / kRecordSize) {
    corrupt(size, "truncated: the header says " + str(records_) + " records, " + ends + " after " +
                      str(body / kRecordSize) + " whole records");
  }
  if (body != records_ * kRecordSize) {
    corrupt(header_size_ + records_ * kRecordSize,
            "trailing bytes after the last of " + str(records_) + " records; " + ends);
  }
}

void SttTickSource::check_blocks() {
  const std::uint64_t size = data_.size();
  const std::string ends = "the file ends at byte offset " + str(size);
  const char* const p = data_.data();
  std::uint64_t off = header_size_;
  std::uint64_t total = 0;
  while (off < size) {
    if (size - off < kBlockHeaderSize) corrupt(size, "truncated block header: " + ends);
    const auto compressed = load<std::uint32_t>(p + off);
    const auto raw = load<std::uint32_t>(p + off + 4);
    const auto count = load<std::uint32_t>(p + off + 8);
    if (load<std::uint32_t>(p + off + 12) != fnv1a(kFnvBasis, data_.substr(off, 12))) {
      corrupt(off, "block header checksum mismatch (corrupt block header)");
    }
    if (count == 0 || count > kMaxBlockRecords || raw != count * kRecordSize || compressed == 0 ||
        compressed > ZSTD_compressBound(raw)) {
      corrupt(off, "bad block header (" + str(count) + " records, " + str(raw) + " raw bytes, " +
                       str(compressed) + " compressed bytes)");
    }
    if (compressed > size - off - kBlockHeaderSize) {
      corrupt(size, "truncated block: the block at byte offset " + str(off) + " needs " +
                        str(kBlockHeaderSize + compressed) + " bytes, " + ends);
    }
    total += count;
    off += kBlockHeaderSize + compressed;
  }
  if (records_ != kUnknownCount && total < records_) {
    corrupt(size, "truncated: the header says " + str(records_) + " records, " + ends + " after " +
                      str(total));
  }
  if (records_ != kUnknownCount && total > records_) {
    corrupt(kOffRecordCount,
            "the header says " + str(records_) + " records but the blocks hold " + str(total));
  }
  records_ = total;
}

bool SttTickSource::load_block() {
  if (pos_ >= data_.size()) return false;
  const char* const p = data_.data() + pos_;
  const auto compressed = load<std::uint32_t>(p);
  const auto raw = load<std::uint32_t>(p + 4);
  const auto count = load<std::uint32_t>(p + 8);
  if (!dctx_) dctx_.reset(ZSTD_createDCtx());
  if (!dctx_) throw std::bad_alloc();
  if (raw_.size() < raw) raw_.resize(raw);
  // zstd verifies the frame's content checksum (the writer always sets it) on the way.
  const std::size_t got =
      ZSTD_decompressDCtx(dctx_.get(), raw_.data(), raw, p + kBlockHeaderSize, compressed);
  if (ZSTD_isError(got) != 0U) {
    corrupt(pos_, std::string("corrupt zstd block: ") + ZSTD_getErrorName(got));
  }
  if (got != raw) {
    corrupt(pos_,
            "corrupt zstd block: it holds " + str(got) + " bytes, its header says " + str(raw));
  }
  chunk_ = raw_.data();
  chunk_left_ = count;
  pos_ += kBlockHeaderSize + compressed;
  bytes_read_ = pos_;
  return true;
}

std::size_t SttTickSource::decode(const char* records, std::size_t count, market::Tick* out) {
  static constexpr FileSymbol kUnknown{
      .id = kNoSymbol, .tick_size = 1.0, .size_scale = 1.0, .same_units = true};
  std::size_t n = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char* const r = records + i * kRecordSize;
    const auto index = load<std::uint32_t>(r + kRecSymbol);
    const FileSymbol& s = index < symbols_.size() ? symbols_[index] : kUnknown;
    // The normalizer is the one gate for outside ticks (validation, seq). In the file's own
    // units the integers go through as they are; with other units (overrides) they are
    // re-quantised from the prices they stand for.
    const auto ts = load<std::int64_t>(r + kRecTs);
    const auto price = load<std::int64_t>(r + kRecPrice);
    const auto size = load<std::int64_t>(r + kRecSize);
    const auto bid = load<std::int64_t>(r + kRecBid);
    const auto ask = load<std::int64_t>(r + kRecAsk);
    const auto kind = version_ >= 2 ? load<std::uint32_t>(r + kRecKind) : 0u;
    if (kind == static_cast<std::uint32_t>(market::TickKind::kCorrection)) {
      // The cancelled trade's number is the file's own: the normalizer numbers the file's
      // trades as the recording did (seq is re-derived in file order).
      const auto cancels = static_cast<std::uint64_t>(bid);
      const auto c = s.same_units ? normalizer_->accept_correction(s.id, cancels, ts, price, size)
                                  : normalizer_->correction(
                                        s.id, cancels, ts, static_cast<double>(price) * s.tick_size,
                                        static_cast<double>(size) / s.size_scale);
      if (c) out[n++] = *c;
      continue;
    }
    if (kind == static_cast<std::uint32_t>(market::TickKind::kGap) && version_ >= 3) {
      // Trades the live feed numbered and dropped: the later ones keep their numbers.
      if (normalizer_->skip(s.id, size)) ++gaps_read_;
      continue;
    }
    if (kind != 0) corrupt(bytes_read_, "a record of unknown kind " + str(kind));
    const auto tick =
        s.same_units ? normalizer_->accept(s.id, ts, price, size, bid, ask)
                     : normalizer_->normalize(s.id, ts, static_cast<double>(price) * s.tick_size,
                                              static_cast<double>(size) / s.size_scale,
                                              static_cast<double>(bid) * s.tick_size,
                                              static_cast<double>(ask) * s.tick_size);
    if (tick) out[n++] = *tick;
  }
  return n;
}

std::size_t SttTickSource::read(std::span<market::Tick> out) {
  std::size_t n = 0;
  while (n < out.size()) {
    if (chunk_left_ == 0 && !(zstd_ && load_block())) break;
    const std::size_t take = std::min(chunk_left_, out.size() - n);
    n += decode(chunk_, take, out.data() + n);
    chunk_ += take * kRecordSize;
    chunk_left_ -= take;
    if (!zstd_) bytes_read_ = static_cast<std::uint64_t>(chunk_ - data_.data());
  }
  return n;
}

}  // namespace spacetime::feed::files
