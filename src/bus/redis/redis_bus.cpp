#include "bus/redis/redis_bus.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <stdexcept>

#include "bus/redis/frame.hpp"
#include "connection.hpp"

namespace spacetime::bus::redis {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{2'000};
constexpr std::string_view kField = "f";  // the stream entry's one field: the frame

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Sleeps up to d, returning early when stop is requested.
template <typename Duration>
void pause(std::stop_token& stop, Duration d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
  return std::min(std::max(current * 2, lo), hi);
}

// "<ms>-<seq>" stream ids.
bool parse_id(std::string_view id, std::uint64_t& ms, std::uint64_t& seq) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  const auto a = std::from_chars(id.data(), id.data() + dash, ms);
  const auto b = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return a.ec == std::errc{} && b.ec == std::errc{} && b.ptr == id.data() + id.size();
}

// A key or channel as a glob pattern that matches only itself (SCAN MATCH, PSUBSCRIBE).
std::string glob_literal(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

std::string_view str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

}  // namespace

RedisEndpoint parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) {
    throw std::invalid_argument(fmt::format("'{}' is not a redis://host[:port] URL", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint e;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user = rest.substr(0, at);
    if (const auto colon = user.find(':'); colon != std::string_view::npos) {
      e.password = std::string(user.substr(colon + 1));
    }
    rest = rest.substr(at + 1);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    throw std::invalid_argument(fmt::format("'{}': a database number is not supported", url));
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const auto port = rest.substr(colon + 1);
    int p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      throw std::invalid_argument(fmt::format("'{}': bad port '{}'", url, port));
    }
    e.port = p;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw std::invalid_argument(fmt::format("'{}': no host", url));
  e.host = std::string(rest);
  return e;
}

std::string events_channel(std::string_view prefix, std::string_view name) {
  return fmt::format("{}:events:{}", prefix, name);
}
std::string stream_key(std::string_view prefix, std::string_view name) {
  return fmt::format("{}:stream:{}", prefix, name);
}

// ---------------------------------------------------------------------------------------
// Publisher

struct RedisPublisher::Counters {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> reconnects{0}, frames{0}, events{0}, bytes{0}, unsent{0}, errors{0};
  std::atomic<bool> connected_once{false};
};

RedisPublisher::RedisPublisher(PublisherConfig config, const market::SymbolRegistry& symbols,
                               Bus& source)
    : config_(std::move(config)),
      endpoint_(parse_redis_url(config_.url)),
      symbols_(symbols),
      source_(source),
      counters_(std::make_unique<Counters>()) {
  // Value samples are conflated to the latest per channel between two rounds: Redis
  // carries every event, and the newest state of each value.
  Filter filter;
  filter.values = Values::kLatest;
  subscription_ = source_.subscribe(filter, config_.ring_capacity);
}

RedisPublisher::~RedisPublisher() {
  stop();
  source_.unsubscribe(subscription_);
}

void RedisPublisher::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "redis-publish");  // in top -H, perf, gdb
    run(stop);
  });
}

void RedisPublisher::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

PublisherStats RedisPublisher::stats() const {
  const auto& c = *counters_;
  return {.connected = c.connected.load(),
          .reconnects = c.reconnects.load(),
          .frames = c.frames.load(),
          .events = c.events.load(),
          .bytes = c.bytes.load(),
          .ring_dropped = subscription_->dropped(),
          .unsent_events = c.unsent.load(),
          .errors = c.errors.load()};
}

void RedisPublisher::encode(std::vector<market::Event>& events) {
  const std::size_t step = std::max<std::size_t>(config_.max_batch, 1);
  for (std::size_t i = 0; i < events.size(); i += step) {
    const auto n = std::min(step, events.size() - i);
    Frame f{.batch = ++batch_, .events = n, .bytes = {}};
    encode_frame({epoch_, f.batch}, std::span(events).subspan(i, n), symbols_, f.bytes);
    unconfirmed_.push_back(std::move(f));
  }
  events.clear();
}

bool RedisPublisher::send() {
  auto& link = *link_;
  const std::string channel = events_channel(config_.prefix, config_.name);
  const std::string stream = stream_key(config_.prefix, config_.name);
  const std::string maxlen = std::to_string(config_.stream_maxlen);
  std::size_t commands = 0;
  // Into the stream first, then published. A reader that reconnects subscribes and then
  // reads the stream; with PUBLISH first, a frame published just before its PSUBSCRIBE
  // and added just after its XRANGE reached it neither way, and was counted lost (a
  // Redis stall did this to all three readers of the topology test). Added first, such a
  // frame is in the stream by the time the reader reads it; one added before PSUBSCRIBE
  // and published after it comes twice, and the second is dropped as a duplicate.
  for (const auto& f : unconfirmed_) {
    if (config_.stream_maxlen > 0) {
      const std::string id = fmt::format("{}-{}", epoch_, f.batch);
      link.append({"XADD", stream, "MAXLEN", "~", maxlen, id, kField, f.bytes});
      ++commands;
    }
    link.append({"PUBLISH", channel, f.bytes});
    ++commands;
  }
  auto& c = *counters_;
  for (std::size_t i = 0; i < commands; ++i) {
    auto r = link.reply();
    if (!r) break;
    if (r->type == REDIS_REPLY_ERROR) {
      // A frame sent again after a cut may already be in the stream: not an error.
      if (str(r.get()).find("equal or smaller") != std::string_view::npos) continue;
      if (c.errors.fetch_add(1) == 0) {
        fmt::print(stderr, "redis publisher {}: {}\n", config_.name, str(r.get()));
      }
    }
  }
  // Unconfirmed frames are sent again, with the same numbers, after the reconnect: a
  // subscriber drops the copies it already has.
  if (!link.ok()) return false;
  for (const auto& f : unconfirmed_) {
    c.frames.fetch_add(1, std::memory_order_relaxed);
    c.events.fetch_add(f.events, std::memory_order_relaxed);
    c.bytes.fetch_add(f.bytes.size(), std::memory_order_relaxed);
  }
  unconfirmed_.clear();
  return true;
}

void RedisPublisher::run(std::stop_token stop) {
  auto& c = *counters_;
  std::chrono::milliseconds backoff{0};
  std::vector<market::Event> pending;
  std::vector<market::Event> values;
  auto next_values = std::chrono::steady_clock::now();
  auto last_sent = next_values;
  for (;;) {
    const bool stopping = stop.stop_requested();
    if (!link_ || !link_->ok()) {
      c.connected = false;
      if (stopping) break;
      link_ = std::make_unique<detail::Connection>(endpoint_, kConnectTimeout);
      if (!link_->ok()) {
        // Meanwhile the rings fill and then drop, counted (ring_dropped).
        backoff = next_backoff(backoff, config_.backoff_min, config_.backoff_max);
        pause(stop, backoff);
        continue;
      }
      // A new run number when this process first connects, above any id already in the
      // stream (ids must grow, also across a clock step back).
      if (epoch_ == 0) {
        std::uint64_t last_ms = 0, last_seq = 0;
        auto r = link_->command(
            {"XREVRANGE", stream_key(config_.prefix, config_.name), "+", "-", "COUNT", "1"});
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1) {
          parse_id(str(r->element[0]->element[0]), last_ms, last_seq);
        }
        if (!link_->ok()) continue;
        epoch_ = std::max(now_ms(), last_ms + 1);
      }
      if (c.connected_once.exchange(true)) c.reconnects.fetch_add(1);
      c.connected = true;
      backoff = std::chrono::milliseconds{0};
    }
    const auto round_start = std::chrono::steady_clock::now();
    // New events only when the last frames are confirmed: while Redis is away they wait
    // in the rings, which are bounded and count what they drop.
    if (unconfirmed_.empty()) {
      // Value samples at their own, slower cadence: consumers conflate them anyway, and
      // they would otherwise be most of the traffic and of the stream's memory.
      // Values are drained before the events (so the closes that preceded a bar in progress
      // are among the events) and framed after them (so a receiver never meets a bar in
      // progress before the close that preceded it).
      values.clear();
      if (const auto now = std::chrono::steady_clock::now(); now >= next_values || stopping) {
        subscription_->drain_values(values);
        next_values = now + config_.value_interval;
      }
      subscription_->drain(pending);
      pending.insert(pending.end(), values.begin(), values.end());
      encode(pending);
    }
    if (unconfirmed_.empty()) {
      if (stopping) break;
      if (std::chrono::steady_clock::now() - last_sent >= config_.idle_ping) {
        // Quiet feed: a hung Redis shows as a PING without a reply (time-out, reconnect).
        last_sent = std::chrono::steady_clock::now();
        link_->command({"PING"});
        if (!link_->ok()) continue;
      }
      pause(stop, config_.flush_interval);
      continue;
    }
    if (!send()) continue;
    last_sent = std::chrono::steady_clock::now();
    if (stopping && subscription_->queued() == 0) break;
    // One round per interval at most: frames of more events, fewer stream entries.
    const auto left = round_start + config_.flush_interval - std::chrono::steady_clock::now();
    if (left > decltype(left)::zero()) pause(stop, left);
  }
  c.connected = false;
  for (const auto& f : unconfirmed_)
    c.unsent.fetch_add(f.events, std::memory_order_relaxed);
  unconfirmed_.clear();
}

// ---------------------------------------------------------------------------------------
// Subscriber

struct RedisBus::Counters {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> reconnects{0}, frames{0}, events{0}, caught_up{0}, duplicate_frames{0},
      duplicate_events{0}, gaps{0}, lost_events{0}, revisions_maybe_lost{0}, decode_errors{0},
      unknown_symbol{0}, ping_timeouts{0};
};

RedisBus::RedisBus(RedisBusConfig config, const market::SymbolRegistry& symbols)
    : config_(std::move(config)),
      endpoint_(parse_redis_url(config_.url)),
      symbols_(symbols),
      local_(symbols.size()),
      last_seq_(symbols.size() * market::kStreamCount, 0),
      seq_epoch_(symbols.size() * market::kStreamCount, 0),
      counters_(std::make_unique<Counters>()) {}

RedisBus::~RedisBus() {
  stop();
}

void RedisBus::start(bool wait_connected, std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) {
    thread_ = std::jthread([this](std::stop_token stop) {
      pthread_setname_np(pthread_self(), "redis-bus");  // in top -H, perf, gdb
      run(stop);
    });
  }
  if (!wait_connected) return;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!subscribed_.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(fmt::format("redis {}:{}: not subscribed after {} ms",
                                           endpoint_.host, endpoint_.port, timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RedisBus::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

RedisBusStats RedisBus::stats() const {
  const auto& c = *counters_;
  return {.connected = c.connected.load(),
          .reconnects = c.reconnects.load(),
          .frames = c.frames.load(),
          .events = c.events.load(),
          .caught_up_frames = c.caught_up.load(),
          .duplicate_frames = c.duplicate_frames.load(),
          .duplicate_events = c.duplicate_events.load(),
          .gaps = c.gaps.load(),
          .lost_events = c.lost_events.load(),
          .revisions_maybe_lost = c.revisions_maybe_lost.load(),
          .decode_errors = c.decode_errors.load(),
          .unknown_symbol = c.unknown_symbol.load(),
          .ping_timeouts = c.ping_timeouts.load(),
          .down_ms = c.connected.load() ? 0 : down_for_ms()};
}

std::uint64_t RedisBus::down_for_ms() const {
  std::lock_guard lock(down_mutex_);
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - down_since_)
                                        .count());
}

std::string RedisBus::problem() const {
  if (counters_->connected.load()) return {};
  std::lock_guard lock(down_mutex_);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - down_since_)
                      .count();
  return fmt::format("redis {}:{} not subscribed for {} ms: {}", endpoint_.host, endpoint_.port, ms,
                     down_reason_);
}

// The subscription ended (or never began): the reason /api/health gives until it is back.
void RedisBus::set_down(std::string reason) {
  auto& c = *counters_;
  std::lock_guard lock(down_mutex_);
  if (c.connected.exchange(false)) down_since_ = std::chrono::steady_clock::now();
  down_reason_ = std::move(reason);
}

void RedisBus::on_frame(const std::string& name, std::string_view bytes, bool caught_up) {
  auto& c = *counters_;
  FrameHeader h;
  scratch_.clear();
  std::uint64_t unknown = 0;
  try {
    unknown = decode_frame(bytes, symbols_, h, scratch_);
  } catch (const CodecError&) {
    c.decode_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (unknown) c.unknown_symbol.fetch_add(unknown, std::memory_order_relaxed);
  Publisher& p = publishers_[name];
  if (h.epoch < p.epoch || (h.epoch == p.epoch && h.batch <= p.batch)) {
    c.duplicate_frames.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // A run's first frame is number 1: one that starts later for a publisher this reader
  // knew, or one first seen in a listing once subscribed, lost its beginning (the stream was
  // trimmed past it). Its channels' numbers continue a store's, so no jump shows what it held.
  // Where a first connection placed a publisher is only as new as its stream, which may lag
  // Pub/Sub (an old stream of a shard now run without one): its first frame from Pub/Sub
  // is where delivery starts, not a gap.
  const bool start_here = p.placed && !caught_up;
  if (!start_here && h.epoch > p.epoch && h.batch > 1 && (p.epoch != 0 || p.after_cut)) {
    c.gaps.fetch_add(1, std::memory_order_relaxed);
  }
  p.after_cut = false;
  p.placed = false;
  // Frames missing between the last delivered and this one: the stream no longer held
  // them (or a broken publisher connection lost them). Which events they held shows as
  // the jump of each channel's seq below.
  if (!start_here && h.epoch == p.epoch && h.batch > p.batch + 1) {
    c.gaps.fetch_add(1, std::memory_order_relaxed);
    // A revision repeats a number already delivered, so no jump shows one the lost frames
    // held: each candle channel this publisher numbers may have had its last closed bars
    // (those a correction can still reach) revised.
    const std::uint64_t back = std::max<std::uint64_t>(config_.revisable_bars, 1) - 1;
    for (std::size_t i = 0; i < last_seq_.size(); ++i) {
      const auto stream = static_cast<market::Stream>(i % market::kStreamCount);
      if (!market::is_candle_stream(stream) || seq_epoch_[i] != h.epoch || last_seq_[i] == 0) {
        continue;
      }
      local_.note_lost_revision({static_cast<market::SymbolId>(i / market::kStreamCount), stream},
                                last_seq_[i] > back ? last_seq_[i] - back : 1);
      c.revisions_maybe_lost.fetch_add(1, std::memory_order_relaxed);
    }
  }
  p.epoch = h.epoch;
  p.batch = h.batch;

  kept_.clear();
  for (const auto& e : scratch_) {
    // Latest-state samples and revised bars: no numbering to keep.
    if (market::is_value(e) || market::is_revision(e)) {
      kept_.push_back(e);
      continue;
    }
    const market::Channel ch = market::channel_of(e);
    const std::size_t i = ch.symbol * market::kStreamCount + static_cast<std::size_t>(ch.stream);
    const std::uint64_t seq = market::channel_seq(e);
    // A channel numbered by another run of the publisher (a restarted `live`) starts over.
    if (seq_epoch_[i] == h.epoch && last_seq_[i] != 0) {
      if (seq <= last_seq_[i]) {
        c.duplicate_events.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (seq > last_seq_[i] + 1) {
        c.lost_events.fetch_add(seq - 1 - last_seq_[i], std::memory_order_relaxed);
        local_.note_lost(ch, seq - 1);
      }
    }
    seq_epoch_[i] = h.epoch;
    last_seq_[i] = seq;
    kept_.push_back(e);
  }
  c.frames.fetch_add(1, std::memory_order_relaxed);
  if (caught_up) c.caught_up.fetch_add(1, std::memory_order_relaxed);
  c.events.fetch_add(kept_.size(), std::memory_order_relaxed);
  if (!kept_.empty()) local_.publish(kept_);
}

bool RedisBus::catch_up(detail::Connection& link, const std::string& name, std::stop_token& stop) {
  const std::string key = stream_key(config_.prefix, name);
  const std::string count = std::to_string(std::max<std::size_t>(config_.catchup_page, 1));
  for (;;) {
    if (stop.stop_requested()) return true;
    const Publisher& p = publishers_[name];
    const std::string from = fmt::format("({}-{}", p.epoch, p.batch);
    auto r = link.command({"XRANGE", key, from, "+", "COUNT", count});
    if (!r) return false;
    if (r->type != REDIS_REPLY_ARRAY) return true;  // e.g. an error reply: nothing to read
    for (std::size_t i = 0; i < r->elements; ++i) {
      const redisReply* entry = r->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
      const redisReply* fields = entry->element[1];
      if (fields->type != REDIS_REPLY_ARRAY) continue;
      for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (str(fields->element[f]) == kField) on_frame(name, str(fields->element[f + 1]), true);
      }
    }
    if (r->elements < config_.catchup_page) return true;
  }
}

bool RedisBus::list_streams(detail::Connection& link, std::vector<std::string>& names) {
  const std::string key_prefix = stream_key(config_.prefix, "");
  const std::string match = glob_literal(key_prefix) + "*";
  std::string cursor = "0";
  do {
    auto r = link.command({"SCAN", cursor, "MATCH", match, "COUNT", "1000"});
    if (!r) return false;
    // SCAN renamed away: only the known streams are read. Any other refusal (LOADING,
    // NOPERM...) is a failed attempt, tried again: a stream not listed now would later
    // look new and be read from its start.
    if (r->type == REDIS_REPLY_ERROR) return str(r.get()).starts_with("ERR unknown command");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      return false;
    }
    cursor = std::string(str(r->element[0]));
    const redisReply* keys = r->element[1];
    for (std::size_t i = 0; i < keys->elements; ++i) {
      const std::string_view key = str(keys->element[i]);
      if (key.starts_with(key_prefix)) names.emplace_back(key.substr(key_prefix.size()));
    }
  } while (cursor != "0" && !cursor.empty());
  return true;
}

bool RedisBus::note_streams(detail::Connection& link, bool first_connection) {
  std::vector<std::string> names;
  if (!list_streams(link, names)) return false;
  for (const auto& name : names) {
    // Until a first connection succeeds, each attempt places the streams anew.
    if (!first_connection && publishers_.contains(name)) continue;
    Publisher p;  // {0, 0}: before every frame
    p.after_cut = !first_connection;
    if (first_connection) {
      auto r =
          link.command({"XREVRANGE", stream_key(config_.prefix, name), "+", "-", "COUNT", "1"});
      if (!r || (r->type == REDIS_REPLY_ERROR && !str(r.get()).starts_with("WRONGTYPE")))
        return false;
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
          r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1 &&
          !parse_id(str(r->element[0]->element[0]), p.epoch, p.batch)) {
        p = {};
      }
      p.placed = true;
    }
    publishers_.insert_or_assign(name, p);
  }
  return true;
}

void RedisBus::run(std::stop_token stop) {
  auto& c = *counters_;
  const std::string pattern = glob_literal(events_channel(config_.prefix, "")) + "*";
  const std::string channel_prefix = events_channel(config_.prefix, "");
  std::chrono::milliseconds backoff{0};
  bool connected_once = false;
  while (!stop.stop_requested()) {
    detail::Connection sub(endpoint_, kConnectTimeout);
    detail::Connection cmd(endpoint_, kConnectTimeout);
    bool ok = sub.ok() && cmd.ok();
    // The first time, each stream is placed at its newest frame before subscribing: the
    // reader starts from "now", and the catch-up below reads what came in between.
    if (ok && !connected_once) {
      ok = note_streams(cmd, true);
      if (ok && config_.between_listing_and_subscribe) config_.between_listing_and_subscribe();
    }
    if (ok) {
      // Subscribe first, then read the streams: what is published meanwhile waits in the
      // subscription and is dropped as a duplicate if the stream already gave it.
      auto r = sub.command({"PSUBSCRIBE", pattern});
      ok = r && r->type == REDIS_REPLY_ARRAY;
    }
    // A stream not seen before is a publisher that started meanwhile: after a cut, while
    // this reader was away; the first time, between the listing above and PSUBSCRIBE. Its
    // first frames reached no subscription, so it is read from its start.
    if (ok) ok = note_streams(cmd, false);
    if (ok) {
      if (connected_once) c.reconnects.fetch_add(1);
      connected_once = true;
      std::vector<std::string> names;
      for (const auto& [name, p] : publishers_)
        names.push_back(name);
      for (const auto& name : names)
        ok = ok && catch_up(cmd, name, stop);
    }
    if (!ok) {
      const std::string& e = !sub.error().empty() ? sub.error() : cmd.error();
      set_down(e.empty() ? std::string("PSUBSCRIBE, SCAN or XREVRANGE refused") : e);
    }
    if (ok) {
      {
        std::lock_guard lock(down_mutex_);
        c.connected = true;
      }
      subscribed_.store(true, std::memory_order_release);
      backoff = std::chrono::milliseconds{0};
      // Any pushed message (an event frame or the answer to PING) shows Redis is alive.
      auto heard = std::chrono::steady_clock::now();
      auto pinged = heard;
      while (!stop.stop_requested()) {
        auto m = sub.next_message(std::chrono::milliseconds(50));
        const auto now = std::chrono::steady_clock::now();
        if (m) {
          heard = now;
        } else if (!sub.ok()) {
          set_down(sub.error());
          break;
        }
        if (now - heard >= config_.ping_timeout) {
          c.ping_timeouts.fetch_add(1, std::memory_order_relaxed);
          set_down(fmt::format("no reply for {} ms (PING)", config_.ping_timeout.count()));
          break;
        }
        if (now - heard >= config_.ping_interval && now - pinged >= config_.ping_interval) {
          pinged = now;
          sub.send({"PING"});
          if (!sub.ok()) {
            set_down(sub.error());
            break;
          }
        }
        if (!m) continue;
        if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 || str(m->element[0]) != "pmessage")
          continue;
        const std::string_view ch = str(m->element[2]);
        if (!ch.starts_with(channel_prefix)) continue;
        const std::string name(ch.substr(channel_prefix.size()));
        on_frame(name, str(m->element[3]), false);
      }
    }
    if (stop.stop_requested()) break;
    backoff = next_backoff(backoff, config_.backoff_min, config_.backoff_max);
    pause(stop, backoff);
  }
  set_down("stopped");
}

}  // namespace spacetime::bus::redis
