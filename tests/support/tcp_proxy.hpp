// A TCP forwarder on 127.0.0.1 in front of a real server, for outage tests: set_down(true)
// cuts every connection and refuses new ones (accepted and closed at once) while the
// server keeps its data; set_down(false) lets clients reconnect. One thread forwards every
// connection with blocking writes, so a write to a peer that stops reading is bounded
// (kStall, under the clients' 5 s): the pair is then cut, as a network fault would, instead of
// wedging the proxy and every connection through it (and the destructor's join) for good. Accepts
// never block and the connect to the server is bounded the same way.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace spacetime::testing {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
    // Non-blocking: a connection reset between poll() and accept() must not stall the loop.
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("proxy: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~TcpProxy() {
    thread_.request_stop();
    thread_.join();
    for (auto& [a, b] : pairs_) {
      ::close(a);
      ::close(b);
    }
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  void set_down(bool down) { down_ = down; }

 private:
  void run(std::stop_token stop) {
    char buf[65536];
    while (!stop.stop_requested()) {
      if (down_) {
        for (auto& [a, b] : pairs_) {
          ::close(a);
          ::close(b);
        }
        pairs_.clear();
      }
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
          const int server = down_ ? -1 : connect_target();
          if (server < 0) {
            ::close(client);
          } else {
            bound_writes(client);
            pairs_.emplace_back(client, server);
          }
        }
      }
      // Only the pairs poll() looked at: one accepted just now has no entry in fds (reading
      // past its end once took a garbage revents for readiness and blocked in read() for ever).
      const std::size_t polled = (fds.size() - 1) / 2;
      std::vector<std::size_t> dead;
      for (std::size_t i = 0; i < polled; ++i) {
        for (int side = 0; side < 2; ++side) {
          const auto& p = fds[1 + 2 * i + static_cast<std::size_t>(side)];
          if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
          const int from = side == 0 ? pairs_[i].first : pairs_[i].second;
          const int to = side == 0 ? pairs_[i].second : pairs_[i].first;
          const ssize_t n = ::recv(from, buf, sizeof buf, MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
          if (n <= 0 || !write_all(to, buf, static_cast<std::size_t>(n))) {
            dead.push_back(i);
            break;
          }
        }
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        ::close(pairs_[*it].first);
        ::close(pairs_[*it].second);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
    }
  }

  static constexpr int kStall = 4;  // seconds a write may wait for its peer to read

  static void bound_writes(int fd) {
    const timeval tv{.tv_sec = kStall, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  static bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  int connect_target() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bound_writes(fd);  // on Linux SO_SNDTIMEO also bounds connect()
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_port_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> down_{false};
  std::vector<std::pair<int, int>> pairs_;
  std::jthread thread_;
};

}  // namespace spacetime::testing
