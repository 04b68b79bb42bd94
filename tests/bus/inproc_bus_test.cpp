#include <gtest/gtest.h>

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

TEST(InprocBus, FullSubscriptionDropsAndCountsWithoutBlocking) {
  InprocBus bus;
  auto small = bus.subscribe(Filter{}, 3);
  auto big = bus.subscribe(Filter{}, 100);
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

TEST(InprocBus, DropsOfARemovedSubscriptionStayCounted) {
  InprocBus bus;
  auto sub = bus.subscribe(Filter{}, 1);
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

}  // namespace
}  // namespace spacetime::bus
