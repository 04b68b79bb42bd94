// libFuzzer: arbitrary bytes as a CSV tick file. Nothing may crash, leak or hit UB; every
// tick that comes out must be valid, and must survive a .stt round trip unchanged.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feed/tick_file.hpp"

namespace {

using spacetime::market::Tick;

constexpr std::int64_t kExact = std::int64_t{1} << 50;  // docs/FEEDS.md: exact below 2^50

bool valid(const Tick& t, std::size_t symbols) {
  return t.ts_ns >= 0 && t.price > 0 && t.size >= 0 && t.bid >= 0 && t.ask >= 0 && t.seq >= 1 &&
         t.symbol < symbols;
}

bool small(const Tick& t) {
  return t.price < kExact && t.size < kExact && t.bid < kExact && t.ask < kExact;
}

bool same(const Tick& a, const Tick& b) {
  return a.ts_ns == b.ts_ns && a.price == b.price && a.size == b.size && a.bid == b.bid &&
         a.ask == b.ask && a.seq == b.seq && a.symbol == b.symbol;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spacetime;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  market::SymbolRegistry symbols;
  auto reader =
      feed::TickFileReader::from_buffer(bytes, symbols, {.format = feed::TickFileFormat::kCsv});
  std::vector<Tick> ticks;
  std::array<Tick, 7> buf;  // odd and small: batch boundaries everywhere
  while (const std::size_t n = reader.read(buf)) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!valid(buf[i], symbols.size())) __builtin_trap();
      ticks.push_back(buf[i]);
    }
  }
  if (ticks.size() != reader.ticks_read() || reader.bytes_read() != bytes.size()) {
    __builtin_trap();
  }
  if (reader.line_errors().total() + reader.rejected().total() + ticks.size() >
      reader.expected_ticks() + 1) {  // + 1: a bad header
    __builtin_trap();
  }

  // What was read writes and reads back as the same ticks (zstd on odd sizes).
  for (const Tick& t : ticks) {
    if (!small(t)) return 0;
  }
  std::string stt;
  {
    auto writer = feed::TickFileWriter::to_buffer(
        stt, symbols,
        {.format = feed::TickFileFormat::kStt, .zstd = size % 2 == 1, .block_ticks = 5});
    writer.write(ticks);
    writer.close();
  }
  // Read back without the time guard: the guard judges a tick by the ticks before it, and
  // the first read already left out what it rejected, so a second judgement could differ.
  market::SymbolRegistry again;
  feed::TickFileOptions plain;
  plain.time_guard.max_skew_ns = 0;
  auto back = feed::TickFileReader::from_buffer(stt, again, plain);
  std::size_t k = 0;
  while (const std::size_t n = back.read(buf)) {
    for (std::size_t i = 0; i < n; ++i, ++k) {
      if (k >= ticks.size() || !same(buf[i], ticks[k])) __builtin_trap();
    }
  }
  if (k != ticks.size()) __builtin_trap();
  return 0;
}
