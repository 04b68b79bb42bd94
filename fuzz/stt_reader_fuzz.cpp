// libFuzzer: arbitrary bytes as a .stt tick file. The only acceptable failure is a
// TickFileError; nothing may crash, leak, hit UB or allocate without bound. Each input runs
// twice: as given (checksums reject most mutations early), and with the header and block
// header checksums recomputed, so mutations reach the symbol table, block walk and records.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "feed/files/stt_format.hpp"
#include "feed/tick_file.hpp"

namespace {

using namespace spacetime;
namespace stt = feed::files::stt;

void read(std::string_view bytes) {
  market::SymbolRegistry symbols;
  try {
    auto reader =
        feed::TickFileReader::from_buffer(bytes, symbols, {.format = feed::TickFileFormat::kStt});
    std::array<market::Tick, 100> buf;
    std::uint64_t total = 0;
    while (const std::size_t n = reader.read(buf)) {
      for (std::size_t i = 0; i < n; ++i) {
        const market::Tick& t = buf[i];
        if (t.symbol >= symbols.size() || t.size < 0 || t.ts_ns < 0) __builtin_trap();
        if (market::is_gap(t)) __builtin_trap();  // a gap never leaves the reader
        if (market::is_correction(t)) {
          // seq: the cancelled trade (0: none); size: the inserted trade (0: none).
          if ((t.seq == 0 && t.size == 0) || (t.size > 0 && t.price <= 0)) __builtin_trap();
        } else if (t.price <= 0 || t.seq < 1) {
          __builtin_trap();
        }
      }
      total += n;
    }
    // Every record is a tick, a rejected record or a gap record taken (.stt version 3).
    if (total + reader.rejected().total() + reader.gaps_read() != reader.expected_ticks())
      __builtin_trap();
  } catch (const feed::TickFileError&) {
    // Truncated or corrupt: the expected outcome for most inputs.
  }
}

void fix_checksums(std::string& b) {
  if (b.size() < stt::kFixedHeaderSize) return;
  const auto header = stt::load<std::uint32_t>(b.data() + stt::kOffHeaderSize);
  if (header < stt::kFixedHeaderSize || header > b.size()) return;
  stt::store(b.data() + stt::kOffChecksum,
             stt::header_checksum(std::string_view(b).substr(0, header)));
  if ((stt::load<std::uint16_t>(b.data() + stt::kOffFlags) & stt::kFlagZstd) == 0) return;
  for (std::size_t off = header; b.size() - off >= stt::kBlockHeaderSize;) {
    stt::store(b.data() + off + 12,
               stt::fnv1a(stt::kFnvBasis, std::string_view(b).substr(off, 12)));
    const auto compressed = stt::load<std::uint32_t>(b.data() + off);
    if (compressed > b.size() - off - stt::kBlockHeaderSize) return;
    off += stt::kBlockHeaderSize + compressed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read(bytes);
  std::string fixed(bytes);
  fix_checksums(fixed);
  if (fixed != bytes) read(fixed);
  return 0;
}
