// A minimal HTTP/1.0 GET (and any request) over a loopback socket for integration tests (no
// Beast: cheap to compile).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace spacetime::testing {

// Status and body of one request; status 0 when it fails. headers: extra "Name: value" lines.
inline std::pair<int, std::string> http_request(std::uint16_t port, const std::string& method,
                                                const std::string& path, const std::string& body,
                                                const std::vector<std::string>& headers = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers)
      if (!h.empty()) request += h + "\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto end = response.find("\r\n\r\n");
  if (end == std::string::npos || response.size() < 12) return {};
  return {std::atoi(response.c_str() + 9), response.substr(end + 4)};
}

// Returns the body, or the empty string when the request fails (http_request's GET, with
// its 30 s timeout: a server that never answers fails the test).
inline std::string http_get(std::uint16_t port, const std::string& path) {
  return http_request(port, "GET", path, "").second;
}

}  // namespace spacetime::testing
