// Tick blocks as the SQLite store reads them back (a corrupt or foreign blob): any bytes
// and count must decode or be refused, never crash or read out of bounds; what decodes has
// rising numbers and encodes back to bytes that decode to the same ticks. The same bytes
// read as tick values must survive an encode/decode round trip exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "store/tick_block.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spacetime;
  if (size < 2) return 0;
  const std::size_t count = static_cast<std::size_t>(data[0]) | (std::size_t{data[1]} << 8);
  const std::span<const std::uint8_t> bytes(data + 2, size - 2);
  std::vector<market::TickEvent> ticks;
  if (store::detail::decode_ticks(bytes, count, 1, ticks)) {
    if (ticks.size() != count) std::abort();
    for (std::size_t i = 1; i < ticks.size(); ++i) {
      if (ticks[i].seq <= ticks[i - 1].seq) std::abort();
    }
    std::string again;
    store::detail::encode_ticks(ticks, again);
    std::vector<market::TickEvent> back;
    if (!store::detail::decode_ticks(
            {reinterpret_cast<const std::uint8_t*>(again.data()), again.size()}, count, 1, back) ||
        back != ticks) {
      std::abort();
    }
  } else if (!ticks.empty()) {
    std::abort();  // a refused block appends nothing
  }
  // The bytes as raw tick values (any order, any value): an exact round trip.
  std::vector<market::TickEvent> raw;
  for (std::size_t at = 0; at + 56 <= bytes.size(); at += 56) {
    std::int64_t v[7];
    std::memcpy(v, bytes.data() + at, sizeof v);
    raw.push_back({.symbol = 2,
                   .seq = static_cast<std::uint64_t>(v[0]),
                   .tick_seq = static_cast<std::uint64_t>(v[1]),
                   .t = v[2],
                   .price = v[3],
                   .size = v[4],
                   .bid = v[5],
                   .ask = v[6]});
  }
  std::string encoded;
  store::detail::encode_ticks(raw, encoded);
  std::vector<market::TickEvent> decoded;
  if (!store::detail::decode_ticks(
          {reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()}, raw.size(), 2,
          decoded, false) ||
      decoded != raw) {
    std::abort();
  }
  return 0;
}
