// The fan-out core without sockets: a real in-process bus, fake clients that record what
// they are sent (and can stop "reading"), and a clock the test moves.
#include "gateway/hub.hpp"

#include <gtest/gtest.h>

#include <simdjson.h>

#include <functional>
#include <map>

#include "store/memory_store.hpp"

namespace spacetime::gateway {
namespace {

using market::Event;

class FakeClient : public Client {
 public:
  void send(Frame frame) override {
    std::string text;
    for (const auto& p : frame.pieces)
      text += *p;
    EXPECT_EQ(text.size(), frame.bytes);
    queued_ += frame.bytes;
    origins.push_back(frame.origin_ns);
    if (reading) {
      queued_ = 0;
    }
    frames.push_back(std::move(text));
  }
  std::size_t queued_bytes() const override { return queued_; }
  std::int64_t stalled_since_ns() const override { return stalled_since; }
  void close(std::uint16_t code, std::string_view reason) override {
    closed_code = code;
    closed_reason = std::string(reason);
    if (on_close) on_close();  // like the real session: closing leaves the hub at once
  }
  void drain() { queued_ = 0; }

  std::vector<std::string> frames;
  std::vector<std::int64_t> origins;  // Frame::origin_ns of each message sent
  bool reading = true;
  std::int64_t stalled_since = 0;
  std::uint16_t closed_code = 0;
  std::string closed_reason;
  std::function<void()> on_close;

 private:
  std::size_t queued_ = 0;
};

struct Parsed {
  std::vector<simdjson::dom::element> all;
};

// A closed ALFA 1 m bar with seq `seq` (starting at seq minutes), as a revision or not.
market::CandleEvent closed_1m(std::uint64_t seq, std::int64_t volume, bool revised) {
  return market::CandleEvent{
      .symbol = 0,
      .tf = market::Timeframe::k1m,
      .closed = true,
      .seq = seq,
      .candle = {.start_ns = 60'000'000'000 * std::int64_t(seq), .volume = volume},
      .revised = revised};
}

class HubTest : public ::testing::Test {
 protected:
  HubTest() {
    symbols_.add({.name = "ALFA"});
    symbols_.add({.name = "BETA"});
    bus_ = std::make_unique<bus::InprocBus>(symbols_.size());
    sub_ = bus_->subscribe(Hub::subscription_filter(), capacity_);
    store_ = std::make_unique<store::MemoryStore>(symbols_, 10'000);
  }

  void make_hub(HubConfig config = {}) {
    hub_ = std::make_unique<Hub>(config, symbols_, *sub_, store_.get());
  }

  Now at(std::int64_t ms) { return {.steady_ns = ms * 1'000'000, .wall_ms = 1'000'000 + ms}; }

  // Every frame sent to the client, parsed; clears the client's list.
  std::vector<simdjson::dom::element> take(FakeClient& c) {
    std::vector<simdjson::dom::element> out;
    for (auto& f : c.frames) {
      texts_.push_back(std::make_unique<std::string>(std::move(f)));
      parsers_.push_back(std::make_unique<simdjson::dom::parser>());
      simdjson::dom::element doc;
      EXPECT_FALSE(parsers_.back()->parse(*texts_.back()).get(doc)) << *texts_.back();
      out.push_back(doc);
    }
    c.frames.clear();
    return out;
  }

  static std::vector<simdjson::dom::element> of_type(const std::vector<simdjson::dom::element>& all,
                                                     std::string_view type) {
    std::vector<simdjson::dom::element> out;
    for (const auto& d : all) {
      if (std::string_view(d["type"]) == type) out.push_back(d);
    }
    return out;
  }

  // The events of every batch, in order.
  static std::vector<simdjson::dom::element> batch_events(
      const std::vector<simdjson::dom::element>& all) {
    std::vector<simdjson::dom::element> out;
    for (const auto& d : of_type(all, "batch")) {
      for (auto e : simdjson::dom::array(d["events"]))
        out.push_back(e);
    }
    return out;
  }

  void publish_reversals(market::SymbolId s, std::uint64_t from, std::uint64_t to,
                         bool stored = true) {
    std::vector<Event> events;
    for (std::uint64_t k = from; k <= to; ++k) {
      events.push_back(market::ReversalEvent{.symbol = s,
                                             .seq = k * 10,
                                             .channel_seq = k,
                                             .t = static_cast<std::int64_t>(k) * 1'000'000'000,
                                             .version = 1,
                                             .direction = 1,
                                             .price = 100});
    }
    bus_->publish(events);
    if (store_ && stored) store_->write(events);
  }

  static HubConfig limited(std::size_t ring) {
    HubConfig config;
    config.ring = ring;
    config.snapshot_max_events = 30;
    return config;
  }
  // A client watches ALFA's reversals while they are published, then leaves.
  void watch_reversals(std::uint64_t from, std::uint64_t to, bool stored = true) {
    FakeClient c;
    const auto id = hub_->connect(c, at(0));
    hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                     at(1));
    hub_->flush(at(100));
    publish_reversals(0, from, to, stored);
    hub_->flush(at(200));
    hub_->disconnect(id);
  }
  // What a client that resumes ALFA's reversals after `seq` gets.
  std::vector<simdjson::dom::element> resume_reversals(std::uint64_t seq) {
    FakeClient c;
    const auto id = hub_->connect(c, at(300));
    hub_->on_message(
        id,
        R"({"op":"resume","id":2,"channels":[{"symbol":"ALFA","stream":"reversals","seq":)" +
            std::to_string(seq) + "}]}",
        at(301));
    hub_->flush(at(400));
    auto frames = take(c);
    hub_->disconnect(id);
    return frames;
  }
  static simdjson::dom::array snapshot_events(const std::vector<simdjson::dom::element>& frames) {
    const auto snaps = of_type(frames, "snapshot");
    EXPECT_EQ(snaps.size(), 1u);
    return snaps.empty() ? simdjson::dom::array{} : simdjson::dom::array(snaps[0]["events"]);
  }
  struct Gap {
    std::int64_t from, to;
    std::string_view reason;
  };
  static void expect_gaps(const std::vector<simdjson::dom::element>& frames,
                          const std::vector<Gap>& want) {
    const auto gaps = of_type(frames, "gap");
    ASSERT_EQ(gaps.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(int64_t(gaps[i]["from"]), want[i].from) << i;
      EXPECT_EQ(int64_t(gaps[i]["to"]), want[i].to) << i;
      EXPECT_EQ(std::string_view(gaps[i]["reason"]), want[i].reason) << i;
    }
  }

  market::SymbolRegistry symbols_;
  std::size_t capacity_ = 100'000;
  std::unique_ptr<bus::InprocBus> bus_;
  std::shared_ptr<bus::Subscription> sub_;
  std::unique_ptr<store::MemoryStore> store_;
  std::unique_ptr<Hub> hub_;
  std::vector<std::unique_ptr<std::string>> texts_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

TEST_F(HubTest, HelloThenSnapshotsThenOkThenBatchesThatContinueTheSnapshot) {
  make_hub();
  publish_reversals(0, 1, 5);
  hub_->intake();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  ASSERT_EQ(std::string_view(take(c)[0]["type"]), "hello");
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                   at(1));
  EXPECT_TRUE(c.frames.empty());  // snapshots go out at the flush
  hub_->flush(at(100));
  auto frames = take(c);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "snapshot");
  EXPECT_EQ(int64_t(frames[0]["last_seq"]), 5);
  EXPECT_EQ(simdjson::dom::array(frames[0]["events"]).size(), 5u);
  EXPECT_EQ(std::string_view(frames[1]["type"]), "ok");
  EXPECT_EQ(int64_t(frames[1]["id"]), 1);

  publish_reversals(0, 6, 8);
  hub_->flush(at(200));
  frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "batch");
  EXPECT_EQ(int64_t(frames[0]["t_send_ms"]), 1'000'200);
  const auto events = batch_events(frames);
  ASSERT_EQ(events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(int64_t(events[i]["seq"]), static_cast<int64_t>(6 + i));
}

TEST_F(HubTest, EachChannelIsEncodedOnceAndSharedByItsSubscribers) {
  make_hub();
  FakeClient a, b;
  const auto ia = hub_->connect(a, at(0));
  const auto ib = hub_->connect(b, at(0));
  for (auto id : {ia, ib}) {
    hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                     at(1));
  }
  hub_->flush(at(100));
  take(a);
  take(b);
  publish_reversals(0, 1, 2);
  hub_->flush(at(200));
  ASSERT_EQ(a.frames.size(), 1u);
  EXPECT_EQ(a.frames[0], b.frames[0]);
  EXPECT_EQ(hub_->stats().events_delivered, 4u);
}

TEST_F(HubTest, ValuesAreConflatedToTheLatestPerFlushAndEventsNever) {
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(
      id,
      R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["intensity:ema","candles:1m"]})",
      at(1));
  hub_->flush(at(100));
  take(c);
  std::vector<Event> events;
  for (std::uint64_t k = 1; k <= 100; ++k) {
    events.push_back(market::IntensityEvent{
        .symbol = 0, .seq = k, .t = 1, .raw = double(k), .ema_ready = true, .ema = double(k)});
    events.push_back(
        market::CandleEvent{.symbol = 0,
                            .tf = market::Timeframe::k1m,
                            .closed = false,
                            .seq = 1 + k / 50,
                            .candle = {.start_ns = 60'000'000'000 * std::int64_t(1 + k / 50)}});
    if (k % 50 == 0) {
      events.push_back(
          market::CandleEvent{.symbol = 0,
                              .tf = market::Timeframe::k1m,
                              .closed = true,
                              .seq = k / 50,
                              .candle = {.start_ns = 60'000'000'000 * std::int64_t(k / 50)}});
    }
  }
  bus_->publish(events);
  hub_->flush(at(200));
  const auto got = batch_events(take(c));
  std::size_t intensity = 0, closed = 0, progress = 0;
  for (const auto& e : got) {
    const std::string_view type(e["type"]);
    if (type == "intensity") {
      ++intensity;
      EXPECT_DOUBLE_EQ(double(e["value"]), 100.0);
    }
    if (type == "candle") (bool(e["closed"]) ? closed : progress) += 1;
  }
  EXPECT_EQ(intensity, 1u);
  EXPECT_EQ(closed, 2u);    // both closes, never conflated
  EXPECT_EQ(progress, 1u);  // the bar in progress, newer than the closes
}

// A closed bar revised after a trade correction (docs/PROTOCOL.md "Revised candles"): it
// repeats its seq, reaches the subscriber flagged, is no duplicate and no gap, and the
// channel's numbering goes on.
TEST_F(HubTest, ARevisedCandleRepeatsItsSeqAndReachesTheSubscriber) {
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1m"]})",
                   at(1));
  hub_->flush(at(100));
  take(c);
  bus_->publish(std::vector<Event>{closed_1m(1, 10, false), closed_1m(2, 20, false)});
  hub_->flush(at(200));
  take(c);
  bus_->publish(std::vector<Event>{closed_1m(1, 7, true)});
  hub_->flush(at(300));
  auto got = batch_events(take(c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(int64_t(got[0]["seq"]), 1);
  EXPECT_EQ(int64_t(got[0]["v"]), 7);
  EXPECT_TRUE(bool(got[0]["revised"]));
  bus_->publish(std::vector<Event>{closed_1m(3, 30, false)});
  hub_->flush(at(400));
  const auto all = take(c);
  EXPECT_TRUE(of_type(all, "gap").empty());
  got = batch_events(all);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(int64_t(got[0]["seq"]), 3);
  bool has_revised = true;
  EXPECT_TRUE(got[0]["revised"].get(has_revised) != simdjson::SUCCESS) << "only revisions say so";
  EXPECT_EQ(hub_->stats().duplicates, 0u);
  EXPECT_EQ(hub_->stats().revisions, 1u);
}

TEST_F(HubTest, AnOverflowBetweenBusAndHubBecomesAnExplicitGap) {
  capacity_ = 4 * bus::Subscription::kEventRoom;  // room for 4 events, none a tick
  sub_ = bus_->subscribe(Hub::subscription_filter(), capacity_);
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                   at(1));
  hub_->flush(at(100));
  take(c);
  publish_reversals(0, 1, 10);  // 4 fit, 6 are lost
  hub_->flush(at(200));
  auto frames = take(c);
  auto gaps = of_type(frames, "gap");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(int64_t(gaps[0]["from"]), 5);
  EXPECT_EQ(int64_t(gaps[0]["to"]), 10);
  EXPECT_EQ(std::string_view(gaps[0]["reason"]), "overflow");
  EXPECT_EQ(batch_events(frames).size(), 4u);
  publish_reversals(0, 11, 11);
  hub_->flush(at(300));
  frames = take(c);
  EXPECT_TRUE(of_type(frames, "gap").empty());
  EXPECT_EQ(int64_t(batch_events(frames)[0]["seq"]), 11);
  EXPECT_EQ(hub_->stats().gaps_overflow, 1u);
}

TEST_F(HubTest, ResumeSendsWhatWasMissedFromTheRingOrTheStoreOrAGap) {
  HubConfig config;
  config.ring = 16;
  make_hub(config);
  FakeClient first;
  auto id = hub_->connect(first, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                   at(1));
  hub_->flush(at(100));
  publish_reversals(0, 1, 10);
  hub_->flush(at(200));
  hub_->disconnect(id);
  publish_reversals(0, 11, 40);  // while away: the ring keeps the newest 16
  hub_->flush(at(300));

  // From the ring alone: seq 30 onwards.
  FakeClient back;
  id = hub_->connect(back, at(400));
  hub_->on_message(
      id, R"({"op":"resume","id":2,"channels":[{"symbol":"ALFA","stream":"reversals","seq":30}]})",
      at(401));
  hub_->flush(at(500));
  auto frames = take(back);
  auto snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_TRUE(bool(snaps[0]["resume"]));
  auto events = simdjson::dom::array(snaps[0]["events"]);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 31);
  EXPECT_TRUE(of_type(frames, "gap").empty());
  EXPECT_EQ(std::string_view(of_type(frames, "ok")[0]["op"]), "resume");

  // Older than the ring: the store has it.
  FakeClient older;
  id = hub_->connect(older, at(600));
  hub_->on_message(
      id, R"({"op":"resume","id":3,"channels":[{"symbol":"ALFA","stream":"reversals","seq":3}]})",
      at(601));
  hub_->flush(at(700));
  frames = take(older);
  snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  events = simdjson::dom::array(snaps[0]["events"]);
  ASSERT_EQ(events.size(), 37u);
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 4);
  EXPECT_TRUE(of_type(frames, "gap").empty());

  // Older than the store holds: an explicit gap for that part.
  store_ = std::make_unique<store::MemoryStore>(symbols_, 10);
  make_hub(config);
  FakeClient one;
  id = hub_->connect(one, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                   at(1));
  hub_->flush(at(100));
  publish_reversals(0, 41, 80);  // ring 16 (65..80), store 10 (71..80)
  hub_->flush(at(200));
  hub_->disconnect(id);
  FakeClient late;
  id = hub_->connect(late, at(300));
  hub_->on_message(
      id, R"({"op":"resume","id":4,"channels":[{"symbol":"ALFA","stream":"reversals","seq":50}]})",
      at(301));
  hub_->flush(at(400));
  frames = take(late);
  const auto gaps = of_type(frames, "gap");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(int64_t(gaps[0]["from"]), 51);
  EXPECT_EQ(int64_t(gaps[0]["to"]), 64);
  EXPECT_EQ(std::string_view(gaps[0]["reason"]), "not_retained");
  events = simdjson::dom::array(of_type(frames, "snapshot")[0]["events"]);
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 65);
}

// The resume limit's cases (snapshot_max_events 30): what fits, and a gap saying why the
// rest is not there.
TEST_F(HubTest, AResumeFurtherBehindThanASnapshotHoldsSaysWhatTheLimitLeftOut) {
  make_hub(limited(16));
  watch_reversals(1, 100);  // ring 16 (85..100), store all of them
  auto frames = resume_reversals(10);
  auto events = snapshot_events(frames);
  ASSERT_EQ(events.size(), 30u);  // the store's oldest 14 after seq 10, then the ring's 16
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 11);
  EXPECT_EQ(int64_t(events.at(13)["seq"]), 24);
  EXPECT_EQ(int64_t(events.at(14)["seq"]), 85);
  expect_gaps(frames, {{25, 84, "snapshot_limit"}});
  EXPECT_EQ(hub_->stats().gaps_snapshot_limit, 1u);
  EXPECT_EQ(hub_->stats().gaps_not_retained, 0u);

  // After a restart the ring is empty: the store's oldest 30, then the rest left out.
  make_hub(limited(16));
  frames = resume_reversals(10);
  events = snapshot_events(frames);
  ASSERT_EQ(events.size(), 30u);
  EXPECT_EQ(int64_t(events.at(29)["seq"]), 40);
  expect_gaps(frames, {{41, 100, "snapshot_limit"}});
}

TEST_F(HubTest, AResumeTheRingAloneCoversPastTheLimitSaysWhatTheLimitLeftOut) {
  make_hub(limited(64));
  watch_reversals(1, 100);  // ring 64 (37..100)
  const auto frames = resume_reversals(50);
  const auto events = snapshot_events(frames);
  ASSERT_EQ(events.size(), 30u);  // the ring's newest 30
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 71);
  expect_gaps(frames, {{51, 70, "snapshot_limit"}});
  EXPECT_EQ(hub_->stats().gaps_not_retained, 0u);
}

TEST_F(HubTest, AResumeLimitedGapSaysNotRetainedForWhatNobodyHas) {
  make_hub(limited(16));
  watch_reversals(1, 81);
  watch_reversals(82, 84, false);  // never stored (and soon out of the ring)
  watch_reversals(85, 100);        // ring 85..100
  // The store's page (81, 85..97) reaches into the ring's seqs: the store ended it, not
  // the limit, and 82..84 are in neither.
  expect_gaps(resume_reversals(80), {{82, 84, "not_retained"}});

  // Seq 0 reads the store oldest first too: 1..14, then the limit's gap, then the ring.
  const auto frames = resume_reversals(0);
  const auto events = snapshot_events(frames);
  ASSERT_EQ(events.size(), 30u);
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 1);
  expect_gaps(frames, {{15, 84, "snapshot_limit"}});

  // Without a store, a ring longer than the limit: what it dropped had no room, what came
  // before it nobody has.
  store_.reset();
  make_hub(limited(64));
  watch_reversals(101, 200);  // ring 137..200
  expect_gaps(resume_reversals(110), {{111, 136, "not_retained"}, {137, 170, "snapshot_limit"}});
}

TEST_F(HubTest, ALaggingClientLosesValuesNotEventsThenCatchesUp) {
  HubConfig config;
  config.high_water_bytes = 2000;
  config.hard_limit_bytes = 1'000'000;
  make_hub(config);
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(
      id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals","buffer"]})",
      at(1));
  hub_->flush(at(100));
  take(c);
  c.reading = false;
  std::uint64_t seq = 0;
  std::size_t events_seen = 0;
  bool lagged = false;
  for (int round = 0; round < 10; ++round) {
    publish_reversals(0, seq + 1, seq + 10);
    seq += 10;
    bus_->publish(std::vector<Event>{
        market::BufferEvent{.symbol = 0, .seq = seq, .t = 1, .zone = market::Zone::kHigh}});
    hub_->flush(at(200 + round * 100));
    for (const auto& f : take(c)) {
      const std::string_view type(f["type"]);
      if (type == "lagging") lagged = true;
      if (type != "batch") continue;
      for (auto e : simdjson::dom::array(f["events"])) {
        if (std::string_view(e["type"]) == "reversal") ++events_seen;
        if (lagged) {
          EXPECT_NE(std::string_view(e["type"]), "buffer") << "a value while lagging";
        }
      }
    }
  }
  EXPECT_TRUE(lagged);
  EXPECT_EQ(events_seen, 100u);  // every event, in spite of the lag
  c.reading = true;
  c.drain();
  hub_->flush(at(2000));
  auto frames = take(c);
  ASSERT_FALSE(of_type(frames, "caught_up").empty());
  // The latest value of every value channel comes with the same flush.
  bool buffer = false;
  for (const auto& e : batch_events(frames))
    buffer |= std::string_view(e["type"]) == "buffer";
  EXPECT_TRUE(buffer);
}

TEST_F(HubTest, PastTheHardLimitForLongerThanTheGraceTheClientIsClosedWith1013) {
  HubConfig config;
  config.high_water_bytes = 1000;
  config.hard_limit_bytes = 3000;
  config.grace_ms = 500;
  make_hub(config);
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})",
                   at(1));
  hub_->flush(at(100));
  c.reading = false;
  std::uint64_t seq = 0;
  for (int round = 0; round < 20 && c.closed_code == 0; ++round) {
    publish_reversals(0, seq + 1, seq + 20);
    seq += 20;
    hub_->flush(at(200 + round * 100));
  }
  EXPECT_EQ(c.closed_code, 1013);
  EXPECT_EQ(c.closed_reason, "slow consumer");
  EXPECT_EQ(hub_->stats().closed_slow, 1u);
}

TEST_F(HubTest, AStalledWriterCountsAsLaggingWithinTheStallTime) {
  HubConfig config;
  config.stall_ms = 300;
  make_hub(config);
  FakeClient c;
  hub_->connect(c, at(0));
  take(c);
  c.stalled_since = 1'000'000;  // steady ns of at(1)
  hub_->flush(at(200));
  EXPECT_TRUE(of_type(take(c), "lagging").empty());
  hub_->flush(at(400));
  EXPECT_EQ(of_type(take(c), "lagging").size(), 1u);
}

TEST_F(HubTest, FiveHundredChannelsInOneRequestAreServedToAClientThatReads) {
  HubConfig config;
  config.high_water_bytes = 4096;
  make_hub(config);
  for (std::uint64_t k = 1; k <= 50; ++k)
    publish_reversals(k % 2, k, k);  // some history for every snapshot
  // 2 symbols x 14 streams = 28 channels per request; 500 channels need a symbol list of 36
  // names: use many requests' worth in one by repeating symbols across streams.
  market::SymbolRegistry many;
  for (int i = 0; i < 40; ++i)
    many.add({.name = "S" + std::to_string(i)});
  bus::InprocBus bus(many.size());
  auto sub = bus.subscribe(Hub::subscription_filter(), 1000);
  Hub hub(config, many, *sub, nullptr);
  FakeClient c;
  const auto id = hub.connect(c, at(0));
  std::string symbols;
  for (int i = 0; i < 40; ++i)
    symbols += (i ? ",\"S" : "\"S") + std::to_string(i) + "\"";
  const std::string request =
      R"({"op":"subscribe","id":9,"symbols":[)" + symbols +
      R"(],"streams":["candles:1s","candles:1m","candles:1h","ticks","intensity:ema","intensity:sma","buffer","spikes","reversals","candles:1d","candles:10s","candles:5m","intensity:zlma"]})";
  ASSERT_LT(request.size(), 4096u);
  hub.on_message(id, request, at(1));
  std::size_t snapshots = 0;
  bool ok = false;
  for (int round = 0; round < 100 && !ok; ++round) {
    hub.flush(at(100 + round * 100));
    for (const auto& f : take(c)) {
      const std::string_view type(f["type"]);
      snapshots += type == "snapshot";
      if (type == "ok") {
        ok = true;
        EXPECT_EQ(int64_t(f["channels"]), 520);
      }
      EXPECT_NE(type, "error");
    }
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(snapshots, 520u);
  EXPECT_EQ(c.closed_code, 0);
}

TEST_F(HubTest, LimitsRateAndAbuse) {
  HubConfig config;
  config.max_subscriptions = 3;
  config.requests_per_s = 10;
  config.request_burst = 5;
  config.abuse_errors = 8;
  make_hub(config);
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(
      id, R"({"op":"subscribe","id":1,"symbols":["ALFA","BETA"],"streams":["spikes","reversals"]})",
      at(0));
  auto frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["code"]), "too_many_subscriptions");
  EXPECT_EQ(int64_t(frames[0]["id"]), 1);
  // Unsubscribing what was never subscribed is harmless.
  hub_->on_message(id, R"({"op":"unsubscribe","id":2,"symbols":["ALFA"],"streams":["ticks"]})",
                   at(0));
  frames = take(c);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "ok");
  EXPECT_EQ(int64_t(frames[0]["channels"]), 0);
  // Burst of 5 tokens, 2 spent: the next 3 pass, then rate_limited.
  for (int i = 0; i < 4; ++i)
    hub_->on_message(id, R"({"op":"ping","id":3})", at(0));
  frames = take(c);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(std::string_view(frames[3]["code"]), "rate_limited");
  // Sustained bad requests: closed with 1008. The close leaves the hub from inside it, as
  // the real session does (ASan would see the hub touch the freed client otherwise).
  c.on_close = [&] { hub_->disconnect(id); };
  for (int i = 0; i < 20 && c.closed_code == 0; ++i)
    hub_->on_message(id, "garbage", at(1000 + i * 200));
  EXPECT_EQ(c.closed_code, 1008);
  EXPECT_EQ(hub_->stats().closed_abuse, 1u);
  EXPECT_EQ(hub_->stats().clients, 0u);
}

// A replay as the app's file feed offers it, recording what it was told.
class FakeReplay : public ReplayControl {
 public:
  ReplayStatus status() const override { return state; }
  void pause() override { state.paused = true; }
  void resume() override { state.paused = false; }
  bool set_speed(double speed) override {
    if (speed > 100) return false;
    state.speed = speed;
    return true;
  }
  ReplayStatus state{.paused = false, .finished = false, .speed = 10, .clock_ms = 5000};
};

TEST_F(HubTest, ReplayRequestsSteerTheReplayOrAreRefusedWithNotReplay) {
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  // No replay (the simulator or a live feed): a stable error code.
  hub_->on_message(id, R"({"op":"replay","id":1,"action":"pause"})", at(0));
  auto frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "error");
  EXPECT_EQ(std::string_view(frames[0]["code"]), "not_replay");
  EXPECT_EQ(int64_t(frames[0]["id"]), 1);

  FakeReplay replay;
  hub_->set_replay(&replay);
  hub_->on_message(id, R"({"op":"replay","id":2,"action":"pause"})", at(0));
  frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(replay.state.paused);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "ok");
  EXPECT_EQ(std::string_view(frames[0]["op"]), "replay");
  EXPECT_TRUE(bool(frames[0]["replay"]["paused"]));
  EXPECT_EQ(int64_t(frames[0]["replay"]["clock_ms"]), 5000);

  hub_->on_message(id, R"({"op":"replay","id":3,"action":"resume"})", at(0));
  frames = take(c);
  EXPECT_FALSE(replay.state.paused);
  EXPECT_FALSE(bool(frames.at(0)["replay"]["paused"]));

  hub_->on_message(id, R"({"op":"replay","id":4,"action":"speed","speed":25})", at(0));
  frames = take(c);
  EXPECT_EQ(replay.state.speed, 25.0);
  EXPECT_DOUBLE_EQ(double(frames.at(0)["replay"]["speed"]), 25.0);

  // Out of the replay's range: refused, nothing changed.
  hub_->on_message(id, R"({"op":"replay","id":5,"action":"speed","speed":500})", at(0));
  frames = take(c);
  EXPECT_EQ(std::string_view(frames.at(0)["code"]), "bad_request");
  EXPECT_EQ(replay.state.speed, 25.0);

  hub_->on_message(id, R"({"op":"replay","id":6,"action":"status"})", at(0));
  frames = take(c);
  EXPECT_EQ(int64_t(frames.at(0)["id"]), 6);
  EXPECT_DOUBLE_EQ(double(frames.at(0)["replay"]["speed"]), 25.0);
}

// Auth on: replay control (pause, resume, speed) needs the admin role (set per client by
// the session), the read-only `status` does not; auth off, an `auth` request is refused
// and every client may replay.
TEST_F(HubTest, ReplayControlNeedsAdminStatusDoesNotAndAuthIsRefusedWhenOff) {
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(id, R"({"op":"auth","id":1,"token":"x.y.z"})", at(0));
  auto frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["code"]), "bad_request");
  hub_->set_admin(id, false);

  // No replay: a viewer's status is answered not_replay (it may ask), a control op is
  // forbidden before anything else is looked at.
  hub_->on_message(id, R"({"op":"replay","id":2,"action":"status"})", at(0));
  frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["code"]), "not_replay");
  hub_->on_message(id, R"({"op":"replay","id":3,"action":"pause"})", at(0));
  frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["code"]), "forbidden");

  FakeReplay replay;
  hub_->set_replay(&replay);
  // A viewer reads the replay's state...
  hub_->on_message(id, R"({"op":"replay","id":4,"action":"status"})", at(0));
  frames = take(c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::string_view(frames[0]["type"]), "ok");
  EXPECT_EQ(int64_t(frames[0]["id"]), 4);
  EXPECT_EQ(int64_t(frames[0]["replay"]["clock_ms"]), 5000);
  EXPECT_FALSE(bool(frames[0]["replay"]["paused"]));
  // ...but steers nothing.
  for (const auto* request :
       {R"({"op":"replay","id":5,"action":"pause"})", R"({"op":"replay","id":5,"action":"resume"})",
        R"({"op":"replay","id":5,"action":"speed","speed":25})"}) {
    hub_->on_message(id, request, at(0));
    frames = take(c);
    ASSERT_EQ(frames.size(), 1u) << request;
    EXPECT_EQ(std::string_view(frames[0]["type"]), "error") << request;
    EXPECT_EQ(std::string_view(frames[0]["code"]), "forbidden") << request;
    EXPECT_EQ(int64_t(frames[0]["id"]), 5) << request;
  }
  EXPECT_FALSE(replay.state.paused);
  EXPECT_NE(replay.state.speed, 25.0);

  hub_->set_admin(id, true);
  hub_->on_message(id, R"({"op":"replay","id":6,"action":"pause"})", at(0));
  frames = take(c);
  EXPECT_EQ(std::string_view(frames.at(0)["type"]), "ok");
  EXPECT_TRUE(replay.state.paused);
}

TEST_F(HubTest, UnsubscribeStopsTheChannelAndSnapshotsOfValueStreamsCarryTheLatest) {
  make_hub();
  bus_->publish(std::vector<Event>{market::BufferEvent{.symbol = 1,
                                                       .seq = 3,
                                                       .t = 5'000'000,
                                                       .smoothed = 2,
                                                       .upper = 3,
                                                       .baseline = 2,
                                                       .lower = 1,
                                                       .zone = market::Zone::kNeutral}});
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(
      id, R"({"op":"subscribe","id":1,"symbols":["BETA"],"streams":["buffer","reversals"]})",
      at(1));
  hub_->flush(at(100));
  auto frames = take(c);
  auto snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(std::string_view(snaps[0]["current"]["zone"]), "neutral");
  hub_->on_message(id, R"({"op":"unsubscribe","id":2,"symbols":["BETA"],"streams":["reversals"]})",
                   at(150));
  frames = take(c);
  EXPECT_EQ(int64_t(frames[0]["channels"]), 1);
  publish_reversals(1, 1, 3);
  hub_->flush(at(200));
  EXPECT_TRUE(batch_events(take(c)).empty());
}

// The end-to-end latency starts at the origin of what a batch holds: a value seen while
// nobody watched its channel leaves no origin behind for a later subscriber's batches.
// The recorder writes in batches: a first snapshot may find the store without the last
// closes the hub has already seen. The hub keeps the newest few of every event channel,
// watched or not, so the snapshot still ends where its batches continue.
TEST_F(HubTest, AFirstSnapshotBridgesAStoreThatLagsBehind) {
  make_hub();
  std::vector<Event> closes;
  for (std::uint64_t k = 1; k <= 5; ++k) {
    closes.push_back(
        market::CandleEvent{.symbol = 0,
                            .tf = market::Timeframe::k1s,
                            .closed = true,
                            .seq = k,
                            .candle = {.start_ns = static_cast<std::int64_t>(k) * 1'000'000'000,
                                       .open = 100,
                                       .high = 100,
                                       .low = 100,
                                       .close = 100,
                                       .volume = 1,
                                       .first_ns = static_cast<std::int64_t>(k) * 1'000'000'000,
                                       .last_ns = static_cast<std::int64_t>(k) * 1'000'000'000,
                                       .ticks = 1}});
  }
  store_->write(std::span(closes).first(3));  // the store has 1..3
  bus_->publish(closes);                      // the hub has seen 1..5
  hub_->intake();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1s"]})",
                   at(1));
  hub_->flush(at(100));
  const auto snaps = of_type(take(c), "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(int64_t(snaps[0]["last_seq"]), 5);
  std::vector<std::int64_t> seqs;
  for (auto e : simdjson::dom::array(snaps[0]["events"]))
    seqs.push_back(int64_t(e["seq"]));
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
}

// Closed 1s bars of ALFA numbered from..to (bar k starts at k seconds).
std::vector<Event> closes_1s(std::uint64_t from, std::uint64_t to) {
  std::vector<Event> out;
  for (std::uint64_t k = from; k <= to; ++k) {
    const auto t = static_cast<std::int64_t>(k) * 1'000'000'000;
    out.push_back(market::CandleEvent{.symbol = 0,
                                      .tf = market::Timeframe::k1s,
                                      .closed = true,
                                      .seq = k,
                                      .candle = {.start_ns = t,
                                                 .open = 100,
                                                 .high = 100,
                                                 .low = 100,
                                                 .close = 100,
                                                 .volume = 1,
                                                 .first_ns = t,
                                                 .last_ns = t,
                                                 .ticks = 1}});
  }
  return out;
}

std::vector<std::int64_t> seqs_of(simdjson::dom::element snapshot) {
  std::vector<std::int64_t> out;
  for (auto e : simdjson::dom::array(snapshot["events"]))
    out.push_back(int64_t(e["seq"]));
  return out;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto k = from; k <= to; ++k)
    out.push_back(k);
  return out;
}

// Issue 8: the recorder lags behind the hub by more than the idle ring (16 events) of a
// channel nobody watches. The first snapshot waits for the store to catch up...
TEST_F(HubTest, AFirstSnapshotWaitsForAStoreThatLagsBeyondTheRing) {
  make_hub();
  const auto bars = closes_1s(1, 40);
  store_->write(std::span(bars).first(3));  // the store has 1..3
  bus_->publish(bars);                      // the hub has seen 1..40, its ring 25..40
  hub_->intake();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(
      id,
      R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1s"],"history":"10m"})",
      at(1));
  hub_->flush(at(100));
  EXPECT_TRUE(of_type(take(c), "snapshot").empty()) << "no snapshot with a hole in it";
  store_->write(std::span(bars).subspan(3));  // the recorder catches up
  hub_->flush(at(200));
  EXPECT_TRUE(of_type(take(c), "snapshot").empty()) << "the store is asked again after 250 ms";
  hub_->flush(at(400));
  const auto all = take(c);
  EXPECT_TRUE(of_type(all, "gap").empty());
  const auto snaps = of_type(all, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(int64_t(snaps[0]["last_seq"]), 40);
  EXPECT_EQ(seqs_of(snaps[0]), range(1, 40));
  EXPECT_EQ(of_type(all, "ok").size(), 1u);
}

// The wait is one per request, not one per channel: two channels whose store lags both get
// their gap when the request has waited 2 s (a 50-channel subscribe must not take 100 s).
TEST_F(HubTest, TheStoreWaitIsBoundedPerRequestNotPerChannel) {
  make_hub();
  const auto alfa = closes_1s(1, 40);
  auto beta = alfa;
  for (auto& e : beta)
    std::get<market::CandleEvent>(e).symbol = 1;
  store_->write(std::span(alfa).first(3));
  store_->write(std::span(beta).first(3));
  bus_->publish(alfa);
  bus_->publish(beta);
  hub_->intake();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(
      id,
      R"({"op":"subscribe","id":1,"symbols":["ALFA","BETA"],"streams":["candles:1s"],"history":"10m"})",
      at(1));
  hub_->flush(at(100));
  hub_->flush(at(1'000));
  EXPECT_TRUE(take(c).empty());
  hub_->flush(at(2'200));
  const auto all = take(c);
  EXPECT_EQ(of_type(all, "gap").size(), 2u);
  EXPECT_EQ(of_type(all, "snapshot").size(), 2u);
  EXPECT_EQ(of_type(all, "ok").size(), 1u);
  EXPECT_EQ(hub_->stats().gaps_store_behind, 2u);
}

// ...and, if it stays behind for longer than the wait (2 s), the snapshot comes with an
// explicit gap for what neither the store nor the ring holds: never a silent hole.
TEST_F(HubTest, AStoreStillBehindAfterTheWaitGivesAnExplicitGap) {
  make_hub();
  const auto bars = closes_1s(1, 40);
  store_->write(std::span(bars).first(3));
  bus_->publish(bars);
  hub_->intake();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(
      id,
      R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1s"],"history":"10m"})",
      at(1));
  hub_->flush(at(100));
  hub_->flush(at(1'000));
  EXPECT_TRUE(take(c).empty());
  hub_->flush(at(2'200));
  const auto all = take(c);
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(std::string_view(all[0]["type"]), "gap") << "before the snapshot";
  EXPECT_EQ(std::string_view(all[0]["reason"]), "store_behind");
  EXPECT_EQ(int64_t(all[0]["from"]), 4);
  EXPECT_EQ(int64_t(all[0]["to"]), 24);
  EXPECT_EQ(std::string_view(all[1]["type"]), "snapshot");
  EXPECT_EQ(int64_t(all[1]["last_seq"]), 40);
  auto expected = range(1, 3);
  for (auto k : range(25, 40))
    expected.push_back(k);
  EXPECT_EQ(seqs_of(all[1]), expected);
  EXPECT_EQ(hub_->stats().gaps_store_behind, 1u);
  // The batches continue the snapshot.
  bus_->publish(closes_1s(41, 41));
  hub_->flush(at(2'300));
  const auto next = batch_events(take(c));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(int64_t(next[0]["seq"]), 41);
}

// Issue 8/9: a revised closed bar that the hub's bounded bus queue drops reaches the
// subscriber as a `revised` gap (refetch those bars), and the stale copy leaves the ring,
// so a later resume reads the revision from the store.
TEST_F(HubTest, ARevisedCandleTheBusDroppedBecomesAGapAndLeavesTheRing) {
  capacity_ = 4 * bus::Subscription::kEventRoom;  // room for 4 events, none a tick
  sub_ = bus_->subscribe(Hub::subscription_filter(), capacity_);
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["candles:1m"]})",
                   at(1));
  hub_->flush(at(100));
  take(c);
  const std::vector<Event> closed = {closed_1m(1, 10, false), closed_1m(2, 20, false)};
  bus_->publish(closed);
  store_->write(closed);
  hub_->flush(at(200));
  EXPECT_EQ(batch_events(take(c)).size(), 2u);
  // Four reversals fill the queue; the revision of bar 1 behind them is dropped.
  std::vector<Event> burst;
  for (std::uint64_t k = 1; k <= 4; ++k)
    burst.push_back(market::ReversalEvent{.symbol = 1, .seq = k, .channel_seq = k, .t = 1});
  burst.push_back(closed_1m(1, 7, true));
  bus_->publish(burst);
  store_->write(std::vector<Event>{closed_1m(1, 7, true)});  // the recorder never drops it
  hub_->flush(at(300));
  auto all = take(c);
  EXPECT_TRUE(batch_events(all).empty());
  EXPECT_TRUE(of_type(all, "gap").empty()) << "the notice waits for the store";
  hub_->flush(at(1'400));
  all = take(c);
  const auto gaps = of_type(all, "gap");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(std::string_view(gaps[0]["reason"]), "revised");
  EXPECT_EQ(int64_t(gaps[0]["from"]), 1);
  EXPECT_EQ(int64_t(gaps[0]["to"]), 2);
  EXPECT_EQ(hub_->stats().gaps_revised, 1u);
  hub_->flush(at(2'500));
  EXPECT_TRUE(of_type(take(c), "gap").empty()) << "once";
  // A resume from seq 0 gets bar 1 as revised, from the store, not the stale ring copy.
  FakeClient d;
  const auto id2 = hub_->connect(d, at(2'600));
  hub_->on_message(
      id2, R"({"op":"resume","id":2,"channels":[{"symbol":"ALFA","stream":"candles:1m","seq":0}]})",
      at(2'600));
  hub_->flush(at(2'700));
  const auto snaps = of_type(take(d), "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  const auto events = simdjson::dom::array(snaps[0]["events"]);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(int64_t(events.at(0)["seq"]), 1);
  EXPECT_EQ(int64_t(events.at(0)["v"]), 7);
}

TEST_F(HubTest, ABatchCarriesTheOriginOfWhatItHoldsOnly) {
  make_hub();
  auto buffer = [](std::uint64_t seq) {
    return std::vector<Event>{market::BufferEvent{.symbol = 1,
                                                  .seq = seq,
                                                  .t = static_cast<std::int64_t>(seq) * 1'000'000,
                                                  .smoothed = 2,
                                                  .upper = 3,
                                                  .baseline = 2,
                                                  .lower = 1,
                                                  .zone = market::Zone::kNeutral}};
  };
  bus_->publish(buffer(1), 1000);  // nobody subscribed yet
  hub_->flush(at(50));
  FakeClient c;
  const auto id = hub_->connect(c, at(60));
  hub_->on_message(id, R"({"op":"subscribe","id":1,"symbols":["BETA"],"streams":["buffer"]})",
                   at(70));
  hub_->flush(at(100));
  take(c);
  c.origins.clear();
  bus_->publish(buffer(2), 5000);
  hub_->flush(at(200));
  ASSERT_EQ(batch_events(take(c)).size(), 1u);
  ASSERT_EQ(c.origins.size(), 1u);
  EXPECT_EQ(c.origins[0], 5000);
  // A flush with nothing new sends nothing, and the next batch has its own origin again.
  hub_->flush(at(300));
  bus_->publish(buffer(3), 9000);
  hub_->flush(at(400));
  ASSERT_EQ(c.origins.size(), 2u);
  EXPECT_EQ(c.origins[1], 9000);
}

TEST_F(HubTest, TicksFlowOnDemandAndTheSnapshotWaitsForTheirNumbering) {
  make_hub();
  auto ticks = [&](std::uint64_t from, std::uint64_t to) {
    std::vector<Event> events;
    for (std::uint64_t k = from; k <= to; ++k)
      events.push_back(market::TickEvent{.symbol = 0, .seq = k, .t = 1, .price = 100, .size = 1});
    bus_->publish(events);
  };
  ticks(1, 50);  // nobody watches: the bus does not deliver them
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  take(c);
  hub_->on_message(
      id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"],"history":0})", at(1));
  hub_->flush(at(100));
  EXPECT_TRUE(take(c).empty())
      << "a ticks snapshot before the first tick could not say its last_seq";
  ticks(51, 53);
  hub_->flush(at(200));
  auto frames = take(c);
  auto snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(int64_t(snaps[0]["last_seq"]), 53);
  ticks(54, 55);
  hub_->flush(at(300));
  const auto events = batch_events(take(c));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(int64_t(events[0]["seq"]), 54);
  EXPECT_EQ(hub_->stats().gaps_overflow, 0u);
  // The last subscriber leaves: the bus stops delivering; a new subscriber starts afresh.
  hub_->on_message(id, R"({"op":"unsubscribe","id":2,"symbols":["ALFA"],"streams":["ticks"]})",
                   at(310));
  ticks(56, 90);
  hub_->on_message(
      id, R"({"op":"subscribe","id":3,"symbols":["ALFA"],"streams":["ticks"],"history":0})",
      at(400));
  ticks(91, 92);
  hub_->flush(at(500));
  frames = take(c);
  snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(int64_t(snaps[0]["last_seq"]), 92);
  EXPECT_TRUE(of_type(frames, "gap").empty());
  EXPECT_EQ(hub_->stats().gaps_overflow, 0u);
}

TEST_F(HubTest, AfterARestartChannelsContinueFromWhatTheStoreHolds) {
  std::vector<Event> stored;
  for (std::uint64_t k = 1; k <= 10; ++k) {
    stored.push_back(market::ReversalEvent{
        .symbol = 0, .seq = k, .channel_seq = k, .t = static_cast<std::int64_t>(k), .version = 1});
  }
  store_->write(stored);  // written by the previous server; this hub has seen nothing
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(
      id, R"({"op":"resume","id":1,"channels":[{"symbol":"ALFA","stream":"reversals","seq":10}]})",
      at(1));
  hub_->flush(at(100));
  auto frames = take(c);
  auto snaps = of_type(frames, "snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(int64_t(snaps[0]["last_seq"]), 10) << "a resumed channel must not look restarted";
  EXPECT_TRUE(of_type(frames, "gap").empty());
  publish_reversals(0, 11, 11);
  hub_->flush(at(200));
  frames = take(c);
  EXPECT_TRUE(of_type(frames, "gap").empty());
  EXPECT_EQ(int64_t(batch_events(frames)[0]["seq"]), 11);
}

// A real session leaves the hub from inside close(); the hub must not be iterating over the
// client it frees, whichever of its loops decided the close.
TEST_F(HubTest, AClientThatLeavesTheHubInsideCloseIsSafe) {
  HubConfig config;
  config.high_water_bytes = 1000;
  config.hard_limit_bytes = 2000;
  config.grace_ms = 100;
  make_hub(config);
  struct Leaving final : FakeClient {
    Hub* hub = nullptr;
    std::uint64_t id = 0;
    void close(std::uint16_t code, std::string_view reason) override {
      FakeClient::close(code, reason);
      hub->disconnect(id);
    }
  };
  std::vector<std::unique_ptr<Leaving>> clients;
  for (int i = 0; i < 5; ++i) {
    auto c = std::make_unique<Leaving>();
    c->hub = hub_.get();
    c->id = hub_->connect(*c, at(0));
    c->reading = false;
    hub_->on_message(
        c->id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["reversals"]})", at(1));
    clients.push_back(std::move(c));
  }
  std::uint64_t seq = 0;
  for (int round = 0; round < 10; ++round) {
    publish_reversals(0, seq + 1, seq + 30);
    seq += 30;
    hub_->flush(at(100 + round * 100));
  }
  for (const auto& c : clients)
    EXPECT_EQ(c->closed_code, 1013);
  EXPECT_EQ(hub_->stats().clients, 0u);
  EXPECT_EQ(hub_->stats().closed_slow, 5u);
}

TEST_F(HubTest, UnsubscribingTicksBeforeTheirSnapshotStopsThemAtTheBus) {
  make_hub();
  FakeClient c;
  const auto id = hub_->connect(c, at(0));
  hub_->on_message(
      id, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"],"history":0})", at(1));
  hub_->on_message(id, R"({"op":"unsubscribe","id":2,"symbols":["ALFA"],"streams":["ticks"]})",
                   at(2));
  bus_->publish(std::vector<Event>{market::TickEvent{.symbol = 0, .seq = 1}});
  EXPECT_EQ(sub_->queued(), 0u) << "the bus still delivers ticks nobody asked for";
}

}  // namespace
}  // namespace spacetime::gateway
