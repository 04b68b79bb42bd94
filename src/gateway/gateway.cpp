// Boost.Beast server, in the shape of Beast's websocket/server/chat-multi example: a
// listener, one HttpSession per connection that upgrades to a WsSession for /ws, and a Hub
// holding the shared state. Everything runs on one io_context thread, so the Hub needs no
// locks; counters read from other threads are atomics.
#include <utility>  // before Asio: Boost 1.74 coroutine headers need std::exchange

#include "gateway/gateway.hpp"

#include <fmt/format.h>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "gateway/protocol.hpp"
#include "store/candle_history.hpp"

namespace spacetime::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Frame = std::shared_ptr<const std::string>;

constexpr auto kServerName = "spacetime";

struct Counters {
  std::atomic<std::uint64_t> clients{0};
  std::atomic<std::uint64_t> clients_dropped_slow{0};
  std::atomic<std::uint64_t> bad_client_messages{0};
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> http_requests{0};
};

class Hub;

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket&& socket, Hub& hub, std::size_t queue_limit)
      : ws_(std::move(socket)), hub_(hub), queue_limit_(queue_limit) {}

  void run(http::request<http::string_body> request) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, kServerName); }));
    ws_.read_message_max(64 * 1024);
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  // Queues a frame; drops the client when its queue is full (docs/PROTOCOL.md).
  void send(Frame frame);
  // Closes with a reason once the frame in flight (if any) is written.
  void close(websocket::close_code code, std::string reason);

  // What the client subscribed to: channel index, and the smoothing it wants (intensity).
  struct Wanted {
    std::uint32_t channel = 0;
    Smoothing smoothing = Smoothing::kEma;
  };
  std::vector<Wanted>& channels() { return channels_; }

 private:
  void on_accept(beast::error_code ec);
  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_write() {
    if (!queue_.empty()) {
      ws_.text(true);
      ws_.async_write(net::buffer(*queue_.front()),
                      beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
    } else if (close_pending_) {
      do_close();
    }
  }
  void on_write(beast::error_code ec, std::size_t bytes);
  void do_close();
  void fail();

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  Hub& hub_;
  std::size_t queue_limit_;
  std::deque<Frame> queue_;
  std::vector<Wanted> channels_;
  bool joined_ = false;
  bool close_pending_ = false;
  bool closed_ = false;
  websocket::close_reason close_reason_;
};

class Hub {
 public:
  Hub(const GatewayConfig& config, const market::SymbolRegistry& symbols, bus::Bus& bus,
      net::io_context& ioc, Counters& counters)
      : config_(config),
        symbols_(symbols),
        bus_(bus),
        timer_(ioc),
        counters_(counters),
        history_(symbols.size(), config.history),
        recent_(symbols.size()),
        subscribers_(symbols.size() * market::kStreamCount),
        pending_(subscribers_.size()),
        hello_(std::make_shared<const std::string>(encode_hello(symbols, config.flush_ms))) {}

  void start() {
    subscription_ = bus_.subscribe(bus::Filter{}, config_.bus_capacity);  // every stream
    next_flush_ = std::chrono::steady_clock::now();
    schedule_flush();
  }

  void stop() {
    timer_.cancel();
    if (subscription_) bus_.unsubscribe(subscription_);
    auto sessions = sessions_;
    for (auto& [ptr, session] : sessions)
      session->close(websocket::close_code::going_away, "server shutting down");
  }

  std::uint64_t bus_dropped() const { return subscription_ ? subscription_->dropped() : 0; }

  void join(const std::shared_ptr<WsSession>& session) {
    sessions_.emplace(session.get(), session);
    counters_.clients.store(sessions_.size(), std::memory_order_relaxed);
    session->send(hello_);
  }

  void leave(WsSession* session) {
    for (const auto& w : session->channels())
      erase_subscriber(w.channel, session);
    session->channels().clear();
    sessions_.erase(session);
    counters_.clients.store(sessions_.size(), std::memory_order_relaxed);
  }

  void count_slow() { counters_.clients_dropped_slow.fetch_add(1, std::memory_order_relaxed); }
  void count_frame() { counters_.frames_sent.fetch_add(1, std::memory_order_relaxed); }

  void on_message(WsSession& session, std::string_view text) {
    const ClientRequest request = parse_client_message(text, symbols_);
    std::visit([&](const auto& r) { handle(session, r); }, request);
  }

 private:
  static constexpr std::size_t kRecentEvents = 200;  // spikes and reversals kept per symbol

  // What arrived on one channel since the last flush. Candles: every close and the latest
  // bar in progress. Intensity and buffer: the latest value (conflated). Spikes and
  // reversals: every event.
  struct Pending {
    std::vector<store::StoredCandle> closed;
    std::optional<store::StoredCandle> current;
    std::optional<market::Event> latest;
    std::vector<market::Event> all;
    bool touched = false;
  };

  // The latest intensity and buffer values and the recent spikes and reversals of a symbol,
  // for the snapshot a new subscriber gets.
  struct Recent {
    std::optional<market::Event> intensity;
    std::optional<market::Event> buffer;
    std::deque<market::Event> spikes;
    std::deque<market::Event> reversals;
  };

  static std::uint32_t channel_index(market::SymbolId symbol, market::Stream stream) {
    return static_cast<std::uint32_t>(symbol * market::kStreamCount +
                                      static_cast<std::size_t>(stream));
  }
  static market::Stream stream_of(std::uint32_t ch) {
    return static_cast<market::Stream>(ch % market::kStreamCount);
  }
  static bool is_candle(market::Stream s) {
    return static_cast<std::size_t>(s) < market::kTimeframeCount;
  }

  void handle(WsSession& session, const SubscribeRequest& r) {
    const std::uint32_t ch = channel_index(r.symbol, r.stream);
    const Smoothing smoothing = r.smoothing.value_or(config_.default_smoothing);
    auto& chans = session.channels();
    auto it =
        std::find_if(chans.begin(), chans.end(), [&](const auto& w) { return w.channel == ch; });
    if (it == chans.end()) {
      chans.push_back({ch, smoothing});
      subscribers_[ch].push_back(&session);
    } else {
      it->smoothing = smoothing;
    }
    session.send(std::make_shared<const std::string>(snapshot(r.symbol, r.stream, smoothing)));
  }
  void handle(WsSession& session, const UnsubscribeRequest& r) {
    const std::uint32_t ch = channel_index(r.symbol, r.stream);
    auto& chans = session.channels();
    chans.erase(
        std::remove_if(chans.begin(), chans.end(), [&](const auto& w) { return w.channel == ch; }),
        chans.end());
    erase_subscriber(ch, &session);
  }
  void handle(WsSession& session, const PingRequest& r) {
    session.send(std::make_shared<const std::string>(encode_pong(r.id)));
  }
  void handle(WsSession& session, const BadRequest& r) {
    counters_.bad_client_messages.fetch_add(1, std::memory_order_relaxed);
    session.send(std::make_shared<const std::string>(encode_error(r.message)));
  }

  std::string snapshot(market::SymbolId symbol, market::Stream stream, Smoothing smoothing) {
    if (is_candle(stream)) {
      const auto tf = market::kAllTimeframes[static_cast<std::size_t>(stream)];
      return encode_snapshot(symbols_, symbol, tf, history_.snapshot(symbol, tf));
    }
    const Recent& r = recent_[symbol];
    std::vector<market::Event> events;
    if (stream == market::Stream::kIntensity && r.intensity) events.push_back(*r.intensity);
    if (stream == market::Stream::kBuffer && r.buffer) events.push_back(*r.buffer);
    if (stream == market::Stream::kSpike) events.assign(r.spikes.begin(), r.spikes.end());
    if (stream == market::Stream::kReversal) events.assign(r.reversals.begin(), r.reversals.end());
    return encode_event_snapshot(symbols_, symbol, stream, events, smoothing);
  }

  void erase_subscriber(std::uint32_t ch, WsSession* session) {
    auto& subs = subscribers_[ch];
    subs.erase(std::remove(subs.begin(), subs.end(), session), subs.end());
  }

  void schedule_flush() {
    next_flush_ += std::chrono::milliseconds(config_.flush_ms);
    timer_.expires_at(next_flush_);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      flush();
      // After a long stall, do not fire a burst of catch-up flushes.
      const auto now = std::chrono::steady_clock::now();
      if (next_flush_ < now) next_flush_ = now;
      schedule_flush();
    });
  }

  void remember(const market::Event& event) {
    const auto symbol = std::visit([](const auto& e) { return e.symbol; }, event);
    if (symbol >= recent_.size()) return;
    Recent& r = recent_[symbol];
    auto keep = [](std::deque<market::Event>& q, const market::Event& e) {
      q.push_back(e);
      if (q.size() > kRecentEvents) q.pop_front();
    };
    if (std::holds_alternative<market::IntensityEvent>(event)) r.intensity = event;
    if (std::holds_alternative<market::BufferEvent>(event)) r.buffer = event;
    if (std::holds_alternative<market::SpikeStartEvent>(event) ||
        std::holds_alternative<market::SpikeEndEvent>(event)) {
      keep(r.spikes, event);
    }
    if (std::holds_alternative<market::ReversalEvent>(event)) keep(r.reversals, event);
  }

  Pending& touch(std::uint32_t ch) {
    Pending& p = pending_[ch];
    if (!p.touched) {
      p.touched = true;
      touched_.push_back(ch);
    }
    return p;
  }

  // Drains the bus, updates the history and sends each client one batch frame holding its
  // channels' updates.
  void flush() {
    events_.clear();
    subscription_->drain(events_);
    for (const market::Event& event : events_) {
      const market::Channel channel = market::channel_of(event);
      if (channel.symbol >= symbols_.size()) continue;
      const std::uint32_t ch = channel_index(channel.symbol, channel.stream);
      if (const auto* e = std::get_if<market::CandleEvent>(&event)) {
        history_.apply(*e);
        if (subscribers_[ch].empty()) continue;
        Pending& p = touch(ch);
        const auto sc = store::StoredCandle::of(*e);
        if (e->closed) {
          p.closed.push_back(sc);
          if (p.current && p.current->seq <= e->seq) p.current.reset();
        } else {
          p.current = sc;
        }
        continue;
      }
      remember(event);
      if (subscribers_[ch].empty()) continue;
      Pending& p = touch(ch);
      if (channel.stream == market::Stream::kIntensity ||
          channel.stream == market::Stream::kBuffer) {
        p.latest = event;  // conflated: a chart needs the latest value per flush, not each tick
      } else {
        p.all.push_back(event);
      }
    }
    if (touched_.empty()) return;

    // Encode each channel's updates once (per smoothing for intensity); every subscriber
    // shares the fragment.
    for (const std::uint32_t ch : touched_) {
      Pending& p = pending_[ch];
      const auto symbol = static_cast<market::SymbolId>(ch / market::kStreamCount);
      const market::Stream stream = stream_of(ch);
      auto& frags = fragments_[ch];
      for (auto& f : frags)
        f.clear();
      std::string& frag = frags[0];
      if (is_candle(stream)) {
        const auto tf = market::kAllTimeframes[static_cast<std::size_t>(stream)];
        for (std::size_t i = 0; i < p.closed.size(); ++i) {
          if (!frag.empty()) frag += ',';
          append_candle_event(frag, symbols_, symbol, tf, true, p.closed[i]);
        }
        if (p.current) {
          if (!frag.empty()) frag += ',';
          append_candle_event(frag, symbols_, symbol, tf, false, *p.current);
        }
      } else if (stream == market::Stream::kIntensity) {
        const auto& e = std::get<market::IntensityEvent>(*p.latest);
        for (std::size_t k = 0; k < kSmoothingCount; ++k) {
          append_intensity_event(frags[k], symbols_, e, static_cast<Smoothing>(k));
        }
      } else if (p.latest) {
        append_indicator_event(frag, symbols_, *p.latest);
      } else {
        for (const auto& e : p.all) {
          if (!frag.empty()) frag += ',';
          append_indicator_event(frag, symbols_, e);
        }
      }
    }
    // send() may drop a slow session, which erases it from sessions_: collect first.
    outbox_.clear();
    for (auto& [ptr, session] : sessions_) {
      std::string frame;
      for (const auto& w : session->channels()) {
        if (!pending_[w.channel].touched) continue;
        const auto& frags = fragments_[w.channel];
        const std::string& frag = stream_of(w.channel) == market::Stream::kIntensity
                                      ? frags[static_cast<std::size_t>(w.smoothing)]
                                      : frags[0];
        if (frag.empty()) continue;
        frame += frame.empty() ? R"({"type":"batch","events":[)" : ",";
        frame += frag;
      }
      if (frame.empty()) continue;
      frame += "]}";
      outbox_.emplace_back(session, std::make_shared<const std::string>(std::move(frame)));
    }
    for (auto& [session, frame] : outbox_)
      session->send(std::move(frame));
    outbox_.clear();
    for (const std::uint32_t ch : touched_)
      pending_[ch] = Pending{};
    touched_.clear();
  }

  const GatewayConfig& config_;
  const market::SymbolRegistry& symbols_;
  bus::Bus& bus_;
  net::steady_timer timer_;
  std::chrono::steady_clock::time_point next_flush_;
  Counters& counters_;
  store::CandleHistory history_;
  std::vector<Recent> recent_;  // per symbol
  std::shared_ptr<bus::Subscription> subscription_;
  std::unordered_map<WsSession*, std::shared_ptr<WsSession>> sessions_;
  std::vector<std::vector<WsSession*>> subscribers_;  // per channel index
  std::vector<Pending> pending_;                      // per channel index
  std::unordered_map<std::uint32_t, std::array<std::string, kSmoothingCount>> fragments_;
  std::vector<std::uint32_t> touched_;
  std::vector<market::Event> events_;
  std::vector<std::pair<std::shared_ptr<WsSession>, Frame>> outbox_;
  Frame hello_;
};

void WsSession::on_accept(beast::error_code ec) {
  if (ec) return;  // not a WebSocket after all; nothing joined yet
  joined_ = true;
  hub_.join(shared_from_this());
  do_read();
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return fail();
  if (close_pending_ || closed_) {
    // Left the hub already: a late subscribe must not register a session that is closing.
    buffer_.consume(buffer_.size());
    return do_read();
  }
  const auto data = buffer_.cdata();
  hub_.on_message(*this, std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  do_read();
}

void WsSession::send(Frame frame) {
  if (closed_ || close_pending_) return;
  if (queue_.size() >= queue_limit_) {
    hub_.count_slow();
    close(websocket::close_code::policy_error, "slow consumer");
    return;
  }
  queue_.push_back(std::move(frame));
  if (queue_.size() == 1) do_write();
}

void WsSession::close(websocket::close_code code, std::string reason) {
  if (closed_ || close_pending_) return;
  close_pending_ = true;
  close_reason_ = websocket::close_reason(code, reason);
  // Keep only the frame being written: Beast allows one write at a time.
  const bool writing = !queue_.empty();
  if (writing) queue_.erase(queue_.begin() + 1, queue_.end());
  if (joined_) {
    joined_ = false;
    hub_.leave(this);
  }
  if (!writing) {
    do_close();
  } else {
    // A client that stopped reading may never let the frame in flight finish.
    auto self = shared_from_this();
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), std::chrono::seconds(2));
    timer->async_wait([self, timer](beast::error_code) {
      if (!self->closed_) beast::get_lowest_layer(self->ws_).close();
    });
  }
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  if (ec) return fail();
  hub_.count_frame();
  queue_.pop_front();
  do_write();
}

void WsSession::do_close() {
  ws_.async_close(close_reason_,
                  [self = shared_from_this()](beast::error_code) { self->closed_ = true; });
}

void WsSession::fail() {
  closed_ = true;
  // The frame in flight (if any) is the buffer of the pending async_write: keep it alive
  // until on_write pops it.
  if (!queue_.empty()) queue_.erase(queue_.begin() + 1, queue_.end());
  if (joined_) {
    joined_ = false;
    hub_.leave(this);
  }
}

}  // namespace

namespace {

std::string_view mime_type(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

class Gateway::Impl {
 public:
  Impl(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
       MetricsSource metrics)
      : config_(std::move(config)),
        symbols_(symbols),
        metrics_(std::move(metrics)),
        acceptor_(ioc_),
        hub_(config_, symbols, bus, ioc_, counters_),
        started_(std::chrono::steady_clock::now()) {}

  std::uint16_t start() {
    beast::error_code ec;
    const auto address = net::ip::make_address(config_.bind, ec);
    if (ec)
      throw std::runtime_error(
          fmt::format("bad bind address '{}': {}", config_.bind, ec.message()));
    const tcp::endpoint endpoint(address, config_.port);
    const auto where = fmt::format("{}:{}", config_.bind, config_.port);
    if (acceptor_.open(endpoint.protocol(), ec) ||
        acceptor_.set_option(net::socket_base::reuse_address(true), ec) ||
        acceptor_.bind(endpoint, ec) ||
        acceptor_.listen(net::socket_base::max_listen_connections, ec)) {
      throw std::runtime_error(fmt::format("cannot listen on {}: {}", where, ec.message()));
    }
    const std::uint16_t port = acceptor_.local_endpoint().port();
    hub_.start();
    do_accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return port;
  }

  void stop() {
    if (!thread_.joinable()) return;
    net::post(ioc_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      hub_.stop();
      for (auto& weak : http_sessions_) {
        if (auto stream = weak.lock()) beast::get_lowest_layer(*stream).close();
      }
    });
    // Give the close frames a moment to leave, then stop whatever is still pending.
    auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(300));
    timer->async_wait([this, timer](beast::error_code) { ioc_.stop(); });
    thread_.join();
  }

  GatewayStats stats() const {
    return GatewayStats{
        .clients = counters_.clients.load(std::memory_order_relaxed),
        .clients_dropped_slow = counters_.clients_dropped_slow.load(std::memory_order_relaxed),
        .bad_client_messages = counters_.bad_client_messages.load(std::memory_order_relaxed),
        .frames_sent = counters_.frames_sent.load(std::memory_order_relaxed),
        .http_requests = counters_.http_requests.load(std::memory_order_relaxed),
        .bus_dropped = hub_.bus_dropped()};
  }

  // Everything /api/health and /metrics report, in one place.
  std::vector<Metric> all_metrics() const {
    const GatewayStats s = stats();
    std::vector<Metric> out = {
        {"uptime_s", static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                    std::chrono::steady_clock::now() - started_)
                                                    .count())},
        {"clients", s.clients},
        {"clients_dropped_slow", s.clients_dropped_slow},
        {"bad_client_messages", s.bad_client_messages},
        {"frames_sent", s.frames_sent},
        {"http_requests", s.http_requests},
        {"gateway_bus_dropped", s.bus_dropped}};
    if (metrics_) {
      for (auto& m : metrics_())
        out.push_back(std::move(m));
    }
    return out;
  }

  http::response<http::string_body> handle(const http::request<http::string_body>& req) {
    counters_.http_requests.fetch_add(1, std::memory_order_relaxed);
    auto respond = [&](http::status status, std::string_view type, std::string body) {
      http::response<http::string_body> res{status, req.version()};
      res.set(http::field::server, kServerName);
      res.set(http::field::content_type, type);
      res.keep_alive(req.keep_alive());
      res.body() = std::move(body);
      res.prepare_payload();
      return res;
    };
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      return respond(http::status::method_not_allowed, "text/plain", "only GET and HEAD\n");
    }
    std::string_view target = req.target();
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

    if (target == "/api/health") {
      std::string body = R"({"status":"ok")";
      for (const auto& [name, value] : all_metrics()) {
        // Labelled names (feed_parse_errors{source="iqfeed",kind="..."}) need escaping.
        body += ',';
        append_json_string(body, name);
        body += fmt::format(":{}", value);
      }
      body += "}";
      auto res = respond(http::status::ok, "application/json", std::move(body));
      res.set(http::field::cache_control, "no-store");
      return res;
    }
    if (target == "/metrics") {
      std::string body;
      for (const auto& [name, value] : all_metrics()) {
        body += fmt::format("spacetime_{} {}\n", name, value);
      }
      return respond(http::status::ok, "text/plain; version=0.0.4", std::move(body));
    }
    if (target == "/api/symbols") {
      return respond(http::status::ok, "application/json", encode_symbols(symbols_));
    }
    if (target.starts_with("/api/") || target == "/ws") {
      return respond(http::status::not_found, "application/json",
                     encode_error(fmt::format("no such endpoint: {}", target)) + "\n");
    }
    // Static files of the web front end; nothing outside web_root is reachable.
    if (target.empty() || target[0] != '/' || target.find("..") != std::string_view::npos ||
        target.find('\\') != std::string_view::npos) {
      return respond(http::status::bad_request, "text/plain", "bad path\n");
    }
    std::string rel(target == "/" ? "/index.html" : target);
    const std::filesystem::path path = std::filesystem::path(config_.web_root) / rel.substr(1);
    std::ifstream file(path, std::ios::binary);
    if (!file || std::filesystem::is_directory(path)) {
      return respond(http::status::not_found, "text/plain", fmt::format("not found: {}\n", target));
    }
    std::ostringstream content;
    content << file.rdbuf();
    auto res = respond(http::status::ok, mime_type(path), std::move(content).str());
    // Vite puts a content hash in asset names; index.html must always be fresh.
    res.set(http::field::cache_control,
            rel.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    if (req.method() == http::verb::head) res.body().clear();
    return res;
  }

  Hub& hub() { return hub_; }
  std::size_t client_queue() const { return config_.client_queue; }
  void track(const std::shared_ptr<beast::tcp_stream>& stream) {
    std::erase_if(http_sessions_, [](const auto& w) { return w.expired(); });
    http_sessions_.push_back(stream);
  }

 private:
  void do_accept();

  GatewayConfig config_;
  const market::SymbolRegistry& symbols_;
  MetricsSource metrics_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  Counters counters_;
  Hub hub_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::weak_ptr<beast::tcp_stream>> http_sessions_;
  std::thread thread_;
};

namespace {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, Gateway::Impl& gateway)
      : stream_(std::make_shared<beast::tcp_stream>(std::move(socket))), gateway_(gateway) {}

  void run() {
    gateway_.track(stream_);
    do_read();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024);
    stream_->expires_after(std::chrono::seconds(30));
    http::async_read(*stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (websocket::is_upgrade(parser_->get())) {
      if (parser_->get().target() == "/ws") {
        stream_->expires_never();
        std::make_shared<WsSession>(stream_->release_socket(), gateway_.hub(),
                                    gateway_.client_queue())
            ->run(parser_->release());
        return;
      }
    }
    auto res = std::make_shared<http::response<http::string_body>>(gateway_.handle(parser_->get()));
    http::async_write(*stream_, *res,
                      [self = shared_from_this(), res](beast::error_code wec, std::size_t) {
                        if (wec || res->need_eof()) {
                          beast::error_code ignored;
                          self->stream_->socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->do_read();
                      });
  }

  std::shared_ptr<beast::tcp_stream> stream_;
  Gateway::Impl& gateway_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void Gateway::Impl::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) std::make_shared<HttpSession>(std::move(socket), *this)->run();
    do_accept();
  });
}

Gateway::Gateway(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
                 MetricsSource metrics)
    : impl_(std::make_unique<Impl>(std::move(config), symbols, bus, std::move(metrics))) {}

Gateway::~Gateway() {
  stop();
}

std::uint16_t Gateway::start() {
  return impl_->start();
}
void Gateway::stop() {
  impl_->stop();
}
GatewayStats Gateway::stats() const {
  return impl_->stats();
}

}  // namespace spacetime::gateway
