// docs/FEEDS.md "Backpressure": what a live feed drops because the engine is full is
// recorded as counted gaps (.stt version 3), so that replaying the recording reproduces the
// live event output, sequence numbers included. The real pieces: the IQFeed client against
// the fake IQConnect over TCP, the engine (its ring held full by a sink that blocks), the
// recording sink `spacetime record` uses, the .stt writer and reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "fake_iqconnect.hpp"
#include "feed/files/stt_format.hpp"
#include "feed/iqfeed.hpp"
#include "feed/recording_sink.hpp"
#include "feed/tick_file.hpp"
#include "market/event.hpp"

namespace spacetime::feed {
namespace {

namespace fake = spacetime::testing;
using market::Tick;
using namespace std::chrono_literals;

// Collects events; while held, the engine's shard thread waits in publish(), so its ring
// fills and the engine refuses ticks.
class HoldingSink final : public market::EventSink {
 public:
  void hold(bool h) {
    std::lock_guard lock(m_);
    held_ = h;
    cv_.notify_all();
  }
  bool wait_until_blocked(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return blocked_; });
  }
  std::vector<market::Event> events() {
    std::lock_guard lock(m_);
    return events_;
  }

 protected:
  void on_publish(std::span<const market::Event> e, std::int64_t) override {
    std::unique_lock lock(m_);
    blocked_ = held_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
    events_.insert(events_.end(), e.begin(), e.end());
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool held_ = false;
  bool blocked_ = false;
  std::vector<market::Event> events_;
};

template <typename F>
bool eventually(F f, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!f()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// The deterministic output: every event but the bars in progress (published per batch).
std::vector<market::Event> of_symbol(const std::vector<market::Event>& events,
                                     market::SymbolId id) {
  std::vector<market::Event> out;
  for (const auto& e : events) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (market::symbol_of(e) == id && !(c && !c->closed)) out.push_back(e);
  }
  return out;
}

engine::EngineConfig small_engine() {
  engine::EngineConfig c;
  c.shards = 1;
  c.queue_capacity = 16;
  c.batch = 4;
  return c;
}

std::vector<market::Event> replay(const std::string& file, market::SymbolRegistry& reg,
                                  std::vector<Tick>& ticks) {
  auto reader = TickFileReader::from_buffer(file, reg);
  std::vector<Tick> chunk(256);
  while (const std::size_t n = reader.read(chunk))
    ticks.insert(ticks.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  HoldingSink sink;
  engine::Engine e(small_engine(), reg, sink);
  e.start();
  std::span<const Tick> rest(ticks);
  while (!rest.empty()) {
    rest = rest.subspan(e.offer(rest));
    if (!rest.empty()) std::this_thread::yield();
  }
  e.flush_bars();
  e.stop();
  return sink.events();
}

TEST(IqFeedRecording, ADropUnderBackpressureIsRecordedAsAGapAndTheReplayEqualsTheLiveRun) {
  const std::vector<std::string> names = {"AAPL", "MSFT"};
  const auto events =
      fake::generate_events(names, 900, fake::local_time(2024, 3, 15, 14, 0, 0, 0), 20'000, 23);
  fake::FakeIqConnect server(events);
  market::SymbolRegistry reg;
  for (const auto& n : names)
    reg.add({.name = n, .tick_size = 0.01});
  IqFeedConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.level1_port = server.level1_port();
  cfg.lookup_port = server.lookup_port();
  cfg.symbols = names;
  cfg.offer_wait = 500us;
  cfg.max_skew_ns = 0;  // the test data is from 2024
  cfg.filter.enabled = false;
  cfg.jitter_seed = 1;
  IqFeedClient client(cfg, reg);

  HoldingSink live;
  engine::Engine engine(small_engine(), reg, live);
  engine.start();
  std::string file;
  auto writer = TickFileWriter::to_buffer(file, reg, {.format = TickFileFormat::kStt});
  RecordingSink recording(writer, &engine);
  {
    std::jthread feed([&](std::stop_token stop) { client.run(recording, stop); });
    ASSERT_TRUE(server.wait_for_watches(2, 10s));
    server.publish(300);
    ASSERT_TRUE(eventually([&] { return client.stats().trades > 0; }));
    // The engine's shard waits in publish(): its 16-tick ring fills, the feed drops.
    live.hold(true);
    server.publish(300);
    ASSERT_TRUE(live.wait_until_blocked(10s));
    ASSERT_TRUE(eventually([&] { return client.stats().dropped > 0; }));
    const auto dropped_before_release = client.stats().dropped;
    live.hold(false);
    // The engine empties its ring before the last third goes out, so that some of it is
    // accepted after the drops (a seq jump to see below). On a busy machine the client
    // could otherwise read all of it before the shard thread ran again, and drop it too.
    ASSERT_TRUE(eventually([&] { return engine.stats().queue_depth == 0; }));
    server.publish(300);
    std::size_t trades = 0;
    for (const auto& e : events)
      trades += e.kind == fake::SourceEvent::Kind::kTrade ? 1 : 0;
    ASSERT_TRUE(
        eventually([&] { return client.stats().trades + client.stats().dropped == trades; }));
    EXPECT_GE(client.stats().dropped, dropped_before_release);
    feed.request_stop();
  }
  engine.flush_bars();
  engine.stop();
  recording.throw_if_failed();
  writer.close();
  const auto dropped = client.stats().dropped;
  ASSERT_GT(dropped, 0u);
  EXPECT_EQ(recording.dropped_ticks(), dropped);  // every drop recorded, none lost
  EXPECT_GE(recording.gap_records(), 1u);
  EXPECT_EQ(writer.ticks_written(), client.stats().trades + recording.gap_records());

  market::SymbolRegistry replay_reg;
  std::vector<Tick> replayed_ticks;
  const auto replayed = replay(file, replay_reg, replayed_ticks);
  EXPECT_EQ(replayed_ticks.size(), client.stats().trades);
  const auto live_events = live.events();
  for (market::SymbolId id = 0; id < 2; ++id) {
    const auto a = of_symbol(live_events, id);
    const auto b = of_symbol(replayed, id);
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(a == b) << names[id] << ": live " << a.size() << " events, replay " << b.size();
  }
  // The numbers jump over the dropped trades in the replay too.
  std::uint64_t last_seq[2] = {0, 0};
  bool jumped = false;
  for (const auto& t : replayed_ticks) {
    jumped |= t.seq != last_seq[t.symbol] + 1;
    last_seq[t.symbol] = t.seq;
  }
  EXPECT_TRUE(jumped);
  // (Trades dropped after a symbol's last accepted one leave no jump: <=, not ==.)
  EXPECT_LE(last_seq[0] + last_seq[1], client.stats().trades + dropped);
  EXPECT_GT(last_seq[0] + last_seq[1], client.stats().trades);
}

// The gap record in the file: version 3, kind 2, the count where a trade has its size; a
// version 2 file cannot hold one.
TEST(IqFeedRecording, AGapRecordSkipsNumbersAndNeedsVersionThree) {
  market::SymbolRegistry reg;
  reg.add({.name = "A", .tick_size = 0.01});
  std::string file;
  {
    auto w = TickFileWriter::to_buffer(file, reg, {.format = TickFileFormat::kStt});
    w.write(std::vector<Tick>{
        {.ts_ns = 1'000, .price = 100, .size = 1, .seq = 1},
        {.ts_ns = 2'000, .size = 5, .kind = static_cast<std::uint8_t>(market::TickKind::kGap)},
        {.ts_ns = 3'000, .price = 101, .size = 1, .seq = 7}});
    w.close();
  }
  namespace stt = files::stt;
  std::uint32_t header = 0;
  std::memcpy(&header, file.data() + stt::kOffHeaderSize, 4);
  ASSERT_EQ(file.size(), header + 3 * stt::kRecordSize);
  std::uint16_t version = 0;
  std::memcpy(&version, file.data() + stt::kOffVersion, 2);
  EXPECT_EQ(version, 3);
  {
    market::SymbolRegistry r;
    auto reader = TickFileReader::from_buffer(file, r);
    std::vector<Tick> got(4);
    ASSERT_EQ(reader.read(got), 2u);
    EXPECT_EQ(got[0].seq, 1u);
    EXPECT_EQ(got[1].seq, 7u);  // 1, then 5 dropped, then 7
  }
  // Written as version 2 (a gap kind it does not know): refused, not misread.
  std::string v2 = file;
  const std::uint16_t two = 2;
  std::memcpy(v2.data() + stt::kOffVersion, &two, 2);
  const std::uint32_t sum = stt::header_checksum(std::string_view(v2).substr(0, header));
  std::memcpy(v2.data() + stt::kOffChecksum, &sum, 4);
  market::SymbolRegistry r;
  auto reader = TickFileReader::from_buffer(v2, r);
  std::vector<Tick> got(4);
  EXPECT_THROW(reader.read(got), TickFileError);
}

}  // namespace
}  // namespace spacetime::feed
