// One WebSocket connection (Beast's websocket/server/async session shape): a strand of its
// own, one outstanding write, an explicit outbound queue whose bytes the hub budgets, and
// a keepalive that pings a silent peer and drops a dead one. Private to the gateway.
#pragma once

#include <utility>  // before Asio: Boost 1.74 coroutine headers need std::exchange

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

#include "auth/verifier.hpp"
#include "gateway/hub.hpp"

namespace spacetime::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// The TLS stream of a gateway started with --tls-cert/--tls-key (HTTPS and WSS).
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::int64_t steady_now_ns();
Now now();

// What a session needs from the server around it (all called on the I/O thread).
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual Hub& hub() = 0;
  virtual void count_close(std::uint16_t code, std::string_view why) = 0;
  // origin_ns: Frame::origin_ns of the message written (0: not a batch).
  virtual void observe_write(std::int64_t queued_ns, std::int64_t done_ns,
                             std::int64_t origin_ns) = 0;
  virtual void session_started() = 0;
  virtual void session_ended() = 0;
  // Authentication (docs/PROTOCOL.md § Auth). authenticate() verifies off the I/O thread
  // and calls `done` back on it.
  virtual bool auth_enabled() const = 0;
  virtual std::int64_t auth_leeway_s() const = 0;
  virtual void authenticate(std::string token, std::function<void(const auth::Verdict&)> done) = 0;
};

// WebSocket close codes of authentication.
inline constexpr std::uint16_t kCloseUnauthenticated = 4001;
inline constexpr std::uint16_t kCloseForbidden = 4003;

// The longest `auth` message (auth on): a token of up to auth::kMaxTokenBytes plus room for
// the rest of the JSON (8704 bytes), or max_message_bytes if that is larger. Every other
// message is held to max_message_bytes (docs/PROTOCOL.md § Authentication).
inline std::size_t auth_message_max(std::size_t max_message_bytes) {
  return std::max(max_message_bytes, auth::kMaxTokenBytes + 512);
}

struct SessionLimits {
  std::size_t max_message_bytes = 4096;
  int ping_interval_ms = 5000;
  int ping_timeout_ms = 15000;
  int auth_timeout_ms = 10000;  // auth on: the first message must authenticate by then
};

// Stream: beast::tcp_stream (plain) or TlsStream (after its TLS handshake); both are
// instantiated in ws_session.cpp.
template <class Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>>, public Client {
 public:
  WsSession(Stream&& stream, SessionHost& host, SessionLimits limits);
  ~WsSession() override;

  void run(http::request<http::string_body> request);

  // Client
  void send(Frame frame) override;
  std::size_t queued_bytes() const override { return queued_bytes_; }
  // A ping is queued behind the data sent before it (TCP keeps order), so its pong proves
  // the client has read all of that: an unanswered ping is the stall, whatever the kernel
  // buffers hold. A write that does not complete counts too.
  std::int64_t stalled_since_ns() const override {
    // While a token is checked nothing is read, so an unanswered ping says nothing.
    if (ping_sent_ns_ != 0 && !verifying_) return ping_sent_ns_;
    return writing_ ? write_started_ns_ : 0;
  }
  void close(std::uint16_t code, std::string_view reason) override;
  bool refresh(const RequestId& id, std::string token) override;

 private:
  struct Queued {
    Frame frame;
    std::int64_t queued_ns = 0;
  };
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void do_close();
  void fail(std::string_view why);
  void schedule_keepalive();
  void on_keepalive();
  void leave_hub();
  using std::enable_shared_from_this<WsSession<Stream>>::shared_from_this;
  void verify(RequestId id, std::string token);
  void on_verdict(const RequestId& id, const auth::Verdict& v);
  void arm_expiry(std::int64_t exp_s);

  websocket::stream<Stream> ws_;
  SessionHost& host_;
  SessionLimits limits_;
  beast::flat_buffer buffer_;
  net::steady_timer keepalive_;
  std::deque<Queued> queue_;
  std::vector<net::const_buffer> buffers_;  // the frame being written
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::int64_t write_started_ns_ = 0;
  std::int64_t last_heard_ns_ = 0;
  bool pinging_ = false;
  std::int64_t ping_sent_ns_ = 0;  // the unanswered ping, 0 when none
  std::uint64_t hub_id_ = 0;       // 0: not joined (or left)
  bool close_pending_ = false;
  bool closed_ = false;
  bool counted_ = false;
  websocket::close_reason close_reason_;
  // Authentication: the deadline for the first auth message, then the token's expiry.
  net::steady_timer auth_timer_;
  bool authenticated_ = false;
  bool verifying_ = false;  // a token is being verified: reading waits (one at a time)
  std::string sub_;         // the subject the session is bound to
};

extern template class WsSession<beast::tcp_stream>;
extern template class WsSession<TlsStream>;

}  // namespace spacetime::gateway
