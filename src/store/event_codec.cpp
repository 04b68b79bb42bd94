#include "store/event_codec.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <unordered_map>

#include "fields.hpp"

namespace spacetime::store {
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
  std::string_view bytes(std::size_t n) {
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
market::Event make_kind(std::size_t kind) {
  if constexpr (I < std::variant_size_v<market::Event>) {
    if (kind == I) return market::Event{std::in_place_index<I>};
    return make_kind<I + 1>(kind);
  } else {
    throw CodecError(fmt::format("unknown event kind {}", kind));
  }
}

}  // namespace

void encode_events(std::span<const market::Event> events, const market::SymbolRegistry& symbols,
                   std::string& out) {
  out.push_back(static_cast<char>(kEventCodecVersion));
  // The batch's own symbol table: local index by run id.
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
          detail::visit_fields(ev, [&](const char*, const auto& field) {
            using T = std::decay_t<decltype(field)>;
            if constexpr (detail::kIsReal<T>) {
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

DecodedBatch decode_events(std::string_view bytes, const market::SymbolRegistry& symbols) {
  Reader r{bytes};
  const auto version = r.byte();
  if (version != kEventCodecVersion) {
    throw CodecError(
        fmt::format("event batch version {} (this build reads {})", version, kEventCodecVersion));
  }
  const auto nsym = r.varint();
  if (nsym > bytes.size()) throw CodecError("bad symbol count");
  std::vector<std::optional<market::SymbolId>> ids;
  for (std::uint64_t i = 0; i < nsym; ++i)
    ids.push_back(symbols.find(r.bytes(r.varint())));
  const auto n = r.varint();
  if (n > bytes.size()) throw CodecError("bad event count");
  DecodedBatch out;
  out.events.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto e = make_kind(r.byte());
    const auto sym = r.varint();
    if (sym >= ids.size()) throw CodecError(fmt::format("bad symbol index {}", sym));
    std::visit(
        [&](auto& ev) {
          ev.symbol = ids[sym].value_or(0);
          detail::visit_fields(ev, [&](const char*, auto& field) {
            using T = std::decay_t<decltype(field)>;
            if constexpr (detail::kIsReal<T>) {
              field = r.real();
            } else {
              detail::from_int(field, unzigzag(r.varint()));
            }
          });
        },
        e);
    if (ids[sym]) {
      out.events.push_back(e);
    } else {
      ++out.unknown_symbol;
    }
  }
  if (r.pos != bytes.size()) throw CodecError("trailing bytes after the event batch");
  return out;
}

}  // namespace spacetime::store
