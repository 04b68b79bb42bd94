// CSV out: `ts,symbol,price,size,bid,ask`, prices and sizes printed as the exact decimals
// their integers stand for, so CSV -> .stt -> CSV gives the same bytes and reading the CSV
// back gives the same integers.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "feed/files/stt_format.hpp"
#include "feed/files/writers.hpp"
#include "market/time.hpp"

namespace spacetime::feed::files {

using market::format_iso;
using market::kMaxIsoLength;
using market::parse_timestamp;
namespace {

constexpr std::int64_t kPow10[] = {1,
                                   10,
                                   100,
                                   1'000,
                                   10'000,
                                   100'000,
                                   1'000'000,
                                   10'000'000,
                                   100'000'000,
                                   1'000'000'000,
                                   10'000'000'000,
                                   100'000'000'000,
                                   1'000'000'000'000};
constexpr int kMaxDigits = 12;
constexpr std::size_t kMaxStoredName = stt::kMaxNameLength;

// A price or size is an integer n times a unit (tick size, or 1 / size scale). When the unit
// is a decimal k / 10^d, n * k is printed with d digits after the point: exact, and short.
// Otherwise the double n * unit is printed shortest-round-trip.
struct Unit {
  double unit = 1.0;
  bool decimal = false;
  std::int64_t k = 1;
  int digits = 0;
};

Unit make_unit(double unit) {
  Unit u{.unit = unit};
  const int d = market::decimals_for(unit);
  if (d > kMaxDigits) return u;
  const double scaled = unit * static_cast<double>(kPow10[d]);
  if (!(scaled < 9e15)) return u;
  const auto k = static_cast<std::int64_t>(std::llround(scaled));
  if (k <= 0 || static_cast<double>(k) / static_cast<double>(kPow10[d]) != unit) return u;
  u.decimal = true;
  u.k = k;
  u.digits = d;
  return u;
}

char* put_value(char* p, std::int64_t n, const Unit& u, bool trim_zeros, double shown) {
  std::int64_t v = 0;
  if (!u.decimal || __builtin_mul_overflow(n, u.k, &v) || v == INT64_MIN) {
    return std::to_chars(p, p + 32, shown).ptr;
  }
  if (v < 0) {
    *p++ = '-';
    v = -v;
  }
  int d = u.digits;
  std::int64_t frac = v % kPow10[d];
  p = std::to_chars(p, p + 24, v / kPow10[d]).ptr;
  if (trim_zeros) {
    while (d > 0 && frac % 10 == 0) {
      frac /= 10;
      --d;
    }
  }
  if (d > 0) {
    *p++ = '.';
    for (int i = d - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    p += d;
  }
  return p;
}

bool csv_safe(std::string_view name) {
  if (name.empty() || name.size() > kMaxSymbolLength) return false;
  if (name.front() == ' ' || name.back() == ' ' || name.front() == '\t' || name.back() == '\t') {
    return false;
  }
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ',' || c == '"') return false;
  }
  return true;
}

class CsvWriter final : public TickEncoder {
 public:
  CsvWriter(ByteOutput out, const market::SymbolRegistry& registry,
            const TickFileWriterOptions& options)
      : out_(std::move(out)), iso_(options.csv_time == CsvTime::kIso) {
    check_symbols(TickFileFormat::kCsv, registry);
    for (const auto& s : registry.all()) {
      symbols_.push_back({.name = s.name,
                          .tick_size = s.tick_size,
                          .size_scale = s.size_scale,
                          .price = make_unit(s.tick_size),
                          .size = make_unit(1.0 / s.size_scale)});
      longest_ = std::max(longest_, s.name.size());
    }
    out_.append("ts,symbol,price,size,bid,ask\n");
  }

  void write(std::span<const market::Tick> ticks) override {
    std::size_t written = 0;
    for (const market::Tick& t : ticks) {
      // CSV has no correction records (docs/FEEDS.md "Trade corrections"): counted, not kept.
      if (market::is_correction(t)) {
        ++corrections_skipped_;
        continue;
      }
      if (market::is_gap(t)) {  // nor gap records: a CSV replay numbers its trades anew
        ++gaps_skipped_;
        continue;
      }
      ++written;
      if (t.symbol >= symbols_.size()) {
        throw std::invalid_argument("tick for symbol id " + std::to_string(t.symbol) +
                                    ", which the writer's registry does not have");
      }
      const Symbol& s = symbols_[t.symbol];
      char* const start = out_.reserve(kMaxLine + longest_);
      char* p = start;
      p = iso_ ? p + format_iso(t.ts_ns, p) : std::to_chars(p, p + 24, t.ts_ns).ptr;
      *p++ = ',';
      p = std::copy(s.name.begin(), s.name.end(), p);
      *p++ = ',';
      p = put_price(p, t.price, s);
      *p++ = ',';
      p = put_value(p, t.size, s.size, true, static_cast<double>(t.size) / s.size_scale);
      *p++ = ',';
      if (t.bid != 0) p = put_price(p, t.bid, s);
      *p++ = ',';
      if (t.ask != 0) p = put_price(p, t.ask, s);
      *p++ = '\n';
      out_.commit(static_cast<std::size_t>(p - start));
    }
    ticks_ += written;
  }

  void close() override { out_.close(); }
  std::uint64_t ticks_written() const override { return ticks_; }
  std::uint64_t bytes_written() const override { return out_.size(); }
  std::uint64_t corrections_skipped() const override { return corrections_skipped_; }
  std::uint64_t gaps_skipped() const override { return gaps_skipped_; }

 private:
  struct Symbol {
    std::string name;
    double tick_size;
    double size_scale;
    Unit price;
    Unit size;
  };
  static constexpr std::size_t kMaxLine = 6 * 40;  // six fields of at most ~32 chars each

  static char* put_price(char* p, std::int64_t ticks, const Symbol& s) {
    // The same product the .stt reader hands the normalizer.
    return put_value(p, ticks, s.price, false, static_cast<double>(ticks) * s.tick_size);
  }

  ByteOutput out_;
  bool iso_;
  std::vector<Symbol> symbols_;
  std::size_t longest_ = 0;
  std::uint64_t ticks_ = 0;
  std::uint64_t corrections_skipped_ = 0;
  std::uint64_t gaps_skipped_ = 0;
};

}  // namespace

void check_symbols(TickFileFormat format, const market::SymbolRegistry& symbols) {
  for (const auto& s : symbols.all()) {
    if (format == TickFileFormat::kCsv && !csv_safe(s.name)) {
      throw std::invalid_argument("symbol '" + s.name + "' cannot be written to CSV unchanged");
    }
    if (s.name.size() > kMaxStoredName) {
      throw std::invalid_argument("symbol name '" + s.name.substr(0, 40) + "...' is longer than " +
                                  std::to_string(kMaxStoredName) + " bytes");
    }
  }
}

std::unique_ptr<TickEncoder> make_csv_writer(ByteOutput out, const market::SymbolRegistry& symbols,
                                             const TickFileWriterOptions& options) {
  return std::make_unique<CsvWriter>(std::move(out), symbols, options);
}

}  // namespace spacetime::feed::files
