#include "ws_session.hpp"

namespace spacetime::gateway {

constexpr auto kServerName = "spacetime";

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Now now() {
  return Now{.steady_ns = steady_now_ns(),
             .wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count()};
}

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, SessionHost& host, SessionLimits limits)
    : ws_(std::move(stream)),
      host_(host),
      limits_(limits),
      keepalive_(ws_.get_executor()),
      auth_timer_(ws_.get_executor()) {
  host_.session_started();
}

template <class Stream>
WsSession<Stream>::~WsSession() {
  host_.session_ended();
}

template <class Stream>
void WsSession<Stream>::run(http::request<http::string_body> request) {
  // Handshake timeout only: keepalive is ours (pings on silence, a deadline on hearing).
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, kServerName); }));
  // The auth message carries a token of up to auth::kMaxTokenBytes: Beast reads up to
  // that, and on_read holds every other op to max_message_bytes.
  ws_.read_message_max(host_.auth_enabled() ? auth_message_max(limits_.max_message_bytes)
                                            : limits_.max_message_bytes);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    last_heard_ns_ = steady_now_ns();  // pongs (and pings) prove the peer is alive
    if (kind == websocket::frame_type::pong) ping_sent_ns_ = 0;
  });
  // A small kernel send buffer: a reader that stops shows as a stalled write within
  // seconds instead of after megabytes of kernel buffering.
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.set_option(net::socket_base::send_buffer_size(256 * 1024), ignored);
  socket.set_option(tcp::no_delay(true), ignored);  // a batch is due now, not after an ACK
  ws_.auto_fragment(false);  // one batch, one frame: no 4 KiB fragments, fewer syscalls
  ws_.async_accept(request,
                   beast::bind_front_handler(&WsSession<Stream>::on_accept, shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) return;  // not a WebSocket after all; nothing joined yet
  last_heard_ns_ = steady_now_ns();
  schedule_keepalive();
  if (host_.auth_enabled()) {
    // The hub (and its hello) only for an authenticated session.
    auth_timer_.expires_after(std::chrono::milliseconds(limits_.auth_timeout_ms));
    auth_timer_.async_wait([self = shared_from_this()](beast::error_code timer_ec) {
      // An auth that came in time and is still being verified is not late: its verdict
      // lets the session in or closes it.
      if (!timer_ec && !self->authenticated_ && !self->verifying_)
        self->close(kCloseUnauthenticated, "authentication timeout");
    });
  } else {
    hub_id_ = host_.hub().connect(*this, now());
  }
  do_read();
}

// Every verification, the first and each refresh, goes through here: reading stops until
// the verdict is in, so a refresh, a resume and a subscribe on one session are handled
// one after the other, in the order sent, on the I/O thread.
template <class Stream>
void WsSession<Stream>::verify(RequestId id, std::string token) {
  verifying_ = true;
  host_.authenticate(std::move(token), [self = shared_from_this(), id = std::move(id)](
                                           const auth::Verdict& v) { self->on_verdict(id, v); });
}

template <class Stream>
bool WsSession<Stream>::refresh(const RequestId& id, std::string token) {
  if (!host_.auth_enabled()) return false;
  verify(id, std::move(token));
  return true;
}

template <class Stream>
void WsSession<Stream>::on_verdict(const RequestId& id, const auth::Verdict& v) {
  verifying_ = false;
  if (closed_ || close_pending_) return;
  // Reading starts again: the keepalive starts afresh (a pong may have waited unread).
  last_heard_ns_ = steady_now_ns();
  ping_sent_ns_ = 0;
  if (v.reason) {
    if (*v.reason == auth::Reason::kBusy) return close(1013, "busy: retry");
    return close(kCloseUnauthenticated, auth::to_string(*v.reason));
  }
  const auth::Identity& who = v.identity;
  if (authenticated_ && who.sub != sub_) return close(kCloseUnauthenticated, "subject changed");
  if (!who.viewer) {
    send(Frame::of(
        encode_error(id, ErrorCode::kForbidden, "the token has neither role viewer nor admin")));
    return close(kCloseForbidden, "forbidden");
  }
  send(Frame::of(encode_auth_ok(id, who.sub, who.exp, who.roles)));
  if (!authenticated_) {
    authenticated_ = true;
    sub_ = who.sub;
    hub_id_ = host_.hub().connect(*this, now());
  }
  host_.hub().set_admin(hub_id_, who.admin);
  arm_expiry(who.exp);
  do_read();
}

template <class Stream>
void WsSession<Stream>::arm_expiry(std::int64_t exp_s) {
  // The same leeway as the verifier's: the session ends when the token would be refused.
  const std::int64_t now_ms = now().wall_ms;
  const std::int64_t left_ms =
      std::max<std::int64_t>((exp_s + host_.auth_leeway_s()) * 1000 - now_ms, 0);
  auth_timer_.expires_after(std::chrono::milliseconds(left_ms));  // cancels the previous wait
  auth_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->close(kCloseUnauthenticated, "token expired");
  });
}

template <class Stream>
void WsSession<Stream>::do_read() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&WsSession<Stream>::on_read, shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) return fail("message_too_big");
    if (ec == websocket::error::bad_frame_payload) return fail("bad_utf8");
    if (ec == websocket::error::closed) return fail("client_closed");
    return fail("read_error");
  }
  last_heard_ns_ = steady_now_ns();
  if (host_.auth_enabled() && !authenticated_ && !close_pending_) {
    const auto data = buffer_.cdata();
    auto request = ws_.got_text() ? parse_auth_message(std::string_view(
                                        static_cast<const char*>(data.data()), data.size()))
                                  : std::nullopt;
    buffer_.consume(buffer_.size());
    if (!request) return close(kCloseUnauthenticated, "authentication required");
    return verify(std::move(request->id), std::move(request->token));
  }
  if (hub_id_ != 0 && !close_pending_ && buffer_.size() > limits_.max_message_bytes) {
    // Longer than max_message_bytes: only an `auth` (a refresh) may be, as Beast let it in.
    const auto data = buffer_.cdata();
    const bool auth = ws_.got_text() && parse_auth_message(std::string_view(
                                            static_cast<const char*>(data.data()), data.size()));
    if (!auth) {
      buffer_.consume(buffer_.size());
      if (!counted_) {
        counted_ = true;
        host_.count_close(0, "message_too_big");  // as for Beast's own 1009
      }
      return close(1009, "message too big");
    }
  }
  if (hub_id_ != 0 && !close_pending_) {
    if (!ws_.got_text()) {
      host_.hub().on_message(hub_id_, "<binary frame>", now());
    } else {
      const auto data = buffer_.cdata();
      host_.hub().on_message(
          hub_id_, std::string_view(static_cast<const char*>(data.data()), data.size()), now());
    }
  }
  buffer_.consume(buffer_.size());
  if (!verifying_) do_read();  // else on_verdict reads on
}

template <class Stream>
void WsSession<Stream>::send(Frame frame) {
  if (closed_ || close_pending_) return;
  queued_bytes_ += frame.bytes;
  queue_.push_back({std::move(frame), steady_now_ns()});
  if (!writing_) do_write();
}

template <class Stream>
void WsSession<Stream>::do_write() {
  if (queue_.empty()) {
    if (close_pending_) do_close();
    return;
  }
  writing_ = true;
  write_started_ns_ = steady_now_ns();
  buffers_.clear();
  for (const auto& piece : queue_.front().frame.pieces)
    buffers_.emplace_back(piece->data(), piece->size());
  ws_.text(true);
  ws_.async_write(buffers_,
                  beast::bind_front_handler(&WsSession<Stream>::on_write, shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return fail("write_error");
  const Queued& done = queue_.front();
  const std::int64_t t = steady_now_ns();
  host_.observe_write(done.queued_ns, t, done.frame.origin_ns);
  queued_bytes_ -= done.frame.bytes;
  queue_.pop_front();
  do_write();
}

template <class Stream>
void WsSession<Stream>::close(std::uint16_t code, std::string_view reason) {
  if (closed_ || close_pending_) return;
  close_pending_ = true;
  close_reason_ =
      websocket::close_reason(static_cast<websocket::close_code>(code), std::string(reason));
  if (!counted_) {
    counted_ = true;
    host_.count_close(code, reason);
  }
  leave_hub();
  // Keep only the frame being written: Beast allows one write at a time.
  if (writing_) {
    while (queue_.size() > 1) {
      queued_bytes_ -= queue_.back().frame.bytes;
      queue_.pop_back();
    }
    // A client that stopped reading may never let the frame in flight finish.
    auto self = shared_from_this();
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), std::chrono::seconds(2));
    timer->async_wait([self, timer](beast::error_code) {
      if (!self->closed_) beast::get_lowest_layer(self->ws_).close();
    });
  } else {
    queue_.clear();
    queued_bytes_ = 0;
    do_close();
  }
}

template <class Stream>
void WsSession<Stream>::do_close() {
  keepalive_.cancel();
  auth_timer_.cancel();
  auto self = shared_from_this();
  // The close handshake may never finish with a dead peer: cut the socket after 2 s.
  auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), std::chrono::seconds(2));
  timer->async_wait([self, timer](beast::error_code) {
    if (!self->closed_) beast::get_lowest_layer(self->ws_).close();
  });
  ws_.async_close(close_reason_, [self, timer](beast::error_code) {
    self->closed_ = true;
    timer->cancel();
  });
}

template <class Stream>
void WsSession<Stream>::fail(std::string_view why) {
  if (!counted_) {
    counted_ = true;
    host_.count_close(0, why);
  }
  closed_ = true;
  keepalive_.cancel();
  auth_timer_.cancel();
  // The frame in flight (if any) is the buffer of the pending async_write: keep it alive
  // until on_write pops it.
  while (queue_.size() > (writing_ ? 1u : 0u)) {
    queued_bytes_ -= queue_.back().frame.bytes;
    queue_.pop_back();
  }
  leave_hub();
}

template <class Stream>
void WsSession<Stream>::leave_hub() {
  if (hub_id_ == 0) return;
  host_.hub().disconnect(hub_id_);
  hub_id_ = 0;
}

template <class Stream>
void WsSession<Stream>::schedule_keepalive() {
  keepalive_.expires_after(std::chrono::milliseconds(std::max(limits_.ping_interval_ms, 10)));
  keepalive_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->on_keepalive();
  });
}

template <class Stream>
void WsSession<Stream>::on_keepalive() {
  if (closed_) return;
  const std::int64_t t = steady_now_ns();
  const std::int64_t timeout = std::int64_t{limits_.ping_timeout_ms} * 1'000'000;
  // While a token is checked nothing is read (pongs included): not a sign of a dead peer.
  if (verifying_) return schedule_keepalive();
  // Dead: nothing heard for the timeout, or a ping unanswered for as long.
  if (t - last_heard_ns_ > timeout || (ping_sent_ns_ != 0 && t - ping_sent_ns_ > timeout)) {
    if (!counted_) {
      counted_ = true;
      host_.count_close(0, "ping_timeout");
    }
    closed_ = true;
    auth_timer_.cancel();
    leave_hub();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return;
  }
  // Every interval, one ping at a time: its round trip measures how far behind the client
  // reads, which the hub's byte budget uses (stalled_since_ns).
  if (!pinging_ && ping_sent_ns_ == 0 && !close_pending_) {
    pinging_ = true;
    ping_sent_ns_ = t;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) { self->pinging_ = false; });
  }
  schedule_keepalive();
}

template class WsSession<beast::tcp_stream>;
template class WsSession<TlsStream>;

}  // namespace spacetime::gateway
