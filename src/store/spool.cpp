#include "store/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "store/history.hpp"

namespace spacetime::store {
namespace {

// Record header: payload length, CRC32 of (wall time, payload), wall time.
constexpr std::size_t kHeader = 4 + 4 + 8;
constexpr std::uint32_t kMaxRecord = 1u << 30;

std::uint32_t crc_of(std::int64_t wall_ns, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(&wall_ns), sizeof wall_ns);
  crc =
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<std::uint32_t>(crc);
}

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw StoreError(fmt::format("spool {}: {}: {}", path, what, std::strerror(errno)));
}

bool read_all(int fd, char* out, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    out += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
  return true;
}

void write_all(int fd, const std::string& path, const char* data, std::size_t n,
               std::uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail(path, "write");
    data += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

std::string frame(std::string_view payload, std::int64_t wall_ns) {
  std::string rec(kHeader, '\0');
  const auto len = static_cast<std::uint32_t>(payload.size());
  const std::uint32_t crc = crc_of(wall_ns, payload);
  std::memcpy(rec.data(), &len, 4);
  std::memcpy(rec.data() + 4, &crc, 4);
  std::memcpy(rec.data() + 8, &wall_ns, 8);
  rec.append(payload);
  return rec;
}

}  // namespace

Spool::Spool(std::string path) : path_(std::move(path)) {
  open_and_scan();
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::open_and_scan() {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "cannot open");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(path_, "stat");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t pos = 0;
  std::string payload;
  while (pos + kHeader <= size) {
    char h[kHeader];
    if (!read_all(fd_, h, kHeader, pos)) break;
    std::uint32_t len, crc;
    std::int64_t wall;
    std::memcpy(&len, h, 4);
    std::memcpy(&crc, h + 4, 4);
    std::memcpy(&wall, h + 8, 8);
    if (len > kMaxRecord || pos + kHeader + len > size) break;
    payload.resize(len);
    if (!read_all(fd_, payload.data(), len, pos + kHeader)) break;
    if (crc_of(wall, payload) != crc) break;
    records_.push_back({pos + kHeader, len, wall});
    bytes_ += kHeader + len;
    pos += kHeader + len;
  }
  if (pos < size) {
    // A torn or corrupt tail: everything after the last whole record goes.
    discarded_ = size - pos;
    if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0) fail(path_, "truncate");
  }
  end_ = pos;
}

void Spool::append(std::string_view payload, std::int64_t wall_ns) {
  if (payload.size() > kMaxRecord)
    throw StoreError(fmt::format("spool {}: batch too large", path_));
  const std::string rec = frame(payload, wall_ns);
  write_all(fd_, path_, rec.data(), rec.size(), end_);
  // The batch is only "kept" once it is on disk: a crash after this loses nothing.
  if (::fdatasync(fd_) != 0) fail(path_, "fdatasync");
  records_.push_back({end_ + kHeader, static_cast<std::uint32_t>(payload.size()), wall_ns});
  end_ += rec.size();
  bytes_ += rec.size();
}

std::string Spool::front() const {
  const auto& r = records_.front();
  std::string out(r.length, '\0');
  if (!read_all(fd_, out.data(), r.length, r.offset)) fail(path_, "read");
  return out;
}

void Spool::for_each(const std::function<void(std::string_view)>& f) const {
  std::string payload;
  for (const auto& r : records_) {
    payload.resize(r.length);
    if (!read_all(fd_, payload.data(), r.length, r.offset)) fail(path_, "read");
    f(payload);
  }
}

void Spool::pop_front() {
  bytes_ -= kHeader + records_.front().length;
  records_.pop_front();
  if (records_.empty()) {
    // Replay done: start the file over. A crash before this replays (idempotently) again.
    if (::ftruncate(fd_, 0) != 0) fail(path_, "truncate");
    end_ = 0;
    bytes_ = 0;
  }
}

std::optional<std::int64_t> Spool::oldest_ns() const {
  if (records_.empty()) return std::nullopt;
  return records_.front().wall_ns;
}

void Spool::shrink_oldest(std::uint64_t max_bytes,
                          const std::function<std::string(std::string_view)>& shrink) {
  if (bytes_ <= max_bytes) return;
  std::deque<std::pair<std::string, std::int64_t>> all;
  std::uint64_t total = bytes_;
  bool shrinking = true;
  while (!records_.empty()) {
    std::string payload = front();
    const std::int64_t wall = records_.front().wall_ns;
    records_.pop_front();
    if (shrinking) {
      std::string smaller = shrink(payload);
      total -= payload.size() - std::min(payload.size(), smaller.size());
      payload = std::move(smaller);
      if (total <= max_bytes) shrinking = false;
    }
    if (!payload.empty()) all.emplace_back(std::move(payload), wall);
  }
  rewrite(all);
}

void Spool::rewrite(const std::deque<std::pair<std::string, std::int64_t>>& records) {
  // Written beside the spool and renamed over it, so a crash leaves one whole file.
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, "cannot open");
  std::uint64_t pos = 0;
  std::deque<Record> index;
  std::uint64_t bytes = 0;
  for (const auto& [payload, wall] : records) {
    const std::string rec = frame(payload, wall);
    write_all(fd, tmp, rec.data(), rec.size(), pos);
    index.push_back({pos + kHeader, static_cast<std::uint32_t>(payload.size()), wall});
    pos += rec.size();
    bytes += rec.size();
  }
  if (::fdatasync(fd) != 0 || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::close(fd);
    fail(path_, "rewrite");
  }
  ::close(fd_);
  fd_ = fd;
  records_ = std::move(index);
  end_ = pos;
  bytes_ = bytes;
}

}  // namespace spacetime::store
