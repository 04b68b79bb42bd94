// TCP is a byte stream: a read can end anywhere, even inside "\r\n". The framer cuts what
// was read into lines (without the line end), hands complete lines out as views and keeps
// the partial tail for the next read. Complete lines inside a read are never copied; only
// a tail is (hffix's "parse in place, keep only what you need").
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace spacetime::feed::iqfeed {

class LineFramer {
 public:
  // IQFeed lines are short (the longest, S,UPDATE FIELDNAMES, is ~1.5 KB); a line past the
  // limit is garbage or an attack, and is dropped rather than buffered without bound.
  static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

  explicit LineFramer(std::size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Calls on_line(std::string_view) for every complete line in `chunk` (plus the tail kept
  // from before), and on_too_long() once for every line dropped for its length. Views are
  // valid only during the call.
  template <typename OnLine, typename OnTooLong>
  void push(std::string_view chunk, OnLine&& on_line, OnTooLong&& on_too_long) {
    while (!chunk.empty()) {
      const void* nl = std::memchr(chunk.data(), '\n', chunk.size());
      if (nl == nullptr) {
        keep(chunk, on_too_long);
        return;
      }
      const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - chunk.data());
      const std::string_view piece = chunk.substr(0, len);
      chunk.remove_prefix(len + 1);
      if (discarding_) {
        discarding_ = false;  // the end of the line that was too long
        continue;
      }
      if (tail_.empty()) {
        if (piece.size() > max_line_) {
          on_too_long();
          continue;
        }
        on_line(strip_cr(piece));
        continue;
      }
      if (tail_.size() + piece.size() > max_line_) {
        tail_.clear();
        on_too_long();
        continue;
      }
      tail_.append(piece);
      on_line(strip_cr(tail_));
      tail_.clear();
    }
  }

  // Forgets any partial line (a new connection starts clean).
  void reset() {
    tail_.clear();
    discarding_ = false;
  }

  std::size_t pending() const { return tail_.size(); }

 private:
  static std::string_view strip_cr(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

  template <typename OnTooLong>
  void keep(std::string_view rest, OnTooLong& on_too_long) {
    if (discarding_) return;
    if (tail_.size() + rest.size() > max_line_) {
      tail_.clear();
      discarding_ = true;
      on_too_long();
      return;
    }
    tail_.append(rest);
  }

  std::size_t max_line_;
  std::string tail_;
  bool discarding_ = false;  // inside a line that was already reported as too long
};

}  // namespace spacetime::feed::iqfeed
