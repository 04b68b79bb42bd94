// One message of the Redis bus: a frame header naming the publisher's run (epoch) and the
// batch's number in that run, then one event batch in the bus codec. The same bytes go to
// Pub/Sub and to the publisher's capped stream, so a subscriber tells duplicates and gaps
// apart by (epoch, batch) whichever way a batch reached it (docs/PROTOCOL.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bus/event_codec.hpp"
#include "market/event.hpp"
#include "market/symbol.hpp"

namespace spacetime::bus::redis {

inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 17;  // version, u64 epoch, u64 batch

struct FrameHeader {
  std::uint64_t epoch = 0;  // the publisher's run: milliseconds since the epoch at its start
  std::uint64_t batch = 0;  // 1, 2, 3... within the run
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// Appends the frame to out.
void encode_frame(FrameHeader header, std::span<const market::Event> events,
                  const market::SymbolRegistry& symbols, std::string& out);

// Reads the header and appends the batch's events to out (all or nothing). Returns the
// count of events whose symbol this process does not know (left out). Throws CodecError.
std::uint64_t decode_frame(std::string_view bytes, const market::SymbolRegistry& symbols,
                           FrameHeader& header, std::vector<market::Event>& out);

}  // namespace spacetime::bus::redis
