// The .stt layout, shared by its reader and writer; docs/FEEDS.md "Tick files" describes it
// byte by byte. All integers little-endian, doubles IEEE-754 binary64.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

namespace spacetime::feed::files::stt {

// Records are read and written with memcpy of native integers: that is the file's byte order
// only on little-endian hosts, which are all the project builds for (x86-64, aarch64).
static_assert(std::endian::native == std::endian::little, ".stt I/O assumes a little-endian host");

// PNG-style: a non-ASCII first byte and CR LF / ^Z / LF catch text-mode and 7-bit mangling.
inline constexpr std::array<char, 8> kMagic = {'\x89', 'S', 'T', 'T', '\r', '\n', '\x1a', '\n'};
inline constexpr std::string_view kMagicView{kMagic.data(), kMagic.size()};
// Version 2 gives the record's last u32 a meaning (its kind: a trade or a correction);
// version 3 adds the gap record (kind 2). Version 1 files (where it is reserved, written 0)
// and version 2 files are still read.
inline constexpr std::uint16_t kVersion = 3;
inline constexpr std::uint16_t kOldestVersion = 1;
inline constexpr std::uint16_t kFlagZstd = 1;  // records are grouped into zstd blocks
inline constexpr std::uint16_t kKnownFlags = kFlagZstd;
inline constexpr std::uint64_t kUnknownCount = std::numeric_limits<std::uint64_t>::max();

// Fixed header, 32 bytes.
inline constexpr std::size_t kOffMagic = 0;
inline constexpr std::size_t kOffVersion = 8;       // u16
inline constexpr std::size_t kOffFlags = 10;        // u16
inline constexpr std::size_t kOffHeaderSize = 12;   // u32: offset of the first record / block
inline constexpr std::size_t kOffSymbolCount = 16;  // u32
inline constexpr std::size_t kOffChecksum = 20;     // u32: FNV-1a, see header_checksum()
inline constexpr std::size_t kOffRecordCount = 24;  // u64, kUnknownCount until close()
inline constexpr std::size_t kFixedHeaderSize = 32;

// Symbol table entry: f64 tick_size, f64 size_scale, u8 decimals, u8 reserved (0),
// u16 name length, name bytes (no terminator). Entries are packed; the header is zero-padded
// to a multiple of 8 so records start aligned.
inline constexpr std::size_t kSymbolEntrySize = 20;
inline constexpr std::size_t kMaxNameLength = 1024;

// Record, 48 bytes: i64 ts_ns, i64 price ticks, i64 size lots, i64 bid ticks, i64 ask ticks,
// u32 symbol (index into the table), u32 kind (version 2: 0 a trade, 1 a trade correction;
// version 1: reserved, ignored). The order is market::Tick's, without seq: seq is re-derived
// per symbol on read. A correction record (market::correction_tick) keeps the number of the
// trade it cancels (u64, 0 for none) where a trade has its bid, and 0 where the ask is.
// A gap record (version 3, market::TickKind::kGap) has the number of trades of its symbol a
// live feed numbered and dropped where a trade has its size (> 0), the time of the first of
// them, and 0 in price, bid and ask: the reader skips that many numbers.
inline constexpr std::size_t kRecordSize = 48;
inline constexpr std::size_t kRecTs = 0;
inline constexpr std::size_t kRecPrice = 8;
inline constexpr std::size_t kRecSize = 16;
inline constexpr std::size_t kRecBid = 24;
inline constexpr std::size_t kRecAsk = 32;
inline constexpr std::size_t kRecSymbol = 40;
inline constexpr std::size_t kRecKind = 44;
inline constexpr std::size_t kRecCancels = kRecBid;  // correction records

// zstd block header, 16 bytes: u32 compressed size, u32 raw size (records * 48),
// u32 record count (1 ... kMaxBlockRecords), u32 FNV-1a of the first 12 bytes. Then one zstd
// frame with its content checksum (XXH64), which zstd verifies while decompressing.
inline constexpr std::size_t kBlockHeaderSize = 16;
inline constexpr std::uint32_t kMaxBlockRecords = 65'536;  // bounds a reader's buffer (3 MiB)

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
void store(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

inline constexpr std::uint32_t kFnvBasis = 2166136261u;
inline std::uint32_t fnv1a(std::uint32_t h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

// Covers the whole header except the checksum itself and the record count, which close()
// patches after everything else is written.
inline std::uint32_t header_checksum(std::string_view header) {
  std::uint32_t h = fnv1a(kFnvBasis, header.substr(0, kOffChecksum));
  return fnv1a(h, header.substr(kFixedHeaderSize));
}

}  // namespace spacetime::feed::files::stt
