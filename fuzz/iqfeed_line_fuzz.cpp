// Arbitrary bytes into everything that reads IQFeed input: the framer (cut at input-chosen
// points), the Level 1 line parser under the selected, the default and an input-derived
// fieldset, the fundamental layout reader, and the lookup (history) line parser. Nothing
// may crash, hang, read out of bounds or hit undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feed/iqfeed/framer.hpp"
#include "feed/iqfeed/protocol.hpp"

namespace iq = spacetime::feed::iqfeed;

namespace {

const iq::UpdateFieldset& selected() {
  static const iq::UpdateFieldset f = iq::UpdateFieldset::spacetime();
  return f;
}

const iq::UpdateFieldset& dtn_default() {
  static const iq::UpdateFieldset f = iq::UpdateFieldset::from_names(
      "Symbol,Most Recent Trade,Most Recent Trade Size,Most Recent Trade Time,"
      "Most Recent Trade Market Center,Total Volume,Bid,Bid Size,Ask,Ask Size,Open,High,Low,"
      "Close,Message Contents,Most Recent Trade Conditions");
  return f;
}

void consume(const iq::Parsed& p) {
  if (const auto* u = std::get_if<iq::Update>(&p.message)) {
    volatile bool t = u->is_trade();
    (void)t;
  }
}

void parse_everything(std::string_view line, const iq::UpdateFieldset& own,
                      const iq::FundamentalLayout& layout) {
  consume(iq::parse_level1_line(line, selected()));
  consume(iq::parse_level1_line(line, dtn_default()));
  consume(iq::parse_level1_line(line, own, layout));
  const iq::LookupParsed h = iq::parse_lookup_line(line);
  if (const auto* t = std::get_if<iq::HistoryTick>(&h.message)) {
    volatile bool trade = t->is_trade();
    (void)trade;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The whole input as one line, and as the names of a fieldset and a fundamental layout.
  const auto own = iq::UpdateFieldset::from_names(input);
  const auto layout = iq::FundamentalLayout::from_names(input);
  parse_everything(input, own, layout);

  // The input as a TCP stream cut where its own bytes say, parsed line by line.
  iq::LineFramer framer(512);
  std::size_t pos = 0;
  std::size_t salt = size;
  while (pos < size) {
    salt = salt * 131 + static_cast<std::uint8_t>(input[pos]);
    const std::size_t n = 1 + salt % 23;
    framer.push(
        input.substr(pos, n), [&](std::string_view line) { parse_everything(line, own, layout); },
        [] {});
    pos += n;
  }
  return 0;
}
