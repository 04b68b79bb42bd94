#include "http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/history.hpp"

namespace spacetime::store::detail {

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  pos_ = 0;
}

void HttpClient::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    throw StoreUnavailable(
        fmt::format("{}:{}: cannot resolve: {}", host_, port_, gai_strerror(rc)));
  }
  std::string error = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int r = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
      if (r == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
        errno = err;
      } else {
        if (r == 0) errno = ETIMEDOUT;
        r = -1;
      }
    }
    if (r == 0) {
      // Back to blocking with timeouts: simpler reads and writes, still bounded in time.
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{.tv_sec = static_cast<time_t>(timeout_.count() / 1000),
                 .tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
      ::freeaddrinfo(res);
      return;
    }
    error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  throw StoreUnavailable(fmt::format("{}:{}: cannot connect: {}", host_, port_, error));
}

void HttpClient::send_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      close();
      throw StoreUnavailable(fmt::format("{}:{}: send failed: {}", host_, port_, why));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t HttpClient::fill() {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errno == EAGAIN ? "timed out" : std::strerror(errno);
      close();
      throw StoreUnavailable(fmt::format("{}:{}: receive failed: {}", host_, port_, why));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return static_cast<std::size_t>(n);
  }
}

HttpResponse HttpClient::read_response() {
  auto need = [&](std::size_t n) {
    while (buffer_.size() - pos_ < n) {
      if (fill() == 0) {
        close();
        throw StoreUnavailable(fmt::format("{}:{}: connection closed mid-response", host_, port_));
      }
    }
  };
  auto line = [&]() {
    for (;;) {
      const auto eol = buffer_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        std::string l = buffer_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return l;
      }
      if (fill() == 0) {
        close();
        throw StoreUnavailable(fmt::format("{}:{}: connection closed mid-response", host_, port_));
      }
    }
  };
  HttpResponse r;
  const std::string status = line();
  if (status.size() < 12 || !status.starts_with("HTTP/1.")) {
    close();
    throw StoreUnavailable(fmt::format("{}:{}: not an HTTP response", host_, port_));
  }
  r.status = std::atoi(status.c_str() + 9);
  std::int64_t length = -1;
  bool chunked = false, keep = true;
  for (;;) {
    std::string h = line();
    if (h.empty()) break;
    for (auto& c : h) {
      if (c == ':') break;
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (h.starts_with("content-length:")) length = std::atoll(h.c_str() + 15);
    if (h.starts_with("transfer-encoding:") && h.find("chunked") != std::string::npos)
      chunked = true;
    if (h.starts_with("connection:") && h.find("close") != std::string::npos) keep = false;
  }
  if (chunked) {
    for (;;) {
      const std::size_t size = std::strtoul(line().c_str(), nullptr, 16);
      if (size == 0) {
        while (!line().empty()) {
        }
        break;
      }
      need(size + 2);
      r.body.append(buffer_, pos_, size);
      pos_ += size + 2;
    }
  } else if (length >= 0) {
    need(static_cast<std::size_t>(length));
    r.body.assign(buffer_, pos_, static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
  } else if (r.status != 204 && r.status != 304) {
    while (fill() > 0) {
    }
    r.body.assign(buffer_, pos_);
    keep = false;
  }
  if (!keep) close();
  return r;
}

HttpResponse HttpClient::request(std::string_view method, const std::string& target,
                                 std::string_view body, const std::vector<std::string>& headers) {
  std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n", method,
                                 target, host_, port_, body.size());
  for (const auto& h : headers)
    head += h + "\r\n";
  head += "\r\n";
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) connect();
    try {
      send_all(head);
      send_all(body);
      return read_response();
    } catch (const StoreUnavailable&) {
      // A kept-alive connection the server closed meanwhile: one fresh attempt.
      if (!reused || attempt > 0) throw;
      close();
    }
  }
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace spacetime::store::detail
