// The one binary encoding of event batches (docs/PROTOCOL.md § Redis bus codec): what the
// Redis bus carries between processes and what the recorder's spool keeps on disk. A
// version byte, the batch's symbol names (ids differ between processes and runs, names do
// not), the event count, then each event as its kind, its symbol and its fields (integers
// as zigzag varints, doubles as 8 little-endian bytes; channel number and time first).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "market/event.hpp"
#include "market/symbol.hpp"

namespace spacetime::bus {

inline constexpr std::uint8_t kEventCodecVersion = 2;

// A batch that cannot be decoded: truncated, a wrong version, an unknown kind, a field out
// of range. The message says what and at which byte.
class CodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends the encoding of events to out.
void encode_events(std::span<const market::Event> events, const market::SymbolRegistry& symbols,
                   std::string& out);

struct DecodedBatch {
  std::vector<market::Event> events;
  std::uint64_t unknown_symbol = 0;  // events of symbols this process does not know: left out
};
// Throws CodecError for anything but a whole, valid batch; never reads past bytes.
DecodedBatch decode_events(std::string_view bytes, const market::SymbolRegistry& symbols);
// The same, appending to out.events (reusing its capacity); returns the unknown-symbol count.
std::uint64_t decode_events_into(std::string_view bytes, const market::SymbolRegistry& symbols,
                                 std::vector<market::Event>& out);

}  // namespace spacetime::bus
