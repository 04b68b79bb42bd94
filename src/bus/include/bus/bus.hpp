// Publish/subscribe of engine events by channel (symbol x stream). Nothing here blocks a
// publisher: each subscription has one bounded single-producer ring per publishing thread
// (an engine shard), so shards never contend with each other or with the consumer, and a
// full ring drops and counts instead of waiting. Value samples (intensity, buffer, the
// candle in progress) can be handed over as latest-value slots instead of queued: a slot
// is overwritten, never full, so the events that must arrive are the only queue traffic.
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "market/event.hpp"
#include "market/latency.hpp"

namespace spacetime::bus {

// How a subscription takes value samples.
enum class Values : std::uint8_t {
  kQueued,  // like events, in the ring (every sample; tests and file writers)
  kLatest,  // in a latest-value slot per channel, read with drain_values()
  kNone,    // not at all (the recorder)
};

// What a publisher does when a subscription's ring is full.
enum class Overflow : std::uint8_t {
  kDrop,  // drop and count (lost_seq tells the consumer): the gateway, whose clients get a gap
  kWait,  // wait until the consumer makes room: the recorder, which must not lose closed
          // candles, ticks, spikes or reversals. The publishing shard then falls behind, and
          // with it the feed (backpressure). Only a closed subscription, or one that took
          // nothing for 10 s (a hung store), drops (counted).
};

// Which channels a subscription wants.
struct Filter {
  std::bitset<market::kStreamCount> streams{};  // empty set means every stream
  std::optional<market::SymbolId> symbol{};     // nullopt means every symbol
  Values values = Values::kQueued;
  // Event streams delivered only for the symbols the subscriber asks for with want()
  // (ticks: the heaviest stream, which few consumers need for every symbol).
  std::bitset<market::kStreamCount> on_demand{};
  Overflow overflow = Overflow::kDrop;

  bool matches(const market::Channel& c) const {
    if (symbol && *symbol != c.symbol) return false;
    return streams.none() || streams.test(static_cast<std::size_t>(c.stream));
  }
};

// What an overflow lost, by kind of event.
enum class DropKind : std::uint8_t { kCandle, kTick, kSpike, kReversal, kSample, kValue };
inline constexpr std::size_t kDropKindCount = 6;
std::string_view to_string(DropKind kind);  // "candle", "tick", ...
DropKind drop_kind_of(const market::Event& e);

class Subscription {
 public:
  // capacity: the room of each publishing thread's ring (one ring per thread), counted in
  // ticks: any other event takes kEventRoom places. At least kMinCapacity (smaller is
  // raised to it). symbols: the registry's size (latest-value slots, lost_seq and want()
  // need it).
  Subscription(Filter filter, std::size_t capacity, std::size_t symbols);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Consumer side, one thread. Moves every queued event into out (after what out holds);
  // each publisher's events keep their order (a symbol is published by one thread, so
  // its channels are in order). Returns how many. Observes, per published batch taken,
  // the time since it was published into the latency histogram (set_latency).
  std::size_t drain(std::vector<market::Event>& out);
  // The same without growing a vector of everything queued: hands the queued events to
  // `visit` in slices of at most `chunk`, decoded into a buffer the subscription reuses
  // (each slice's room goes back to the publishers once visit returns). The span is valid
  // only during the call. A slice `visit` throws out of stays queued and
  // is handed over again, whole, by the next drain: visit should take a slice all or not
  // at all.
  std::size_t drain(const std::function<void(std::span<const market::Event>)>& visit,
                    std::size_t chunk = 4096);
  // When the oldest tick behind the events of the last drain() left the feed
  // (steady_ns()); 0 when none of them said.
  std::int64_t drain_origin_ns() const { return drain_origin_ns_; }
  // Where drain() observes the publish-to-drain latency; null (default) for none. Set it
  // before the first drain(); the histogram must outlive the subscription's use.
  void set_latency(market::LatencyHistogram* h) { latency_ = h; }
  // Values::kLatest: appends the slots written since the last call. Call it before
  // drain(): a candle in progress then never arrives before the closes that preceded it.
  // origins, when given, gets each value's origin_ns (as for EventSink::publish).
  std::size_t drain_values(std::vector<market::Event>& out,
                           std::vector<std::int64_t>* origins = nullptr);
  // On-demand streams: start or stop delivering (symbol, stream).
  void want(market::SymbolId symbol, market::Stream stream, bool on);
  // The highest seq an overflow dropped on the channel; 0 when none. Lets a consumer see
  // a loss at the end of a channel, where no later event would show the jump.
  std::uint64_t lost_seq(const market::Channel& c) const;
  // Revised closed bars (CandleEvent::revised) an overflow dropped on the channel: the
  // lowest seq among them since the last call, then 0 again; 0 when none. A revision
  // repeats a seq already delivered, so lost_seq cannot tell it.
  std::uint64_t take_lost_revision(const market::Channel& c);

  std::uint64_t dropped() const;
  std::uint64_t dropped(DropKind kind) const {
    return dropped_[static_cast<std::size_t>(kind)].load(std::memory_order_relaxed);
  }
  std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  // Overflow::kWait: how often a publisher found the ring full and waited, and for how long
  // in all (nanoseconds).
  std::uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }
  std::uint64_t wait_ns() const { return wait_ns_.load(std::memory_order_relaxed); }
  // No more draining: publishers waiting for room (Overflow::kWait) give up and drop
  // (counted), and later ones drop at once. The bus closes a subscription it removes.
  void close() { closed_.store(true, std::memory_order_release); }
  std::size_t queued() const;  // room taken (as capacity counts it); approximate, for metrics
  std::size_t capacity() const { return capacity_; }
  const Filter& filter() const { return filter_; }

  // Producer side: called by the bus from publishing thread `lane`. origin_ns as for
  // EventSink::publish; at_ns: the publish time (steady_ns()), 0 to stamp nothing. True
  // when the stamp was pushed (or there was none to push): the bus, which hands a batch
  // over in chunks, then passes 0 for the batch's later chunks.
  bool deliver(std::span<const market::Event> events, std::size_t lane, std::int64_t origin_ns = 0,
               std::int64_t at_ns = 0);
  // Producer side: events up to `seq` on the channel were lost before the bus (a Redis
  // stream that no longer held them), so consumers report a gap as for an overflow.
  void note_lost(const market::Channel& c, std::uint64_t seq);
  // Producer side: a revised closed bar at or after number `seq` of the channel may have
  // been lost before the bus (frames a Redis stream no longer held), so take_lost_revision
  // reports it as for one an overflow dropped.
  void note_lost_revision(const market::Channel& c, std::uint64_t seq);

  // A ring is made of 64-byte cells, and a tick, the one event published by the million,
  // fills one: it takes one place. Any other event takes kEventRoom (a tag, then the
  // variant's bytes), and up to 2 * kEventRoom - 1 where the ring's end must be skipped.
  static constexpr std::size_t kEventRoom = (8 + sizeof(market::Event) + 63) / 64;
  // The room e takes, as a ring's capacity and queued() count it (before any skipped end).
  static std::size_t room_of(const market::Event& e) {
    return std::holds_alternative<market::TickEvent>(e) ? 1 : kEventRoom;
  }
  // The least room that takes any event wherever the ring's earlier events ended (an event
  // never wraps, so the end of the ring may be skipped).
  static constexpr std::size_t kMinCapacity = 2 * kEventRoom - 1;
  static constexpr std::size_t kMaxLanes = 64;
  // Overflow::kWait: the longest one wait for room lasts before the event is dropped.
  static constexpr std::int64_t kMaxWaitNs = 10'000'000'000;

 private:
  class Ring;
  struct Slot;
  static constexpr std::size_t kValueKinds = 2 + market::kTimeframeCount;
  static std::size_t value_kind(const market::Event& e);
  Ring& ring(std::size_t lane);
  void write_slot(const market::Event& e, std::int64_t origin_ns);
  bool wait_for_room(Ring& r, const market::Event& e);
  template <typename OnChunk>
  std::size_t drain_rings(std::vector<market::Event>& into, std::size_t chunk, OnChunk& on_chunk,
                          bool reuse);
  static void keep_lowest(std::atomic<std::uint64_t>& lost, std::uint64_t seq);

  const Filter filter_;
  // Bit i: the filter can take alternative i of market::Event (a stream it publishes on
  // passes). deliver() skips the others on the variant's index, before it works out the
  // channel: the recorder leaves two of the three events a tick.
  std::uint32_t alternatives_ = 0;
  const std::size_t capacity_;
  const std::size_t symbols_;
  std::array<std::atomic<Ring*>, kMaxLanes> rings_{};
  std::unique_ptr<Slot[]> slots_;                                // symbols * kValueKinds
  std::vector<std::uint64_t> slot_seen_;                         // consumer's last version per slot
  std::unique_ptr<std::atomic<std::uint64_t>[]> lost_;           // symbols * kStreamCount
  std::unique_ptr<std::atomic<std::uint64_t>[]> lost_revision_;  // symbols * kStreamCount
  std::unique_ptr<std::atomic<bool>[]> wanted_;                  // symbols * kStreamCount
  std::array<std::atomic<std::uint64_t>, kDropKindCount> dropped_{};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> waits_{0};
  std::atomic<std::uint64_t> wait_ns_{0};
  std::atomic<bool> closed_{false};
  market::LatencyHistogram* latency_ = nullptr;  // consumer side
  std::int64_t drain_origin_ns_ = 0;             // consumer side
  std::vector<market::Event> scratch_;           // consumer side: drain(visit)'s decoded chunk
};

class Bus : public market::EventSink {
 public:
  // capacity: the room the subscription has per publishing thread between two drain()
  // calls, counted in ticks (Subscription's constructor says how other events count).
  virtual std::shared_ptr<Subscription> subscribe(Filter filter, std::size_t capacity) = 0;
  virtual void unsubscribe(const std::shared_ptr<Subscription>& subscription) = 0;
  // Events lost across all subscriptions so far.
  virtual std::uint64_t dropped() const = 0;
};

// The embedded default: publish() delivers to subscribers in the caller's thread, lock
// free: the subscriber list is read through a copy that changes only on (un)subscribe.
class InprocBus final : public Bus {
 public:
  // symbols: the registry's size, for the subscriptions' per-channel state.
  explicit InprocBus(std::size_t symbols = 0) : symbols_(symbols) {}

  std::shared_ptr<Subscription> subscribe(Filter filter, std::size_t capacity) override;
  void unsubscribe(const std::shared_ptr<Subscription>& subscription) override;
  std::uint64_t dropped() const override;
  // Marks events up to seq on the channel as lost upstream in every subscription that
  // takes the channel (Subscription::note_lost).
  void note_lost(const market::Channel& c, std::uint64_t seq);
  // Subscription::note_lost_revision in every subscription that takes the channel.
  void note_lost_revision(const market::Channel& c, std::uint64_t seq);

 private:
  void on_publish(std::span<const market::Event> events, std::int64_t origin_ns) override;
  using List = std::vector<std::shared_ptr<Subscription>>;
  std::size_t symbols_;
  mutable std::mutex mutex_;  // (un)subscribe and metrics only
  std::shared_ptr<const List> list_ = std::make_shared<const List>();
  std::atomic<std::uint64_t> generation_{0};
  std::uint64_t dropped_by_gone_ = 0;  // drops of subscriptions already removed
};

}  // namespace spacetime::bus
