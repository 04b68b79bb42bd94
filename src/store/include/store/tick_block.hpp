// A block of one symbol's ticks as one byte string: what the SQLite store keeps per row
// instead of one row per tick (a B-tree row per tick cost the recorder ~2.7 µs, 8× the
// engine's whole per-tick work).
//
// Format 1: the byte 0x01, then per tick seven zigzag LEB128 varints, each the difference
// from the same field of the tick before (0 before the first): seq, t, tick_seq, price, size,
// bid, ask. Differences wrap modulo 2^64, so every int64/uint64 value round-trips exactly
// (the SQLite store keys blocks by seq as a signed 64-bit integer and refuses seq above
// 2^63-1); a live feed's consecutive ticks take 8-12 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "market/event.hpp"

namespace spacetime::store::detail {

inline constexpr std::uint8_t kTickBlockFormat = 1;

namespace tick_block {

// Writes the varint of now - before at p (at most 10 bytes); returns the end.
inline char* put(char* p, std::uint64_t now, std::uint64_t before) {
  const std::uint64_t d = now - before;
  std::uint64_t z = (d << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(d) >> 63);
  while (z >= 0x80) {
    *p++ = static_cast<char>(static_cast<std::uint8_t>(z) | 0x80);
    z >>= 7;
  }
  *p++ = static_cast<char>(z);
  return p;
}

// Reads one varint at p into `value` (as the difference from `value`); false when the bytes
// end first or the varint is longer than 64 bits.
inline bool get(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& value) {
  std::uint64_t z = 0;
  for (int shift = 0;; shift += 7) {
    if (p == end || shift > 63) return false;
    const std::uint8_t b = *p++;
    z |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  value += (z >> 1) ^ (~(z & 1) + 1);
  return true;
}

}  // namespace tick_block

// Builds a block one tick at a time (the recorder encodes a batch's ticks as they come).
class TickBlockWriter {
 public:
  // Starts a new block in `out` (cleared).
  void start(std::string& out) {
    out_ = &out;
    out.clear();
    out.push_back(static_cast<char>(kTickBlockFormat));
    prev_ = {};
  }
  void add(const market::TickEvent& k) {
    const std::array<std::uint64_t, 7> now = {k.seq,     u(k.t),   k.tick_seq, u(k.price),
                                              u(k.size), u(k.bid), u(k.ask)};
    char buf[7 * 10];  // the recorder's hot path: one append per tick, not one per byte
    char* p = buf;
    for (std::size_t i = 0; i < now.size(); ++i)
      p = tick_block::put(p, now[i], prev_[i]);
    out_->append(buf, static_cast<std::size_t>(p - buf));
    prev_ = now;
  }

 private:
  static std::uint64_t u(std::int64_t v) { return static_cast<std::uint64_t>(v); }
  std::string* out_ = nullptr;
  std::array<std::uint64_t, 7> prev_{};
};

// Writes ticks (in seq order, one symbol) to `out` (cleared first) in format 1.
inline void encode_ticks(std::span<const market::TickEvent> ticks, std::string& out) {
  TickBlockWriter w;
  w.start(out);
  out.reserve(1 + ticks.size() * 12);
  for (const auto& k : ticks)
    w.add(k);
}

// Appends the `count` ticks of a block to `out`; false (and `out` as it was) when the bytes
// are not a well-formed block of exactly `count` ticks in ascending seq order (or, with
// `rising` false, in any order: a batch's ticks before they are sorted).
inline bool decode_ticks(std::span<const std::uint8_t> bytes, std::size_t count,
                         market::SymbolId symbol, std::vector<market::TickEvent>& out,
                         bool rising = true) {
  const std::size_t was = out.size();
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* end = p + bytes.size();
  // Seven fields of at least one byte each: a count the bytes cannot hold is corrupt (and is
  // refused before it reserves memory).
  if (p == end || *p++ != kTickBlockFormat || count > bytes.size() / 7) return false;
  out.reserve(was + count);
  std::uint64_t seq = 0, t = 0, tick_seq = 0, price = 0, size = 0, bid = 0, ask = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t prev = seq;
    if (!tick_block::get(p, end, seq) || !tick_block::get(p, end, t) ||
        !tick_block::get(p, end, tick_seq) || !tick_block::get(p, end, price) ||
        !tick_block::get(p, end, size) || !tick_block::get(p, end, bid) ||
        !tick_block::get(p, end, ask) || (rising && i > 0 && seq <= prev)) {
      out.resize(was);
      return false;
    }
    out.push_back({.symbol = symbol,
                   .seq = seq,
                   .tick_seq = tick_seq,
                   .t = static_cast<std::int64_t>(t),
                   .price = static_cast<std::int64_t>(price),
                   .size = static_cast<std::int64_t>(size),
                   .bid = static_cast<std::int64_t>(bid),
                   .ask = static_cast<std::int64_t>(ask)});
  }
  if (p != end) {
    out.resize(was);
    return false;
  }
  return true;
}

}  // namespace spacetime::store::detail
