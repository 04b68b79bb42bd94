#include "feed/quarantine.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "market/time.hpp"

namespace spacetime::feed {
namespace {

// A symbol name as one CSV field: quoted when it holds a separator, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The shortest fixed-point text that reads back as the same double (no exponent, so a
// spreadsheet shows sizes like 1000000000 as they are; "nan", "inf" when not finite).
void append_number(std::string& out, double v) {
  char buf[400];  // the longest fixed double (about 1e-308 or 1e308) fits
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc()) r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string io_error(const std::string& path) {
  return "quarantine file " + path + ": " + std::strerror(errno);
}

}  // namespace

QuarantineFile::QuarantineFile(std::string path, const market::SymbolRegistry& symbols,
                               std::uint64_t max_rows)
    : path_(std::move(path)), symbols_(symbols), max_rows_(max_rows) {}

QuarantineFile::~QuarantineFile() {
  close();
}

std::string QuarantineFile::path_for(const std::string& output) {
  for (const char* ext : {".stt.zst", ".stt", ".csv"}) {
    const std::string e(ext);
    if (output.size() > e.size() && output.compare(output.size() - e.size(), e.size(), e) == 0) {
      return output.substr(0, output.size() - e.size()) + ".quarantine.csv";
    }
  }
  return output + ".quarantine.csv";
}

bool QuarantineFile::open() noexcept {
  if (file_ != nullptr) return true;
  file_ = std::fopen(path_.c_str(), "w");
  if (file_ == nullptr || std::fputs("ts,symbol,price,size,bid,ask,reason\n", file_) < 0) {
    error_ = io_error(path_);
    return false;
  }
  return true;
}

void QuarantineFile::write(const RejectedTick& t) noexcept {
  if (rows_ >= max_rows_ || !error_.empty()) {
    ++overflow_;
    return;
  }
  try {
    if (file_ == nullptr && !open()) {
      ++overflow_;
      return;
    }
    char ts[market::kMaxIsoLength];
    std::string row =
        t.ts_ns >= 0 ? std::string(ts, market::format_iso(t.ts_ns, ts)) : std::to_string(t.ts_ns);
    row += ',';
    row += t.symbol < symbols_.size() ? csv_field(symbols_.info(t.symbol).name)
                                      : "#" + std::to_string(t.symbol);
    for (const double v : {t.price, t.size, t.bid, t.ask}) {
      row += ',';
      append_number(row, v);
    }
    row += ',';
    row += to_string(t.reason);
    row += '\n';
    if (std::fputs(row.c_str(), file_) < 0) {
      error_ = io_error(path_);
      ++overflow_;
      return;
    }
    ++rows_;
  } catch (const std::exception& e) {  // out of memory formatting a row: counted, not thrown
    error_ = e.what();
    ++overflow_;
  }
}

bool QuarantineFile::close() noexcept {
  if (file_ == nullptr) return error_.empty();
  if (std::fclose(file_) != 0 && error_.empty()) {
    error_ = io_error(path_);
  }
  file_ = nullptr;
  return error_.empty();
}

}  // namespace spacetime::feed
