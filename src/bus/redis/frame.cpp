#include "bus/redis/frame.hpp"

#include <fmt/format.h>

#include <cstring>

namespace spacetime::bus::redis {

void encode_frame(FrameHeader header, std::span<const market::Event> events,
                  const market::SymbolRegistry& symbols, std::string& out) {
  char head[kFrameHeaderSize];
  head[0] = static_cast<char>(kFrameVersion);
  std::memcpy(head + 1, &header.epoch, 8);  // little-endian: the codec asserts it
  std::memcpy(head + 9, &header.batch, 8);
  out.append(head, kFrameHeaderSize);
  encode_events(events, symbols, out);
}

std::uint64_t decode_frame(std::string_view bytes, const market::SymbolRegistry& symbols,
                           FrameHeader& header, std::vector<market::Event>& out) {
  if (bytes.size() < kFrameHeaderSize) {
    throw CodecError(fmt::format("frame of {} bytes: shorter than its header", bytes.size()));
  }
  if (static_cast<std::uint8_t>(bytes[0]) != kFrameVersion) {
    throw CodecError(fmt::format("frame version {} (this build reads {})",
                                 static_cast<std::uint8_t>(bytes[0]), kFrameVersion));
  }
  std::memcpy(&header.epoch, bytes.data() + 1, 8);
  std::memcpy(&header.batch, bytes.data() + 9, 8);
  return decode_events_into(bytes.substr(kFrameHeaderSize), symbols, out);
}

}  // namespace spacetime::bus::redis
