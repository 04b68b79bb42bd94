// The server around the hub, in the shape of Beast's websocket/server/chat-multi example:
// a listener accepting connections, an HttpSession per connection that answers HTTP and
// upgrades /ws to a WsSession, and the gateway state they share. One I/O thread runs it
// all, so the hub needs no locks; what other threads read is mirrored in atomics.
#include "gateway/gateway.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "gateway/metrics.hpp"
#include "gateway/rest.hpp"
#include "static_files.hpp"
#include "ws_session.hpp"

namespace spacetime::gateway {
namespace {

constexpr auto kServerName = "spacetime";

// A worker pool's threads are named by the first task each one runs (in top -H, perf, gdb).
void name_pool_thread(const char* name) {
  thread_local bool named = false;
  if (named) return;
  pthread_setname_np(pthread_self(), name);
  named = true;
}
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
  h.hello = HelloLimits{
      .max_message_bytes = g.max_message_bytes,
      .max_auth_message_bytes = g.auth.enabled() ? auth_message_max(g.max_message_bytes) : 0,
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

// Reads a PEM file through OpenSSL; a clear line when it is missing, unreadable or not PEM.
template <class T, class Read, class Free>
std::unique_ptr<T, Free> read_pem(const std::string& path, std::string_view what, Read read,
                                  Free free) {
  std::ifstream probe(path);
  if (!probe) {
    throw std::runtime_error(
        fmt::format("TLS {} {}: cannot be read ({})", what, path, std::strerror(errno)));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  T* value = bio ? read(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (value == nullptr)
    throw std::runtime_error(fmt::format("TLS {} {}: not a PEM {}", what, path, what));
  return {value, free};
}

// The server side of TLS 1.2+ from a certificate chain and its private key (PEM).
std::optional<net::ssl::context> load_tls(const GatewayConfig& g) {
  if (g.tls_cert.empty() && g.tls_key.empty()) return std::nullopt;
  if (g.tls_cert.empty() || g.tls_key.empty())
    throw std::runtime_error("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
  const auto cert = read_pem<X509>(g.tls_cert, "certificate", &PEM_read_bio_X509, &X509_free);
  const auto key =
      read_pem<EVP_PKEY>(g.tls_key, "private key", &PEM_read_bio_PrivateKey, &EVP_PKEY_free);
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    throw std::runtime_error(
        fmt::format("TLS private key {} does not match the certificate {}", g.tls_key, g.tls_cert));
  }
  net::ssl::context tls(net::ssl::context::tls_server);
  tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                  net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  tls.use_certificate_chain_file(g.tls_cert, ec);
  if (!ec) tls.use_private_key_file(g.tls_key, net::ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("TLS certificate {} / key {}: {}", g.tls_cert, g.tls_key, ec.message()));
  }
  return tls;
}

// The page's scripts and styles come from the web root only (Vite emits no inline
// script); it may talk to this origin over HTTP(S) and ws:/wss: (behind nginx the page's
// own host), and to the extra origins (the OIDC issuer), and no other site may frame it.
std::string content_security_policy(const std::vector<std::string>& extra) {
  std::string more;
  for (const auto& origin : extra)
    more += " " + origin;
  return fmt::format(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      "img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:{0}; "
      "frame-src 'self'{0}; object-src 'none'; base-uri 'self'; form-action 'self'{0}; "
      "frame-ancestors 'none'",
      more);
}

// The origins the page may reach besides its own: the configured ones and, with auth on,
// the issuer's (scheme://host[:port]), where the login page and token endpoint are.
std::vector<std::string> csp_origins(const GatewayConfig& config) {
  std::vector<std::string> out = config.csp_connect;
  const std::string& issuer = config.auth.issuer;
  if (!issuer.empty()) {
    const auto scheme_end = issuer.find("://");
    const auto path =
        scheme_end == std::string::npos ? std::string::npos : issuer.find('/', scheme_end + 3);
    out.push_back(issuer.substr(0, path));
  }
  return out;
}

}  // namespace

class Gateway::Impl final : public SessionHost {
 public:
  Impl(GatewayConfig config, const market::SymbolRegistry& symbols, bus::Bus& bus,
       const store::History* history, MetricsSource metrics)
      : config_(std::move(config)),
        tls_(load_tls(config_)),
        csp_(content_security_policy(csp_origins(config_))),
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
    if (config_.auth.enabled()) verifier_ = std::make_unique<auth::Verifier>(config_.auth);
  }

  ~Impl() override { bus_.unsubscribe(subscription_); }

  static constexpr auto kJsonType = "application/json";
  struct Head {
    unsigned version = 11;
    bool keep_alive = true;
    bool head_only = false;
  };

  // Authentication (docs/PROTOCOL.md § Auth). Tokens are verified on auth_pool_, whose one
  // thread may also wait on the issuer for keys: a slow issuer never holds up the I/O thread.
  static constexpr std::size_t kAuthInFlight = 256;
  bool auth_enabled() const override { return verifier_ != nullptr; }
  std::int64_t auth_leeway_s() const override { return config_.auth.leeway_s; }
  void authenticate(std::string token, std::function<void(const auth::Verdict&)> done) override {
    if (auth_in_flight_ >= kAuthInFlight) {
      verifier_->count(auth::Reason::kBusy);
      // Later, not now: the caller may be inside the hub's handler, which a close would
      // pull the client out from under.
      net::post(ioc_, [done = std::move(done)] {
        auth::Verdict busy;
        busy.reason = auth::Reason::kBusy;
        done(busy);
      });
      return;
    }
    net::post(auth_pool_, [this, token = std::move(token), done = std::move(done)]() mutable {
      name_pool_thread("gateway-auth");
      const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
      auth::Verdict verdict = verifier_->verify(token, now_s);
      net::post(ioc_, [this, verdict = std::move(verdict), done = std::move(done)] {
        --auth_in_flight_;
        done(verdict);
      });
    });
    ++auth_in_flight_;  // after the post: a post that throws leaves no count behind
  }

  // auth on: every /api path but health and auth/config, and /metrics, need a token.
  bool needs_token(std::string_view path) const {
    if (!verifier_) return false;
    if (path == "/metrics") return true;
    return path.starts_with("/api/") && path != "/api/health" && path != "/api/auth/config";
  }

  // The bearer token of a request checked; `done` gets nullopt (go on) or the refusal.
  using Refusal = std::optional<http::response<http::string_body>>;
  void authorize(const http::request<http::string_body>& req, std::string_view path,
                 std::function<void(Refusal)> done) {
    const Head head{req.version(), req.keep_alive(), req.method() == http::verb::head};
    const std::string_view header = req[http::field::authorization];
    const bool bearer =
        header.size() > 7 && (header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer ");
    if (!bearer) {
      verifier_->count(auth::Reason::kMissing);
      return done(unauthorized(head, auth::Reason::kMissing));
    }
    const bool admin_only = path == "/metrics";
    authenticate(std::string(header.substr(7)), [this, head, admin_only,
                                                 done = std::move(done)](const auth::Verdict& v) {
      if (v.reason) return done(unauthorized(head, *v.reason));
      if (!v.identity.viewer || (admin_only && !v.identity.admin)) {
        auto res = make_response(
            head, http::status::forbidden, kJsonType,
            admin_only
                ? R"({"error":"forbidden","message":"this endpoint needs the admin role"})"
                : R"({"error":"forbidden","message":"the token has neither role viewer nor admin"})");
        res.set(http::field::www_authenticate, R"(Bearer error="insufficient_scope")");
        return done(std::move(res));
      }
      done(std::nullopt);
    });
  }

  http::response<http::string_body> unauthorized(const Head& head, auth::Reason reason) {
    if (reason == auth::Reason::kBusy) {
      auto res =
          make_response(head, http::status::service_unavailable, kJsonType,
                        R"({"error":"busy","message":"too many tokens being verified; retry"})");
      res.set(http::field::retry_after, "1");
      return res;
    }
    std::string body =
        fmt::format(R"({{"error":"unauthenticated","reason":"{}"}})", auth::to_string(reason));
    auto res = make_response(head, http::status::unauthorized, kJsonType, std::move(body));
    // RFC 6750 § 3: no error code when the request carried no token at all.
    res.set(http::field::www_authenticate,
            reason == auth::Reason::kMissing
                ? std::string(R"(Bearer realm="spacetime")")
                : fmt::format(
                      R"(Bearer realm="spacetime", error="invalid_token", error_description="{}")",
                      auth::to_string(reason)));
    res.set(http::field::cache_control, "no-store");
    return res;
  }

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
    if (verifier_)
      net::post(auth_pool_, [this] {
        name_pool_thread("gateway-auth");
        verifier_->load_keys();
      });
    schedule_intake();
    schedule_flush();
    do_accept();
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gateway");  // in top -H, perf, gdb
      ioc_.run();
    });
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
        if (auto s = weak.lock())
          s->close(static_cast<std::uint16_t>(websocket::close_code::going_away),
                   "server shutting down");
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
  void set_health(HealthSource health) { health_ = std::move(health); }
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
    // Auth on and no list: a browser's upgrade must come from a page this server served
    // (Origin names the Host it connects to), so another site cannot use a visitor's login.
    const auto host = req[http::field::host];
    // Terminating TLS itself, the page was loaded over https: an http:// origin is another
    // site (docs/PROTOCOL.md § Authentication).
    const bool from_here = same_origin(origin, host, tls_.has_value());
    const bool listed = std::find(config_.allowed_origins.begin(), config_.allowed_origins.end(),
                                  origin) != config_.allowed_origins.end();
    if (!origin.empty() && !listed &&
        (!config_.allowed_origins.empty() || (verifier_ && !from_here))) {
      status = http::status::forbidden;
      why = fmt::format("origin {} is not allowed\n", origin);
      ++rejected_upgrades_["origin"];
      return false;
    }
    return true;
  }

  void count_tls_failure() { ++tls_failures_; }

  // On every HTTP answer (the page, the API, errors): docs/OPERATIONS.md § Transport security.
  void add_security_headers(http::response<http::string_body>& res) const {
    res.set("Content-Security-Policy", csp_);
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::x_frame_options, "DENY");
    res.set("Referrer-Policy", "no-referrer");
    if (tls_) res.set(http::field::strict_transport_security, "max-age=31536000");
  }

  SessionLimits session_limits() const {
    return {.max_message_bytes = config_.max_message_bytes,
            .ping_interval_ms = config_.ping_interval_ms,
            .ping_timeout_ms = config_.ping_timeout_ms};
  }

  void track_ws(const std::shared_ptr<Client>& s) {
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
      name_pool_thread("gateway-history");
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
    auth_pool_.stop();
    auth_pool_.join();
  }

 private:
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
  std::optional<net::ssl::context> tls_;  // set: every connection is TLS (HTTPS, WSS)
  std::string csp_;
  std::uint64_t tls_failures_ = 0;  // TLS handshakes that failed (I/O thread only)
  const market::SymbolRegistry& symbols_;
  bus::Bus& bus_;
  const store::History* history_;
  MetricsSource metrics_;
  HealthSource health_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  net::steady_timer intake_timer_;
  net::steady_timer flush_timer_;
  std::chrono::steady_clock::time_point next_flush_;
  std::shared_ptr<bus::Subscription> subscription_;
  Hub hub_;
  std::int64_t started_ns_;
  std::vector<std::weak_ptr<Client>> ws_sessions_;
  std::vector<std::weak_ptr<beast::tcp_stream>> http_streams_;
  std::thread thread_;
  std::size_t sessions_ = 0;
  std::map<std::string, std::uint64_t> closes_;
  std::map<std::string, std::uint64_t> rejected_upgrades_;
  std::map<int, std::uint64_t> http_status_;
  net::thread_pool history_pool_{2};
  std::unique_ptr<auth::Verifier> verifier_;  // null: auth off
  net::thread_pool auth_pool_{1};
  std::size_t auth_in_flight_ = 0;     // I/O thread only
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
  const bool lost = degraded_.load(std::memory_order_relaxed);
  const std::vector<std::string> outside = health_ ? health_() : std::vector<std::string>{};
  const bool degraded = lost || !outside.empty();
  std::string body = fmt::format(R"({{"status":"{}","reasons":[)", degraded ? "degraded" : "ok");
  bool first = true;
  for (const auto& reason : outside) {
    body += first ? "" : ",";
    first = false;
    append_json_string(body, reason);
  }
  if (lost) {
    bool named = false;
    for (std::size_t k = 0; k < bus::kDropKindCount; ++k) {
      const auto kind = static_cast<bus::DropKind>(k);
      if (subscription_->dropped(kind) == 0) continue;
      body += first ? "" : ",";
      first = false;
      named = true;
      append_json_string(body, fmt::format("gateway lost {} {} events from the bus",
                                           subscription_->dropped(kind), to_string(kind)));
    }
    if (!named) {
      body += first ? "" : ",";
      body += R"("gateway saw sequence gaps on event channels")";
    }
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
  p.gauge("degraded",
          "1 while an event was lost between engine and gateway in the last 60 s, or a part "
          "outside the gateway (Redis) is unhealthy: /api/health says why.",
          degraded_.load() || (health_ && !health_().empty()) ? 1 : 0);
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
  p.counter("tls_handshake_failures_total",
            "TLS handshakes that failed (with --tls-cert; 0 without TLS).",
            static_cast<double>(tls_failures_));
  p.counter("resumes_total", "Resume requests.", static_cast<double>(h.resumes));
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_overflow),
            "{reason=\"overflow\"}");
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_not_retained),
            "{reason=\"not_retained\"}");
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_snapshot_limit),
            "{reason=\"snapshot_limit\"}");
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_store_behind),
            "{reason=\"store_behind\"}");
  p.counter("gaps_total", "Gap notices, by reason.", static_cast<double>(h.gaps_revised),
            "{reason=\"revised\"}");
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
  p.gauge("gateway_bus_queued",
          "Room taken in the gateway's bus rings by waiting events (a tick 1, any other event 3).",
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
  if (verifier_) {
    const auth::VerifierStats a = verifier_->stats();
    p.counter("auth_accepted_total", "Bearer tokens accepted (WebSocket auth ops and REST).",
              static_cast<double>(a.accepted));
    for (std::size_t i = 0; i < auth::kReasonCount; ++i) {
      p.counter("auth_rejected_total", "Bearer tokens refused, by reason.",
                static_cast<double>(a.rejected[i]),
                fmt::format("{{reason=\"{}\"}}", auth::to_string(static_cast<auth::Reason>(i))));
    }
    p.counter("auth_key_fetches_total", "Fetches of the issuer's discovery document and JWKS.",
              static_cast<double>(a.key_fetches));
    p.counter("auth_key_fetch_failures_total", "Fetches of the issuer's keys that failed.",
              static_cast<double>(a.key_fetch_failures));
    p.gauge("auth_keys", "Signing keys of the issuer held now.", static_cast<double>(a.keys));
  }
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
  if (target == "/api/auth/config") {
    std::string body = R"({"enabled":false})";
    if (verifier_) {
      body = R"({"enabled":true,"issuer":)";
      append_json_string(body, config_.auth.issuer);
      body += R"(,"client_id":)";
      append_json_string(body, config_.auth.client_id);
      body += R"(,"audience":)";
      if (config_.auth.audience.empty()) {
        body += "null";
      } else {
        append_json_string(body, config_.auth.audience);
      }
      body += "}";
    }
    auto res = respond(http::status::ok, kJson, std::move(body));
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

// Stream: beast::tcp_stream, or TlsStream whose handshake run() does first.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... Args>
  HttpSession(Gateway::Impl& gateway, Args&&... args)
      : stream_(std::make_shared<Stream>(std::forward<Args>(args)...)), gateway_(gateway) {}

  void run() {
    // Tracked by its TCP layer, which shares the stream's lifetime (aliasing pointer).
    gateway_.track_http(
        std::shared_ptr<beast::tcp_stream>(stream_, &beast::get_lowest_layer(*stream_)));
    if constexpr (kTls) {
      beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(30));
      stream_->async_handshake(net::ssl::stream_base::server,
                               [self = this->shared_from_this()](beast::error_code ec) {
                                 if (ec) return self->gateway_.count_tls_failure();
                                 self->do_read();
                               });
    } else {
      do_read();
    }
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(16 * 1024);
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(30));
    http::async_read(*stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish();
    const auto& req = parser_->get();
    std::string_view path = req.target();
    if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (websocket::is_upgrade(req) && path == "/ws") {
      http::status status = http::status::ok;
      std::string why;
      if (gateway_.admit(req, status, why)) {
        beast::get_lowest_layer(*stream_).expires_never();
        std::shared_ptr<Client> session;
        if constexpr (kTls) {
          auto ws = std::make_shared<WsSession<TlsStream>>(std::move(*stream_), gateway_,
                                                           gateway_.session_limits());
          stream_.reset();  // moved from: nothing may close it now
          ws->run(parser_->release());
          session = ws;
        } else {
          auto ws = std::make_shared<WsSession<beast::tcp_stream>>(
              beast::tcp_stream(stream_->release_socket()), gateway_, gateway_.session_limits());
          ws->run(parser_->release());
          session = ws;
        }
        gateway_.track_ws(session);
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
    if (gateway_.needs_token(path)) {
      gateway_.authorize(
          req, path, [self = this->shared_from_this()](Gateway::Impl::Refusal refusal) {
            if (refusal) {
              return self->write(
                  std::make_shared<http::response<http::string_body>>(std::move(*refusal)));
            }
            self->dispatch();
          });
      return;
    }
    dispatch();
  }

  void dispatch() {
    const auto& req = parser_->get();
    std::string_view path = req.target();
    if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if ((req.method() == http::verb::get || req.method() == http::verb::head) &&
        is_history_path(path)) {
      gateway_.handle_history(req, [self = this->shared_from_this()](auto res) {
        self->write(std::make_shared<http::response<http::string_body>>(std::move(res)));
      });
      return;
    }
    write(std::make_shared<http::response<http::string_body>>(gateway_.handle(req)));
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    gateway_.add_security_headers(*res);
    // A fresh deadline: the read's may have run down while a history worker answered.
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(30));
    http::async_write(*stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code wec, std::size_t) {
                        if (wec || res->need_eof()) return self->finish();
                        self->do_read();
                      });
  }

  // The end of the connection: TLS says close_notify first (bounded by the deadline).
  void finish() {
    if constexpr (kTls) {
      beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(5));
      stream_->async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(*self->stream_).socket().close(ignored);
      });
    } else {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  std::shared_ptr<Stream> stream_;
  Gateway::Impl& gateway_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void Gateway::Impl::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      if (tls_) {
        std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), *tls_)->run();
      } else {
        std::make_shared<HttpSession<beast::tcp_stream>>(*this, std::move(socket))->run();
      }
    }
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

void Gateway::set_health(HealthSource health) {
  impl_->set_health(std::move(health));
}

void Gateway::set_replay(ReplayControl* replay) {
  impl_->set_replay(replay);
}

GatewayStats Gateway::stats() const {
  return impl_->stats();
}

}  // namespace spacetime::gateway
