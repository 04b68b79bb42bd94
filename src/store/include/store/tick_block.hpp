// A block of one symbol's ticks as one byte string: what the SQLite store keeps per row
// instead of one row per tick (a B-tree row per tick cost the recorder ~2.7 µs, 8× the
// engine's whole per-tick work).
//
// A block starts with its format byte. Values are zigzag LEB128 varints of differences from
// the tick before (all fields 0 before the first), taken modulo 2^64, so every int64/uint64
// value round-trips exactly (the SQLite store keys blocks by seq as a signed 64-bit integer
// and refuses seq above 2^63-1).
//
// Format 2 (written since 2026-12-04): per tick a tag byte, then seq and t, then only the
// fields the tag does not settle, in this order:
//   bits 0-1  the quote: 0 bid = price, 1 ask = price, 2 bid follows as a field, the
//             difference of (bid - price) from the tick before's; 3 is not a block
//   bit 2     the spread (ask - bid) is the tick before's; else it follows as a field
//   bit 3     tick_seq is the tick before's + 1; else it follows as a field
//   bit 4     size is the tick before's; else it follows as a field
//   bits 5-7  price moved by (value - 3) from the tick before's, -3 to +3; 7: it follows
// Field order: seq, t, tick_seq, price, size, bid, spread. A live feed's ticks take 4-8
// bytes (5.7 on the simulator, against 8.5 in format 1): every byte is written twice by
// SQLite (WAL, then the database), which is what recording costs a fast feed.
//
// Format 1 (read, no longer written): per tick seven varints, seq, t, tick_seq, price,
// size, bid, ask, each the difference from the tick before's.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "market/event.hpp"

namespace spacetime::store::detail {

inline constexpr std::uint8_t kTickBlockFormat = 2;  // the format written

namespace tick_block {

// Writes the varint of now - before at p (at most 10 bytes); returns the end. One and two
// bytes, what a live feed's differences take, without the loop.
inline char* put(char* p, std::uint64_t now, std::uint64_t before) {
  const std::uint64_t d = now - before;
  std::uint64_t z = (d << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(d) >> 63);
  if (z < 0x80) {
    *p = static_cast<char>(z);
    return p + 1;
  }
  if (z < 0x4000) {
    p[0] = static_cast<char>(static_cast<std::uint8_t>(z) | 0x80);
    p[1] = static_cast<char>(z >> 7);
    return p + 2;
  }
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

// Format 2's tag bits.
inline constexpr std::uint8_t kQuoteMask = 0x03, kAtBid = 0, kAtAsk = 1, kBidField = 2;
inline constexpr std::uint8_t kSameSpread = 0x04, kNextTickSeq = 0x08, kSameSize = 0x10;
inline constexpr int kPriceShift = 5;
inline constexpr std::uint8_t kPriceField = 7;  // price moves beyond +-3 follow as a field

}  // namespace tick_block

// The fields of the tick before, as a block's differences are taken from them.
using TickFields = std::array<std::uint64_t, 7>;

// The most bytes one tick takes (format 2: a tag and seven 10-byte varints at worst).
inline constexpr std::size_t kMaxTickBytes = 1 + 7 * 10;

// Writes one tick at `at` (room for kMaxTickBytes) as the next of a block whose last tick's
// fields are `prev` (format 2); returns the end. The recorder's hot path.
inline char* encode_tick(char* at, TickFields& prev, const market::TickEvent& k) {
  using namespace tick_block;
  auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  const TickFields now = {k.seq, u(k.t), k.tick_seq, u(k.price), u(k.size), u(k.bid), u(k.ask)};
  char* p = put(at + 1, now[0], prev[0]);
  p = put(p, now[1], prev[1]);
  std::uint8_t tag = 0;
  if (now[2] - prev[2] == 1)
    tag |= kNextTickSeq;
  else
    p = put(p, now[2], prev[2]);
  if (const std::uint64_t moved = now[3] - prev[3] + 3; moved <= 6) {
    tag |= static_cast<std::uint8_t>(moved << kPriceShift);
  } else {
    tag |= kPriceField << kPriceShift;
    p = put(p, now[3], prev[3]);
  }
  if (now[4] == prev[4])
    tag |= kSameSize;
  else
    p = put(p, now[4], prev[4]);
  if (now[5] == now[3]) {
    tag |= kAtBid;
  } else if (now[6] == now[3]) {
    tag |= kAtAsk;
  } else {
    tag |= kBidField;
    p = put(p, now[5] - now[3], prev[5] - prev[3]);
  }
  if (now[6] - now[5] == prev[6] - prev[5])
    tag |= kSameSpread;
  else
    p = put(p, now[6] - now[5], prev[6] - prev[5]);
  *at = static_cast<char>(tag);
  prev = now;
  return p;
}

// Starts a block in `out` (cleared); `prev` is reset to the zeros the first tick is taken from.
inline void start_block(std::string& out, TickFields& prev) {
  out.clear();
  out.push_back(static_cast<char>(kTickBlockFormat));
  prev = {};
}

// Appends one tick to the block in `out` whose last tick's fields are `prev`.
inline void append_tick(std::string& out, TickFields& prev, const market::TickEvent& k) {
  char buf[kMaxTickBytes];
  out.append(buf, static_cast<std::size_t>(encode_tick(buf, prev, k) - buf));
}

// A block's bytes as the recorder builds them: a buffer that grows and is written in place
// (std::string's append per tick cost the recorder as much as encoding the tick).
class BlockBytes {
 public:
  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Room for n more bytes at the end: where they go, until end() says where they stop.
  char* room(std::size_t n) {
    if (capacity_ - size_ < n) {
      const std::size_t grown = std::max(capacity_ * 2, size_ + n);
      auto bigger = std::make_unique_for_overwrite<char[]>(grown);
      if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = grown;
    }
    return data_.get() + size_;
  }
  void end(const char* at) { size_ = static_cast<std::size_t>(at - data_.get()); }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

// Starts a block in `out` (cleared), as start_block for a string does.
inline void start_block(BlockBytes& out, TickFields& prev) {
  out.clear();
  char* at = out.room(1);
  *at = static_cast<char>(kTickBlockFormat);
  out.end(at + 1);
  prev = {};
}

// At most this many ticks in one block (the SQLite store's row).
inline constexpr std::size_t kTickBlockMax = 4096;

// One symbol's ticks in arrival order, encoded as one block.
struct TickRun {
  market::SymbolId symbol = 0;
  std::size_t count = 0;
  bool rising = true;         // seq rose from each tick to the next
  std::uint64_t max_seq = 0;  // the highest seq in it
  std::uint64_t first_seq = 0;
  std::int64_t first_t = 0;
  BlockBytes bytes;
  TickFields prev{};  // the last tick's fields, for the next append

  std::uint64_t last_seq() const { return prev[0]; }
  std::int64_t last_t() const { return static_cast<std::int64_t>(prev[1]); }
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
      r.first_seq = k.seq;
      r.first_t = k.t;
      start_block(r.bytes, r.prev);
      slot = static_cast<std::uint32_t>(used_);
    }
    TickRun& r = runs_[slot - 1];
    if (r.count > 0 && k.seq <= r.last_seq()) r.rising = false;
    r.bytes.end(encode_tick(r.bytes.room(kMaxTickBytes), r.prev, k));
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

// Writes ticks (in seq order, one symbol) to `out` (cleared first).
inline void encode_ticks(std::span<const market::TickEvent> ticks, std::string& out) {
  TickFields prev;
  start_block(out, prev);
  out.reserve(1 + ticks.size() * 8);
  for (const auto& k : ticks)
    append_tick(out, prev, k);
}

namespace tick_block {

// Reads one tick of format 1 at p into `v` (the tick before's fields).
inline bool get_v1(const std::uint8_t*& p, const std::uint8_t* end, TickFields& v) {
  for (auto& field : v) {
    if (!get(p, end, field)) return false;
  }
  return true;
}

// Reads one tick of format 2 at p into `v` (the tick before's fields).
inline bool get_v2(const std::uint8_t*& p, const std::uint8_t* end, TickFields& v) {
  if (p == end) return false;
  const std::uint8_t tag = *p++;
  const std::uint8_t quote = tag & kQuoteMask;
  if (quote > kBidField || !get(p, end, v[0]) || !get(p, end, v[1])) return false;
  if (tag & kNextTickSeq)
    v[2] += 1;
  else if (!get(p, end, v[2]))
    return false;
  const std::uint64_t offset = v[5] - v[3], spread = v[6] - v[5];  // the tick before's
  if (const std::uint8_t moved = tag >> kPriceShift; moved != kPriceField)
    v[3] += static_cast<std::uint64_t>(moved) - 3;
  else if (!get(p, end, v[3]))
    return false;
  if (!(tag & kSameSize) && !get(p, end, v[4])) return false;
  if (quote == kAtBid) {
    v[5] = v[3];
  } else if (quote == kBidField) {
    std::uint64_t o = offset;
    if (!get(p, end, o)) return false;
    v[5] = v[3] + o;
  }
  std::uint64_t s = spread;
  if (!(tag & kSameSpread) && !get(p, end, s)) return false;
  if (quote == kAtAsk) {
    v[6] = v[3];
    v[5] = v[3] - s;
  } else {
    v[6] = v[5] + s;
  }
  return true;
}

}  // namespace tick_block

// Appends the `count` ticks of a block (format 1 or 2) to `out`; false (and `out` as it was)
// when the bytes are not a well-formed block of exactly `count` ticks in ascending seq order
// (or, with `rising` false, in any order: a batch's ticks before they are sorted).
inline bool decode_ticks(std::span<const std::uint8_t> bytes, std::size_t count,
                         market::SymbolId symbol, std::vector<market::TickEvent>& out,
                         bool rising = true) {
  const std::size_t was = out.size();
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* end = p + bytes.size();
  if (p == end) return false;
  const std::uint8_t format = *p++;
  // A tick takes at least 7 bytes in format 1 and 3 (tag, seq, t) in format 2: a count the
  // bytes cannot hold is corrupt (and is refused before it reserves memory).
  const std::size_t least = format == 1 ? 7 : 3;
  if ((format != 1 && format != 2) || count > (bytes.size() - 1) / least) return false;
  out.reserve(was + count);
  TickFields v{};
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t prev = v[0];
    if (!(format == 1 ? tick_block::get_v1(p, end, v) : tick_block::get_v2(p, end, v)) ||
        (rising && i > 0 && v[0] <= prev)) {
      out.resize(was);
      return false;
    }
    out.push_back({.symbol = symbol,
                   .seq = v[0],
                   .tick_seq = v[2],
                   .t = static_cast<std::int64_t>(v[1]),
                   .price = static_cast<std::int64_t>(v[3]),
                   .size = static_cast<std::int64_t>(v[4]),
                   .bid = static_cast<std::int64_t>(v[5]),
                   .ask = static_cast<std::int64_t>(v[6])});
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
