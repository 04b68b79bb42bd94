// The Redis bus against a real redis-server: label `services`, run with
//   scripts/services run redis -- ctest --preset release -L services -R redis
// (fails, not skips, without SPACETIME_TEST_REDIS_URL). The restart test starts a
// redis-server of its own on a free port, so that it can stop and start it on that port.
#include "bus/redis/redis_bus.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "support/child_process.hpp"
#include "support/event_stream.hpp"

namespace spacetime::bus::redis {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string env_url() {
  const char* v = std::getenv("SPACETIME_TEST_REDIS_URL");
  if (!v || !*v) {
    ADD_FAILURE() << "SPACETIME_TEST_REDIS_URL is not set: run under `scripts/services run redis "
                     "-- ctest --preset release -L services -R redis`";
    return "redis://127.0.0.1:1";
  }
  return v;
}

// A prefix of its own per test, so that runs sharing a server never see each other.
std::string unique_prefix() {
  std::random_device rd;
  return "test" + std::to_string(rd()) + std::to_string(::getpid());
}

// One plain command on a connection of the test's own (CLIENT KILL, DEL ...).
void redis_command(const std::string& url, const std::vector<std::string>& args) {
  const auto ep = parse_redis_url(url);
  redisContext* c = redisConnect(ep.host.c_str(), ep.port);
  ASSERT_TRUE(c && !c->err) << "cannot connect to " << url;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  EXPECT_TRUE(r && r->type != REDIS_REPLY_ERROR) << (r && r->str ? r->str : "no reply");
  if (r) freeReplyObject(r);
  redisFree(c);
}

// Pushes the events through the publisher's in-process bus in engine-sized batches.
void publish(InprocBus& bus, std::span<const market::Event> events) {
  for (std::size_t i = 0; i < events.size(); i += 64)
    bus.publish(events.subspan(i, std::min<std::size_t>(64, events.size() - i)));
}

std::vector<market::Event> events_only(const std::vector<market::Event>& all) {
  std::vector<market::Event> out;
  for (const auto& e : all)
    if (!market::is_value(e)) out.push_back(e);
  return out;
}

// What a consumer took from a subscription, by channel.
struct Received {
  std::vector<market::Event> events;
  std::size_t values = 0;
  // Bars in progress met before the close of the bar before them (the publisher frames a
  // round's values after its events, so none should be).
  std::size_t early_bars = 0;
  std::map<std::pair<market::SymbolId, int>, std::uint64_t> closed;

  // Drains until `want` events arrived or the timeout passed.
  bool collect(Subscription& sub, std::size_t want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<market::Event> batch;
    while (events.size() < want && std::chrono::steady_clock::now() < deadline) {
      batch.clear();
      sub.drain(batch);
      for (const auto& e : batch) {
        const auto* bar = std::get_if<market::CandleEvent>(&e);
        const auto key = bar ? std::pair{bar->symbol, static_cast<int>(bar->tf)}
                             : std::pair<market::SymbolId, int>{};
        if (market::is_value(e)) {
          ++values;
          if (bar && !bar->closed && bar->seq > closed[key] + 1) ++early_bars;
        } else {
          events.push_back(e);
          if (bar && bar->closed) closed[key] = std::max(closed[key], bar->seq);
        }
      }
      if (batch.empty()) std::this_thread::sleep_for(2ms);
    }
    return events.size() >= want;
  }
};

// Every event channel numbered 1, 2, 3... without a gap or a repeat, except where the
// subscription reports the loss (lost_seq covers the jump).
void expect_continuous(const std::vector<market::Event>& events, const Subscription& sub,
                       bool allow_reported_gaps) {
  std::map<std::pair<market::SymbolId, int>, std::uint64_t> last;
  std::size_t jumps = 0;
  for (const auto& e : events) {
    const auto ch = market::channel_of(e);
    const auto seq = market::channel_seq(e);
    auto& l = last[{ch.symbol, static_cast<int>(ch.stream)}];
    ASSERT_GT(seq, l) << "duplicate or reordered event on symbol " << ch.symbol << " stream "
                      << static_cast<int>(ch.stream);
    if (l != 0 && seq != l + 1) {
      ++jumps;
      ASSERT_TRUE(allow_reported_gaps) << "silent gap " << l << " -> " << seq;
      EXPECT_GE(sub.lost_seq(ch), seq - 1) << "gap " << l << " -> " << seq << " not reported";
    }
    l = seq;
  }
  if (!allow_reported_gaps) {
    EXPECT_EQ(jumps, 0u);
  }
}

struct Rig {
  explicit Rig(const std::string& url, std::size_t symbols = 3, std::size_t ticks = 20'000,
               PublisherConfig pc = {}, RedisBusConfig bc = {}) {
    all = testing::simulated_events(registry, symbols, ticks, 5);
    source = std::make_unique<InprocBus>(registry.size());
    prefix = unique_prefix();
    pc.url = url;
    pc.prefix = prefix;
    pc.ring_capacity =
        (all.size() + 1) * Subscription::kEventRoom;  // the test checks Redis, not the ring
    bc.url = url;
    bc.prefix = prefix;
    publisher = std::make_unique<RedisPublisher>(pc, registry, *source);
    bus = std::make_unique<RedisBus>(bc, registry);
    Filter f;
    f.values = Values::kQueued;
    sub = bus->subscribe(f, (all.size() + 1) * Subscription::kEventRoom);
  }
  void start() {
    bus->start(/*wait_connected=*/true);
    publisher->start();
  }
  // Waits until the publisher has sent everything (its count stands still for a while).
  void settle() const {
    auto last = publisher->stats().events;
    for (int still = 0; still < 3;) {
      std::this_thread::sleep_for(100ms);
      const auto now = publisher->stats().events;
      still = now == last ? still + 1 : 0;
      last = now;
    }
  }

  market::SymbolRegistry registry;
  std::string prefix;
  std::vector<market::Event> all;
  std::unique_ptr<InprocBus> source;
  std::unique_ptr<RedisPublisher> publisher;
  std::unique_ptr<RedisBus> bus;
  std::shared_ptr<Subscription> sub;
};

// Every event of `rig` arrives exactly once, in order, without a gap, and some came from the
// stream (`from_stream` says which).
void expect_every_event_once(Received& got, Rig& rig, const char* from_stream) {
  const auto want = events_only(rig.all);
  ASSERT_TRUE(got.collect(*rig.sub, want.size(), 30s))
      << got.events.size() << " of " << want.size();
  std::this_thread::sleep_for(200ms);  // duplicates (or older frames), if any, would arrive now
  got.collect(*rig.sub, want.size() + 1, 100ms);
  ASSERT_EQ(got.events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_TRUE(got.events[i] == want[i]) << "event " << i;
  expect_continuous(got.events, *rig.sub, /*allow_reported_gaps=*/false);
  const auto s = rig.bus->stats();
  EXPECT_GT(s.caught_up_frames, 0u) << from_stream;
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(s.lost_events, 0u);
}

// ...after a cut and reconnect.
void expect_every_event_once_after_a_cut(Received& got, Rig& rig, const char* from_stream) {
  expect_every_event_once(got, rig, from_stream);
  EXPECT_GE(rig.bus->stats().reconnects, 1u);
}

TEST(RedisBus, DeliversEveryEventInOrderAcrossProcessesBoundaries) {
  Rig rig(env_url());
  rig.start();
  publish(*rig.source, rig.all);
  const auto want = events_only(rig.all);
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, want.size(), 20s))
      << got.events.size() << " of " << want.size();
  got.collect(*rig.sub, want.size() + 1, 300ms);  // values follow at their own cadence
  ASSERT_EQ(got.events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_TRUE(got.events[i] == want[i]) << "event " << i;
  expect_continuous(got.events, *rig.sub, /*allow_reported_gaps=*/false);
  EXPECT_GT(got.values, 0u) << "latest values travel too";
  EXPECT_EQ(got.early_bars, 0u) << "a bar in progress came before the close before it";
  const auto p = rig.publisher->stats();
  const auto s = rig.bus->stats();
  EXPECT_EQ(p.ring_dropped, 0u);
  EXPECT_LT(p.frames, p.events / 10) << "events travel batched";
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(s.lost_events, 0u);
  EXPECT_EQ(s.decode_errors, 0u);
}

// Each frame goes into the stream before it is published (MONITOR shows the order Redis ran
// the commands in). Published first, a frame could fall between a reconnecting reader's
// PSUBSCRIBE and its XRANGE, reach it neither way, and be counted lost.
TEST(RedisBus, AFrameIsInTheStreamBeforeItIsPublished) {
  const std::string url = env_url();
  const auto ep = parse_redis_url(url);
  // Closed on every way out: an unread MONITOR client would make Redis buffer its traffic.
  std::unique_ptr<redisContext, decltype(&redisFree)> guard(redisConnect(ep.host.c_str(), ep.port),
                                                            &redisFree);
  redisContext* mon = guard.get();
  ASSERT_TRUE(mon && !mon->err) << "cannot connect to " << url;
  auto* ok = static_cast<redisReply*>(redisCommand(mon, "MONITOR"));
  ASSERT_TRUE(ok && ok->type == REDIS_REPLY_STATUS) << "MONITOR refused";
  freeReplyObject(ok);
  const timeval wait{.tv_sec = 2, .tv_usec = 0};
  redisSetTimeout(mon, wait);

  Rig rig(url, 2, 2'000);
  rig.start();
  publish(*rig.source, rig.all);
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, events_only(rig.all).size(), 20s));
  rig.settle();
  const auto frames = rig.publisher->stats().frames;
  ASSERT_GT(frames, 1u);

  const std::string xadd = "\"XADD\" \"" + rig.prefix + ":";
  const std::string publish_cmd = "\"PUBLISH\" \"" + rig.prefix + ":";
  std::uint64_t added = 0, published = 0;
  while (published < frames) {
    void* raw = nullptr;
    if (redisGetReply(mon, &raw) != REDIS_OK || !raw) break;  // 2 s without a command
    auto* r = static_cast<redisReply*>(raw);
    if (r->type == REDIS_REPLY_STATUS && r->str) {
      const std::string_view line(r->str, r->len);
      if (line.find(xadd) != std::string_view::npos) ++added;
      if (line.find(publish_cmd) != std::string_view::npos) {
        EXPECT_GT(added, published) << "frame " << published + 1 << " published before added";
        ++published;
      }
    }
    freeReplyObject(r);
  }
  EXPECT_EQ(published, frames) << "MONITOR showed every frame's PUBLISH";
  EXPECT_EQ(added, frames);
}

// A round's values are framed after its events: a receiver never meets a bar in progress
// before the close of the bar before it (a chart cannot take a bar older than its last).
TEST(RedisBus, ARoundFramesItsBarsInProgressAfterItsCloses) {
  Rig rig(env_url(), 1, 10);
  const market::Event round[] = {
      market::CandleEvent{.symbol = 0, .tf = market::Timeframe::k1m, .closed = true, .seq = 1},
      market::CandleEvent{.symbol = 0, .tf = market::Timeframe::k1m, .closed = false, .seq = 2}};
  rig.source->publish(round);  // before the publisher runs: its first round takes both
  rig.start();
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, 1, 20s));
  got.collect(*rig.sub, 2, 300ms);  // the value, in the same frame
  EXPECT_EQ(got.values, 1u);
  EXPECT_EQ(got.early_bars, 0u);
}

TEST(RedisBus, CatchesUpFromTheStreamAfterACutWithoutLossOrDuplicates) {
  RedisBusConfig bc;
  bc.backoff_min = 700ms;  // the cut lasts while the second half is published
  bc.catchup_page = 16;    // several XRANGE pages
  PublisherConfig pc;
  pc.max_batch = 100;
  Rig rig(env_url(), 3, 20'000, pc, bc);
  rig.start();
  const std::size_t half = rig.all.size() / 2;
  const auto first = std::span(rig.all).first(half);
  publish(*rig.source, first);
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, events_only({first.begin(), first.end()}).size(), 20s));

  redis_command(rig.publisher->config().url, {"CLIENT", "KILL", "TYPE", "pubsub"});
  publish(*rig.source, std::span(rig.all).subspan(half));
  expect_every_event_once_after_a_cut(got, rig, "the second half came from the stream");
  const auto s = rig.bus->stats();
  // Nothing was lost, so no candle channel is told that a revision may have been.
  EXPECT_EQ(s.revisions_maybe_lost, 0u);
  for (const auto& [key, seq] : got.closed) {
    EXPECT_EQ(rig.sub->take_lost_revision(
                  {key.first, market::candle_stream(static_cast<market::Timeframe>(key.second))}),
              0u);
  }
}

// Waits until the reader has noticed a cut (its subscription connection was killed).
void wait_disconnected(const RedisBus& bus) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (bus.stats().connected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  ASSERT_FALSE(bus.stats().connected) << "the reader did not notice the cut";
}

// A publisher that starts while a reader is cut off is read from its stream's start when
// the reader is back; a stream that was there before the reader started is not replayed.
TEST(RedisBus, APublisherFirstSeenAfterACutIsReadFromTheStart) {
  RedisBusConfig bc;
  bc.backoff_min = 3s;  // the cut outlasts the new publisher's first frames
  bc.catchup_page = 16;
  PublisherConfig pc;
  pc.max_batch = 100;
  pc.name = "new";
  Rig rig(env_url(), 3, 20'000, pc, bc);

  // An earlier shard's frames, in the stream before the reader starts.
  InprocBus old_source(rig.registry.size());
  PublisherConfig old_pc = pc;
  old_pc.name = "old";
  old_pc.url = rig.publisher->config().url;
  old_pc.prefix = rig.prefix;
  old_pc.ring_capacity = (rig.all.size() + 1) * Subscription::kEventRoom;
  RedisPublisher old_publisher(old_pc, rig.registry, old_source);
  old_publisher.start();
  const auto old_events = std::span(rig.all).first(rig.all.size() / 2);
  publish(old_source, old_events);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (old_publisher.stats().events <
             events_only({old_events.begin(), old_events.end()}).size() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  old_publisher.stop();
  ASSERT_GT(old_publisher.stats().frames, 0u) << "the earlier shard's frames are in its stream";

  rig.bus->start(/*wait_connected=*/true);
  redis_command(rig.publisher->config().url, {"CLIENT", "KILL", "TYPE", "pubsub"});
  wait_disconnected(*rig.bus);
  rig.publisher->start();
  publish(*rig.source, rig.all);
  Received got;
  // The earlier shard's frames, if replayed, would make more events than the new one's.
  expect_every_event_once_after_a_cut(got, rig,
                                      "the new shard's first frames came from its stream");
}

// A publisher whose first frames went out between the reader's first listing of the streams
// and its PSUBSCRIBE: they reached no subscription and its stream was not listed, so the
// reader lists the streams again once subscribed and reads the new one from its start.
TEST(RedisBus, APublisherStartingWhileTheReaderSubscribesIsReadFromTheStart) {
  RedisBusConfig bc;
  PublisherConfig pc;
  pc.max_batch = 100;
  struct Between {
    RedisPublisher* publisher = nullptr;
    InprocBus* source = nullptr;
    std::span<const market::Event> events;
    bool ran = false, sent = false;
  } between;
  bc.between_listing_and_subscribe = [&between] {
    if (between.ran) return;  // a first connection that failed later would run it again
    between.ran = true;
    between.publisher->start();
    publish(*between.source, between.events);
    // Sent once its count (events and values) covers the events and then stands still.
    const auto want = events_only({between.events.begin(), between.events.end()}).size();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto last = between.publisher->stats().events;
    for (int still = 0; still < 3 && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(100ms);
      const auto now = between.publisher->stats().events;
      still = now == last && now >= want ? still + 1 : 0;
      last = now;
    }
    between.sent = last >= want;
  };
  Rig rig(env_url(), 3, 20'000, pc, bc);
  between.publisher = rig.publisher.get();
  between.source = rig.source.get();
  between.events = std::span(rig.all).first(rig.all.size() / 2);

  rig.bus->start(/*wait_connected=*/true, /*timeout=*/30s);  // the hook may take 20 s
  ASSERT_TRUE(between.sent) << "the first half went out before the reader subscribed";
  publish(*rig.source, std::span(rig.all).subspan(rig.all.size() / 2));
  Received got;
  // (No check that no reconnect happened: tests running beside this one on the same server
  // cut every Pub/Sub client with CLIENT KILL TYPE pubsub.)
  expect_every_event_once(got, rig, "the first half came from the stream");
}

// ...and when its stream no longer holds its first frames, the gap is counted.
TEST(RedisBus, APublisherFirstSeenAfterACutWithATrimmedStartIsAGap) {
  RedisBusConfig bc;
  bc.backoff_min = 5s;  // the whole run is published during the cut
  PublisherConfig pc;
  pc.max_batch = 20;
  pc.stream_maxlen = 5;  // MAXLEN ~ trims whole nodes: some hundred frames stay
  Rig rig(env_url(), 3, 20'000, pc, bc);
  rig.bus->start(/*wait_connected=*/true);
  redis_command(rig.publisher->config().url, {"CLIENT", "KILL", "TYPE", "pubsub"});
  wait_disconnected(*rig.bus);
  rig.publisher->start();
  publish(*rig.source, rig.all);
  rig.settle();
  ASSERT_FALSE(rig.bus->stats().connected) << "the publisher took longer than the cut";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (rig.bus->stats().caught_up_frames == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  const auto s = rig.bus->stats();
  EXPECT_GT(s.caught_up_frames, 0u);
  EXPECT_LT(s.caught_up_frames, rig.publisher->stats().frames) << "the stream was trimmed";
  EXPECT_EQ(s.gaps, 1u);
}

// A stream left by an earlier run of a shard now run without one: a reader that starts
// meanwhile places the shard at that old stream's end, and the run's frames from Pub/Sub
// (numbered from wherever the run is) are where it starts, not a gap.
TEST(RedisBus, AStaleStreamOfAShardNowWithoutOneIsNoGapAtStart) {
  PublisherConfig pc;
  pc.max_batch = 50;
  pc.stream_maxlen = 0;
  Rig rig(env_url(), 2, 4'000, pc);
  {
    InprocBus earlier_source(rig.registry.size());
    PublisherConfig earlier = rig.publisher->config();
    earlier.stream_maxlen = 10'000;
    RedisPublisher earlier_run(earlier, rig.registry, earlier_source);
    earlier_run.start();
    publish(earlier_source, std::span(rig.all).first(200));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (earlier_run.stats().frames == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    earlier_run.stop();
    ASSERT_GT(earlier_run.stats().frames, 0u);
  }
  std::this_thread::sleep_for(5ms);  // a later epoch (milliseconds) for the run below
  const std::size_t half = rig.all.size() / 2;
  rig.publisher->start();
  publish(*rig.source, std::span(rig.all).first(half));  // before any reader: frames 1...
  rig.settle();
  ASSERT_GT(rig.publisher->stats().frames, 1u);
  rig.bus->start(/*wait_connected=*/true);
  publish(*rig.source, std::span(rig.all).subspan(half));
  const auto want =
      events_only({rig.all.begin() + static_cast<std::ptrdiff_t>(half), rig.all.end()});
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, want.size(), 20s))
      << got.events.size() << " of " << want.size();
  EXPECT_EQ(rig.bus->stats().gaps, 0u);
}

TEST(RedisBus, AGapBeyondTheStreamIsReportedExplicitly) {
  RedisBusConfig bc;
  bc.backoff_min = 1'500ms;
  PublisherConfig pc;
  pc.max_batch = 4;       // many small frames...
  pc.stream_maxlen = 10;  // ...in a short stream (~: trimmed by whole nodes of 100)
  Rig rig(env_url(), 3, 20'000, pc, bc);
  rig.start();
  const std::size_t tenth = rig.all.size() / 10;
  const auto first = std::span(rig.all).first(tenth);
  publish(*rig.source, first);
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, events_only({first.begin(), first.end()}).size(), 20s));
  const auto closed_before = got.closed;  // the last closed bar per candle channel

  redis_command(rig.publisher->config().url, {"CLIENT", "KILL", "TYPE", "pubsub"});
  publish(*rig.source, std::span(rig.all).subspan(tenth));
  rig.settle();
  // Wait for the reconnect and whatever the stream still held.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (rig.bus->stats().reconnects == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  got.collect(*rig.sub, rig.all.size(), 1s);
  const auto s = rig.bus->stats();
  EXPECT_GE(s.reconnects, 1u);
  EXPECT_GE(s.gaps, 1u) << "frames trimmed from the stream are a counted gap";
  EXPECT_GT(s.lost_events, 0u);
  const auto want = events_only(rig.all);
  EXPECT_LT(got.events.size(), want.size()) << "the stream cannot have held it all";
  // Every jump is covered by lost_seq: the hub turns it into a `gap` message.
  expect_continuous(got.events, *rig.sub, /*allow_reported_gaps=*/true);
  // The newest events did arrive, after the gap.
  ASSERT_FALSE(got.events.empty());
  EXPECT_TRUE(got.events.back() == want.back());
  // A revised bar in the trimmed frames would not show as a jump: every candle channel
  // the publisher numbered reports its last 32 (correction_bars) closed bars as possibly
  // revised, counted.
  ASSERT_FALSE(closed_before.empty());
  EXPECT_GE(s.revisions_maybe_lost, closed_before.size());
  for (const auto& [key, seq] : closed_before) {
    const market::Channel ch{key.first,
                             market::candle_stream(static_cast<market::Timeframe>(key.second))};
    EXPECT_EQ(rig.sub->take_lost_revision(ch), seq > 31 ? seq - 31 : 1)
        << "symbol " << key.first << " tf " << key.second << " last closed " << seq;
  }
}

// --- a redis-server of the test's own, to restart on the same port ------------------------

std::string find_redis_server() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
    const fs::path p = fs::path(dir) / "redis-server";
    if (fs::exists(p)) return p.string();
  }
  return {};
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class OwnRedis {
 public:
  OwnRedis() : port_(free_port()), dir_(fs::temp_directory_path() / unique_prefix()) {
    fs::create_directories(dir_);
  }
  ~OwnRedis() {
    server_.reset();
    fs::remove_all(dir_);
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void start() {
    const auto bin = find_redis_server();
    ASSERT_FALSE(bin.empty()) << "redis-server not installed (scripts/setup)";
    server_ = std::make_unique<testing::ChildProcess>(
        bin,
        std::vector<std::string>{"--bind", "127.0.0.1", "--port", std::to_string(port_), "--save",
                                 "", "--appendonly", "no", "--dir", dir_.string()},
        dir_ / "log");
    ASSERT_TRUE(server_->wait_for("Ready to accept connections", 10s)) << server_->output();
  }
  void kill() { server_->stop(); }

 private:
  std::uint16_t port_;
  fs::path dir_;
  std::unique_ptr<testing::ChildProcess> server_;
};

TEST(RedisBus, ARestartedRedisIsReconnectedAndTheRunContinues) {
  OwnRedis server;
  server.start();
  RedisBusConfig bc;
  bc.backoff_max = 300ms;
  PublisherConfig pc;
  pc.backoff_max = 300ms;
  Rig rig(server.url(), 3, 20'000, pc, bc);
  rig.start();
  const std::size_t half = rig.all.size() / 2;
  const auto first = std::span(rig.all).first(half);
  publish(*rig.source, first);
  Received got;
  ASSERT_TRUE(got.collect(*rig.sub, events_only({first.begin(), first.end()}).size(), 20s));

  server.kill();
  // Published while Redis is down: the publisher's ring keeps it (bounded, counted).
  publish(*rig.source, std::span(rig.all).subspan(half));
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(rig.publisher->stats().connected);
  server.start();

  const auto want = events_only(rig.all);
  ASSERT_TRUE(got.collect(*rig.sub, want.size(), 20s))
      << got.events.size() << " of " << want.size();
  ASSERT_EQ(got.events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_TRUE(got.events[i] == want[i]) << "event " << i;
  expect_continuous(got.events, *rig.sub, /*allow_reported_gaps=*/false);
  EXPECT_GE(rig.publisher->stats().reconnects, 1u);
  EXPECT_GE(rig.bus->stats().reconnects, 1u);
  EXPECT_EQ(rig.publisher->stats().ring_dropped, 0u);
}

TEST(RedisUrl, ParsesHostPortAndPasswordAndRejectsTheRest) {
  const auto e = parse_redis_url("redis://:secret@10.0.0.5:6380");
  EXPECT_EQ(e.host, "10.0.0.5");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.password, "secret");
  EXPECT_EQ(parse_redis_url("redis://localhost").port, 6379);
  EXPECT_THROW(parse_redis_url("http://localhost"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://localhost:99999"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://localhost:6379/2"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://"), std::invalid_argument);
}

}  // namespace
}  // namespace spacetime::bus::redis
