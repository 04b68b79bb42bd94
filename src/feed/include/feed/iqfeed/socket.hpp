// The few POSIX socket pieces the client needs: an owned descriptor, a connect with a
// timeout that a stop request can interrupt, and an eventfd to wake a poll() from another
// thread. Plain sockets on the feed's own thread keep Asio out of this part entirely.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace spacetime::feed::iqfeed {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// Wakes a poll() on another thread (stop requests).
class WakeFd {
 public:
  WakeFd();
  int fd() const { return fd_.get(); }
  void notify() const;
  void drain() const;

 private:
  Fd fd_;
};

struct ConnectResult {
  Fd fd;              // non-blocking, TCP_NODELAY; invalid on failure
  std::string error;  // why it failed ("connection refused", "timed out", "stopped"...)
};

// Connects within `timeout`; returns early (error "stopped") when `wake` becomes readable.
ConnectResult connect_tcp(const std::string& host, std::uint16_t port,
                          std::chrono::milliseconds timeout, const WakeFd& wake);

// Writes all of `data` to a non-blocking socket, waiting for room up to `timeout`.
bool send_all(int fd, std::string_view data, std::chrono::milliseconds timeout);

// Waits until `wake` fires or the time passes. Returns false when woken.
bool sleep_unless_woken(const WakeFd& wake, std::chrono::milliseconds duration);

}  // namespace spacetime::feed::iqfeed
