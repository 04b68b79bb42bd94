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

#include <algorithm>
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

// The fields of the tick before, as a block's differences are taken from them.
using TickFields = std::array<std::uint64_t, 7>;

// Starts a block in `out` (cleared); `prev` is reset to the zeros the first tick is taken from.
inline void start_block(std::string& out, TickFields& prev) {
  out.clear();
  out.push_back(static_cast<char>(kTickBlockFormat));
  prev = {};
}

// Appends one tick to the block in `out` whose last tick's fields are `prev`.
inline void append_tick(std::string& out, TickFields& prev, const market::TickEvent& k) {
  auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  const TickFields now = {k.seq, u(k.t), k.tick_seq, u(k.price), u(k.size), u(k.bid), u(k.ask)};
  char buf[7 * 10];  // the recorder's hot path: one append per tick, not one per byte
  char* p = buf;
  for (std::size_t i = 0; i < now.size(); ++i)
    p = tick_block::put(p, now[i], prev[i]);
  out.append(buf, static_cast<std::size_t>(p - buf));
  prev = now;
}

// At most this many ticks in one block (the SQLite store's row).
inline constexpr std::size_t kTickBlockMax = 4096;

// One symbol's ticks in arrival order, encoded as one block (format 1).
struct TickRun {
  market::SymbolId symbol = 0;
  std::size_t count = 0;
  bool rising = true;         // seq rose from each tick to the next
  std::uint64_t max_seq = 0;  // the highest seq in it
  market::TickEvent first{}, last{};
  std::string bytes;
  TickFields prev{};  // the last tick's fields, for the next append
};

// A batch's ticks, encoded once as they are drained from the bus (the recorder): per symbol,
// runs of at most kTickBlockMax ticks in arrival order. A store that keeps blocks takes the
// runs as they are; any other decodes them (append_events).
class TickBatch {
 public:
  void add(const market::TickEvent& k) {
    if (k.symbol >= open_.size()) open_.resize(static_cast<std::size_t>(k.symbol) + 1, 0);
    std::uint32_t& slot = open_[k.symbol];
    if (slot == 0 || runs_[slot - 1].count == kTickBlockMax) {
      if (used_ == runs_.size()) runs_.emplace_back();
      TickRun& r = runs_[used_++];  // a reused run keeps its bytes' capacity
      r.symbol = k.symbol;
      r.count = 0;
      r.rising = true;
      r.max_seq = 0;
      r.first = k;
      start_block(r.bytes, r.prev);
      slot = static_cast<std::uint32_t>(used_);
    }
    TickRun& r = runs_[slot - 1];
    if (r.count > 0 && k.seq <= r.last.seq) r.rising = false;
    append_tick(r.bytes, r.prev, k);
    r.last = k;
    r.max_seq = std::max(r.max_seq, k.seq);
    ++r.count;
    ++ticks_;
  }
  std::size_t size() const { return ticks_; }  // ticks
  bool empty() const { return ticks_ == 0; }
  // The runs, each symbol's in arrival order.
  std::span<const TickRun> runs() const { return {runs_.data(), used_}; }
  void clear() {
    for (std::size_t i = 0; i < used_; ++i)
      open_[runs_[i].symbol] = 0;
    used_ = 0;
    ticks_ = 0;
  }
  // Appends the ticks, decoded, as events.
  void append_events(std::vector<market::Event>& out) const;

 private:
  std::vector<TickRun> runs_;  // the first used_ are this batch's
  std::size_t used_ = 0;
  std::vector<std::uint32_t> open_;  // per symbol: 1 + the index of its run being filled, 0: none
  std::size_t ticks_ = 0;
};

// Writes ticks (in seq order, one symbol) to `out` (cleared first) in format 1.
inline void encode_ticks(std::span<const market::TickEvent> ticks, std::string& out) {
  TickFields prev;
  start_block(out, prev);
  out.reserve(1 + ticks.size() * 12);
  for (const auto& k : ticks)
    append_tick(out, prev, k);
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

// Appends a run's ticks, decoded, to `out`; false (and `out` as it was) when its bytes do
// not decode (checked as any block's, though encoded in this process).
inline bool decode_run(const TickRun& run, std::vector<market::TickEvent>& out) {
  return decode_ticks({reinterpret_cast<const std::uint8_t*>(run.bytes.data()), run.bytes.size()},
                      run.count, run.symbol, out, false);
}

inline void TickBatch::append_events(std::vector<market::Event>& out) const {
  std::vector<market::TickEvent> ticks;
  for (const auto& run : runs()) {
    ticks.clear();
    if (decode_run(run, ticks)) out.insert(out.end(), ticks.begin(), ticks.end());
  }
}

}  // namespace spacetime::store::detail
