// The bus of distributed mode (docs/ARCHITECTURE.md): a `live` process's RedisPublisher
// takes the engine's events from its in-process bus and sends them to Redis in batches;
// a RedisBus in a `gateway` (or `history`) process receives them and delivers them to its
// own subscriptions, as the in-process bus would. Each publisher has a Pub/Sub channel
// and a capped stream holding the same frames, from which a subscriber that was cut off
// catches up; what the stream no longer holds reaches consumers as an explicit gap.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bus/bus.hpp"
#include "market/symbol.hpp"

namespace spacetime::bus::redis {

namespace detail {
class Connection;
}

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // AUTH when not empty
};
// redis://[:password@]host[:port]; throws std::invalid_argument naming what is wrong.
RedisEndpoint parse_redis_url(std::string_view url);

// The keys of publisher `name` under `prefix`: its Pub/Sub channel and its stream.
std::string events_channel(std::string_view prefix, std::string_view name);
std::string stream_key(std::string_view prefix, std::string_view name);

struct PublisherConfig {
  std::string url = "redis://127.0.0.1:6379";
  std::string prefix = "spacetime";
  std::string name = "0";              // this publisher's channel and stream (the shard)
  std::size_t stream_maxlen = 10'000;  // XADD MAXLEN ~ (frames, not events); 0: no stream
  std::size_t max_batch = 2'048;       // events per frame
  std::size_t ring_capacity = 65'536;  // room queued per engine thread, in ticks (Subscription)
  // The writer takes one round (drain, encode, send) per interval at most: larger frames
  // and fewer stream entries, for at most this much added latency.
  std::chrono::microseconds flush_interval{5'000};
  // Latest values (intensity, buffer, candles in progress) are sent at most this often;
  // events every round. Below the gateway's client flush (--flush-ms), so clients see no
  // difference, while Redis carries (and its stream keeps) a fraction of the samples.
  std::chrono::milliseconds value_interval{20};
  std::chrono::milliseconds backoff_min{50}, backoff_max{2'000};
  // With nothing to send for this long the writer PINGs Redis (replies wait at most 2 s,
  // then it reconnects), so a hung server is noticed also when the feed is quiet.
  std::chrono::milliseconds idle_ping{1'000};
};

struct PublisherStats {
  bool connected = false;
  std::uint64_t reconnects = 0;  // connections made after the first
  std::uint64_t frames = 0;      // frames Redis accepted
  std::uint64_t events = 0;      // events in them
  std::uint64_t bytes = 0;
  std::uint64_t ring_dropped = 0;   // events the bounded ring could not take (Redis slow/down)
  std::uint64_t unsent_events = 0;  // events of frames never confirmed (stopped while cut off)
  std::uint64_t errors = 0;         // error replies (counted, logged once per kind)
};

// Subscribes to `source` at construction (so nothing published after it is missed) and
// sends from one writer thread: each round drains the rings, cuts frames of max_batch
// events and pipelines PUBLISH + XADD for all of them before reading the replies.
class RedisPublisher {
 public:
  RedisPublisher(PublisherConfig config, const market::SymbolRegistry& symbols, Bus& source);
  ~RedisPublisher();
  RedisPublisher(const RedisPublisher&) = delete;
  RedisPublisher& operator=(const RedisPublisher&) = delete;

  void start();
  // Sends what is queued (when connected), then stops the writer.
  void stop();
  PublisherStats stats() const;
  const PublisherConfig& config() const { return config_; }

 private:
  struct Frame {
    std::uint64_t batch = 0;
    std::size_t events = 0;
    std::string bytes;
  };
  void run(std::stop_token stop);
  void encode(std::vector<market::Event>& events);
  bool send();

  const PublisherConfig config_;
  const RedisEndpoint endpoint_;
  const market::SymbolRegistry& symbols_;
  Bus& source_;
  std::shared_ptr<Subscription> subscription_;
  std::uint64_t epoch_ = 0;
  std::uint64_t batch_ = 0;
  std::vector<Frame> unconfirmed_;  // sent again after a reconnect until Redis confirms them
  struct Counters;
  std::unique_ptr<Counters> counters_;
  std::unique_ptr<detail::Connection> link_;
  std::jthread thread_;
};

struct RedisBusConfig {
  std::string url = "redis://127.0.0.1:6379";
  std::string prefix = "spacetime";
  std::size_t catchup_page = 256;  // stream entries per XRANGE
  std::chrono::milliseconds backoff_min{50}, backoff_max{2'000};
  // Health of the subscription: after ping_interval without any message the reader sends
  // PING; with nothing heard for ping_timeout the connection counts as dead (a hung or
  // SIGSTOPped server keeps the TCP connection open) and the reader reconnects.
  std::chrono::milliseconds ping_interval{1'000}, ping_timeout{3'000};
  // The publishers' `correction_bars` (CorrectionParams::max_bars): how far back a revised
  // bar in frames the stream no longer held may reach. After such a gap every candle channel
  // of that publisher reports its last this-many closed bars as possibly revised.
  std::size_t revisable_bars = 32;
  // Tests only: runs on the reader's thread after it listed and placed the streams and
  // before PSUBSCRIBE (where a publisher starting at that moment is a race), at each
  // attempt until a first connection succeeds.
  std::function<void()> between_listing_and_subscribe{};
};

struct RedisBusStats {
  bool connected = false;
  std::uint64_t reconnects = 0;
  std::uint64_t frames = 0;            // frames delivered (Pub/Sub and catch-up)
  std::uint64_t events = 0;            // events delivered
  std::uint64_t caught_up_frames = 0;  // of which read back from a stream after a cut
  std::uint64_t duplicate_frames = 0;  // frames already delivered (both paths): dropped
  std::uint64_t duplicate_events = 0;  // events at or below their channel's seq: dropped
  std::uint64_t gaps = 0;  // frames missing (the stream no longer held them), or a run's first
                           // frames (a publisher restarted, or first seen, during a cut)
  std::uint64_t lost_events = 0;  // event numbers skipped on their channel
  // Candle channels told (take_lost_revision) that a gap may have held revised bars.
  std::uint64_t revisions_maybe_lost = 0;
  std::uint64_t decode_errors = 0;   // frames that did not decode: dropped
  std::uint64_t unknown_symbol = 0;  // events of symbols this process does not know
  std::uint64_t ping_timeouts = 0;   // connections given up because Redis stopped answering
  std::uint64_t down_ms = 0;         // while not subscribed: ms since the subscription ended
};

// The subscriber side: a Bus whose events come from every publisher under the prefix
// (PSUBSCRIBE prefix:events:*). One reader thread decodes, drops duplicates by frame
// number and by per-channel seq, and delivers into the subscriptions. On a cut it
// reconnects with capped exponential backoff, resubscribes, and reads each publisher's
// stream from the last frame it delivered, and the whole stream of a publisher that
// appeared meanwhile; numbers the stream no longer covers are marked lost on their
// channels (Subscription::lost_seq), so consumers report a gap.
class RedisBus final : public Bus {
 public:
  RedisBus(RedisBusConfig config, const market::SymbolRegistry& symbols);
  ~RedisBus() override;

  // Starts the reader. With wait_connected, returns once subscribed (or throws
  // std::runtime_error after `timeout` naming the server): a consumer started afterwards
  // misses nothing published later.
  void start(bool wait_connected = false,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  void stop();
  RedisBusStats stats() const;
  // Empty while subscribed; otherwise why not, for /api/health (e.g. "redis
  // 127.0.0.1:6379: no reply for 3000 ms (PING), down for 4200 ms").
  std::string problem() const;

  std::shared_ptr<Subscription> subscribe(Filter filter, std::size_t capacity) override {
    return local_.subscribe(filter, capacity);
  }
  void unsubscribe(const std::shared_ptr<Subscription>& subscription) override {
    local_.unsubscribe(subscription);
  }
  std::uint64_t dropped() const override { return local_.dropped(); }

 private:
  // Local delivery (what the reader thread does with each frame); other threads may call
  // publish() too. Origins are steady-clock times of another process: not carried.
  void on_publish(std::span<const market::Event> events, std::int64_t origin_ns) override {
    local_.publish(events, origin_ns);
  }
  struct Publisher {
    std::uint64_t epoch = 0;
    std::uint64_t batch = 0;
    bool after_cut = false;  // first seen in a later listing (after a cut, or after the first
                             // connection placed the others), no frame delivered yet
    bool placed = false;     // placed at its stream's newest frame, no frame delivered yet
  };
  void run(std::stop_token stop);
  void set_down(std::string reason);
  std::uint64_t down_for_ms() const;
  void on_frame(const std::string& name, std::string_view bytes, bool caught_up);
  bool catch_up(detail::Connection& link, const std::string& name, std::stop_token& stop);
  // Lists the publishers' streams under the prefix (SCAN); false when the link failed.
  bool list_streams(detail::Connection& link, std::vector<std::string>& names);
  // Registers each stream not yet known: at its newest frame on the first connection before
  // subscribing (a reader starts from "now"), or at its start once subscribed (a publisher
  // first seen then sent all it holds while this reader was away or subscribing). False
  // when the link failed.
  bool note_streams(detail::Connection& link, bool first_connection);

  const RedisBusConfig config_;
  const RedisEndpoint endpoint_;
  const market::SymbolRegistry& symbols_;
  InprocBus local_;
  std::map<std::string, Publisher> publishers_;  // reader thread only
  std::vector<std::uint64_t> last_seq_;          // per event channel; reader thread only
  std::vector<std::uint64_t> seq_epoch_;         // the run that numbered it
  std::vector<market::Event> scratch_, kept_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
  std::atomic<bool> subscribed_{false};
  mutable std::mutex down_mutex_;
  std::string down_reason_ = "not connected yet";  // guarded by down_mutex_
  std::chrono::steady_clock::time_point down_since_ = std::chrono::steady_clock::now();
  std::jthread thread_;
};

}  // namespace spacetime::bus::redis
