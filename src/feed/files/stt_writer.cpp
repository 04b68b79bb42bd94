// .stt out (stt_format.hpp). The record count is written as "unknown" first and patched by
// close(), so a writer can stream without knowing how many ticks will come.
#include <zstd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "feed/files/stt_format.hpp"
#include "feed/files/writers.hpp"

namespace spacetime::feed::files {
namespace {

using namespace stt;

struct CctxFree {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};

std::string header_bytes(const market::SymbolRegistry& registry, bool zstd) {
  std::string h(kFixedHeaderSize, '\0');
  check_symbols(TickFileFormat::kStt, registry);
  for (const auto& s : registry.all()) {
    char entry[kSymbolEntrySize];
    store(entry, s.tick_size);
    store(entry + 8, s.size_scale);
    entry[16] = static_cast<char>(s.decimals >= 0 && s.decimals <= 18 ? s.decimals : 0);
    entry[17] = 0;
    store(entry + 18, static_cast<std::uint16_t>(s.name.size()));
    h.append(entry, kSymbolEntrySize);
    h += s.name;
  }
  h.resize((h.size() + 7) / 8 * 8, '\0');
  std::copy(kMagic.begin(), kMagic.end(), h.begin());
  store(h.data() + kOffVersion, kVersion);
  store(h.data() + kOffFlags, static_cast<std::uint16_t>(zstd ? kFlagZstd : 0));
  store(h.data() + kOffHeaderSize, static_cast<std::uint32_t>(h.size()));
  store(h.data() + kOffSymbolCount, static_cast<std::uint32_t>(registry.size()));
  store(h.data() + kOffRecordCount, kUnknownCount);
  store(h.data() + kOffChecksum, header_checksum(h));
  return h;
}

class SttWriter final : public TickEncoder {
 public:
  SttWriter(ByteOutput out, const market::SymbolRegistry& registry,
            const TickFileWriterOptions& options)
      : out_(std::move(out)), symbols_(registry.size()), zstd_(options.zstd) {
    if (options.block_ticks == 0 || options.block_ticks > kMaxBlockRecords) {
      throw std::invalid_argument("zstd block size must be 1 ... " +
                                  std::to_string(kMaxBlockRecords) + " ticks");
    }
    if (zstd_) {
      if (options.zstd_level < ZSTD_minCLevel() || options.zstd_level > ZSTD_maxCLevel()) {
        throw std::invalid_argument("zstd level must be " + std::to_string(ZSTD_minCLevel()) +
                                    " ... " + std::to_string(ZSTD_maxCLevel()));
      }
      cctx_.reset(ZSTD_createCCtx());
      if (!cctx_) throw std::bad_alloc();
      ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, options.zstd_level);
      // Readers rely on zstd's own content checksum to detect a corrupt block.
      ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
      block_.resize(options.block_ticks * kRecordSize);
    }
    out_.append(header_bytes(registry, zstd_));
  }

  void write(std::span<const market::Tick> ticks) override {
    while (!ticks.empty()) {
      std::size_t n = 0;
      char* dst = nullptr;
      if (zstd_) {
        n = std::min(ticks.size(), block_.size() / kRecordSize - block_ticks_);
        dst = block_.data() + block_ticks_ * kRecordSize;
      } else {
        n = std::min<std::size_t>(ticks.size(), 4096);
        dst = out_.reserve(n * kRecordSize);
      }
      for (std::size_t i = 0; i < n; ++i)
        encode(ticks[i], dst + i * kRecordSize);
      if (zstd_) {
        block_ticks_ += n;
        if (block_ticks_ * kRecordSize == block_.size()) flush_block();
      } else {
        out_.commit(n * kRecordSize);
      }
      ticks_ += n;
      ticks = ticks.subspan(n);
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    if (zstd_) flush_block();
    char count[8];
    store(count, static_cast<std::uint64_t>(ticks_));
    out_.patch(kOffRecordCount, {count, sizeof count});
    out_.close();
  }

  std::uint64_t ticks_written() const override { return ticks_; }
  std::uint64_t bytes_written() const override { return out_.size(); }

 private:
  void encode(const market::Tick& t, char* r) const {
    if (t.symbol >= symbols_) {
      throw std::invalid_argument("tick for symbol id " + std::to_string(t.symbol) +
                                  ", which the writer's registry does not have");
    }
    store(r + kRecTs, t.ts_ns);
    store(r + kRecPrice, t.price);
    store(r + kRecSize, t.size);
    if (market::is_correction(t)) {
      store(r + kRecCancels, t.seq);
      store(r + kRecAsk, std::int64_t{0});
    } else if (market::is_gap(t)) {
      store(r + kRecBid, std::int64_t{0});
      store(r + kRecAsk, std::int64_t{0});
    } else {
      store(r + kRecBid, t.bid);
      store(r + kRecAsk, t.ask);
    }
    store(r + kRecSymbol, static_cast<std::uint32_t>(t.symbol));
    store(r + kRecKind, static_cast<std::uint32_t>(t.kind));
  }

  void flush_block() {
    if (block_ticks_ == 0) return;
    const std::size_t raw = block_ticks_ * kRecordSize;
    const std::size_t bound = ZSTD_compressBound(raw);
    char* const dst = out_.reserve(kBlockHeaderSize + bound);
    const std::size_t size =
        ZSTD_compress2(cctx_.get(), dst + kBlockHeaderSize, bound, block_.data(), raw);
    if (ZSTD_isError(size) != 0U) {
      throw std::runtime_error(std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
    }
    store(dst, static_cast<std::uint32_t>(size));
    store(dst + 4, static_cast<std::uint32_t>(raw));
    store(dst + 8, static_cast<std::uint32_t>(block_ticks_));
    store(dst + 12, fnv1a(kFnvBasis, {dst, 12}));
    out_.commit(kBlockHeaderSize + size);
    block_ticks_ = 0;
  }

  ByteOutput out_;
  std::size_t symbols_;
  bool zstd_;
  bool closed_ = false;
  std::unique_ptr<ZSTD_CCtx, CctxFree> cctx_;
  std::vector<char> block_;
  std::size_t block_ticks_ = 0;
  std::uint64_t ticks_ = 0;
};

}  // namespace

std::unique_ptr<TickEncoder> make_stt_writer(ByteOutput out, const market::SymbolRegistry& symbols,
                                             const TickFileWriterOptions& options) {
  return std::make_unique<SttWriter>(std::move(out), symbols, options);
}

}  // namespace spacetime::feed::files
