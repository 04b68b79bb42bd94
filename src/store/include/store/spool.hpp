// The recorder's on-disk queue of batches a backend could not take: an append-only file of
// records (length, CRC32, wall time, payload), replayed oldest first once the backend is
// back. Each append is fdatasync'ed before it counts as kept; a torn tail (a crash in the
// middle of an append) is cut off when the file is opened again.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace spacetime::store {

class Spool {
 public:
  // Opens or creates the file, keeping every whole record already in it. Throws StoreError.
  explicit Spool(std::string path);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void append(std::string_view payload, std::int64_t wall_ns);
  bool empty() const { return records_.empty(); }
  std::size_t size() const { return records_.size(); }
  // The oldest record's payload, read from disk.
  std::string front() const;
  // Reads every queued record, oldest first.
  void for_each(const std::function<void(std::string_view)>& f) const;
  // The oldest record was replayed: forget it (the file is emptied when the last one goes).
  void pop_front();
  std::uint64_t bytes() const { return bytes_; }
  // Wall time of the oldest record; nullopt when empty.
  std::optional<std::int64_t> oldest_ns() const;
  // Rewrites the file with shrink(payload) applied to the records, oldest first, until the
  // file is at most max_bytes or every record was offered (shrink may return it unchanged).
  void shrink_oldest(std::uint64_t max_bytes,
                     const std::function<std::string(std::string_view)>& shrink);
  const std::string& path() const { return path_; }
  // Torn or corrupt bytes cut off when the file was opened.
  std::uint64_t discarded_bytes() const { return discarded_; }

 private:
  struct Record {
    std::uint64_t offset = 0;  // of the payload
    std::uint32_t length = 0;
    std::int64_t wall_ns = 0;
  };
  void open_and_scan();
  void rewrite(const std::deque<std::pair<std::string, std::int64_t>>& records);

  std::string path_;
  int fd_ = -1;
  std::uint64_t end_ = 0;    // file size
  std::uint64_t bytes_ = 0;  // bytes of the records still queued
  std::uint64_t discarded_ = 0;
  std::deque<Record> records_;
};

}  // namespace spacetime::store
