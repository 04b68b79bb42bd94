#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "bus/bus.hpp"

namespace spacetime::bus {
namespace {

using market::CandleEvent;
using market::Event;
using market::Timeframe;

Event candle(market::SymbolId symbol, Timeframe tf, std::uint64_t seq) {
  return CandleEvent{.symbol = symbol, .tf = tf, .closed = true, .seq = seq, .candle = {}};
}

// Runs `publish` on a thread of its own and drains `sub` meanwhile, as a consumer would,
// until the publisher is done and the subscription empty; returns what was drained.
template <typename Publish>
std::vector<Event> drain_while(Subscription& sub, Publish publish) {
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    publish();
    done = true;
  });
  std::vector<Event> got;
  while (!done.load() || sub.queued() > 0) {
    sub.drain(got);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  publisher.join();
  sub.drain(got);
  return got;
}

TEST(InprocBus, DeliversOnlyMatchingChannels) {
  InprocBus bus;
  Filter one_minute;
  one_minute.streams.set(static_cast<std::size_t>(market::Stream::kCandle1m));
  Filter symbol_two;
  symbol_two.symbol = 2;
  auto minutes = bus.subscribe(one_minute, 100);
  auto two = bus.subscribe(symbol_two, 100);
  auto all = bus.subscribe(Filter{}, 100);

  const std::vector<Event> events = {candle(1, Timeframe::k1m, 1), candle(2, Timeframe::k1s, 1),
                                     candle(2, Timeframe::k1m, 1)};
  bus.publish(events);

  std::vector<Event> got;
  EXPECT_EQ(minutes->drain(got), 2u);
  EXPECT_EQ(two->drain(got), 2u);
  got.clear();
  EXPECT_EQ(all->drain(got), 3u);
  EXPECT_EQ(std::get<CandleEvent>(got[1]).tf, Timeframe::k1s);  // publication order kept
  EXPECT_EQ(all->drain(got), 0u);                               // drained means empty
}

// One event of every alternative of market::Event (closed candles on two timeframes); a
// subscription to one stream gets exactly the events published on it.
TEST(InprocBus, AStreamFilterTakesEveryKindOfEventOnItsStreamAndNoOther) {
  const std::vector<Event> events = {
      candle(1, Timeframe::k1s, 1),
      candle(1, Timeframe::k1d, 1),
      market::IntensityEvent{.symbol = 1, .seq = 1},
      market::BufferEvent{.symbol = 1, .seq = 1},
      market::SpikeStartEvent{.symbol = 1, .seq = 1},
      market::SpikeEndEvent{.symbol = 1, .seq = 2},
      market::ReversalEvent{.symbol = 1, .seq = 1},
      market::TickEvent{.symbol = 1, .seq = 1},
      market::SampleEvent{.symbol = 1, .seq = 1},
  };
  std::size_t taken = 0;
  for (std::size_t stream = 0; stream < market::kStreamCount; ++stream) {
    InprocBus bus(4);
    Filter filter;
    filter.streams.set(stream);
    auto sub = bus.subscribe(filter, 100);
    bus.publish(events);
    std::vector<Event> got;
    sub->drain(got);
    std::vector<Event> expected;
    for (const auto& e : events) {
      if (static_cast<std::size_t>(market::channel_of(e).stream) == stream) expected.push_back(e);
    }
    EXPECT_EQ(got, expected) << "stream " << stream;
    taken += got.size();
  }
  EXPECT_EQ(taken, events.size());  // each event on one stream, and every one taken
}

// Latency stamps travel beside the events: a drain observes publish -> drain once per
// published batch and reports the oldest origin among the batches it took.
TEST(InprocBus, DrainMeasuresEachBatchAndReportsTheOldestOrigin) {
  InprocBus bus;
  auto sub = bus.subscribe(Filter{}, 100);
  market::LatencyHistogram latency;
  sub->set_latency(&latency);
  const Event one[] = {candle(0, Timeframe::k1s, 1)};
  const Event two[] = {candle(0, Timeframe::k1s, 2), candle(0, Timeframe::k1s, 3)};
  bus.publish(one, 5000);
  bus.publish(two, 4000);                       // an older tick behind a later batch
  bus.publish(std::span<const Event>{}, 1000);  // nothing published, nothing stamped
  std::vector<Event> got;
  EXPECT_EQ(sub->drain(got), 3u);
  EXPECT_EQ(sub->drain_origin_ns(), 4000);
  EXPECT_EQ(latency.snapshot().count, 2u);
  // Batches without an origin are still measured; the next drain starts afresh.
  bus.publish(one);
  EXPECT_EQ(sub->drain(got), 1u);
  EXPECT_EQ(sub->drain_origin_ns(), 0);
  EXPECT_EQ(latency.snapshot().count, 3u);
  EXPECT_EQ(sub->drain(got), 0u);
  EXPECT_EQ(latency.snapshot().count, 3u);
}

// A batch longer than the bus's hand-over chunk (64 events) still reaches every
// subscription whole and in order, with one stamp per batch: also for a subscription whose
// first event of the batch is in a later chunk.
TEST(InprocBus, ALongBatchIsStampedOncePerSubscription) {
  InprocBus bus;
  Filter minutes_only;
  minutes_only.streams.set(static_cast<std::size_t>(market::Stream::kCandle1m));
  auto all = bus.subscribe(Filter{}, 1000 * Subscription::kEventRoom);
  auto minutes = bus.subscribe(minutes_only, 1000 * Subscription::kEventRoom);
  market::LatencyHistogram all_latency, minutes_latency;
  all->set_latency(&all_latency);
  minutes->set_latency(&minutes_latency);
  std::vector<Event> batch;
  for (std::uint64_t i = 1; i <= 200; ++i)  // the 1m candles start in the third chunk
    batch.push_back(candle(0, i > 150 ? Timeframe::k1m : Timeframe::k1s, i));
  bus.publish(batch, 7000);
  bus.publish(batch, 6000);
  std::vector<Event> got;
  ASSERT_EQ(all->drain(got), 400u);
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(std::get<CandleEvent>(got[i]).seq, i % 200 + 1);
  EXPECT_EQ(all->drain_origin_ns(), 6000);
  EXPECT_EQ(all_latency.snapshot().count, 2u);
  got.clear();
  ASSERT_EQ(minutes->drain(got), 100u);
  EXPECT_EQ(std::get<CandleEvent>(got.front()).seq, 151u);
  EXPECT_EQ(minutes->drain_origin_ns(), 6000);
  EXPECT_EQ(minutes_latency.snapshot().count, 2u);
}

TEST(InprocBus, FullSubscriptionDropsAndCountsWithoutBlocking) {
  InprocBus bus;
  auto small = bus.subscribe(Filter{}, 3 * Subscription::kEventRoom);  // room for 3 candles
  auto big = bus.subscribe(Filter{}, 100 * Subscription::kEventRoom);
  std::vector<Event> events;
  for (std::uint64_t i = 1; i <= 10; ++i)
    events.push_back(candle(0, Timeframe::k1s, i));
  bus.publish(events);

  std::vector<Event> got;
  EXPECT_EQ(small->drain(got), 3u);
  EXPECT_EQ(std::get<CandleEvent>(got.back()).seq, 3u);  // the oldest are kept
  EXPECT_EQ(small->dropped(), 7u);
  EXPECT_EQ(big->dropped(), 0u);
  EXPECT_EQ(bus.dropped(), 7u);

  // Room again after a drain.
  bus.publish(std::span(events).first(2));
  got.clear();
  EXPECT_EQ(small->drain(got), 2u);
  EXPECT_EQ(small->dropped(), 7u);
}

// The recorder's kind of subscription: a full ring makes the publisher wait for the
// consumer, so a slow consumer gets everything, in order, while a dropping one beside it
// on the same bus loses what does not fit.
TEST(InprocBus, WaitingSubscriptionHoldsThePublisherBackAndLosesNothing) {
  InprocBus bus;
  Filter waiting;
  waiting.overflow = Overflow::kWait;
  auto slow = bus.subscribe(waiting, 4 * Subscription::kEventRoom);
  auto dropping = bus.subscribe(Filter{}, 4 * Subscription::kEventRoom);
  constexpr std::uint64_t kEvents = 2'000;
  const auto got = drain_while(*slow, [&] {
    for (std::uint64_t i = 1; i <= kEvents; i += 2) {
      const Event pair[] = {candle(0, Timeframe::k1s, i), candle(0, Timeframe::k1s, i + 1)};
      bus.publish(pair);
    }
  });
  ASSERT_EQ(got.size(), kEvents);
  for (std::uint64_t i = 0; i < kEvents; ++i)
    ASSERT_EQ(std::get<CandleEvent>(got[i]).seq, i + 1);
  EXPECT_EQ(slow->dropped(), 0u);
  EXPECT_GT(slow->waits(), 0u);
  EXPECT_GT(slow->wait_ns(), 0u);
  EXPECT_EQ(dropping->dropped(), kEvents - 4);  // never drained: all but its first four
}

// Drained slice by slice (drain(visit)): each slice's room goes back to the publisher,
// which (waiting for room) goes on meanwhile; every event arrives once, in order, wrapping
// the ring.
TEST(InprocBus, SlicedDrainHandsSlicesAndGivesTheirRoomBack) {
  InprocBus bus;
  Filter waiting;
  waiting.overflow = Overflow::kWait;
  auto sub = bus.subscribe(waiting, 10);
  constexpr std::uint64_t kEvents = 5'000;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (std::uint64_t i = 1; i <= kEvents; ++i) {
      const Event one[] = {candle(0, Timeframe::k1s, i)};
      bus.publish(one);
    }
    done = true;
  });
  std::vector<std::uint64_t> got;
  std::size_t slices = 0, longest = 0;
  const auto visit = [&](std::span<const Event> slice) {
    ++slices;
    longest = std::max(longest, slice.size());
    for (const auto& e : slice)
      got.push_back(std::get<CandleEvent>(e).seq);
  };
  while (!done.load() || sub->queued() > 0)
    sub->drain(visit, 3);
  publisher.join();
  sub->drain(visit, 3);
  ASSERT_EQ(got.size(), kEvents);
  for (std::uint64_t i = 0; i < kEvents; ++i)
    ASSERT_EQ(got[i], i + 1);
  EXPECT_LE(longest, 3u);
  EXPECT_GE(slices, kEvents / 3);
  EXPECT_EQ(sub->dropped(), 0u);
}

// The same with batches longer than the bus's 64-event hand-over chunk: the publisher waits
// inside a chunk, and the waiting subscription still gets every event in order with one
// latency stamp per batch, while the dropping one beside it loses only what it had no room for.
TEST(InprocBus, WaitingSubscriptionTakesLongBatchesWholeWithOneStampEach) {
  InprocBus bus;
  Filter waiting;
  waiting.overflow = Overflow::kWait;
  auto slow = bus.subscribe(waiting, 16 * Subscription::kEventRoom);
  auto dropping = bus.subscribe(Filter{}, 16 * Subscription::kEventRoom);
  market::LatencyHistogram latency;
  slow->set_latency(&latency);
  constexpr std::uint64_t kBatch = 200, kBatches = 10;
  const auto got = drain_while(*slow, [&] {
    std::vector<Event> batch;
    for (std::uint64_t b = 0; b < kBatches; ++b) {
      batch.clear();
      for (std::uint64_t i = 1; i <= kBatch; ++i)
        batch.push_back(candle(0, Timeframe::k1s, b * kBatch + i));
      bus.publish(batch, 1000);
    }
  });
  ASSERT_EQ(got.size(), kBatch * kBatches);
  for (std::uint64_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(std::get<CandleEvent>(got[i]).seq, i + 1);
  EXPECT_EQ(slow->dropped(), 0u);
  EXPECT_GT(slow->waits(), 0u);
  EXPECT_EQ(latency.snapshot().count, kBatches);
  EXPECT_EQ(dropping->dropped(), kBatch * kBatches - 16);  // never drained
}

// A ring's room is counted in ticks: a tick takes one place, any other event kEventRoom.
// Mixed, they arrive whole and in their order however they fall around the ring's end.
TEST(InprocBus, ATickTakesOnePlaceAndMixedEventsKeepTheirOrderAroundTheRing) {
  InprocBus bus;
  auto tick = [](std::uint64_t seq) {
    return market::TickEvent{.symbol = 0, .seq = seq, .t = 5, .price = 7, .size = 1, .ask = 9};
  };
  {
    auto sub = bus.subscribe(Filter{}, 8);
    std::vector<Event> events;
    for (std::uint64_t seq = 1; seq <= 9; ++seq)
      events.push_back(tick(seq));
    events.push_back(candle(0, Timeframe::k1s, 1));
    bus.publish(events);
    std::vector<Event> got;
    EXPECT_EQ(sub->drain(got), 8u);
    EXPECT_EQ(sub->dropped(DropKind::kTick), 1u);
    EXPECT_EQ(sub->dropped(DropKind::kCandle), 1u);
    // Empty again: a candle and five ticks fill the eight places, the next candle is dropped.
    events = {candle(0, Timeframe::k1s, 2), tick(10), tick(11), tick(12), tick(13), tick(14),
              candle(0, Timeframe::k1s, 3)};
    bus.publish(events);
    got.clear();
    EXPECT_EQ(sub->drain(got), 6u);
    EXPECT_EQ(std::get<CandleEvent>(got.front()).seq, 2u);
    EXPECT_EQ(sub->dropped(DropKind::kCandle), 2u);
    EXPECT_EQ(sub->capacity(), 8u);
    EXPECT_EQ(bus.subscribe(Filter{}, 1)->capacity(), Subscription::kMinCapacity);
  }
  Filter waiting;
  waiting.overflow = Overflow::kWait;
  auto sub = bus.subscribe(waiting, Subscription::kMinCapacity);
  std::vector<Event> sent;
  for (std::uint64_t i = 1; i <= 3'000; ++i) {
    if (i % 3 == 0 || i % 7 == 0) {
      sent.push_back(candle(0, Timeframe::k1s, i));
    } else {
      sent.push_back(tick(i));
    }
  }
  const auto got = drain_while(*sub, [&] {
    for (std::size_t at = 0; at < sent.size(); at += 4)
      bus.publish(std::span(sent).subspan(at, std::min<std::size_t>(4, sent.size() - at)));
  });
  EXPECT_EQ(sub->dropped(), 0u);
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i)
    ASSERT_EQ(got[i], sent[i]) << i;
}

// A waiting publisher is released when its subscription is removed: what it could not
// deliver is dropped and counted, and later publishes do not wait at all.
TEST(InprocBus, RemovingAWaitingSubscriptionReleasesThePublisher) {
  InprocBus bus;
  Filter waiting;
  waiting.overflow = Overflow::kWait;
  auto sub = bus.subscribe(waiting, 2 * Subscription::kEventRoom);
  std::atomic<bool> published{false};
  std::thread publisher([&] {
    const Event three[] = {candle(0, Timeframe::k1s, 1), candle(0, Timeframe::k1s, 2),
                           candle(0, Timeframe::k1s, 3)};
    bus.publish(three);
    published = true;
  });
  // Full after two: the publisher then waits for room that never comes.
  for (int i = 0; i < 5'000 && sub->queued() < 2 * Subscription::kEventRoom; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(published.load());
  bus.unsubscribe(sub);
  publisher.join();
  EXPECT_TRUE(published.load());
  EXPECT_EQ(sub->dropped(), 1u);
  const Event more[] = {candle(0, Timeframe::k1s, 4)};
  bus.publish(more);  // not on the bus any more
  std::vector<Event> got;
  EXPECT_EQ(sub->drain(got), 2u);
}

TEST(InprocBus, DropsOfARemovedSubscriptionStayCounted) {
  InprocBus bus;
  auto sub = bus.subscribe(Filter{}, Subscription::kEventRoom);
  const std::vector<Event> events = {candle(0, Timeframe::k1s, 1), candle(0, Timeframe::k1s, 2)};
  bus.publish(events);
  bus.unsubscribe(sub);
  EXPECT_EQ(bus.dropped(), 1u);
  bus.publish(events);  // no subscriber: nothing to deliver, nothing dropped
  EXPECT_EQ(bus.dropped(), 1u);
}

TEST(InprocBus, ConcurrentPublishersLoseNothingUncounted) {
  InprocBus bus;
  auto sub = bus.subscribe(Filter{}, 5'000);
  constexpr int kThreads = 4;
  constexpr int kBatches = 500;
  constexpr int kPerBatch = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&bus, t] {
      std::vector<Event> batch;
      for (int i = 0; i < kPerBatch; ++i)
        batch.push_back(candle(t, Timeframe::k1s, i));
      for (int b = 0; b < kBatches; ++b)
        bus.publish(batch);
    });
  }
  std::uint64_t drained = 0;
  std::vector<Event> got;
  for (int spins = 0; spins < 2000; ++spins) {
    got.clear();
    drained += sub->drain(got);
  }
  for (auto& th : threads)
    th.join();
  got.clear();
  drained += sub->drain(got);
  EXPECT_EQ(drained + sub->dropped(), std::uint64_t{kThreads} * kBatches * kPerBatch);
  EXPECT_EQ(sub->delivered(), drained);
}

// Many publishers, several consumers draining at the same time, rings so small that most
// events overflow: every event is delivered once or counted as dropped, each channel's
// events stay in order and whole (ticks take one cell of a ring, candles several, so the
// rings wrap at every place), a loss is always visible through lost_seq, and a
// latest-value slot is never read torn. Also run under ThreadSanitizer (make test, tsan
// preset).
TEST(InprocBus, StressManyPublishersTinyRingsAndConcurrentDrains) {
  constexpr market::SymbolId kPublishers = 6;
  constexpr std::uint64_t kPerPublisher = 20'000;
  InprocBus bus(kPublishers);
  // Room for all of one publisher's events (a candle, a tick and an intensity value each)
  // in the last.
  const std::size_t capacities[] = {1, 7, kPerPublisher * (2 * Subscription::kEventRoom + 1)};
  std::vector<std::shared_ptr<Subscription>> subs;
  for (const std::size_t c : capacities)
    subs.push_back(bus.subscribe(Filter{}, c));
  auto values = bus.subscribe(Filter{.values = Values::kLatest}, 16);
  std::atomic<bool> done{false};

  struct Seen {
    std::uint64_t events = 0, out_of_order = 0, hidden_losses = 0, torn = 0, ticks = 0;
    std::uint64_t late = 0;  // events behind a loss that arrived after the loss was seen
  };
  std::vector<Seen> seen(subs.size() + 1);
  auto consume = [&](std::size_t k) {
    Subscription& sub = k < subs.size() ? *subs[k] : *values;
    std::vector<std::uint64_t> last(kPublishers, 0), last_tick(kPublishers, 0);
    std::vector<Event> got;
    // Losses seen before the last drain, by channel (candle, tick): every event before a
    // loss was handed over before it, so no later drain may bring one.
    std::vector<std::uint64_t> loss_seen(2 * kPublishers, 0), loss_now(2 * kPublishers, 0);
    auto take = [&] {
      got.clear();
      for (market::SymbolId p = 0; p < kPublishers; ++p) {
        loss_now[2 * p] = sub.lost_seq({p, market::Stream::kCandle1s});
        loss_now[2 * p + 1] = sub.lost_seq({p, market::Stream::kTick});
      }
      if (k == subs.size()) sub.drain_values(got);
      sub.drain(got);
      for (const auto& e : got) {
        if (const auto* i = std::get_if<market::IntensityEvent>(&e)) {
          seen[k].torn += i->raw != static_cast<double>(i->seq) ||
                          i->t != 7 * static_cast<std::int64_t>(i->seq);
          continue;
        }
        const bool tick = std::holds_alternative<market::TickEvent>(e);
        const market::SymbolId symbol = market::symbol_of(e);
        const std::uint64_t seq = market::channel_seq(e);
        std::uint64_t& before = tick ? last_tick[symbol] : last[symbol];
        ++(tick ? seen[k].ticks : seen[k].events);
        if (seq <= before) ++seen[k].out_of_order;
        if (seq < loss_seen[2 * symbol + (tick ? 1 : 0)]) ++seen[k].late;
        if (tick) {  // whole: the fields the publisher derived from seq
          const auto& t = std::get<market::TickEvent>(e);
          seen[k].torn += t.price != 3 * static_cast<std::int64_t>(seq) ||
                          t.ask != static_cast<std::int64_t>(seq) + 1;
        }
        // A jump must be covered by a recorded loss on the channel.
        if (seq > before + 1 && sub.lost_seq(market::channel_of(e)) < seq - 1) {
          ++seen[k].hidden_losses;
        }
        before = seq;
      }
      loss_seen.swap(loss_now);
    };
    while (!done.load(std::memory_order_acquire))
      take();
    take();
  };
  std::vector<std::thread> consumers;
  for (std::size_t k = 0; k <= subs.size(); ++k)
    consumers.emplace_back(consume, k);
  std::vector<std::thread> publishers;
  // No publisher ends before all are done: a thread that ended would hand its lane (and
  // ring) to a later one, and the big subscription's room (one publisher's events per
  // ring, even if its consumer never ran) would no longer hold for certain.
  std::latch all_done(kPublishers);
  for (market::SymbolId p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&bus, &all_done, p] {
      std::vector<Event> batch;
      for (std::uint64_t seq = 1; seq <= kPerPublisher;) {
        batch.clear();
        for (int i = 0; i < 5 && seq <= kPerPublisher; ++i, ++seq) {
          batch.push_back(candle(p, Timeframe::k1s, seq));
          batch.push_back(market::TickEvent{.symbol = p,
                                            .seq = seq,
                                            .price = 3 * static_cast<std::int64_t>(seq),
                                            .ask = static_cast<std::int64_t>(seq) + 1});
          batch.push_back(market::IntensityEvent{.symbol = p,
                                                 .seq = seq,
                                                 .t = 7 * static_cast<std::int64_t>(seq),
                                                 .raw = static_cast<double>(seq)});
        }
        bus.publish(batch, 1);
      }
      all_done.arrive_and_wait();
    });
  }
  for (auto& t : publishers)
    t.join();
  done.store(true, std::memory_order_release);
  for (auto& t : consumers)
    t.join();
  const std::uint64_t published = std::uint64_t{kPublishers} * kPerPublisher;
  for (std::size_t k = 0; k < subs.size(); ++k) {
    SCOPED_TRACE(capacities[k]);
    EXPECT_EQ(seen[k].events + subs[k]->dropped(DropKind::kCandle), published);
    EXPECT_EQ(seen[k].ticks + subs[k]->dropped(DropKind::kTick), published);
    EXPECT_EQ(seen[k].out_of_order, 0u);
    EXPECT_EQ(seen[k].hidden_losses, 0u);
    EXPECT_EQ(seen[k].late, 0u);
    EXPECT_EQ(seen[k].torn, 0u);
  }
  EXPECT_EQ(subs[2]->dropped(), 0u);  // room for everything: nothing lost
  EXPECT_GT(subs[0]->dropped(), 0u);  // the test really overflowed
  EXPECT_EQ(seen[3].torn, 0u);
}

TEST(InprocBus, LatestValueSlotsConflateValuesButQueueEveryEvent) {
  InprocBus bus(2);
  auto sub = bus.subscribe(Filter{.values = Values::kLatest}, 100);
  std::vector<Event> events;
  for (std::uint64_t k = 1; k <= 50; ++k) {
    events.push_back(market::IntensityEvent{.symbol = 1, .seq = k, .raw = double(k)});
    events.push_back(CandleEvent{.symbol = 1, .tf = Timeframe::k1m, .closed = false, .seq = 3});
  }
  events.push_back(candle(1, Timeframe::k1m, 2));  // a close: an event, queued
  bus.publish(events);
  std::vector<Event> values;
  EXPECT_EQ(sub->drain_values(values), 2u);  // the latest intensity and the bar in progress
  ASSERT_TRUE(std::holds_alternative<market::IntensityEvent>(values[0]));
  EXPECT_EQ(std::get<market::IntensityEvent>(values[0]).seq, 50u);
  values.clear();
  EXPECT_EQ(sub->drain_values(values), 0u);  // nothing new since
  std::vector<Event> got;
  EXPECT_EQ(sub->drain(got), 1u);
  EXPECT_EQ(sub->dropped(), 0u);
}

TEST(InprocBus, OnDemandStreamsFlowOnlyForWantedSymbolsAndLossesAreRemembered) {
  InprocBus bus(3);
  Filter filter{.values = Values::kNone};
  filter.on_demand.set(static_cast<std::size_t>(market::Stream::kTick));
  auto sub = bus.subscribe(filter, Subscription::kMinCapacity);  // a tick takes one place
  auto tick = [](market::SymbolId s, std::uint64_t seq) {
    return market::TickEvent{.symbol = s, .seq = seq};
  };
  bus.publish(std::vector<Event>{tick(0, 1), tick(2, 1)});
  std::vector<Event> got;
  EXPECT_EQ(sub->drain(got), 0u);
  sub->want(2, market::Stream::kTick, true);
  std::vector<Event> ticks{tick(0, 2)};
  for (std::uint64_t seq = 2; seq < 2 + Subscription::kMinCapacity + 2; ++seq)
    ticks.push_back(tick(2, seq));
  bus.publish(ticks);
  EXPECT_EQ(sub->drain(got), Subscription::kMinCapacity);
  EXPECT_EQ(sub->dropped(DropKind::kTick), 2u);
  EXPECT_EQ(sub->lost_seq({2, market::Stream::kTick}), 1 + Subscription::kMinCapacity + 2);
  EXPECT_EQ(sub->lost_seq({0, market::Stream::kTick}), 0u);
}

TEST(InprocBus, EachPublisherHasItsOwnLaneAndKeepsItsOrder) {
  InprocBus bus(4);
  auto sub = bus.subscribe(Filter{.values = Values::kNone}, 1'000'000);
  constexpr std::uint64_t kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (market::SymbolId t = 0; t < 4; ++t) {
    threads.emplace_back([&bus, t] {
      std::vector<Event> batch;
      for (std::uint64_t k = 1; k <= kPerThread; ++k) {
        batch.push_back(market::TickEvent{.symbol = t, .seq = k});
        if (batch.size() == 64) {
          bus.publish(batch);
          batch.clear();
        }
      }
      bus.publish(batch);
    });
  }
  std::array<std::uint64_t, 4> last{};
  std::vector<Event> got;
  std::uint64_t total = 0;
  auto check = [&] {
    for (const auto& e : got) {
      const auto& t = std::get<market::TickEvent>(e);
      ASSERT_EQ(t.seq, last[t.symbol] + 1);
      last[t.symbol] = t.seq;
    }
    total += got.size();
    got.clear();
  };
  while (total < 4 * kPerThread) {
    sub->drain(got);
    check();
  }
  for (auto& th : threads)
    th.join();
  sub->drain(got);
  check();
  EXPECT_EQ(total, 4 * kPerThread);
  EXPECT_EQ(sub->dropped(), 0u);
}

}  // namespace
}  // namespace spacetime::bus
