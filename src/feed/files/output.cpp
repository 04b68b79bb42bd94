#include "feed/files/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "feed/tick_file.hpp"

namespace spacetime::feed::files {
namespace {

constexpr std::size_t kFileBuffer = 1 << 20;  // few, large writes
constexpr std::size_t kMemoryBuffer = 4096;   // grows on demand; small outputs stay cheap

}  // namespace

ByteOutput::ByteOutput(int fd, std::string name, std::string* memory)
    : fd_(fd),
      name_(std::move(name)),
      memory_(memory),
      buffer_(memory != nullptr ? kMemoryBuffer : kFileBuffer) {}

ByteOutput ByteOutput::file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw TickFileError(path.string() + ": cannot create: " + std::strerror(errno));
  }
  return ByteOutput(fd, path.string(), nullptr);
}

ByteOutput ByteOutput::memory(std::string& out) {
  return ByteOutput(-1, "<memory>", &out);
}

ByteOutput::ByteOutput(ByteOutput&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      memory_(std::exchange(other.memory_, nullptr)),
      buffer_(std::move(other.buffer_)),
      used_(std::exchange(other.used_, 0)),
      flushed_(std::exchange(other.flushed_, 0)) {}

ByteOutput::~ByteOutput() {
  if (fd_ >= 0) ::close(fd_);
}

void ByteOutput::fail(const char* what) const {
  throw TickFileError(name_ + ": " + what + ": " + std::strerror(errno));
}

char* ByteOutput::reserve(std::size_t n) {
  if (buffer_.size() - used_ < n) {
    flush();
    if (buffer_.size() < n) buffer_.resize(n);
  }
  return buffer_.data() + used_;
}

void ByteOutput::append(std::string_view bytes) {
  if (bytes.size() > buffer_.size() - used_) flush();
  if (bytes.size() > buffer_.size()) buffer_.resize(bytes.size());
  std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
}

void ByteOutput::flush() {
  if (memory_ != nullptr) {
    memory_->append(buffer_.data(), used_);
  } else {
    const char* p = buffer_.data();
    std::size_t left = used_;
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write");
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  flushed_ += used_;
  used_ = 0;
}

void ByteOutput::patch(std::uint64_t offset, std::string_view bytes) {
  flush();
  if (memory_ != nullptr) {
    // The memory output may already hold bytes before this writer started.
    const std::size_t base = memory_->size() - flushed_;
    memory_->replace(base + offset, bytes.size(), bytes);
    return;
  }
  if (::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) !=
      static_cast<ssize_t>(bytes.size())) {
    fail("cannot write");
  }
}

void ByteOutput::close() {
  flush();
  if (fd_ >= 0) {
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("cannot close");
  }
}

}  // namespace spacetime::feed::files
