// A whole file mapped read-only, so the parsers work in place on one contiguous view and the
// page cache does the buffering. The file must not shrink while it is mapped (reading past
// the new end would raise SIGBUS); tick files are written once and then only read.
#pragma once

#include <filesystem>
#include <string_view>

namespace spacetime::feed::files {

class MappedFile {
 public:
  // Throws TickFileError when the path cannot be opened, is not a regular file, or cannot
  // be mapped. An empty file maps to an empty view.
  static MappedFile open(const std::filesystem::path& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  MappedFile(void* addr, std::size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace spacetime::feed::files
