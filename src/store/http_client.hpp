// Private to the store: a small blocking HTTP/1.1 client over POSIX sockets for the InfluxDB
// backend (no Beast: one Beast unit costs ~17 s to compile). One kept-alive connection,
// connect/read/write timeouts, Content-Length and chunked bodies. Unreachable, timed out or
// cut off: StoreUnavailable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spacetime::store::detail {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // headers: extra "Name: value" lines. Retries once on a kept-alive connection the server
  // had closed. Throws StoreUnavailable naming host:port.
  HttpResponse request(std::string_view method, const std::string& target, std::string_view body,
                       const std::vector<std::string>& headers = {});
  void close();

 private:
  void connect();
  void send_all(std::string_view data);
  HttpResponse read_response();
  std::size_t fill();  // reads more into buffer_; 0 at EOF

  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
  std::size_t pos_ = 0;
};

// "%XX" encoding of a query-string value.
std::string url_encode(std::string_view s);

}  // namespace spacetime::store::detail
