// Fan-out benchmark: the real `spacetime serve` (simulator -> engine -> bus -> gateway) and
// a fleet of WebSocket clients in this process, written from docs/PROTOCOL.md. The fleet
// runs on one thread with Beast's asynchronous client and simdjson's on-demand parser, so
// it costs little next to the server; the `fleet cpu` column says when it was the
// bottleneck (near 100 %). One row per scenario:
//   ticks/s the engine processed, events/s and MB/s delivered to all clients, latency from
//   the server's send time (t_send_ms) and from the feed time (t_ms; the simulator runs on
//   the wall clock) at p50/p99/p999, server CPU (% of one core) and RSS, event-channel gaps
//   (seq jumps and gap notices: must be 0), clients the server closed.
//
//   fanout_bench SPACETIME_BIN [seconds=8] [quick]
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <unordered_map>

#include "support/child_process.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds, 1 ms buckets up to 10 s.
struct LatencyMs {
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(10'001, 0);
  std::uint64_t n = 0;
  void add(std::int64_t ms) {
    ++buckets[static_cast<std::size_t>(std::clamp<std::int64_t>(ms, 0, 10'000))];
    ++n;
  }
  double q(double p) const {
    if (n == 0) return NAN;
    const auto want = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      seen += buckets[i];
      if (seen >= want) return static_cast<double>(i);
    }
    return 10'000;
  }
};

struct Totals {
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t gaps = 0;
  std::uint64_t closed = 0;
  std::uint64_t lagging = 0;
  LatencyMs send;
  LatencyMs feed;
  bool counting = false;
};

struct Fleet {
  net::io_context ioc{1};
  tcp::endpoint endpoint;
  Totals totals;
  std::size_t ready = 0;  // handshake done and subscribed
  simdjson::ondemand::parser parser;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(Fleet& fleet, std::string subscribe)
      : ws_(fleet.ioc), fleet_(fleet), subscribe_(std::move(subscribe)) {}

  void start() {
    ws_.next_layer().async_connect(
        fleet_.endpoint, [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->closed();
          self->ws_.async_handshake("127.0.0.1", "/ws", [self](beast::error_code hec) {
            if (hec) return self->closed();
            if (self->subscribe_.empty()) {
              ++self->fleet_.ready;
              return self->read();
            }
            self->ws_.async_write(net::buffer(self->subscribe_),
                                  [self](beast::error_code wec, std::size_t) {
                                    if (wec) return self->closed();
                                    ++self->fleet_.ready;
                                    self->read();
                                  });
          });
        });
  }
  void stall() { stalled_ = true; }
  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->closed();
      self->frame(n);
      self->buffer_.consume(self->buffer_.size());
      if (!self->stalled_) self->read();
    });
  }

  void closed() {
    if (done_) return;
    done_ = true;
    ++fleet_.totals.closed;
  }

  void frame(std::size_t n) {
    Totals& t = fleet_.totals;
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    padded_ = simdjson::padded_string(text);
    simdjson::ondemand::document doc;
    if (fleet_.parser.iterate(padded_).get(doc)) return;
    std::string_view type;
    if (doc["type"].get_string().get(type)) return;
    if (type == "gap") {
      t.gaps += t.counting;
      return;
    }
    if (type == "lagging") {
      t.lagging += t.counting;
      return;
    }
    const bool batch = type == "batch";
    const bool snapshot = type == "snapshot";
    if (!batch && !snapshot) return;
    const std::int64_t now = wall_ms();
    if (batch && t.counting) {
      std::int64_t sent = 0;
      if (!doc["t_send_ms"].get_int64().get(sent)) t.send.add(now - sent);
      t.bytes += n;
    }
    simdjson::ondemand::array events;
    if (doc["events"].get_array().get(events)) return;
    for (auto item : events) {
      simdjson::ondemand::object e;
      if (item.get_object().get(e)) continue;
      std::string_view etype, symbol, stream;
      std::uint64_t seq = 0;
      bool closed = true;
      std::int64_t t_ms = 0;
      bool has_seq = false, has_t = false;
      for (auto field : e) {
        std::string_view key;
        if (field.unescaped_key().get(key)) continue;
        if (key == "type") {
          if (field.value().get_string().get(etype)) continue;
        } else if (key == "symbol") {
          if (field.value().get_string().get(symbol)) continue;
        } else if (key == "stream") {
          if (field.value().get_string().get(stream)) continue;
        } else if (key == "seq") {
          has_seq = !field.value().get_uint64().get(seq);
        } else if (key == "closed") {
          if (field.value().get_bool().get(closed)) continue;
        } else if (key == "t_ms") {
          has_t = !field.value().get_int64().get(t_ms);
        }
      }
      if (batch && t.counting) {
        ++t.events;
        if (has_t) t.feed.add(now - t_ms);
      }
      // Event channels: closed candles, ticks, spikes, reversals. Samples are not events.
      const bool event =
          has_seq && closed && etype != "intensity_sample" && etype != "buffer_sample";
      if (!event) continue;
      std::string key(symbol);
      key += '/';
      key += stream;
      auto& last = last_seq_[key];
      if (last != 0 && seq != last + 1 && seq > last && t.counting) ++t.gaps;
      if (seq > last) last = seq;
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  Fleet& fleet_;
  std::string subscribe_;
  bool stalled_ = false;
  bool done_ = false;
  beast::flat_buffer buffer_;
  std::unordered_map<std::string, std::uint64_t> last_seq_;
  simdjson::padded_string padded_;
};

struct ProcStat {
  double cpu_s = 0;
  double rss_mb = 0;
};

ProcStat proc_stat(pid_t pid) {
  ProcStat s;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field)
      f.push_back(field);
    if (f.size() > 13) {
      s.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) s.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return s;
}

double self_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string http_get(const tcp::endpoint& ep, const std::string& target) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(ep);
  beast::http::request<beast::http::empty_body> req{beast::http::verb::get, target, 11};
  req.set(beast::http::field::host, "127.0.0.1");
  beast::http::write(socket, req);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(socket, buffer, res);
  return res.body();
}

std::uint64_t health_number(const tcp::endpoint& ep, std::string_view key) {
  const std::string body = http_get(ep, "/api/health");
  const auto at = body.find(fmt::format("\"{}\":", key));
  if (at == std::string::npos) return 0;
  return std::strtoull(body.c_str() + at + key.size() + 3, nullptr, 10);
}

// A quantile of one of the server's latency histograms (cumulative buckets in /metrics),
// in milliseconds: the upper bound of the bucket where it falls.
double metric_quantile_ms(const std::string& text, std::string_view name, double q) {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative)
  const std::string prefix = fmt::format("spacetime_{}_bucket{{le=\"", name);
  for (std::size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at + 1)) {
    const std::size_t le = at + prefix.size();
    const std::size_t quote = text.find('"', le);
    const std::string bound = text.substr(le, quote - le);
    const double n = std::strtod(text.c_str() + text.find(' ', quote) + 1, nullptr);
    buckets.emplace_back(bound == "+Inf" ? INFINITY : std::stod(bound), n);
  }
  if (buckets.empty() || buckets.back().second == 0) return NAN;
  const double want = q * buckets.back().second;
  for (const auto& [le, n] : buckets) {
    if (n >= want) return le * 1e3;
  }
  return INFINITY;
}

struct Scenario {
  std::string name;
  double rate = 100'000;
  std::size_t clients = 1;
  bool ticks = false;  // 5 symbols of `ticks` each instead of the candle/indicator mix
  bool stall_one = false;
  std::size_t idle = 0;  // idle connections only (memory per connection)
};

class Server {
 public:
  Server(const std::string& bin, const Scenario& s, const std::filesystem::path& dir) {
    std::vector<std::string> args = {"serve",
                                     "--port",
                                     "0",
                                     "--symbols",
                                     "10",
                                     "--rate",
                                     fmt::format("{}", s.rate),
                                     "--seed",
                                     "1",
                                     "--flush-ms",
                                     "100",
                                     "--web-root",
                                     dir.string(),
                                     "--data-dir",
                                     (dir / "data").string(),
                                     "--record-ticks",
                                     "false",
                                     "--max-clients",
                                     "20000",
                                     "--requests-per-s",
                                     "1000",
                                     "--request-burst",
                                     "1000",
                                     "--grace-ms",
                                     "2000",
                                     "--hard-limit",
                                     "4194304",
                                     "--ping-interval-ms",
                                     "1000",
                                     "--stall-ms",
                                     "1000"};
    process_ = std::make_unique<spacetime::testing::ChildProcess>(bin, args, dir / "serve.log");
    const auto line =
        process_->wait_for("listening on http://127.0.0.1:", std::chrono::seconds(30));
    if (!line) throw std::runtime_error("server did not start:\n" + process_->output());
    endpoint_ =
        tcp::endpoint(net::ip::make_address("127.0.0.1"),
                      static_cast<std::uint16_t>(std::stoi(line->substr(0, line->find(' ')))));
  }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  pid_t pid() const { return process_->pid(); }
  std::string output() const { return process_->output(); }

 private:
  std::unique_ptr<spacetime::testing::ChildProcess> process_;
  tcp::endpoint endpoint_;
};

void run(const std::string& bin, const Scenario& s, double seconds) {
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("spacetime-fanout-{}-{}", getpid(), s.name.size());
  std::filesystem::create_directories(dir);
  Server server(bin, s, dir);
  // Symbol names from /api/symbols.
  std::vector<std::string> names;
  {
    const std::string body = http_get(server.endpoint(), "/api/symbols");
    std::size_t at = 0;
    while ((at = body.find("\"symbol\":\"", at)) != std::string::npos) {
      at += 10;
      names.push_back(body.substr(at, body.find('"', at) - at));
    }
  }
  Fleet fleet;
  fleet.endpoint = server.endpoint();
  std::vector<std::shared_ptr<Client>> clients;
  const std::size_t count = s.idle ? s.idle : s.clients;
  const ProcStat before_idle = proc_stat(server.pid());
  for (std::size_t i = 0; i < count; ++i) {
    std::string sub;
    if (!s.idle) {
      std::string symbols;
      const std::size_t first = s.ticks ? (i % 2) * 5 : 0;
      const std::size_t n = s.ticks ? 5 : names.size();
      for (std::size_t k = 0; k < n; ++k)
        symbols += fmt::format("{}\"{}\"", k ? "," : "", names[first + k]);
      sub = fmt::format(
          R"({{"op":"subscribe","id":{},"symbols":[{}],"streams":[{}],"history":0}})", i, symbols,
          s.ticks ? R"("ticks")" : R"("candles:1s","intensity:ema","spikes","reversals")");
    }
    clients.push_back(std::make_shared<Client>(fleet, sub));
    clients.back()->start();
    if (i % 200 == 199) fleet.ioc.run_for(std::chrono::milliseconds(50));
  }
  // Connect everyone, then warm up for a second before counting.
  const auto connect_deadline = Clock::now() + std::chrono::seconds(60);
  while (fleet.ready < count && Clock::now() < connect_deadline)
    fleet.ioc.run_for(std::chrono::milliseconds(20));
  if (s.idle) {
    fleet.ioc.run_for(std::chrono::milliseconds(1000));
    const ProcStat after = proc_stat(server.pid());
    fmt::print(
        "{:<34} {:>9} {:>8} {:>10.1f} MB RSS before, {:.1f} MB with them: {:.1f} KiB per "
        "connection\n",
        s.name, count, fleet.ready, before_idle.rss_mb, after.rss_mb,
        (after.rss_mb - before_idle.rss_mb) * 1024.0 / static_cast<double>(fleet.ready));
    for (auto& c : clients)
      c->close();
    fleet.ioc.run_for(std::chrono::milliseconds(200));
    return;
  }
  fleet.ioc.run_for(std::chrono::milliseconds(1000));
  const ProcStat p0 = proc_stat(server.pid());
  const std::uint64_t ticks0 = health_number(server.endpoint(), "ticks");
  const double fleet0 = self_cpu_s();
  const auto t0 = Clock::now();
  fleet.totals.counting = true;
  std::int64_t stall_at_ms = 0;
  std::int64_t detected_ms = -1;
  std::int64_t closed_ms = -1;
  double next_poll = 0.25;
  // CPU and RSS over time: one sample per second.
  std::vector<std::pair<double, double>> over_time;  // (cpu % of a core, RSS MB)
  ProcStat last = p0;
  double next_sample = 1.0;
  while (true) {
    fleet.ioc.run_for(std::chrono::milliseconds(50));
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    if (elapsed >= next_sample) {
      const ProcStat now = proc_stat(server.pid());
      over_time.emplace_back((now.cpu_s - last.cpu_s) * 100.0 / (elapsed - next_sample + 1.0),
                             now.rss_mb);
      last = now;
      next_sample = elapsed + 1.0;
    }
    if (s.stall_one && stall_at_ms == 0 && elapsed > 1.0) {
      clients.front()->stall();
      stall_at_ms = wall_ms();
    }
    if (s.stall_one && stall_at_ms && elapsed > next_poll) {
      next_poll = elapsed + 0.1;
      if (detected_ms < 0 && health_number(server.endpoint(), "lagging_clients") > 0) {
        detected_ms = wall_ms() - stall_at_ms;
      }
      if (closed_ms < 0 && health_number(server.endpoint(), "clients_dropped_slow") > 0) {
        closed_ms = wall_ms() - stall_at_ms;
      }
    }
    if (elapsed >= seconds) break;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  fleet.totals.counting = false;
  const ProcStat p1 = proc_stat(server.pid());
  const std::uint64_t ticks1 = health_number(server.endpoint(), "ticks");
  const double fleet_cpu = (self_cpu_s() - fleet0) / secs * 100;
  const Totals& t = fleet.totals;
  fmt::print(
      "{:<34} {:>7} {:>11.0f} {:>12.0f} {:>8.1f} {:>5.0f}/{:>4.0f}/{:>5.0f} "
      "{:>5.0f}/{:>5.0f}/{:>5.0f} "
      "{:>7.0f} {:>7.0f} {:>8.0f} {:>5} {:>6}\n",
      s.name, s.clients, static_cast<double>(ticks1 - ticks0) / secs,
      static_cast<double>(t.events) / secs, static_cast<double>(t.bytes) / secs / 1e6,
      t.send.q(0.5), t.send.q(0.99), t.send.q(0.999), t.feed.q(0.5), t.feed.q(0.99),
      t.feed.q(0.999), (p1.cpu_s - p0.cpu_s) / secs * 100, fleet_cpu, p1.rss_mb, t.gaps, t.closed);
  std::string cpu_series, rss_series;
  for (const auto& [cpu, rss] : over_time) {
    cpu_series += fmt::format(" {:.0f}", cpu);
    rss_series += fmt::format(" {:.0f}", rss);
  }
  fmt::print("    each second: srv cpu %{}; RSS MB{}\n", cpu_series, rss_series);
  const std::string metrics = http_get(server.endpoint(), "/metrics");
  fmt::print(
      "    server stages p50/p99 ms: feed->engine {:.2f}/{:.2f}, engine->gateway {:.2f}/{:.2f}, "
      "socket write {:.2f}/{:.2f}, end to end {:.1f}/{:.1f}\n",
      metric_quantile_ms(metrics, "feed_to_engine_seconds", 0.5),
      metric_quantile_ms(metrics, "feed_to_engine_seconds", 0.99),
      metric_quantile_ms(metrics, "engine_to_gateway_seconds", 0.5),
      metric_quantile_ms(metrics, "engine_to_gateway_seconds", 0.99),
      metric_quantile_ms(metrics, "ws_write_seconds", 0.5),
      metric_quantile_ms(metrics, "ws_write_seconds", 0.99),
      metric_quantile_ms(metrics, "end_to_end_seconds", 0.5),
      metric_quantile_ms(metrics, "end_to_end_seconds", 0.99));
  if (s.stall_one) {
    fmt::print("    one client stopped reading: lagging after {} ms, closed (1013) after {} ms\n",
               detected_ms, closed_ms);
  }
  for (auto& c : clients)
    c->close();
  fleet.ioc.run_for(std::chrono::milliseconds(200));
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr,
               "usage: fanout_bench SPACETIME_BIN [seconds=8] [quick | SCENARIO-SUBSTRING]\n");
    return 2;
  }
  const std::string bin = argv[1];
  const double seconds = argc > 2 ? std::stod(argv[2]) : 8.0;
  const bool quick = argc > 3 && std::string_view(argv[3]) == "quick";
  const std::string only = argc > 3 && !quick ? argv[3] : "";
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);  // the server inherits it

  std::vector<Scenario> scenarios;
  for (const double rate : {100'000.0, 1'000'000.0, 50'000'000.0}) {
    for (const std::size_t clients : {1ul, 200ul, 1000ul}) {
      if (quick && clients != 200) continue;
      scenarios.push_back(
          {.name = fmt::format("mix rate={}",
                               rate >= 5e7 ? std::string("max") : fmt::format("{:.0f}", rate)),
           .rate = rate,
           .clients = clients});
    }
  }
  scenarios.push_back(
      {.name = "ticks, 5 symbols each rate=3600", .rate = 3600, .clients = 1000, .ticks = true});
  scenarios.push_back({.name = "mix + 1 stalled reader rate=100000",
                       .rate = 100'000,
                       .clients = 200,
                       .stall_one = true});
  const std::size_t idle = std::min<std::size_t>(10'000, (nofile.rlim_cur - 200) / 2);
  scenarios.push_back({.name = "idle connections", .rate = 1000, .idle = idle});

  fmt::print("fanout_bench: {} s per scenario, 10 symbols, flush 100 ms, {} cores\n", seconds,
             std::thread::hardware_concurrency());
  fmt::print("{:<34} {:>7} {:>11} {:>12} {:>8} {:>16} {:>17} {:>7} {:>7} {:>8} {:>5} {:>6}\n",
             "scenario", "clients", "ticks/s", "events/s", "MB/s", "send p50/99/999",
             "feed p50/99/999", "srv cpu", "fleet%", "RSS MB", "gaps", "closed");
  for (const auto& s : scenarios) {
    if (!only.empty() && s.name.find(only) == std::string::npos) continue;
    try {
      run(bin, s, seconds);
    } catch (const std::exception& e) {
      fmt::print("{:<34} failed: {}\n", s.name, e.what());
    }
  }
  return 0;
}
