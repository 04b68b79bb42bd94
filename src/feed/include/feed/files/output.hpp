// Where a tick file writer puts its bytes: a file through a large buffer, or a string in
// memory. Both can patch bytes already written (the .stt record count, known only at the end).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace spacetime::feed::files {

class ByteOutput {
 public:
  // Creates or truncates the file. Throws TickFileError.
  static ByteOutput file(const std::filesystem::path& path);
  static ByteOutput memory(std::string& out);

  ByteOutput(ByteOutput&& other) noexcept;
  ByteOutput& operator=(ByteOutput&&) = delete;
  ByteOutput(const ByteOutput&) = delete;
  ByteOutput& operator=(const ByteOutput&) = delete;
  ~ByteOutput();  // closes the file without flushing: call close()

  // Room for `n` bytes at the end; commit() what was used of them.
  char* reserve(std::size_t n);
  void commit(std::size_t n) { used_ += n; }
  void append(std::string_view bytes);
  // Overwrites bytes at `offset` from the start of the output (already appended).
  void patch(std::uint64_t offset, std::string_view bytes);
  void close();  // flushes; throws TickFileError

  std::uint64_t size() const { return flushed_ + used_; }

 private:
  ByteOutput(int fd, std::string name, std::string* memory);
  void flush();
  [[noreturn]] void fail(const char* what) const;

  int fd_ = -1;
  std::string name_;
  std::string* memory_ = nullptr;
  std::vector<char> buffer_;
  std::size_t used_ = 0;
  std::uint64_t flushed_ = 0;
};

}  // namespace spacetime::feed::files
