// Snapshot and restore of streaming indicator state (docs/INDICATORS.md D9): raw bytes of
// trivially copyable fields, in declaration order. A restored object continues bit for bit
// as the original would have. Not a file format for other programs: same build, same
// machine.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace spacetime::indicators {

class StateWriter {
 public:
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const char*>(&value);
    bytes_.append(p, sizeof(T));
  }
  template <typename T>
  void put_vector(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<std::uint64_t>(values.size());
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  }
  void put_string(const std::string& text) {
    put<std::uint64_t>(text.size());
    bytes_.append(text);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class StateReader {
 public:
  explicit StateReader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  void get(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
  }
  // The vector keeps its size (set at construction): a snapshot of another shape is an error.
  template <typename T>
  void get_vector(std::vector<T>& values) {
    std::uint64_t n = 0;
    get(n);
    if (n != values.size()) throw std::runtime_error("indicator state: ring size mismatch");
    need(n * sizeof(T));
    std::memcpy(values.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  void get_string(std::string& text) {
    std::uint64_t n = 0;
    get(n);
    need(n);
    text.assign(bytes_.data() + pos_, n);
    pos_ += n;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  void need(std::size_t n) const {
    if (n > bytes_.size() - pos_) throw std::runtime_error("indicator state: truncated snapshot");
  }
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace spacetime::indicators
