// CSV tick files, parsed in place from one contiguous view (a mapped file or a test buffer):
// no allocation per line, std::from_chars for exact-to-double numbers. A bad line is counted
// by kind and skipped; the first of each kind is kept with its line number for the app to log.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "feed/files/tick_source.hpp"

namespace spacetime::feed::files {

class CsvTickSource final : public TickSource {
 public:
  // Reads the header and pre-scans the symbol column, registering every symbol in order of
  // first appearance. `data` and `symbols` must outlive the source.
  CsvTickSource(std::string_view data, market::SymbolRegistry& symbols,
                const TickFileOptions& options);

  std::size_t read(std::span<market::Tick> out) override;
  TickFileFormat format() const override { return TickFileFormat::kCsv; }
  std::uint64_t bytes_read() const override { return pos_; }
  std::uint64_t total_bytes() const override { return data_.size(); }
  std::uint64_t expected_ticks() const override { return data_lines_; }
  std::uint64_t ticks_read() const override { return normalizer_->accepted(); }
  const LineErrors& line_errors() const override { return errors_; }
  const RejectCounts& rejected() const override { return normalizer_->rejected(); }
  const std::vector<RejectedTick>& reject_samples() const override {
    return normalizer_->reject_samples();
  }

  // Column positions, one per Column; -1 when absent.
  enum Column : std::uint8_t { kTs, kSymbol, kPrice, kSize, kBid, kAsk, kColumnCount };
  static constexpr std::size_t kMaxFields = kColumnCount;

 private:
  struct Layout {
    std::array<int, kColumnCount> at{0, 1, 2, 3, 4, 5};
    std::size_t fields = 6;
    bool positional = true;  // no usable header: 4 or 6 fields in the default order
    bool accepts(std::size_t n) const { return n == fields || (positional && n == 4); }
  };
  using Fields = std::array<std::string_view, kMaxFields>;

  // The next line without its terminator, or nullopt at the end; advances pos_ and line_.
  std::optional<std::string_view> next_line(std::size_t& pos, std::uint64_t& line) const;
  void read_header();
  void prescan(market::SymbolRegistry& symbols, const TickFileOptions& options);
  bool parse(std::string_view line, market::Tick& out);
  template <class Message>
  void fail(LineError error, Message&& message);

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  std::string_view data_;
  std::size_t pos_ = 0;     // next unread byte
  std::uint64_t line_ = 0;  // physical lines consumed
  std::size_t body_ = 0;    // first byte after the header
  std::uint64_t body_line_ = 0;
  std::uint64_t data_lines_ = 0;
  Layout layout_;
  std::unordered_map<std::string, market::SymbolId, NameHash, std::equal_to<>> ids_;
  std::string_view last_name_;  // one-entry cache: real files often repeat a symbol
  market::SymbolId last_id_ = 0;
  std::optional<TickNormalizer> normalizer_;  // built once the registry is complete
  LineErrors errors_;
};

}  // namespace spacetime::feed::files
