// The server around the hub, in the shape of Beast's websocket/server/chat-multi example:
// a listener accepting connections, an HttpSession per connection that answers HTTP and
// upgrades /ws to a WsSession, and the gateway state they share. One I/O thread runs it
// all, so the hub needs no locks; what other threads read is mirrored in atomics.
#include "gateway/gateway.hpp"

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "gateway/metrics.hpp"
#include "gateway/rest.hpp"
#include "static_files.hpp"
#include "ws_session.hpp"

namespace spacetime::gateway {
namespace {

constexpr auto kServerName = "spacetime";
constexpr std::int64_t kDegradedWindowNs = 60 * market::kNanosPerSecond;

HubConfig hub_config(const GatewayConfig& g) {
  HubConfig h;
  h.flush_ms = g.flush_ms;
  h.ring = g.ring;
  h.max_subscriptions = g.max_subscriptions;
  h.requests_per_s = g.requests_per_s;
  h.request_burst = g.request_burst;
  h.high_water_bytes = g.high_water_bytes;
  h.hard_limit_bytes = g.hard_limit_bytes;
  h.grace_ms = g.grace_ms;
  h.stall_ms = g.stall_ms;
  h.snapshot_max_events = g.snapshot_max_events;
  h.parse.history_default_ns = g.history_default_s * market::kNanosPerSecond;
  h.hello = HelloLimits{.max_message_bytes = g.max_message_bytes,
                        .max_subscriptions = g.max_subscriptions,
                        .requests_per_s = g.requests_per_s,
                        .request_burst = g.request_burst,
                        .history_max_s = h.parse.history_max_ns / market::kNanosPerSecond,
                        .snapshot_max_events = g.snapshot_max_events,
                        .high_water_bytes = g.high_water_bytes,
                        .hard_limit_bytes = g.hard_limit_bytes,
                        .grace_ms = g.grace_ms,
                        .ping_interval_ms = g.ping_interval_ms,
                        .ping_timeout_ms = g.ping_timeout_ms};
  return h;
}

}  // namespace

class Gateway::Impl final : public SessionHost {
 public:
  Impl(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
       const store::History* history, MetricsSource metrics)
      : config_(std::move(config)),
        symbols_(symbols),
        bus_(bus),
        history_(history),
        metrics_(std::move(metrics)),
        acceptor_(ioc_),
        intake_timer_(ioc_),
        flush_timer_(ioc_),
        subscription_(bus.subscribe(Hub::subscription_filter(), config_.bus_capacity)),
        hub_(hub_config(config_), symbols, *subscription_, history),
        started_ns_(steady_now_ns()) {
    subscription_->set_latency(&engine_to_gateway_);
  }

  ~Impl() override { bus_.unsubscribe(subscription_); }

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
    next_flush_ = std::chrono::steady_clock::now();
    schedule_intake();
    schedule_flush();
    do_accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return port;
  }

  void stop() {
    if (!thread_.joinable()) return;
    net::post(ioc_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      intake_timer_.cancel();
      flush_timer_.cancel();
      for (auto& weak : ws_sessions_) {
        if (auto s = weak.lock()) s->shut_down();
      }
      for (auto& weak : http_streams_) {
        if (auto stream = weak.lock()) beast::get_lowest_layer(*stream).close();
      }
    });
    // Give the close frames a moment to leave, then stop whatever is still pending.
    auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(300));
    timer->async_wait([this, timer](beast::error_code) { ioc_.stop(); });
    thread_.join();
    stop_workers();
  }

  GatewayStats stats() const {
    return GatewayStats{.clients = clients_.load(std::memory_order_relaxed),
                        .clients_dropped_slow = closed_slow_.load(std::memory_order_relaxed),
                        .bad_client_messages = bad_messages_.load(std::memory_order_relaxed),
                        .batches_sent = batches_.load(std::memory_order_relaxed),
                        .http_requests = http_requests_.load(std::memory_order_relaxed),
                        .bus_dropped = subscription_->dropped(),
                        .gaps = gaps_.load(std::memory_order_relaxed),
                        .degraded = degraded_.load(std::memory_order_relaxed)};
  }

  // SessionHost
  Hub& hub() override { return hub_; }
  void count_close(std::uint16_t code, std::string_view why) override {
    ++closes_[code == 0 ? std::string(why) : std::to_string(code)];
  }
  void observe_write(std::int64_t queued_ns, std::int64_t done_ns,
                     std::int64_t origin_ns) override {
    write_latency_.observe_ns(done_ns - queued_ns);
    if (origin_ns != 0) end_to_end_.observe_ns(done_ns - origin_ns);
  }

  void add_latency(std::string name, std::string help, const market::LatencyHistogram& h) {
    for (const auto& taken :
         {"engine_to_gateway_seconds", "ws_write_seconds", "end_to_end_seconds"})
      if (name == taken) throw std::invalid_argument("latency histogram name taken: " + name);
    for (const auto& l : latencies_)
      if (l.name == name) throw std::invalid_argument("latency histogram name taken: " + name);
    latencies_.push_back({std::move(name), std::move(help), &h});
  }
  void set_replay(ReplayControl* replay) { hub_.set_replay(replay); }
  void session_started() override { ++sessions_; }
  void session_ended() override { --sessions_; }

  bool admit(const http::request<http::string_body>& req, http::status& status, std::string& why) {
    if (sessions_ >= config_.max_clients) {
      status = http::status::service_unavailable;
      why = fmt::format("too many clients (limit {})\n", config_.max_clients);
      ++rejected_upgrades_["clients"];
      return false;
    }
    const auto origin = req[http::field::origin];
    if (!config_.allowed_origins.empty() && !origin.empty() &&
        std::find(config_.allowed_origins.begin(), config_.allowed_origins.end(), origin) ==
            config_.allowed_origins.end()) {
      status = http::status::forbidden;
      why = fmt::format("origin {} is not allowed\n", origin);
      ++rejected_upgrades_["origin"];
      return false;
    }
    return true;
  }

  SessionLimits session_limits() const {
    return {.max_message_bytes = config_.max_message_bytes,
            .ping_interval_ms = config_.ping_interval_ms,
            .ping_timeout_ms = config_.ping_timeout_ms};
  }

  void track_ws(const std::shared_ptr<WsSession>& s) {
    std::erase_if(ws_sessions_, [](const auto& w) { return w.expired(); });
    ws_sessions_.push_back(s);
  }
  void track_http(const std::shared_ptr<beast::tcp_stream>& stream) {
    std::erase_if(http_streams_, [](const auto& w) { return w.expired(); });
    http_streams_.push_back(stream);
  }

  http::response<http::string_body> handle(const http::request<http::string_body>& req);

  // REST history runs on worker threads, so that a slow store (a PostgreSQL query queued
  // behind a batch write) never holds up the I/O thread and every WebSocket client with
  // it. `done` gets the response on the I/O thread. At most kHistoryInFlight requests
  // wait or run at once; beyond that the answer is 503 "busy" at once.
  static constexpr std::size_t kHistoryInFlight = 64;
  using Respond = std::function<void(http::response<http::string_body>)>;
  void handle_history(const http::request<http::string_body>& req, Respond done) {
    http_requests_.fetch_add(1, std::memory_order_relaxed);
    const Head head{req.version(), req.keep_alive(), req.method() == http::verb::head};
    if (history_in_flight_ >= kHistoryInFlight) {
      ++history_busy_;
      auto res =
          make_response(head, http::status::service_unavailable, kJsonType,
                        R"({"error":"busy","message":"too many history requests at once; retry"})");
      res.set(http::field::retry_after, "1");
      return done(std::move(res));
    }
    net::post(history_pool_, [this, head, target = std::string(req.target()),
                              done = std::move(done)]() mutable {
      RestAnswer answer{500, R"({"error":"internal","message":"history query failed"})"};
      try {
        answer = answer_history(target, symbols_, history_, config_.default_smoothing)
                     .value_or(RestAnswer{404, R"({"error":"not_found"})"});
      } catch (...) {
        // answer_history turns store errors into 503 itself; this is the last resort on a
        // worker thread, where an escaping exception would end the process.
      }
      try {
        // ioc_ runs on one thread, the sessions' strands included: posting to it is
        // posting to the session's strand.
        net::post(ioc_, [this, head, answer = std::move(answer), done = std::move(done)]() mutable {
          --history_in_flight_;
          if (answer.status >= 500) ++history_failed_;
          auto res = make_response(head, static_cast<http::status>(answer.status), kJsonType,
                                   std::move(answer.body));
          res.set(http::field::cache_control, "no-store");
          done(std::move(res));
        });
      } catch (...) {
        // Out of memory: the connection gets no answer (its deadline closes it); the
        // in-flight count stays one high, which only makes "busy" come one request sooner.
      }
    });
    ++history_in_flight_;  // after the post: a post that throws leaves no count behind
  }

  // Joins the history workers (after the I/O thread stopped: nothing can post to them).
  // Jobs the pool drops and completions the stopped io_context never runs are destroyed
  // with them, in ~Impl, together with the HttpSession they hold: fine as long as
  // ~HttpSession does not touch the gateway.
  void stop_workers() {
    history_pool_.stop();
    history_pool_.join();
  }

 private:
  static constexpr auto kJsonType = "application/json";
  struct Head {
    unsigned version = 11;
    bool keep_alive = true;
    bool head_only = false;
  };
  http::response<http::string_body> make_response(const Head& h, http::status status,
                                                  std::string_view type, std::string body) {
    http::response<http::string_body> res{status, h.version};
    res.set(http::field::server, kServerName);
    res.set(http::field::content_type, type);
    res.keep_alive(h.keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();  // HEAD: the length of the body a GET would get, and no body
    if (h.head_only) res.body().clear();
    ++http_status_[static_cast<int>(status)];
    return res;
  }

  void do_accept();

  void schedule_intake() {
    intake_timer_.expires_after(std::chrono::milliseconds(std::max(config_.intake_ms, 1)));
    intake_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      hub_.intake();
      schedule_intake();
    });
  }

  void schedule_flush() {
    next_flush_ += std::chrono::milliseconds(config_.flush_ms);
    flush_timer_.expires_at(next_flush_);
    flush_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      hub_.flush(now());
      mirror_stats();
      // After a long stall, do not fire a burst of catch-up flushes.
      const auto t = std::chrono::steady_clock::now();
      if (next_flush_ < t) next_flush_ = t;
      schedule_flush();
    });
  }

  void mirror_stats() {
    const HubStats& h = hub_.stats();
    clients_.store(h.clients, std::memory_order_relaxed);
    closed_slow_.store(h.closed_slow, std::memory_order_relaxed);
    std::uint64_t bad = 0;
    for (const auto e : h.errors)
      bad += e;
    bad_messages_.store(bad, std::memory_order_relaxed);
    batches_.store(h.batches, std::memory_order_relaxed);
    gaps_.store(h.gaps_overflow, std::memory_order_relaxed);
    const std::uint64_t lost = subscription_->dropped() + h.gaps_overflow;
    const std::int64_t t = steady_now_ns();
    if (lost != last_lost_) {
      last_lost_ = lost;
      last_loss_ns_ = t;
    }
    degraded_.store(last_loss_ns_ != 0 && t - last_loss_ns_ < kDegradedWindowNs,
                    std::memory_order_relaxed);
  }

  std::vector<Metric> extra_metrics() const {
    return metrics_ ? metrics_() : std::vector<Metric>{};
  }
  std::string health_body();
  std::string metrics_body();

  GatewayConfig config_;
  const market::SymbolRegistry& symbols_;
  bus::Bus& bus_;
  const store::History* history_;
  MetricsSource metrics_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  net::steady_timer intake_timer_;
  net::steady_timer flush_timer_;
  std::chrono::steady_clock::time_point next_flush_;
  std::shared_ptr<bus::Subscription> subscription_;
  Hub hub_;
  std::int64_t started_ns_;
  std::vector<std::weak_ptr<WsSession>> ws_sessions_;
  std::vector<std::weak_ptr<beast::tcp_stream>> http_streams_;
  std::thread thread_;
  std::size_t sessions_ = 0;
  std::map<std::string, std::uint64_t> closes_;
  std::map<std::string, std::uint64_t> rejected_upgrades_;
  std::map<int, std::uint64_t> http_status_;
  net::thread_pool history_pool_{2};
  std::size_t history_in_flight_ = 0;  // I/O thread only
  std::uint64_t history_busy_ = 0;
  std::uint64_t history_failed_ = 0;  // REST history answered 5xx
  market::LatencyHistogram write_latency_;
  market::LatencyHistogram end_to_end_;
  market::LatencyHistogram engine_to_gateway_;
  struct NamedLatency {
    std::string name, help;
    const market::LatencyHistogram* h;
  };
  std::vector<NamedLatency> latencies_;  // from other parts (the engine's feed latency)
  std::uint64_t last_lost_ = 0;
  std::int64_t last_loss_ns_ = 0;
  std::atomic<std::uint64_t> clients_{0}, closed_slow_{0}, bad_messages_{0}, batches_{0},
      http_requests_{0}, gaps_{0};
  std::atomic<bool> degraded_{false};
};

std::string Gateway::Impl::health_body() {
  mirror_stats();
  const bool degraded = degraded_.load(std::memory_order_relaxed);
  std::string body = fmt::format(R"({{"status":"{}","reasons":[)", degraded ? "degraded" : "ok");
  if (degraded) {
    bool first = true;
    for (std::size_t k = 0; k < bus::kDropKindCount; ++k) {
      const auto kind = static_cast<bus::DropKind>(k);
      if (subscription_->dropped(kind) == 0) continue;
      body += first ? "" : ",";
      first = false;
      append_json_string(body, fmt::format("gateway lost {} {} events from the bus",
                                           subscription_->dropped(kind), to_string(kind)));
    }
    if (first) body += R"("gateway saw sequence gaps on event channels")";
  }
  const HubStats& h = hub_.stats();
  fmt::format_to(std::back_inserter(body),
                 R"(],"uptime_s":{},"clients":{},"lagging_clients":{},"clients_dropped_slow":{},)"
                 R"("bad_client_messages":{},"batches_sent":{},"http_requests":{},)"
                 R"("gateway_bus_dropped":{},"gaps":{})",
                 (steady_now_ns() - started_ns_) / market::kNanosPerSecond, h.clients,
                 h.lagging_clients, h.closed_slow, bad_messages_.load(), h.batches,
                 http_requests_.load(), subscription_->dropped(), h.gaps_overflow);
  for (const auto& [name, value] : extra_metrics()) {
    body += ',';
    append_json_string(body, name);
    fmt::format_to(std::back_inserter(body), ":{}", value);
  }
  body += "}";
  return body;
}

std::string Gateway::Impl::metrics_body() {
  mirror_stats();
  const HubStats& h = hub_.stats();
  PromText p;
  p.gauge("uptime_seconds", "Seconds since the gateway started.",
          static_cast<double>(steady_now_ns() - started_ns_) / 1e9);
  p.gauge("degraded", "1 while an event was lost between engine and gateway in the last 60 s.",
          degraded_.load() ? 1 : 0);
  p.gauge("clients", "Connected WebSocket clients.", static_cast<double>(h.clients));
  p.gauge("lagging_clients", "Clients above their high-water mark (values paused).",
          static_cast<double>(h.lagging_clients));
  p.gauge("queued_bytes", "Bytes queued to all WebSocket clients.",
          static_cast<double>(h.queued_bytes));
  p.counter("requests_total", "Client requests received.", static_cast<double>(h.requests));
  for (std::size_t i = 0; i < kErrorCodeCount; ++i) {
    p.counter("request_errors_total", "Error replies, by code.", static_cast<double>(h.errors[i]),
              fmt::format("{{code=\"{}\"}}", to_string(static_cast<ErrorCode>(i))));
  }
  for (const auto& [why, n] : closes_) {
    p.counter("closes_total", "WebSocket connections ended, by close code or reason.",
              static_cast<double>(n), fmt::format("{{reason=\"{}\"}}", why));
  }
  for (const auto& [why, n] : rejected_upgrades_) {
    p.counter("upgrades_rejected_total", "WebSocket upgrades refused, by reason.",
              static_cast<double>(n), fmt::format("{{reason=\"{}\"}}", why));
  }
  p.counter("resumes_total", "Resume requests.", static_cast<double>(h.resumes));
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_overflow),
            "{reason=\"overflow\"}");
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_not_retained),
            "{reason=\"not_retained\"}");
  p.counter("snapshots_total", "Snapshots sent.", static_cast<double>(h.snapshots));
  p.counter("batches_total", "Batch frames sent.", static_cast<double>(h.batches));
  p.counter("events_delivered_total", "Events put into client batches.",
            static_cast<double>(h.events_delivered));
  p.counter("bytes_queued_total", "Bytes queued to clients.",
            static_cast<double>(h.bytes_queued_total));
  p.counter("duplicate_events_total", "Events at or below a channel's last seq, ignored.",
            static_cast<double>(h.duplicates));
  p.counter("revised_events_total", "Closed bars passed on again, revised after a correction.",
            static_cast<double>(h.revisions));
  p.counter("history_errors_total", "History store queries that failed.",
            static_cast<double>(h.history_errors));
  p.counter("history_busy_total",
            "REST history requests answered 503 busy (too many in flight at once).",
            static_cast<double>(history_busy_));
  p.counter("history_failed_total",
            "REST history requests that failed (503 store_unavailable, 500 internal).",
            static_cast<double>(history_failed_));
  p.gauge("history_in_flight", "REST history requests waiting for or running on a worker.",
          static_cast<double>(history_in_flight_));
  for (std::size_t k = 0; k < bus::kDropKindCount; ++k) {
    const auto kind = static_cast<bus::DropKind>(k);
    p.counter("gateway_bus_dropped_total",
              "Events the gateway's bus subscription lost, by kind of event.",
              static_cast<double>(subscription_->dropped(kind)),
              fmt::format("{{kind=\"{}\"}}", to_string(kind)));
  }
  p.gauge("gateway_bus_queued", "Events waiting in the gateway's bus rings.",
          static_cast<double>(subscription_->queued()));
  p.counter("http_requests_total", "HTTP requests.", static_cast<double>(http_requests_.load()));
  for (const auto& [status, n] : http_status_) {
    p.counter("http_responses_total", "HTTP responses, by status.", static_cast<double>(n),
              fmt::format("{{status=\"{}\"}}", status));
  }
  for (const auto& l : latencies_)
    p.histogram(l.name, l.help, l.h->snapshot());
  p.histogram("engine_to_gateway_seconds",
              "Time from the engine publishing a batch of events to the gateway taking it "
              "from the bus, per batch.",
              engine_to_gateway_.snapshot());
  p.histogram("ws_write_seconds",
              "Gateway to socket: time from queueing a WebSocket message to its write completing.",
              write_latency_.snapshot());
  p.histogram("end_to_end_seconds",
              "Time from the feed handing over the oldest tick behind a batch to that batch's "
              "WebSocket write completing, per client batch.",
              end_to_end_.snapshot());
  for (const auto& [name, value] : extra_metrics())
    p.sample(name, value);
  return p.text();
}

http::response<http::string_body> Gateway::Impl::handle(
    const http::request<http::string_body>& req) {
  http_requests_.fetch_add(1, std::memory_order_relaxed);
  const Head head{req.version(), req.keep_alive(), req.method() == http::verb::head};
  auto respond = [&](http::status status, std::string_view type, std::string body) {
    return make_response(head, status, type, std::move(body));
  };
  constexpr auto kJson = "application/json";
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return respond(http::status::method_not_allowed, kJson,
                   R"({"error":"method_not_allowed","message":"only GET and HEAD"})");
  }
  const std::string_view full = req.target();
  std::string_view target = full;
  if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

  if (target == "/api/health") {
    auto res = respond(http::status::ok, kJson, health_body());
    res.set(http::field::cache_control, "no-store");
    return res;
  }
  if (target == "/metrics") {
    return respond(http::status::ok, "text/plain; version=0.0.4; charset=utf-8", metrics_body());
  }
  if (target == "/api/symbols") {
    const auto quotes = hub_.quotes();
    return respond(http::status::ok, kJson, encode_symbols(symbols_, quotes));
  }
  if (target.starts_with("/api/") || target == "/ws") {
    std::string body = R"({"error":"not_found","message":)";
    append_json_string(body, fmt::format("no such endpoint: {}", target));
    body += "}";
    return respond(http::status::not_found, kJson, std::move(body));
  }
  const StaticFile file = read_static_file(config_.web_root, target);
  auto res = respond(static_cast<http::status>(file.status), file.content_type, file.body);
  if (!file.cache_control.empty()) res.set(http::field::cache_control, file.cache_control);
  return res;
}

namespace {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, Gateway::Impl& gateway)
      : stream_(std::make_shared<beast::tcp_stream>(std::move(socket))), gateway_(gateway) {}

  void run() {
    gateway_.track_http(stream_);
    do_read();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
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
    const auto& req = parser_->get();
    std::string_view path = req.target();
    if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (websocket::is_upgrade(req) && path == "/ws") {
      http::status status = http::status::ok;
      std::string why;
      if (gateway_.admit(req, status, why)) {
        stream_->expires_never();
        auto session = std::make_shared<WsSession>(stream_->release_socket(), gateway_,
                                                   gateway_.session_limits());
        gateway_.track_ws(session);
        session->run(parser_->release());
        return;
      }
      auto res = std::make_shared<http::response<http::string_body>>(status, req.version());
      res->set(http::field::server, kServerName);
      res->set(http::field::content_type, "text/plain");
      res->body() = why;
      res->keep_alive(false);
      res->prepare_payload();
      return write(res);
    }
    if ((req.method() == http::verb::get || req.method() == http::verb::head) &&
        is_history_path(path)) {
      gateway_.handle_history(req, [self = shared_from_this()](auto res) {
        self->write(std::make_shared<http::response<http::string_body>>(std::move(res)));
      });
      return;
    }
    write(std::make_shared<http::response<http::string_body>>(gateway_.handle(req)));
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    // A fresh deadline: the read's may have run down while a history worker answered.
    stream_->expires_after(std::chrono::seconds(30));
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
                 const store::History* history, MetricsSource metrics)
    : impl_(std::make_unique<Impl>(std::move(config), symbols, bus, history, std::move(metrics))) {}

Gateway::~Gateway() {
  stop();
}

std::uint16_t Gateway::start() {
  return impl_->start();
}
void Gateway::stop() {
  impl_->stop();
}
void Gateway::add_latency(std::string name, std::string help, const market::LatencyHistogram& h) {
  impl_->add_latency(std::move(name), std::move(help), h);
}

void Gateway::set_replay(ReplayControl* replay) {
  impl_->set_replay(replay);
}

GatewayStats Gateway::stats() const {
  return impl_->stats();
}

}  // namespace spacetime::gateway
