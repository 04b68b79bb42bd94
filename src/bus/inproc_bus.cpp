#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "bus/bus.hpp"

namespace spacetime::bus {
namespace {

static_assert(std::is_trivially_copyable_v<market::Event>);

// Each publishing thread gets a lane number of its own while it lives; numbers are
// reused after a thread ends, so a long test process does not run out of lanes.
class LaneNumbers {
 public:
  static std::size_t mine() {
    thread_local Holder holder;
    return holder.lane;
  }

 private:
  struct Holder {
    Holder() : lane(take()) {}
    ~Holder() { give(lane); }
    std::size_t lane;
  };
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::size_t>& free_list() {
    static std::vector<std::size_t> f;
    return f;
  }
  static std::size_t& next() {
    static std::size_t n = 0;
    return n;
  }
  static std::size_t take() {
    std::lock_guard lock(mutex());
    auto& f = free_list();
    if (!f.empty()) {
      const std::size_t lane = f.back();
      f.pop_back();
      return lane;
    }
    return next()++;
  }
  static void give(std::size_t lane) {
    std::lock_guard lock(mutex());
    free_list().push_back(lane);
  }
};

// Generations of subscriber lists, unique across every bus of the process, so a thread's
// cached list can never be mistaken for another bus's.
std::atomic<std::uint64_t> g_generation{0};

}  // namespace

std::string_view to_string(DropKind kind) {
  static constexpr std::array<std::string_view, kDropKindCount> kNames = {
      "candle", "tick", "spike", "reversal", "sample", "value"};
  return kNames[static_cast<std::size_t>(kind)];
}

DropKind drop_kind_of(const market::Event& e) {
  if (market::is_value(e)) return DropKind::kValue;
  switch (market::channel_of(e).stream) {
    case market::Stream::kTick:
      return DropKind::kTick;
    case market::Stream::kSpike:
      return DropKind::kSpike;
    case market::Stream::kReversal:
      return DropKind::kReversal;
    case market::Stream::kSample:
      return DropKind::kSample;
    default:
      return DropKind::kCandle;
  }
}

// A bounded SPSC ring of cache-line cells (Subscription's capacity counts them). A tick,
// the event a recorder takes by the million, fills one cell: TickEvent is 64 bytes, and
// the padding after its 32-bit symbol holds the record's tag. Any other event takes
// kEventRoom cells (the tag, then the variant's bytes) and never wraps: a pad tag skips the
// end of the ring. So the publishing shard writes one whole line a tick instead of the two
// or three lines a 136-byte variant slot straddles. Positions count cells. The producer
// publishes a delivery's events at once (publish()); the consumer decodes them into Events
// on its own core.
class Subscription::Ring {
 public:
  static constexpr std::size_t kLine = 64;
  struct alignas(kLine) Cell {
    unsigned char bytes[kLine];
  };
  static constexpr std::size_t kTagAt = 4;  // bytes [4, 8) of a record's first cell

  explicit Ring(std::size_t cells) : cells_(cells), slots_(std::make_unique<Cell[]>(cells)) {}

  // Producer side. False when there is no room for e (nothing written).
  bool push(const market::Event& e) {
    const std::size_t n = room_of(e);
    const std::size_t pad = pad_before(n);
    if (!room_for(pad + n)) return false;
    if (pad) {
      put_tag(slots_[local_at_], Tag::kPad);
      local_tail_ += pad;
      local_at_ = 0;
    }
    if (const auto* t = std::get_if<market::TickEvent>(&e)) {
      put_tick(slots_[local_at_], *t);
    } else {
      put_tag(slots_[local_at_], Tag::kEvent);
      std::memcpy(bytes_at(local_at_) + 8, &e, sizeof(e));  // runs on into the next cells
    }
    local_tail_ += n;
    local_at_ += n;
    if (local_at_ == cells_) local_at_ = 0;
    return true;
  }
  // Producer side: makes what push() wrote since the last call visible to the consumer.
  void publish() {
    if (tail_.load(std::memory_order_relaxed) != local_tail_)
      tail_.store(local_tail_, std::memory_order_release);
  }
  // Producer side: room for e now.
  bool has_room(const market::Event& e) {
    const std::size_t n = room_of(e);
    return room_for(pad_before(n) + n);
  }
  // Producer side: the position the next event goes to (a stamp's start).
  std::size_t pushed() const { return local_tail_; }

  // Consumer side: decodes the published events into `into` (after what it holds), at
  // most `chunk` at a time, and calls on_chunk with each chunk's span; the chunk's cells
  // go back to the producer when on_chunk returns (not when it throws). With reuse, `into`
  // is cleared before each chunk. Returns how many events were taken.
  template <typename OnChunk>
  std::size_t pop(std::vector<market::Event>& into, std::size_t chunk, OnChunk& on_chunk,
                  bool reuse) {
    std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t tail = tail_.load(std::memory_order_acquire);
    std::size_t taken = 0;
    std::size_t at = head % cells_;  // head's cell, kept beside it (no division a record)
    while (head != tail) {
      if (reuse) into.clear();
      const std::size_t first = into.size();
      std::size_t next = head;
      while (next != tail && into.size() - first < chunk) {
        const Cell& c = slots_[at];
        std::size_t n = kEventRoom;
        switch (tag_of(c)) {
          case Tag::kPad:
            n = cells_ - at;
            break;
          case Tag::kTick: {
            auto& e = into.emplace_back(std::in_place_type<market::TickEvent>);
            std::memcpy(static_cast<void*>(&std::get<market::TickEvent>(e)), c.bytes,
                        sizeof(market::TickEvent));
            n = 1;
            break;
          }
          case Tag::kEvent:
            std::memcpy(static_cast<void*>(&into.emplace_back()), bytes_at(at) + 8,
                        sizeof(market::Event));
            break;
        }
        next += n;
        at += n;
        if (at == cells_) at = 0;
      }
      if (into.size() > first)
        on_chunk(std::span<const market::Event>(into.data() + first, into.size() - first));
      taken += into.size() - first;
      head = next;
      head_.store(head, std::memory_order_release);
    }
    return taken;
  }
  // Consumer side: the position up to which events were taken.
  std::size_t popped() const { return head_.load(std::memory_order_relaxed); }
  market::StampRing& stamps() { return stamps_; }

  std::size_t size() const {  // cells
    const std::size_t head = head_.load(std::memory_order_acquire);
    return tail_.load(std::memory_order_acquire) - head;
  }

 private:
  enum class Tag : std::uint32_t { kTick = 1, kEvent = 2, kPad = 3 };
  static_assert(kEventRoom == 3, "README.md and --bus-queue's help say 3");
  static_assert(8 + sizeof(market::Event) <= kEventRoom * kLine);
  static_assert(sizeof(market::TickEvent) == kLine && alignof(market::TickEvent) <= kLine);
  static_assert(sizeof(market::SymbolId) == kTagAt &&
                offsetof(market::TickEvent, seq) == kTagAt + 4);  // the padding the tag takes

  // A record's bytes from cell `at` on, through the array (an event runs over three cells).
  unsigned char* bytes_at(std::size_t at) {
    return reinterpret_cast<unsigned char*>(slots_.get()) + at * kLine;
  }
  static void put_tag(Cell& c, Tag tag) { std::memcpy(c.bytes + kTagAt, &tag, sizeof(tag)); }
  static Tag tag_of(const Cell& c) {
    Tag tag;
    std::memcpy(&tag, c.bytes + kTagAt, sizeof(tag));
    return tag;
  }
  // The tick and its tag as one whole line. (Streaming stores were measured too: slower
  // than plain ones in serve's interleaved rounds, and than the old ring in bus_bench:
  // docs/PERFORMANCE.md, 2026-12-04.)
  static void put_tick(Cell& to, const market::TickEvent& t) {
    std::memcpy(to.bytes, &t, sizeof(t));
    put_tag(to, Tag::kTick);
  }
  // The cells to skip at the ring's end before a record of n cells: a record never wraps.
  std::size_t pad_before(std::size_t n) const {
    return local_at_ + n > cells_ ? cells_ - local_at_ : 0;
  }
  bool room_for(std::size_t n) {
    if (local_tail_ + n - head_cache_ <= cells_) return true;
    head_cache_ = head_.load(std::memory_order_acquire);
    return local_tail_ + n - head_cache_ <= cells_;
  }

  const std::size_t cells_;
  std::unique_ptr<Cell[]> slots_;
  alignas(kLine) std::atomic<std::size_t> head_{0};
  alignas(kLine) std::atomic<std::size_t> tail_{0};
  alignas(kLine) std::size_t local_tail_ = 0;  // producer's: written, maybe not published
  std::size_t local_at_ = 0;                   // local_tail_'s cell: local_tail_ % cells_
  std::size_t head_cache_ = 0;                 // producer's view of head_
  market::StampRing stamps_;                   // when each delivered batch was published
};

// A latest-value slot: a sequence lock over the event's bytes, stored as relaxed atomic
// words so that a reader racing the writer is defined behaviour (and quiet under TSan);
// the version tells a torn read apart and whether the value changed.
struct Subscription::Slot {
  static constexpr std::size_t kEventWords = (sizeof(market::Event) + 7) / 8;
  static constexpr std::size_t kWords = kEventWords + 1;  // the event, then its origin
  std::atomic<std::uint64_t> version{0};                  // odd while being written
  std::array<std::atomic<std::uint64_t>, kWords> words{};

  void write(const market::Event& e, std::int64_t origin_ns) {
    std::array<std::uint64_t, kWords> raw{};
    std::memcpy(raw.data(), &e, sizeof(e));
    raw[kEventWords] = static_cast<std::uint64_t>(origin_ns);
    const std::uint64_t v = version.load(std::memory_order_relaxed);
    version.store(v + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < kWords; ++i)
      words[i].store(raw[i], std::memory_order_relaxed);
    version.store(v + 2, std::memory_order_release);
  }

  // False when there was nothing new or the writer kept it busy.
  bool read(std::uint64_t& seen, market::Event& out, std::int64_t& origin_ns) const {
    for (int attempt = 0; attempt < 16; ++attempt) {
      const std::uint64_t v1 = version.load(std::memory_order_acquire);
      if (v1 == seen) return false;
      if (v1 & 1) continue;
      std::array<std::uint64_t, kWords> raw;
      for (std::size_t i = 0; i < kWords; ++i)
        raw[i] = words[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (version.load(std::memory_order_relaxed) != v1) continue;
      std::memcpy(static_cast<void*>(&out), raw.data(), sizeof(out));
      origin_ns = static_cast<std::int64_t>(raw[kEventWords]);
      seen = v1;
      return true;
    }
    return false;  // read again next time: the writer is on it right now
  }
};

namespace {

// An event of every alternative of market::Event, and a closed candle on every timeframe:
// where each can be published, as channel_of says.
template <std::size_t... I>
std::vector<market::Event> one_of_each_kind(std::index_sequence<I...>) {
  std::vector<market::Event> events{market::Event(std::in_place_index<I>)...};
  for (const auto tf : market::kAllTimeframes)
    events.emplace_back(market::CandleEvent{.tf = tf});
  return events;
}

}  // namespace

Subscription::Subscription(Filter filter, std::size_t capacity, std::size_t symbols)
    : filter_(filter), capacity_(std::max(capacity, kMinCapacity)), symbols_(symbols) {
  for (const auto& e :
       one_of_each_kind(std::make_index_sequence<std::variant_size_v<market::Event>>{})) {
    const auto stream = static_cast<std::size_t>(market::channel_of(e).stream);
    if (filter_.streams.none() || filter_.streams.test(stream))
      alternatives_ |= std::uint32_t{1} << e.index();
  }
  const std::size_t channels = symbols * market::kStreamCount;
  lost_ = std::make_unique<std::atomic<std::uint64_t>[]>(channels);
  lost_revision_ = std::make_unique<std::atomic<std::uint64_t>[]>(channels);
  wanted_ = std::make_unique<std::atomic<bool>[]>(channels);
  if (filter_.values == Values::kLatest) {
    slots_ = std::make_unique<Slot[]>(symbols * kValueKinds);
    slot_seen_.assign(symbols * kValueKinds, 0);
  }
}

Subscription::~Subscription() {
  for (auto& r : rings_)
    delete r.load(std::memory_order_acquire);
}

Subscription::Ring& Subscription::ring(std::size_t lane) {
  Ring* r = rings_[lane].load(std::memory_order_relaxed);
  if (!r) {
    // Only this lane's thread creates it; the consumer sees it through the release.
    r = new Ring(capacity_);
    rings_[lane].store(r, std::memory_order_release);
  }
  return *r;
}

std::size_t Subscription::value_kind(const market::Event& e) {
  if (const auto* c = std::get_if<market::CandleEvent>(&e)) return 2 + market::index_of(c->tf);
  return std::holds_alternative<market::IntensityEvent>(e) ? 0 : 1;
}

void Subscription::write_slot(const market::Event& e, std::int64_t origin_ns) {
  const auto symbol = market::symbol_of(e);
  if (symbol >= symbols_) return;
  slots_[symbol * kValueKinds + value_kind(e)].write(e, origin_ns);
}

bool Subscription::deliver(std::span<const market::Event> events, std::size_t lane,
                           std::int64_t origin_ns, std::int64_t at_ns) {
  Ring* r = nullptr;
  bool stamped = at_ns == 0;  // nothing to stamp without a publish time
  std::uint64_t delivered = 0;
  for (const auto& e : events) {
    if (!(alternatives_ >> e.index() & 1)) continue;
    const market::Channel ch = market::channel_of(e);
    if (!filter_.matches(ch)) continue;
    const bool value = market::is_value(e);
    if (value) {
      if (filter_.values == Values::kNone) continue;
      if (filter_.values == Values::kLatest) {
        write_slot(e, origin_ns);
        ++delivered;
        continue;
      }
    }
    const std::size_t index =
        ch.symbol * market::kStreamCount + static_cast<std::size_t>(ch.stream);
    if (filter_.on_demand.test(static_cast<std::size_t>(ch.stream)) &&
        (ch.symbol >= symbols_ || !wanted_[index].load(std::memory_order_relaxed))) {
      continue;
    }
    if (!r) r = &ring(lane);
    if (filter_.overflow == Overflow::kWait && !r->has_room(e) &&
        !closed_.load(std::memory_order_relaxed)) {
      r->publish();  // the consumer makes room only from what it can see
      wait_for_room(*r, e);
    }
    if (!stamped && r->has_room(e)) {  // the stamp goes before its first event
      r->stamps().push({.start = r->pushed(), .origin_ns = origin_ns, .at_ns = at_ns});
      stamped = true;
    }
    if (r->push(e)) {
      ++delivered;
      continue;
    }
    dropped_[static_cast<std::size_t>(drop_kind_of(e))].fetch_add(1, std::memory_order_relaxed);
    // The events written before the loss are published first: a consumer that sees the loss
    // (lost_seq) must see them too, or it would report them lost as well.
    r->publish();
    // One publisher per symbol: a plain store keeps the maximum.
    if (ch.symbol < symbols_ && !value && !market::is_revision(e)) {
      // Release: a consumer that sees this loss also sees every push before it (published).
      lost_[index].store(market::channel_seq(e), std::memory_order_release);
    } else if (ch.symbol < symbols_ && market::is_revision(e)) {
      keep_lowest(lost_revision_[index], market::channel_seq(e));
    }
  }
  if (r) r->publish();
  if (delivered) delivered_.fetch_add(delivered, std::memory_order_relaxed);
  return stamped;
}

// Overflow::kWait: the producer waits for the consumer to drain the ring (the recorder
// drains every 10 ms, at once while busy), first yielding, then sleeping. False when the
// subscription closed or the consumer took nothing for kMaxWaitNs (a hung store must not hang the
// engine and its shutdown for ever): the event is then dropped and counted.
bool Subscription::wait_for_room(Ring& r, const market::Event& e) {
  const std::int64_t start = market::steady_ns();
  bool room = false;
  for (int spin = 0; !room; ++spin) {
    if (closed_.load(std::memory_order_acquire)) break;
    if (spin >= 64 && market::steady_ns() - start > kMaxWaitNs) break;
    if (spin < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    room = r.has_room(e);
  }
  waits_.fetch_add(1, std::memory_order_relaxed);
  wait_ns_.fetch_add(static_cast<std::uint64_t>(market::steady_ns() - start),
                     std::memory_order_relaxed);
  return room;
}

// The lowest seq wins (0: none): the consumer refetches from there on.
void Subscription::keep_lowest(std::atomic<std::uint64_t>& lost, std::uint64_t seq) {
  std::uint64_t seen = lost.load(std::memory_order_relaxed);
  while ((seen == 0 || seq < seen) &&
         !lost.compare_exchange_weak(seen, seq, std::memory_order_release,
                                     std::memory_order_relaxed)) {
  }
}

void Subscription::note_lost_revision(const market::Channel& c, std::uint64_t seq) {
  if (c.symbol >= symbols_ || seq == 0 || !filter_.matches(c)) return;
  keep_lowest(lost_revision_[c.symbol * market::kStreamCount + static_cast<std::size_t>(c.stream)],
              seq);
}

void Subscription::note_lost(const market::Channel& c, std::uint64_t seq) {
  if (c.symbol >= symbols_ || !filter_.matches(c)) return;
  auto& lost = lost_[c.symbol * market::kStreamCount + static_cast<std::size_t>(c.stream)];
  std::uint64_t seen = lost.load(std::memory_order_relaxed);
  while (seen < seq && !lost.compare_exchange_weak(seen, seq, std::memory_order_release,
                                                   std::memory_order_relaxed)) {
  }
}

std::size_t Subscription::drain(std::vector<market::Event>& out) {
  const auto nothing = [](std::span<const market::Event>) {};
  return drain_rings(out, std::numeric_limits<std::size_t>::max(), nothing, false);
}

std::size_t Subscription::drain(const std::function<void(std::span<const market::Event>)>& visit,
                                std::size_t chunk) {
  return drain_rings(scratch_, std::max<std::size_t>(chunk, 1), visit, true);
}

template <typename OnChunk>
std::size_t Subscription::drain_rings(std::vector<market::Event>& into, std::size_t chunk,
                                      OnChunk& on_chunk, bool reuse) {
  std::size_t n = 0;
  drain_origin_ns_ = 0;
  for (auto& slot : rings_) {
    Ring* r = slot.load(std::memory_order_acquire);
    if (!r) continue;
    const std::size_t taken = r->pop(into, chunk, on_chunk, reuse);
    n += taken;
    if (taken == 0) continue;
    const std::int64_t now = market::steady_ns();
    r->stamps().take(r->popped(), [&](const market::Stamp& s) {
      if (latency_) latency_->observe_ns(now - s.at_ns);
      market::keep_oldest(drain_origin_ns_, s.origin_ns);
    });
  }
  return n;
}

std::size_t Subscription::drain_values(std::vector<market::Event>& out,
                                       std::vector<std::int64_t>* origins) {
  if (!slots_) return 0;
  std::size_t n = 0;
  market::Event e;
  std::int64_t origin = 0;
  for (std::size_t i = 0; i < slot_seen_.size(); ++i) {
    if (slots_[i].read(slot_seen_[i], e, origin)) {
      out.push_back(e);
      if (origins) origins->push_back(origin);
      ++n;
    }
  }
  return n;
}

void Subscription::want(market::SymbolId symbol, market::Stream stream, bool on) {
  if (symbol >= symbols_) return;
  wanted_[symbol * market::kStreamCount + static_cast<std::size_t>(stream)].store(
      on, std::memory_order_relaxed);
}

std::uint64_t Subscription::lost_seq(const market::Channel& c) const {
  if (c.symbol >= symbols_) return 0;
  return lost_[c.symbol * market::kStreamCount + static_cast<std::size_t>(c.stream)].load(
      std::memory_order_acquire);
}

std::uint64_t Subscription::take_lost_revision(const market::Channel& c) {
  if (c.symbol >= symbols_) return 0;
  return lost_revision_[c.symbol * market::kStreamCount + static_cast<std::size_t>(c.stream)]
      .exchange(0, std::memory_order_acquire);
}

std::uint64_t Subscription::dropped() const {
  std::uint64_t total = 0;
  for (const auto& d : dropped_)
    total += d.load(std::memory_order_relaxed);
  return total;
}

std::size_t Subscription::queued() const {
  std::size_t n = 0;
  for (const auto& slot : rings_) {
    if (const Ring* r = slot.load(std::memory_order_acquire)) n += r->size();
  }
  return n;
}

void InprocBus::on_publish(std::span<const market::Event> events, std::int64_t origin_ns) {
  if (events.empty()) return;
  struct Cache {
    std::uint64_t generation = ~std::uint64_t{0};
    std::shared_ptr<const List> list;
  };
  thread_local Cache cache;
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cache.generation != generation) {
    std::lock_guard lock(mutex_);
    cache.list = list_;
    cache.generation = generation_.load(std::memory_order_relaxed);
  }
  const std::size_t lane = LaneNumbers::mine();
  const std::int64_t at_ns = cache.list->empty() ? 0 : market::steady_ns();
  // Event-major, a chunk at a time: each chunk is read by every subscription while it is
  // still in the L1 cache, not the whole batch (hundreds of KB) once per subscription. A
  // subscription's stamp goes before the first event it takes of the batch, in whichever
  // chunk that is.
  constexpr std::size_t kChunk = 64;
  thread_local std::vector<char> stamped;
  const auto deliver_all = [&](std::size_t to_lane) {
    const List& list = *cache.list;
    stamped.assign(list.size(), 0);
    for (std::size_t at = 0; at < events.size(); at += kChunk) {
      const auto chunk = events.subspan(at, std::min(kChunk, events.size() - at));
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i]->deliver(chunk, to_lane, origin_ns, stamped[i] ? 0 : at_ns)) stamped[i] = 1;
      }
    }
  };
  if (lane >= Subscription::kMaxLanes - 1) {
    // More publishing threads than lanes: the last lane is reserved for the overflow
    // threads, which take turns on it, so it never has two producers at once.
    static std::mutex overflow;
    std::lock_guard lock(overflow);
    deliver_all(Subscription::kMaxLanes - 1);
    return;
  }
  deliver_all(lane);
}

std::shared_ptr<Subscription> InprocBus::subscribe(Filter filter, std::size_t capacity) {
  auto sub = std::make_shared<Subscription>(filter, capacity, symbols_);
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<List>(*list_);
  next->push_back(sub);
  list_ = std::move(next);
  generation_.store(g_generation.fetch_add(1) + 1, std::memory_order_release);
  return sub;
}

void InprocBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mutex_);
  auto it = std::find(list_->begin(), list_->end(), subscription);
  if (it == list_->end()) return;
  (*it)->close();  // a publisher waiting on it (Overflow::kWait) gives up
  dropped_by_gone_ += (*it)->dropped();
  auto next = std::make_shared<List>(*list_);
  next->erase(next->begin() + (it - list_->begin()));
  list_ = std::move(next);
  generation_.store(g_generation.fetch_add(1) + 1, std::memory_order_release);
}

void InprocBus::note_lost(const market::Channel& c, std::uint64_t seq) {
  std::shared_ptr<const List> list;
  {
    std::lock_guard lock(mutex_);  // rare: only after a cut the stream did not cover
    list = list_;
  }
  for (const auto& sub : *list)
    sub->note_lost(c, seq);
}

void InprocBus::note_lost_revision(const market::Channel& c, std::uint64_t seq) {
  std::shared_ptr<const List> list;
  {
    std::lock_guard lock(mutex_);  // rare: only after frames a stream no longer held
    list = list_;
  }
  for (const auto& sub : *list)
    sub->note_lost_revision(c, seq);
}

std::uint64_t InprocBus::dropped() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = dropped_by_gone_;
  for (const auto& sub : *list_)
    total += sub->dropped();
  return total;
}

}  // namespace spacetime::bus
