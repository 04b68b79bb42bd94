// Event batches as another process sends them over Redis (frame header + codec batch):
// any bytes must decode or be rejected with an error, never crash or read out of bounds,
// and whatever decodes must encode back to a batch that decodes to the same events.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bus/event_codec.hpp"
#include "bus/redis/frame.hpp"

namespace {

const spacetime::market::SymbolRegistry& symbols() {
  static const auto registry = [] {
    spacetime::market::SymbolRegistry r;
    r.add({.name = "A"});
    r.add({.name = "SYM0"});
    r.add({.name = "SYM1"});
    return r;
  }();
  return registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spacetime;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<market::Event> events;
  try {
    bus::decode_events_into(bytes, symbols(), events);
  } catch (const bus::CodecError&) {
    events.clear();
  }
  if (!events.empty()) {
    std::string again;
    bus::encode_events(events, symbols(), again);
    // Must decode again, to the same bytes (compared as bytes: a NaN is not == itself).
    const auto back = bus::decode_events(again, symbols());
    std::string twice;
    bus::encode_events(back.events, symbols(), twice);
    if (twice != again) __builtin_trap();
  }
  bus::redis::FrameHeader header;
  std::vector<market::Event> framed;
  try {
    bus::redis::decode_frame(bytes, symbols(), header, framed);
  } catch (const bus::CodecError&) {
  }
  return 0;
}
