#include "feed/iqfeed/socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spacetime::feed::iqfeed {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

WakeFd::WakeFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_.valid()) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

void WakeFd::notify() const {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(fd_.get(), &one, sizeof one);
}

void WakeFd::drain() const {
  std::uint64_t value = 0;
  [[maybe_unused]] const auto n = ::read(fd_.get(), &value, sizeof value);
}

ConnectResult connect_tcp(const std::string& host, std::uint16_t port,
                          std::chrono::milliseconds timeout, const WakeFd& wake) {
  ConnectResult result;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    result.error = std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      result.error = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      result.error = std::strerror(errno);
      continue;
    }
    pollfd fds[2] = {{fd.get(), POLLOUT, 0}, {wake.fd(), POLLIN, 0}};
    const int n = ::poll(fds, 2, remaining_ms(deadline));
    if (n == 0) {
      result.error = "timed out";
      continue;
    }
    if (n < 0 || (fds[1].revents & POLLIN) != 0) {
      result.error = "stopped";
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      result.error = std::strerror(err);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    result.fd = std::move(fd);
    result.error.clear();
    break;
  }
  ::freeaddrinfo(found);
  return result;
}

bool send_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool sleep_unless_woken(const WakeFd& wake, std::chrono::milliseconds duration) {
  const auto deadline = Clock::now() + duration;
  for (;;) {
    pollfd p{wake.fd(), POLLIN, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return false;
    if (n == 0) return true;
    if (errno != EINTR) return true;
  }
}

}  // namespace spacetime::feed::iqfeed
