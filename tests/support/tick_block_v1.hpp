// Format 1 of the SQLite store's tick blocks, as written before 2026-12-04 (described in
// src/store/include/store/tick_block.hpp): the byte 1, then per tick seven varints, seq, t,
// tick_seq, price, size, bid, ask, each the difference from the tick before's. Tests write
// it to check that databases of that time still read.
#pragma once

#include <span>
#include <string>

#include "store/tick_block.hpp"

namespace spacetime::testing {

inline std::string encode_ticks_v1(std::span<const market::TickEvent> ticks) {
  std::string bytes(1, '\x01');
  store::detail::TickFields prev{};
  auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  for (const auto& k : ticks) {
    const store::detail::TickFields now = {k.seq,     u(k.t),   k.tick_seq, u(k.price),
                                           u(k.size), u(k.bid), u(k.ask)};
    for (std::size_t i = 0; i < now.size(); ++i) {
      char buf[10];
      const char* end = store::detail::tick_block::put(buf, now[i], prev[i]);
      bytes.append(buf, static_cast<std::size_t>(end - buf));
    }
    prev = now;
  }
  return bytes;
}

}  // namespace spacetime::testing
