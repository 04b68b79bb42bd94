#include "app/config.hpp"

#include "feed/replay_pacer.hpp"
#include "market/session.hpp"
#include "market/time.hpp"
#include "market/timeframe.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace spacetime::app {
namespace {

// The gateway names the smoothings without depending on the indicators part; keep the two
// enumerations in step.
static_assert(static_cast<int>(gateway::Smoothing::kSma) ==
                  static_cast<int>(indicators::SmootherType::kSma) &&
              static_cast<int>(gateway::Smoothing::kEma) ==
                  static_cast<int>(indicators::SmootherType::kEma) &&
              static_cast<int>(gateway::Smoothing::kZlma) ==
                  static_cast<int>(indicators::SmootherType::kZlma));

template <typename T>
T parse_number(std::string_view text, T min, T max) {
  // Parse into the widest type of T's kind, so that "70000" for a port is reported as out
  // of range rather than as not a number.
  using Wide =
      std::conditional_t<std::is_floating_point_v<T>, double,
                         std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>>;
  Wide value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    throw ConfigError(fmt::format("{} is out of range [{}, {}]", text, min, max));
  }
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw ConfigError(fmt::format("'{}' is not a number", text));
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) throw ConfigError(fmt::format("'{}' is not a finite number", text));
  }
  if (value < static_cast<Wide>(min) || value > static_cast<Wide>(max)) {
    throw ConfigError(fmt::format("{} is out of range [{}, {}]", text, min, max));
  }
  return static_cast<T>(value);
}

std::string describe(const toml::node& node) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
  throw ConfigError("expected a string or a number");
}

// "0" (keep everything), or a count with a unit: 90s, 30m, 12h, 7d.
std::int64_t parse_duration_ns(std::string_view text) {
  if (text == "0") return 0;
  if (text.size() < 2) throw ConfigError(fmt::format("'{}' is not a duration like 7d", text));
  const char unit = text.back();
  const std::int64_t per = unit == 's'   ? 1
                           : unit == 'm' ? 60
                           : unit == 'h' ? 3600
                           : unit == 'd' ? 86400
                                         : 0;
  if (per == 0)
    throw ConfigError(fmt::format("'{}' is not a duration like 90s, 30m, 12h, 7d", text));
  return parse_number<std::int64_t>(text.substr(0, text.size() - 1), 0,
                                    std::int64_t{100} * 365 * 86400 / per) *
         per * 1'000'000'000;
}

// Values of a repeatable setting given as one string (TOML, environment): space-separated.
std::vector<std::string> split_words(std::string_view v) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && v[i] == ' ')
      ++i;
    const std::size_t end = std::min(v.find(' ', i), v.size());
    if (end > i) out.emplace_back(v.substr(i, end - i));
    i = end;
  }
  return out;
}

// Indicator parameters (docs/INDICATORS.md § 10): one setting each, TOML [indicators].
std::int64_t parse_ms(std::string_view v, std::int64_t max_ms) {
  return parse_number<std::int64_t>(v, 1, max_ms) * 1'000'000;
}

market::Timeframe parse_tf(std::string_view v) {
  const auto tf = market::parse_timeframe(v);
  if (!tf)
    throw ConfigError(fmt::format("'{}' is not a timeframe (1s, 10s, 1m, 5m, 15m, 1h, 1d)", v));
  return *tf;
}

// The indicator settings a symbol-pattern override may set: every [indicators] one but the
// session rules and the overrides themselves.
const Setting* indicator_setting(std::string_view key) {
  if (key == "session" || key == "override") return nullptr;
  for (const auto& s : serve_settings())
    if (s.section == "indicators" && s.key == key) return &s;
  return nullptr;
}

// One override rule, "PATTERN:KEY=VALUE[,KEY=VALUE...]" (docs/INDICATORS.md § 10): each value
// is parsed and checked now, with the setting's own rules.
void add_override(ServeConfig& config, std::string_view spec) {
  const std::size_t eq = spec.find('=');
  const std::size_t colon = eq == std::string_view::npos ? spec.rfind(':') : spec.rfind(':', eq);
  if (colon == std::string_view::npos || colon == 0 || eq == std::string_view::npos) {
    throw ConfigError(fmt::format(
        "'{}' is not PATTERN:KEY=VALUE[,KEY=VALUE...] (like ES*:v1_min_move=8,spike_z_on=4)",
        spec));
  }
  indicators::ParamOverrides::Rule rule;
  rule.pattern = std::string(spec.substr(0, colon));
  std::vector<std::pair<const Setting*, std::string>> sets;
  std::string_view rest = spec.substr(colon + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const std::size_t e = item.find('=');
    if (e == std::string_view::npos || e == 0) {
      throw ConfigError(fmt::format("override {}: '{}' is not KEY=VALUE", rule.pattern, item));
    }
    const std::string_view key = item.substr(0, e);
    const std::string_view value = item.substr(e + 1);
    const Setting* setting = indicator_setting(key);
    if (setting == nullptr) {
      throw ConfigError(
          fmt::format("override {}: unknown indicator parameter '{}' (the keys of [indicators] but "
                      "session and override)",
                      rule.pattern, key));
    }
    ServeConfig check;
    try {
      setting->set(check, value);
    } catch (const ConfigError& err) {
      throw ConfigError(fmt::format("override {}: {}: {}", rule.pattern, key, err.what()));
    }
    std::erase_if(sets, [&](const auto& p) { return p.first == setting; });  // last one wins
    std::erase_if(rule.values, [&](const auto& p) { return p.first == key; });
    sets.emplace_back(setting, std::string(value));
    rule.values.emplace_back(std::string(key), std::string(value));
  }
  if (sets.empty()) throw ConfigError(fmt::format("override {}: sets nothing", rule.pattern));
  rule.apply = [sets = std::move(sets)](indicators::IndicatorParams& p) {
    ServeConfig scratch;  // the settings write into a ServeConfig; only its indicators count
    scratch.engine.indicators = p;
    for (const auto& [setting, value] : sets)
      setting->set(scratch, value);
    p = scratch.engine.indicators;
  };
  config.engine.overrides.add(std::move(rule));
}

}  // namespace

std::string Setting::flag() const {
  std::string out = "--";
  for (const char c : key)
    out += c == '_' ? '-' : c;
  return out;
}

std::int64_t parse_start_time(std::string_view text) {
  if (text == "now") return -1;
  const auto ns = market::parse_timestamp(text);
  if (!ns || *ns < 0) {
    throw ConfigError(fmt::format(
        "'{}' is not a start time: use now, nanoseconds since the epoch, or 2026-01-02T14:30:00Z",
        text));
  }
  return *ns;
}

const std::vector<Setting>& serve_settings() {
  static const std::vector<Setting> kSettings = {
      {"server", "bind", "SPACETIME_BIND", "IP address to listen on", "127.0.0.1",
       [](ServeConfig& c, std::string_view v) {
         unsigned char buf[16];
         const std::string s(v);
         if (inet_pton(AF_INET, s.c_str(), buf) != 1 && inet_pton(AF_INET6, s.c_str(), buf) != 1) {
           throw ConfigError(fmt::format("'{}' is not an IP address", v));
         }
         c.gateway.bind = s;
       }},
      {"server", "port", "SPACETIME_PORT", "HTTP/WebSocket port (0 picks a free one)", "8080",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.port = parse_number<std::uint16_t>(v, 0, 65535);
       }},
      {"server", "web_root", "SPACETIME_WEB_ROOT", "folder with the built web front end",
       "web/dist of the source tree",
       [](ServeConfig& c, std::string_view v) {
         if (v.empty()) throw ConfigError("web root is empty");
         c.gateway.web_root = std::string(v);
       }},
      {"server", "flush_ms", "SPACETIME_FLUSH_MS",
       "milliseconds between batched frames to a client", "100",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.flush_ms = parse_number<int>(v, 1, 10'000);
       }},
      {"server", "snapshot_history_s", "SPACETIME_SNAPSHOT_HISTORY_S",
       "seconds of history in a snapshot when the client does not say", "600",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.history_default_s = parse_number<std::int64_t>(v, 0, 7 * 86400);
       }},
      {"server", "high_water", "SPACETIME_HIGH_WATER",
       "bytes queued to a client above which it gets no value samples (lagging)", "1048576",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.high_water_bytes = parse_number<std::size_t>(v, 1024, std::size_t{1} << 34);
       }},
      {"server", "hard_limit", "SPACETIME_HARD_LIMIT",
       "bytes queued to a client above which, for longer than the grace period, it is closed "
       "(1013)",
       "8388608",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.hard_limit_bytes = parse_number<std::size_t>(v, 1024, std::size_t{1} << 36);
       }},
      {"server", "grace_ms", "SPACETIME_GRACE_MS",
       "milliseconds a client may stay above the hard limit", "5000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.grace_ms = parse_number<int>(v, 0, 600'000);
       }},
      {"server", "stall_ms", "SPACETIME_STALL_MS",
       "milliseconds without a completed write after which a client counts as lagging", "2000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.stall_ms = parse_number<int>(v, 10, 600'000);
       }},
      {"server", "ping_interval_ms", "SPACETIME_PING_INTERVAL_MS",
       "milliseconds of silence after which the server pings a client", "5000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.ping_interval_ms = parse_number<int>(v, 10, 600'000);
       }},
      {"server", "ping_timeout_ms", "SPACETIME_PING_TIMEOUT_MS",
       "milliseconds without hearing from a client (not even a pong) before it is dropped", "15000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.ping_timeout_ms = parse_number<int>(v, 20, 3'600'000);
       }},
      {"server", "max_message", "SPACETIME_MAX_MESSAGE",
       "largest client message in bytes (larger: close 1009)", "4096",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.max_message_bytes = parse_number<std::size_t>(v, 256, 1 << 20);
       }},
      {"server", "max_subscriptions", "SPACETIME_MAX_SUBSCRIPTIONS", "channels per client", "2000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.max_subscriptions = parse_number<std::size_t>(v, 1, 1'000'000);
       }},
      {"server", "max_clients", "SPACETIME_MAX_CLIENTS",
       "WebSocket clients per process (further upgrades get 503)", "10000",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.max_clients = parse_number<std::size_t>(v, 1, 1'000'000);
       }},
      {"server", "requests_per_s", "SPACETIME_REQUESTS_PER_S",
       "client requests per second (token bucket rate)", "20",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.requests_per_s = parse_number<double>(v, 0.1, 1e6);
       }},
      {"server", "request_burst", "SPACETIME_REQUEST_BURST",
       "client requests in a burst (token bucket size)", "40",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.request_burst = parse_number<double>(v, 1, 1e6);
       }},
      {"server", "allowed_origins", "SPACETIME_ALLOWED_ORIGINS",
       "comma-separated Origin values allowed to open /ws (empty: any)", "(any)",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.allowed_origins.clear();
         while (!v.empty()) {
           const auto comma = v.find(',');
           std::string_view item = v.substr(0, comma);
           while (!item.empty() && item.front() == ' ')
             item.remove_prefix(1);
           while (!item.empty() && item.back() == ' ')
             item.remove_suffix(1);
           if (!item.empty()) c.gateway.allowed_origins.emplace_back(item);
           v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
         }
       }},
      {"server", "tls_cert", "SPACETIME_TLS_CERT",
       "PEM certificate chain: serve HTTPS and WSS on the port (with --tls-key)", "(plain HTTP)",
       [](ServeConfig& c, std::string_view v) { c.gateway.tls_cert = std::string(v); }},
      {"server", "tls_key", "SPACETIME_TLS_KEY", "PEM private key of --tls-cert", "(plain HTTP)",
       [](ServeConfig& c, std::string_view v) { c.gateway.tls_key = std::string(v); }},
      {"server", "ring", "SPACETIME_RING",
       "recent events the gateway keeps per event channel for resume", "1024",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.ring = parse_number<std::size_t>(v, 16, 1'000'000);
       }},
      {"server", "bus_queue", "SPACETIME_BUS_QUEUE",
       "room queued per engine shard for the gateway, in ticks: any other event takes 3, up "
       "to 5 at the ring's end (a full queue is a counted gap)",
       "262144",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.bus_capacity = parse_number<std::size_t>(v, 1024, std::size_t{1} << 26);
       }},
      {"feed", "feed", "SPACETIME_FEED",
       "tick source: sim (the built-in simulator), iqfeed (DTN IQFeed) or file (a recorded "
       "tick file, --file, replayed at --speed)",
       "sim",
       [](ServeConfig& c, std::string_view v) {
         if (v != "sim" && v != "iqfeed" && v != "file") {
           throw ConfigError(fmt::format("'{}' is not a feed (sim, iqfeed or file)", v));
         }
         c.feed = std::string(v);
       }},
      {"replay", "file", "SPACETIME_REPLAY_FILE",
       "tick file (.stt or CSV) that --feed file plays into the product", "",
       [](ServeConfig& c, std::string_view v) { c.replay_file = std::string(v); }},
      {"replay", "speed", "SPACETIME_REPLAY_SPEED",
       "pace of --feed file on the file's timestamps: 1 recorded, 10 ten times faster (0.1 to "
       "1000; clients may pause, resume and change it)",
       "1",
       [](ServeConfig& c, std::string_view v) {
         c.replay_speed = parse_number<double>(v, feed::kMinReplaySpeed, feed::kMaxReplaySpeed);
       }},
      {"iqfeed", "iqfeed_host", "SPACETIME_IQFEED_HOST", "IQConnect's address", "127.0.0.1",
       [](ServeConfig& c, std::string_view v) {
         if (v.empty()) throw ConfigError("IQConnect host is empty");
         c.iqfeed.host = std::string(v);
       }},
      {"iqfeed", "iqfeed_port", "SPACETIME_IQFEED_PORT", "IQConnect's Level 1 port", "5009",
       [](ServeConfig& c, std::string_view v) {
         c.iqfeed.level1_port = parse_number<std::uint16_t>(v, 1, 65535);
       }},
      {"iqfeed", "iqfeed_lookup_port", "SPACETIME_IQFEED_LOOKUP_PORT",
       "IQConnect's lookup (history) port, for backfill after a reconnect", "9100",
       [](ServeConfig& c, std::string_view v) {
         c.iqfeed.lookup_port = parse_number<std::uint16_t>(v, 1, 65535);
       }},
      {"iqfeed", "iqfeed_symbols", "SPACETIME_IQFEED_SYMBOLS", "symbols to watch, comma-separated",
       "none",
       [](ServeConfig& c, std::string_view v) {
         c.iqfeed.symbols.clear();
         std::size_t start = 0;
         while (start <= v.size()) {
           const std::size_t end = std::min(v.find(',', start), v.size());
           std::string sym(v.substr(start, end - start));
           std::erase_if(sym, [](char ch) { return ch == ' '; });
           for (char& ch : sym)
             ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
           if (sym.empty()) throw ConfigError(fmt::format("'{}' has an empty symbol", v));
           c.iqfeed.symbols.push_back(sym);
           start = end + 1;
         }
       }},
      {"iqfeed", "iqfeed_tick_size", "SPACETIME_IQFEED_TICK_SIZE",
       "price tick of the watched symbols", "0.01",
       [](ServeConfig& c, std::string_view v) {
         c.iqfeed_tick_size = parse_number<double>(v, 1e-9, 1e6);
       }},
      {"simulator", "symbols", "SPACETIME_SYMBOLS", "number of simulated symbols", "50",
       [](ServeConfig& c, std::string_view v) {
         c.simulator.symbols = parse_number<std::size_t>(v, 1, 10'000);
       }},
      {"simulator", "rate", "SPACETIME_RATE", "mean simulated ticks per second, all symbols",
       "10000",
       [](ServeConfig& c, std::string_view v) {
         c.simulator.rate = parse_number<double>(v, 1.0, 1e8);
       }},
      {"simulator", "seed", "SPACETIME_SEED", "simulator seed: the same seed gives the same ticks",
       "1",
       [](ServeConfig& c, std::string_view v) {
         c.simulator.seed =
             parse_number<std::uint64_t>(v, 0, std::numeric_limits<std::uint64_t>::max());
       }},
      {"simulator", "sim_start", "SPACETIME_SIM_START",
       "simulated clock start: now, epoch nanoseconds or 2026-01-02T14:30:00Z", "now",
       [](ServeConfig& c, std::string_view v) {
         const std::int64_t start = parse_start_time(v);
         c.sim_start_now = start < 0;
         c.simulator.start_ns = start < 0 ? 0 : start;
       }},
      {"simulator", "branching", "SPACETIME_BRANCHING",
       "Hawkes branching ratio in [0, 1): how bursty trading is", "0.7",
       [](ServeConfig& c, std::string_view v) {
         c.simulator.branching = parse_number<double>(v, 0.0, 0.99);
       }},
      {"indicators", "smoother", "SPACETIME_SMOOTHER",
       "intensity smoother the adaptive buffer and v1 follow, and clients see by default: sma, "
       "ema, zlma",
       "ema",
       [](ServeConfig& c, std::string_view v) {
         indicators::SmootherType type{};
         if (v == "sma") {
           type = indicators::SmootherType::kSma;
         } else if (v == "ema") {
           type = indicators::SmootherType::kEma;
         } else if (v == "zlma") {
           type = indicators::SmootherType::kZlma;
         } else {
           throw ConfigError(fmt::format("'{}' is not a smoother (sma, ema or zlma)", v));
         }
         c.engine.indicators.intensity.smoother = type;
         c.engine.indicators.bars.intensity_smoother = type;
         c.gateway.default_smoothing = static_cast<gateway::Smoothing>(type);
       }},
      {"indicators", "intensity", "SPACETIME_INTENSITY",
       "what intensity counts per second: volume (trade feeds), ticks (quote feeds) or space "
       "(price travel)",
       "volume",
       [](ServeConfig& c, std::string_view v) {
         auto& mode = c.engine.indicators.intensity.mode;
         if (v == "volume") {
           mode = indicators::IntensityMode::kVolumeRate;
         } else if (v == "ticks") {
           mode = indicators::IntensityMode::kTickRate;
         } else if (v == "space") {
           mode = indicators::IntensityMode::kSpaceRate;
         } else {
           throw ConfigError(
               fmt::format("'{}' is not an intensity mode (volume, ticks or space)", v));
         }
       }},
      {"indicators", "window_ms", "SPACETIME_WINDOW_MS", "intensity window in milliseconds", "1000",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.intensity.window_ns =
             parse_number<std::int64_t>(v, 1, 3'600'000) * 1'000'000;
       }},
      {"indicators", "smooth_n", "SPACETIME_SMOOTH_N",
       "intensity smoothing period in ticks (and bars)", "20",
       [](ServeConfig& c, std::string_view v) {
         const auto n = parse_number<std::size_t>(v, 1, 10'000);
         c.engine.indicators.intensity.n_smooth = n;
         c.engine.indicators.bars.intensity_n = n;
       }},
      {"indicators", "max_window_ticks", "SPACETIME_MAX_WINDOW_TICKS",
       "hard bound on the ticks one intensity window holds", "262144",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.intensity.max_window_ticks =
             parse_number<std::size_t>(v, 1, std::size_t{1} << 30);
       }},
      {"indicators", "buffer_n", "SPACETIME_BUFFER_N", "adaptive buffer window N (ticks)", "1000",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.n = parse_number<std::size_t>(v, 2, 1'000'000);
       }},
      {"indicators", "buffer_w_long", "SPACETIME_BUFFER_W_LONG",
       "adaptive buffer weight of the long mean", "0.8",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.w_long = parse_number<double>(v, 0.0, 1.0);
       }},
      {"indicators", "buffer_w_short", "SPACETIME_BUFFER_W_SHORT",
       "adaptive buffer weight of the short mean", "0.2",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.w_short = parse_number<double>(v, 0.0, 1.0);
       }},
      {"indicators", "buffer_short_percent", "SPACETIME_BUFFER_SHORT_PERCENT",
       "adaptive buffer short window, percent of N", "20",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.short_percent = parse_number<std::size_t>(v, 1, 100);
       }},
      {"indicators", "buffer_k", "SPACETIME_BUFFER_K", "adaptive buffer half-width factor k", "1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.k = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "buffer_cv_floor", "SPACETIME_BUFFER_CV_FLOOR", "adaptive buffer CV floor",
       "0.1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.cv_floor = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "buffer_cv_cap", "SPACETIME_BUFFER_CV_CAP", "adaptive buffer CV cap", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.buffer.cv_cap = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "spike_n", "SPACETIME_SPIKE_N", "spike detector window N (ticks)", "1000",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.n = parse_number<std::size_t>(v, 2, 1'000'000);
       }},
      {"indicators", "spike_z_on", "SPACETIME_SPIKE_Z_ON", "spike starts at z >= z_on", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.z_on = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "spike_z_off", "SPACETIME_SPIKE_Z_OFF", "spike ends at z < z_off", "1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.z_off = parse_number<double>(v, -1000.0, 1000.0);
       }},
      {"indicators", "spike_influence", "SPACETIME_SPIKE_INFLUENCE",
       "spike detector influence of values inside a spike", "0",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.influence = parse_number<double>(v, 0.0, 1.0);
       }},
      {"indicators", "spike_sd_floor", "SPACETIME_SPIKE_SD_FLOOR",
       "spike detector sd floor, fraction of the mean", "0.1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.sd_floor_frac = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "spike_max_len", "SPACETIME_SPIKE_MAX_LEN", "longest spike in ticks", "1000",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.spike.max_len = parse_number<std::uint64_t>(v, 1, 1'000'000'000);
       }},
      {"indicators", "ema_fast", "SPACETIME_EMA_FAST", "bar trend: fast EMA period (v3, v4)", "9",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.ema_fast = parse_number<std::size_t>(v, 1, 10'000);
       }},
      {"indicators", "ema_slow", "SPACETIME_EMA_SLOW", "bar trend: slow EMA period (v3, v4)", "21",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.ema_slow = parse_number<std::size_t>(v, 1, 10'000);
       }},
      {"indicators", "chop_n", "SPACETIME_CHOP_N", "Choppiness Index period (v4)", "14",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.chop_n = parse_number<std::size_t>(v, 2, 10'000);
       }},
      {"indicators", "chop_threshold", "SPACETIME_CHOP_THRESHOLD",
       "CHOP below this passes the v4 filter", "61.8",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.chop_threshold = parse_number<double>(v, 0.0, 100.0);
       }},
      {"indicators", "volume_n", "SPACETIME_VOLUME_N", "bar volume SMA period (v3 gate, v4 spike)",
       "20",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.volume_n = parse_number<std::size_t>(v, 1, 10'000);
       }},
      {"indicators", "volume_spike_k", "SPACETIME_VOLUME_SPIKE_K",
       "v4 volume spike: V >= k x the volume SMA", "1.5",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.spike_k = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "volume_spike_window", "SPACETIME_VOLUME_SPIKE_WINDOW",
       "v4 volume spike counts on this many bars", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.spike_window = parse_number<std::size_t>(v, 1, 1000);
       }},
      {"indicators", "zlma_n", "SPACETIME_ZLMA_N", "bar volume line ZLMA period", "20",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.bars.zlma_n = parse_number<std::size_t>(v, 1, 10'000);
       }},
      {"indicators", "v1_min_burst", "SPACETIME_V1_MIN_BURST", "v1 shortest burst (ticks)", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v1.min_burst = parse_number<std::uint64_t>(v, 1, 1'000'000);
       }},
      {"indicators", "v1_min_move", "SPACETIME_V1_MIN_MOVE", "v1 smallest move (price ticks)", "4",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v1.min_move = parse_number<std::int64_t>(v, 1, 1'000'000'000);
       }},
      {"indicators", "v1_max_burst", "SPACETIME_V1_MAX_BURST", "v1 longest burst (ticks)", "1000",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v1.max_burst = parse_number<std::uint64_t>(v, 1, 1'000'000'000);
       }},
      {"indicators", "v1_cooldown", "SPACETIME_V1_COOLDOWN", "v1 cooldown (ticks)", "50",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v1.cooldown = parse_number<std::uint32_t>(v, 0, 1'000'000);
       }},
      {"indicators", "v2_extreme_window", "SPACETIME_V2_EXTREME_WINDOW",
       "v2 new extreme over this many previous ticks", "200",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v2.extreme_window = parse_number<std::size_t>(v, 1, 1'000'000);
       }},
      {"indicators", "v2_momentum", "SPACETIME_V2_MOMENTUM", "v2 momentum lag (ticks)", "20",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v2.momentum = parse_number<std::size_t>(v, 1, 1'000'000);
       }},
      {"indicators", "v2_confirm", "SPACETIME_V2_CONFIRM",
       "v2 confirmation window after the extreme (ticks)", "100",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v2.confirm = parse_number<std::uint64_t>(v, 1, 1'000'000'000);
       }},
      {"indicators", "v2_min_retrace", "SPACETIME_V2_MIN_RETRACE",
       "v2 smallest retrace (price ticks)", "2",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v2.min_retrace = parse_number<std::int64_t>(v, 1, 1'000'000'000);
       }},
      {"indicators", "v2_cooldown", "SPACETIME_V2_COOLDOWN", "v2 cooldown (ticks)", "50",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v2.cooldown = parse_number<std::uint32_t>(v, 0, 1'000'000);
       }},
      {"indicators", "v3_ltf", "SPACETIME_V3_LTF", "v3 lower timeframe", "10s",
       [](ServeConfig& c, std::string_view v) { c.engine.indicators.v3.ltf = parse_tf(v); }},
      {"indicators", "v3_htf", "SPACETIME_V3_HTF", "v3 higher (trend) timeframe", "1m",
       [](ServeConfig& c, std::string_view v) { c.engine.indicators.v3.htf = parse_tf(v); }},
      {"indicators", "v3_gate", "SPACETIME_V3_GATE", "v3 volume gate: V >= gate x the volume SMA",
       "1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v3.gate = parse_number<double>(v, 0.0, 1000.0);
       }},
      {"indicators", "v3_cooldown", "SPACETIME_V3_COOLDOWN", "v3 cooldown (LTF bars)", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v3.cooldown = parse_number<std::uint32_t>(v, 0, 1'000'000);
       }},
      {"indicators", "v4_tf", "SPACETIME_V4_TF", "v4 timeframe", "1m",
       [](ServeConfig& c, std::string_view v) { c.engine.indicators.v4.tf = parse_tf(v); }},
      {"indicators", "v4_cooldown", "SPACETIME_V4_COOLDOWN", "v4 cooldown (bars)", "3",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.v4.cooldown = parse_number<std::uint32_t>(v, 0, 1'000'000);
       }},
      {"indicators", "sample_ms", "SPACETIME_SAMPLE_MS",
       "period of the downsampled intensity series (ms)", "100",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.sample.period_ns = parse_ms(v, 86'400'000);
       }},
      {"indicators", "correction_trades", "SPACETIME_CORRECTION_TRADES",
       "trades each symbol keeps so that a trade correction can rebuild its bars", "4096",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.corrections.max_trades = parse_number<std::size_t>(v, 1, 1'000'000);
       }},
      {"indicators", "correction_bars", "SPACETIME_CORRECTION_BARS",
       "closed bars each symbol keeps per timeframe so that a correction can revise them", "32",
       [](ServeConfig& c, std::string_view v) {
         c.engine.indicators.corrections.max_bars = parse_number<std::size_t>(v, 1, 100'000);
       }},
      {"indicators", "override", "SPACETIME_OVERRIDE",
       "indicator parameters for the symbols a pattern matches, repeatable, each matching rule "
       "applied in order (a later one wins) over the run's values: PATTERN:KEY=VALUE[,KEY=VALUE"
       "...] (ES*:v1_min_move=8,spike_z_on=4); TOML also [[indicators.override]] tables with "
       "pattern and the keys",
       "none",
       [](ServeConfig& c, std::string_view v) {
         for (const auto& spec : split_words(v))
           add_override(c, spec);
       },
       true, [](ServeConfig& c) { c.engine.overrides.clear(); }},
      {"indicators", "session", "SPACETIME_SESSION",
       "exchange session of daily bars, repeatable, first match wins: [PATTERN=]TZ@HH:MM "
       "(AAPL=America/New_York@09:30, ES*=America/New_York@18:00) or [PATTERN=]us-equities | "
       "cme; TOML also [[sessions]] tables with pattern, tz, open; none keeps UTC days",
       "none (UTC midnight)",
       [](ServeConfig& c, std::string_view v) {
         for (const auto& spec : split_words(v)) {
           try {
             c.engine.sessions.add(spec);
           } catch (const std::invalid_argument& e) {
             throw ConfigError(e.what());
           }
         }
       },
       true, [](ServeConfig& c) { c.engine.sessions.clear(); }},
      {"guard", "max_skew_s", "SPACETIME_MAX_SKEW_S",
       "time guard: reject a tick stamped more than this many seconds ahead of the feed's "
       "clock (files) or the wall clock (live feeds); 0 turns it off",
       "300",
       [](ServeConfig& c, std::string_view v) {
         const double s = parse_number<double>(v, 0.0, 1e9);
         c.max_skew_ns = static_cast<std::int64_t>(s * 1e9);
         c.iqfeed.max_skew_ns = c.max_skew_ns;
       }},
      {"filter", "bad_ticks", "SPACETIME_BAD_TICKS",
       "bad-tick filter: auto (on for live feeds, off for the simulator and files), on, off",
       "auto",
       [](ServeConfig& c, std::string_view v) {
         if (v != "auto" && v != "on" && v != "off") {
           throw ConfigError(fmt::format("'{}' is not auto, on or off", v));
         }
         c.bad_ticks = std::string(v);
       }},
      {"filter", "filter_quotes", "SPACETIME_FILTER_QUOTES",
       "bad-tick filter: reject crossed or non-positive quotes (true or false)", "true",
       [](ServeConfig& c, std::string_view v) {
         if (v != "true" && v != "false") {
           throw ConfigError(fmt::format("'{}' is not true or false", v));
         }
         c.filter.quotes = v == "true";
       }},
      {"filter", "band_k", "SPACETIME_BAND_K",
       "bad-tick filter: price band half-width in MADs of the recent median (0 turns it off)", "10",
       [](ServeConfig& c, std::string_view v) {
         c.filter.band_k = parse_number<double>(v, 0.0, 1e6);
       }},
      {"filter", "band_n", "SPACETIME_BAND_N",
       "bad-tick filter: recent prices in the band's median", "50",
       [](ServeConfig& c, std::string_view v) {
         c.filter.band_n = parse_number<std::size_t>(v, 3, 100'000);
       }},
      {"filter", "band_floor_pct", "SPACETIME_BAND_FLOOR_PCT",
       "bad-tick filter: the band is never narrower than this percentage of the median", "1",
       [](ServeConfig& c, std::string_view v) {
         c.filter.band_floor_pct = parse_number<double>(v, 0.0, 1e6);
       }},
      {"filter", "max_size", "SPACETIME_MAX_SIZE",
       "bad-tick filter: reject a trade of more lots than this (0 turns it off)", "50000000",
       [](ServeConfig& c, std::string_view v) {
         c.filter.max_size = parse_number<double>(v, 0.0, 1e18);
       }},
      {"engine", "shards", "SPACETIME_SHARDS", "engine threads (symbols are split across them)",
       "1",
       [](ServeConfig& c, std::string_view v) {
         c.engine.shards = parse_number<std::size_t>(v, 1, 64);
       }},
      {"engine", "queue", "SPACETIME_QUEUE", "ticks buffered per engine shard", "65536",
       [](ServeConfig& c, std::string_view v) {
         c.engine.queue_capacity = parse_number<std::size_t>(v, 1024, 1 << 24);
       }},
      // Storage (docs/OPERATIONS.md).
      {"auth", "issuer", "SPACETIME_AUTH_ISSUER",
       "OIDC issuer URL whose tokens /ws and /api need, e.g. https://host/realms/spacetime "
       "(empty: auth off)",
       "(off)",
       [](ServeConfig& c, std::string_view v) {
         if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://"))
           throw ConfigError(fmt::format("'{}' is not an http:// or https:// URL", v));
         c.gateway.auth.issuer = std::string(v);
       }},
      {"auth", "audience", "SPACETIME_AUTH_AUDIENCE",
       "the token's aud (or azp) must name this (empty: not checked)", "(not checked)",
       [](ServeConfig& c, std::string_view v) { c.gateway.auth.audience = std::string(v); }},
      {"auth", "client_id", "SPACETIME_AUTH_CLIENT_ID",
       "OIDC client the web front end logs in as (GET /api/auth/config)", "spacetime",
       [](ServeConfig& c, std::string_view v) {
         if (v.empty()) throw ConfigError("client id is empty");
         c.gateway.auth.client_id = std::string(v);
       }},
      {"auth", "leeway_seconds", "SPACETIME_AUTH_LEEWAY_SECONDS",
       "clock skew allowed on exp, nbf and iat", "30",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.auth.leeway_s = parse_number<std::int64_t>(v, 0, 600);
       }},
      {"auth", "jwks_refetch_seconds", "SPACETIME_AUTH_JWKS_REFETCH_SECONDS",
       "at most one fetch of the issuer's keys per this many seconds (unknown kid)", "10",
       [](ServeConfig& c, std::string_view v) {
         c.gateway.auth.refetch_interval_ms = parse_number<int>(v, 1, 3600) * 1000;
       }},
      {"store", "data_dir", "SPACETIME_DATA_DIR",
       "directory of the embedded store (sqlite:) and the spools", "./data",
       [](ServeConfig& c, std::string_view v) {
         if (v.empty()) throw ConfigError("data directory is empty");
         c.store.data_dir = std::string(v);
       }},
      {"store", "store", "SPACETIME_STORE",
       "store URL, repeatable: sqlite:[PATH], memory:, postgresql://USER:PASS@HOST:PORT/DB, "
       "influxdb://HOST:PORT/DB; the first takes every series not routed elsewhere",
       "sqlite:",
       [](ServeConfig& c, std::string_view v) {
         for (auto& url : split_words(v))
           c.store.stores.push_back(url);
       },
       true, [](ServeConfig& c) { c.store.stores.clear(); }},
      {"store", "route", "SPACETIME_ROUTE",
       "series to a store, repeatable: SERIES[,SERIES...]=URL with series candles, ticks, "
       "intensity, spikes, reversals",
       "none",
       [](ServeConfig& c, std::string_view v) {
         for (auto& rule : split_words(v)) {
           if (rule.find('=') == std::string::npos) {
             throw ConfigError(fmt::format("'{}' is not SERIES[,SERIES...]=URL", rule));
           }
           c.store.routes.push_back(rule);
         }
       },
       true, [](ServeConfig& c) { c.store.routes.clear(); }},
      {"store", "record_ticks", "SPACETIME_RECORD_TICKS", "store every tick: true or false", "true",
       [](ServeConfig& c, std::string_view v) {
         if (v != "true" && v != "false") {
           throw ConfigError(fmt::format("'{}' is not true or false", v));
         }
         c.store.record_ticks = v == "true";
       }},
      {"store", "record", "SPACETIME_RECORD",
       "serve records events to the stores: true or false (false: history is only read)",
       "true",
       [](ServeConfig& c, std::string_view v) {
         if (v != "true" && v != "false") {
           throw ConfigError(fmt::format("'{}' is not true or false", v));
         }
         c.store.record = v == "true";
       }},
      {"store", "retention", "SPACETIME_RETENTION",
       "how long a series is kept, repeatable: SERIES=DURATION (0 keeps all) with series "
       "candles_1s ... candles_1d, ticks, intensity, spikes, reversals",
       "candles_1s=7d candles_10s=30d ticks=3d intensity=30d",
       [](ServeConfig& c, std::string_view v) {
         for (const auto& rule : split_words(v)) {
           const auto eq = rule.find('=');
           if (eq == std::string::npos) {
             throw ConfigError(fmt::format("'{}' is not SERIES=DURATION", rule));
           }
           const std::string name = rule.substr(0, eq);
           const std::int64_t ns = parse_duration_ns(std::string_view(rule).substr(eq + 1));
           auto& r = c.store.retention;
           if (name.starts_with("candles_")) {
             const auto tf = market::parse_timeframe(std::string_view(name).substr(8));
             if (!tf) throw ConfigError(fmt::format("'{}' is not a candle series", name));
             r.candles_ns[market::index_of(*tf)] = ns;
           } else if (name == "ticks") {
             r.ticks_ns = ns;
           } else if (name == "intensity") {
             r.samples_ns = ns;
           } else if (name == "spikes") {
             r.spikes_ns = ns;
           } else if (name == "reversals") {
             r.reversals_ns = ns;
           } else {
             throw ConfigError(fmt::format("'{}' is not a series with a retention", name));
           }
         }
       },
       true},
      {"store", "spool_max_mb", "SPACETIME_SPOOL_MAX_MB",
       "spool size per store before its oldest intensity points are dropped, MiB", "256",
       [](ServeConfig& c, std::string_view v) {
         c.spool_max_bytes = parse_number<std::uint64_t>(v, 1, 1'000'000) << 20;
       }},
  };
  return kSettings;
}

feed::BadTickFilter ServeConfig::filter_for(bool live) const {
  feed::BadTickFilter f = filter;
  f.enabled = bad_ticks == "on" || (bad_ticks == "auto" && live);
  return f;
}

void apply_setting(ServeConfig& config, const Setting& setting, std::string_view value,
                   std::string_view origin) {
  try {
    setting.set(config, value);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", origin, e.what()));
  }
  // Where the effective value came from, for `spacetime params`.
  const std::string_view kind = origin.starts_with("environment ") ? "env"
                                : origin.starts_with("--")         ? "flag"
                                                                   : "file";
  auto& applied = config.applied[fmt::format("{}.{}", setting.section, setting.key)];
  // The values of a repeatable setting from one layer add up, as they do in the config.
  if (setting.repeatable && applied.origin == kind && !applied.value.empty()) {
    applied.value += " " + std::string(value);
  } else {
    applied = {std::string(value), std::string(kind)};
  }
}

namespace {

// TOML [[sessions]] tables ({pattern, tz, open}) as the specs of indicators.session.
std::string session_specs(const toml::node& node, std::string_view origin) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    throw ConfigError(
        fmt::format("{}: sessions must be [[sessions]] tables with pattern, tz and open", origin));
  }
  std::string specs;
  std::size_t index = 0;
  for (const auto& item : *array) {
    ++index;
    const std::string where = fmt::format("{}: [[sessions]] #{}", origin, index);
    const auto* t = item.as_table();
    if (t == nullptr) throw ConfigError(fmt::format("{}: must be a table", where));
    std::string pattern = "*", tz, open;
    for (const auto& [key, value] : *t) {
      const auto* text = value.as_string();
      if (text == nullptr)
        throw ConfigError(fmt::format("{}: {} must be a string", where, key.str()));
      if (key.str() == "pattern") {
        pattern = text->get();
      } else if (key.str() == "tz") {
        tz = text->get();
      } else if (key.str() == "open") {
        open = text->get();
      } else {
        throw ConfigError(fmt::format("{}: unknown key {} (pattern, tz, open)", where, key.str()));
      }
    }
    if (tz.empty() || open.empty()) {
      throw ConfigError(
          fmt::format("{}: needs tz and open, like tz = \"America/New_York\", "
                      "open = \"09:30\"",
                      where));
    }
    const std::string spec = pattern + "=" + tz + "@" + open;
    if (pattern.empty() || spec.find(' ') != std::string::npos) {
      throw ConfigError(fmt::format("{}: '{}' has an empty pattern or a space", where, spec));
    }
    try {
      market::SessionRules().add(spec);  // checked here, to name the table
    } catch (const std::invalid_argument& e) {
      throw ConfigError(fmt::format("{}: {}", where, e.what()));
    }
    if (!specs.empty()) specs += ' ';
    specs += spec;
  }
  return specs;
}

// TOML [[indicators.override]] tables ({pattern, KEY = VALUE...}) as the specs of
// indicators.override.
std::string override_specs(const toml::node& node, std::string_view origin) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    throw ConfigError(fmt::format(
        "{}: indicators.override must be [[indicators.override]] tables with a pattern and "
        "indicator keys",
        origin));
  }
  std::string specs;
  std::size_t index = 0;
  for (const auto& item : *array) {
    ++index;
    const std::string where = fmt::format("{}: [[indicators.override]] #{}", origin, index);
    const auto* t = item.as_table();
    if (t == nullptr) throw ConfigError(fmt::format("{}: must be a table", where));
    std::string pattern, values;
    for (const auto& [key, value] : *t) {
      std::string text;
      try {
        text = describe(value);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}: {}", where, key.str(), e.what()));
      }
      if (key.str() == "pattern") {
        pattern = text;
        continue;
      }
      if (indicator_setting(key.str()) == nullptr) {
        throw ConfigError(fmt::format(
            "{}: unknown key {} (pattern and the keys of [indicators] but session and override)",
            where, key.str()));
      }
      if (text.find_first_of(" ,") != std::string::npos) {
        throw ConfigError(
            fmt::format("{}: {}: '{}' has a space or a comma", where, key.str(), text));
      }
      if (!values.empty()) values += ',';
      values += std::string(key.str()) + "=" + text;
    }
    if (pattern.empty() || pattern.find(' ') != std::string::npos) {
      throw ConfigError(
          fmt::format("{}: needs a pattern without spaces, like pattern = \"ES*\"", where));
    }
    if (values.empty()) throw ConfigError(fmt::format("{}: sets no parameter", where));
    const std::string spec = pattern + ":" + values;
    try {
      ServeConfig check;
      add_override(check, spec);  // checked here, to name the table
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", where, e.what()));
    }
    if (!specs.empty()) specs += ' ';
    specs += spec;
  }
  return specs;
}

}  // namespace

void apply_toml(ServeConfig& config, std::string_view text, std::string_view origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw ConfigError(
        fmt::format("{}: line {}: {}", origin, e.source().begin.line, e.description()));
  }
  const auto& settings = serve_settings();
  for (const auto& [section, node] : table) {
    if (section.str() == "sessions") {
      const std::string specs = session_specs(node, origin);
      const auto it = std::find_if(settings.begin(), settings.end(), [](const Setting& s) {
        return s.section == "indicators" && s.key == "session";
      });
      if (!specs.empty())
        apply_setting(config, *it, specs, fmt::format("{}: [[sessions]]", origin));
      continue;
    }
    const auto* inner = node.as_table();
    if (!inner) {
      throw ConfigError(
          fmt::format("{}: '{}' must be a table like [server], [feed], [simulator], [iqfeed], "
                      "[guard], [filter], [engine], [indicators] (or [[sessions]])",
                      origin, section.str()));
    }
    for (const auto& [key, value] : *inner) {
      if (section.str() == "indicators" && key.str() == "override") {
        const std::string specs = override_specs(value, origin);
        const auto it = std::find_if(settings.begin(), settings.end(), [](const Setting& s) {
          return s.section == "indicators" && s.key == "override";
        });
        if (!specs.empty())
          apply_setting(config, *it, specs, fmt::format("{}: [[indicators.override]]", origin));
        continue;
      }
      const auto it = std::find_if(settings.begin(), settings.end(), [&](const Setting& s) {
        return s.section == section.str() && s.key == key.str();
      });
      const std::string where = fmt::format("{}: {}.{}", origin, section.str(), key.str());
      if (it == settings.end()) throw ConfigError(fmt::format("{}: unknown setting", where));
      std::string text_value;
      try {
        text_value = describe(value);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", where, e.what()));
      }
      apply_setting(config, *it, text_value, where);
    }
  }
}

void apply_toml_file(ServeConfig& config, const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(fmt::format("config file {}: cannot be read", path));
  std::ostringstream text;
  text << file.rdbuf();
  apply_toml(config, text.str(), path);
}

void apply_env(ServeConfig& config, const std::function<const char*(const char*)>& getenv) {
  for (const auto& setting : serve_settings()) {
    const std::string name(setting.env);
    if (const char* value = getenv(name.c_str())) {
      if (setting.clear) setting.clear(config);
      apply_setting(config, setting, value, fmt::format("environment {}", name));
    }
  }
}

}  // namespace spacetime::app
