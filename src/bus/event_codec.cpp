#include "bus/event_codec.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "event_fields.hpp"

namespace spacetime::bus {
namespace {

static_assert(std::endian::native == std::endian::little, "the codec writes little-endian");

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

struct Reader {
  std::string_view in;
  std::size_t pos = 0;

  [[noreturn]] void truncated() const {
    throw CodecError(fmt::format("event batch truncated at byte {}", pos));
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) truncated();
      const auto b = static_cast<std::uint8_t>(in[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw CodecError(fmt::format("bad varint at byte {}", pos));
  }
  std::uint8_t byte() {
    if (pos >= in.size()) truncated();
    return static_cast<std::uint8_t>(in[pos++]);
  }
  double real() {
    if (in.size() - pos < 8) truncated();
    double d;
    std::memcpy(&d, in.data() + pos, 8);
    pos += 8;
    return d;
  }
  std::string_view bytes(std::uint64_t n) {
    if (in.size() - pos < n) truncated();
    const auto s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

template <std::size_t I = 0>
market::Event make_kind(std::size_t kind, std::size_t pos) {
  if constexpr (I < std::variant_size_v<market::Event>) {
    if (kind == I) return market::Event{std::in_place_index<I>};
    return make_kind<I + 1>(kind, pos);
  } else {
    throw CodecError(fmt::format("unknown event kind {} at byte {}", kind, pos));
  }
}

// Enumerations decoded from outside bytes must name a real value: consumers index arrays
// with them.
const char* out_of_range(const market::Event& e) {
  return std::visit(
      [](const auto& ev) -> const char* {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, market::CandleEvent>) {
          if (market::index_of(ev.tf) >= market::kTimeframeCount) return "timeframe";
        } else if constexpr (std::is_same_v<T, market::BufferEvent> ||
                             std::is_same_v<T, market::SampleEvent>) {
          if (ev.zone > market::Zone::kHigh) return "zone";
        } else if constexpr (std::is_same_v<T, market::ReversalEvent>) {
          if (ev.reason > market::ReversalReason::kCrossNotChoppy) return "reversal reason";
        }
        return nullptr;
      },
      e);
}

}  // namespace

void encode_events(std::span<const market::Event> events, const market::SymbolRegistry& symbols,
                   std::string& out) {
  out.push_back(static_cast<char>(kEventCodecVersion));
  // The batch's own symbol table: local index by process id.
  std::unordered_map<market::SymbolId, std::uint64_t> local;
  std::vector<market::SymbolId> order;
  for (const auto& e : events) {
    const auto id = market::symbol_of(e);
    if (local.emplace(id, order.size()).second) order.push_back(id);
  }
  put_varint(out, order.size());
  for (const auto id : order) {
    std::string_view name;  // (a ?: with "" would make a temporary std::string)
    if (id < symbols.size()) name = symbols.info(id).name;
    put_varint(out, name.size());
    out.append(name);
  }
  put_varint(out, events.size());
  for (const auto& e : events) {
    out.push_back(static_cast<char>(e.index()));
    put_varint(out, local[market::symbol_of(e)]);
    std::visit(
        [&](const auto& ev) {
          detail::visit_fields(ev, [&](const auto& field) {
            using T = std::decay_t<decltype(field)>;
            if constexpr (std::is_floating_point_v<T>) {
              char b[8];
              std::memcpy(b, &field, 8);
              out.append(b, 8);
            } else {
              put_varint(out, zigzag(detail::to_int(field)));
            }
          });
        },
        e);
  }
}

std::uint64_t decode_events_into(std::string_view bytes, const market::SymbolRegistry& symbols,
                                 std::vector<market::Event>& out) {
  const std::size_t start = out.size();
  try {
    Reader r{bytes};
    const auto version = r.byte();
    if (version != kEventCodecVersion) {
      throw CodecError(
          fmt::format("event batch version {} (this build reads {})", version, kEventCodecVersion));
    }
    // Each symbol takes at least one byte and each event at least two: larger counts
    // cannot be true, and must not size an allocation.
    const auto nsym = r.varint();
    if (nsym > bytes.size() - r.pos) throw CodecError(fmt::format("bad symbol count {}", nsym));
    std::vector<std::optional<market::SymbolId>> ids;
    ids.reserve(nsym);
    for (std::uint64_t i = 0; i < nsym; ++i)
      ids.push_back(symbols.find(r.bytes(r.varint())));
    const auto n = r.varint();
    if (n > (bytes.size() - r.pos) / 2) throw CodecError(fmt::format("bad event count {}", n));
    out.reserve(start + n);
    std::uint64_t unknown = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::size_t at = r.pos;
      auto e = make_kind(r.byte(), at);
      const auto sym = r.varint();
      if (sym >= ids.size())
        throw CodecError(fmt::format("bad symbol index {} at byte {}", sym, at));
      std::visit(
          [&](auto& ev) {
            ev.symbol = ids[sym].value_or(0);
            detail::visit_fields(ev, [&](auto& field) {
              using T = std::decay_t<decltype(field)>;
              if constexpr (std::is_floating_point_v<T>) {
                field = r.real();
              } else {
                detail::from_int(field, unzigzag(r.varint()));
              }
            });
          },
          e);
      if (const char* what = out_of_range(e))
        throw CodecError(fmt::format("{} out of range in the event at byte {}", what, at));
      if (ids[sym]) {
        out.push_back(e);
      } else {
        ++unknown;
      }
    }
    if (r.pos != bytes.size()) {
      throw CodecError(
          fmt::format("{} trailing bytes after the event batch", bytes.size() - r.pos));
    }
    return unknown;
  } catch (const CodecError&) {
    out.resize(start);  // all or nothing
    throw;
  }
}

DecodedBatch decode_events(std::string_view bytes, const market::SymbolRegistry& symbols) {
  DecodedBatch out;
  out.unknown_symbol = decode_events_into(bytes, symbols, out.events);
  return out;
}

}  // namespace spacetime::bus
