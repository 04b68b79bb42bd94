// A compact binary encoding of event batches, for the recorder's on-disk spool: a version
// byte, the batch's symbol names (ids differ between runs, names do not), then each event
// as its kind and its fields (integers as zigzag varints, doubles as 8 little-endian bytes).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "market/event.hpp"
#include "market/symbol.hpp"

namespace spacetime::store {

inline constexpr std::uint8_t kEventCodecVersion = 1;

// A batch that cannot be decoded: truncated, a wrong version, an unknown kind.
class CodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends the encoding of events to out.
void encode_events(std::span<const market::Event> events, const market::SymbolRegistry& symbols,
                   std::string& out);

struct DecodedBatch {
  std::vector<market::Event> events;
  std::uint64_t unknown_symbol = 0;  // events of symbols this run does not know: left out
};
DecodedBatch decode_events(std::string_view bytes, const market::SymbolRegistry& symbols);

}  // namespace spacetime::store
