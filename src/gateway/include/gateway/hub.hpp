// The fan-out core of the gateway, free of Beast and sockets so that unit tests drive it
// directly: channels (symbol x wire stream), their sequence numbers and recent-event
// rings, conflation of value samples, snapshots and resume, per-client byte budgets and
// the encoding of each channel's update once per flush, shared by reference among its
// subscribers. Single-threaded: the gateway's I/O thread calls every method.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bus/bus.hpp"
#include "gateway/protocol.hpp"
#include "market/symbol.hpp"
#include "store/history.hpp"

namespace spacetime::gateway {

// One outbound WebSocket message as pieces shared with other clients' messages: written as
// one buffer sequence, never copied into a per-client string.
struct Frame {
  std::vector<std::shared_ptr<const std::string>> pieces;
  std::size_t bytes = 0;
  // Batches: when the oldest tick behind the events and values in it was handed to the
  // engine (market::steady_ns()), for the end-to-end latency once written; 0 otherwise.
  std::int64_t origin_ns = 0;

  static Frame of(std::string text);
  void add(std::shared_ptr<const std::string> piece) {
    bytes += piece->size();
    pieces.push_back(std::move(piece));
  }
};

// A connection as the hub sees it (the WebSocket session implements it).
class Client {
 public:
  virtual ~Client() = default;
  // Queues a message; its bytes count in queued_bytes() until written.
  virtual void send(Frame frame) = 0;
  virtual std::size_t queued_bytes() const = 0;
  // Steady-clock ns since data has been queued without a write completing; 0 when the
  // last write completed or nothing is queued.
  virtual std::int64_t stalled_since_ns() const = 0;
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // An `auth` request on an open connection (a refreshed token): the client answers it
  // itself once the token is verified. False when authentication is off.
  virtual bool refresh(const RequestId& /*id*/, std::string /*token*/) { return false; }
};

// A file replay the clients may steer (`serve --feed file`). Called on the gateway's
// thread; the implementation is thread-safe against the feed thread.
class ReplayControl {
 public:
  virtual ~ReplayControl() = default;
  virtual ReplayStatus status() const = 0;
  virtual void pause() = 0;
  virtual void resume() = 0;
  // False (and nothing changed) for a speed out of the replay's range.
  virtual bool set_speed(double speed) = 0;
};

struct HubConfig {
  int flush_ms = 100;
  std::size_t ring = 1024;  // recent events kept per event channel with subscribers
  std::size_t max_subscriptions = 2000;
  double requests_per_s = 20;
  double request_burst = 40;
  std::size_t high_water_bytes = 1 << 20;
  std::size_t hard_limit_bytes = 8 << 20;
  int grace_ms = 5000;
  int stall_ms = 2000;
  std::size_t abuse_errors = 50;  // errors within abuse_window_ms close the client (1008)
  int abuse_window_ms = 10000;
  std::size_t snapshot_max_events = 5000;
  ParseLimits parse;
  HelloLimits hello;  // announced in hello (the session enforces message size and pings)
};

struct HubStats {
  std::uint64_t clients = 0;
  std::uint64_t lagging_clients = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t requests = 0;
  std::uint64_t errors[kErrorCodeCount] = {};
  std::uint64_t closed_slow = 0;   // 1013
  std::uint64_t closed_abuse = 0;  // 1008
  std::uint64_t resumes = 0;
  std::uint64_t gaps_overflow = 0;        // gap notices for events the gateway lost
  std::uint64_t gaps_not_retained = 0;    // resume asked for more than rings + store hold
  std::uint64_t gaps_snapshot_limit = 0;  // resume further behind than snapshot_max_events
  std::uint64_t gaps_store_behind = 0;    // a first snapshot: the store lagged past the wait
  std::uint64_t gaps_revised = 0;         // revised bars the bus dropped: refetch them
  std::uint64_t snapshots = 0;
  std::uint64_t batches = 0;
  std::uint64_t events_delivered = 0;  // events put into client batches
  std::uint64_t bytes_queued_total = 0;
  std::uint64_t duplicates = 0;  // events at or below a channel's last seq, ignored
  std::uint64_t revisions = 0;   // revised closed bars passed on (CandleEvent::revised)
  std::uint64_t history_errors = 0;
};

// Clock readings, passed in so that tests control time.
struct Now {
  std::int64_t steady_ns = 0;
  std::int64_t wall_ms = 0;
};

class Hub {
 public:
  // The registry, the subscription and the history must outlive the hub. The
  // subscription should take values as latest slots (see subscription_filter()). history may be
  // null: snapshots then hold what the rings do.
  Hub(HubConfig config, const market::SymbolRegistry& symbols, bus::Subscription& bus,
      const store::History* history);
  ~Hub();

  static bus::Filter subscription_filter();

  // A new connection: sends hello. Returns its id.
  std::uint64_t connect(Client& client, Now now);
  void disconnect(std::uint64_t id);
  void on_message(std::uint64_t id, std::string_view text, Now now);
  // Whether the client may use admin operations (`replay`); true unless set (auth off).
  void set_admin(std::uint64_t id, bool admin);

  // Takes what the bus holds (values, then events) into the channels. Cheap; call it often
  // enough that the bus rings do not fill (a few ms at millions of events per second).
  void intake();
  // Sends each client one batch of its channels' updates, then pending snapshots while its
  // queue has room, and applies the byte budget.
  void flush(Now now);

  const HubStats& stats() const { return stats_; }
  // The replay that `replay` requests steer; none (the default): they get `not_replay`.
  // It must outlive the hub.
  void set_replay(ReplayControl* replay) { replay_ = replay; }
  // Last price and day open per symbol, from the daily bars in progress.
  std::vector<SymbolQuote> quotes() const;
  // The newest samples the hub saw for a symbol's intensity and band (what the store may
  // not have yet), oldest first.
  const std::deque<market::SampleEvent>& recent_samples(market::SymbolId symbol) const {
    return samples_[symbol];
  }

 private:
  struct ClientState;
  struct ChannelState;
  struct PendingRequest;

  std::uint32_t index_of(const ChannelRef& c) const {
    return static_cast<std::uint32_t>(c.symbol * kWireStreamCount +
                                      static_cast<std::size_t>(c.stream));
  }
  ChannelRef ref_of(std::uint32_t index) const {
    return {static_cast<market::SymbolId>(index / kWireStreamCount),
            static_cast<WireStream>(index % kWireStreamCount)};
  }

  void handle(ClientState& c, SubscribeRequest r, Now now);
  void handle(ClientState& c, UnsubscribeRequest r, Now now);
  void handle(ClientState& c, ResumeRequest r, Now now);
  void handle(ClientState& c, PingRequest r, Now now);
  void handle(ClientState& c, ReplayRequest r, Now now);
  void handle(ClientState& c, AuthRequest r, Now now);
  void handle(ClientState& c, BadRequest r, Now now);
  void reply_error(ClientState& c, const RequestId& id, ErrorCode code, std::string_view message,
                   Now now);
  void send(ClientState& c, std::string text);

  void on_event(const market::Event& e);
  void on_value(const market::Event& e, std::int64_t origin_ns);
  void add_event(std::uint32_t ch, const market::Event& e);
  // A closed bar sent again with new values (CandleEvent::revised): it replaces the bar of
  // its seq in the ring and goes to the subscribers; the channel's numbering is unchanged.
  void revise_event(std::uint32_t ch, const market::CandleEvent& bar);
  void note_gap(std::uint32_t ch, std::uint64_t from, std::uint64_t to);
  // A revised bar of seq `from` was dropped between bus and hub: the ring's copies may be
  // stale (cleared), and the subscribers are told to refetch from..last_seq (later, once
  // the store has had time to write the revision).
  void note_lost_revision(std::uint32_t ch, std::uint64_t from);
  void send_revision_notices(Now now);

  void activate(ClientState& c, std::uint32_t ch);
  void deactivate(ClientState& c, std::uint32_t ch);
  // One channel of the front request; false when none is ready.
  bool serve_pending(ClientState& c, Now now);
  void want_ticks(std::uint32_t ch, Now now);
  void learn_last_seq(std::uint32_t ch);
  void unwant_ticks(std::uint32_t ch);
  // nullopt: not yet (the store has not caught up with the ring; see kStoreCatchUpNs).
  std::optional<std::string> snapshot(PendingRequest& r, std::uint32_t ch,
                                      std::uint64_t resume_after, ClientState& c, Now now);
  // hole (set when not null): the seqs between what the store holds and the ring's first,
  // when the store lags behind the ring (a first snapshot: after_seq 0). left_out (event
  // streams; a resume passes it): set when the limit cut the answer, to the seqs it had
  // no room for (a full store page with more after it, ring events dropped, or seqs the
  // store was not asked for); given, the store is read oldest first.
  std::vector<market::Event> history_events(
      std::uint32_t ch, std::int64_t from_ns, std::uint64_t after_seq, std::size_t limit,
      std::pair<std::uint64_t, std::uint64_t>* hole = nullptr,
      std::pair<std::uint64_t, std::uint64_t>* left_out = nullptr);
  void apply_budget(ClientState& c, Now now);

  HubConfig config_;
  const market::SymbolRegistry& symbols_;
  bus::Subscription& bus_;
  const store::History* history_;
  std::vector<ChannelState> channels_;
  std::vector<std::deque<market::SampleEvent>> samples_;  // per symbol
  std::vector<std::int64_t> symbol_time_;                 // feed time of the latest event
  std::unordered_map<std::uint64_t, std::unique_ptr<ClientState>> clients_;
  std::uint64_t next_id_ = 1;
  std::vector<std::uint32_t> touched_;  // channels with something to send this flush
  std::vector<std::uint32_t> watched_;  // event channels with subscribers (for lost_seq)
  std::vector<market::Event> scratch_;
  std::vector<std::uint64_t> lost_;    // lost_seq of watched_, read before each drain
  std::vector<std::int64_t> origins_;  // drain_values' origins, beside scratch_
  std::int64_t drain_origin_ns_ = 0;   // the last drain's oldest origin
  std::vector<Client*> closing_;       // closes decided during a flush, done after it
  std::vector<Client*> abusive_;       // 1008 closes decided in on_message, done at its end
  struct RevisionNotice {
    std::uint32_t ch = 0;
    std::uint64_t from = 0, to = 0;
    std::int64_t due_ns = -1;  // -1: set by the next flush
  };
  std::vector<RevisionNotice> revision_notices_;
  std::vector<std::shared_ptr<const std::string>> gaps_out_;  // a client's gaps of one flush
  void handle_message(ClientState& c, std::string_view text, Now now);
  HubStats stats_;
  ReplayControl* replay_ = nullptr;
};

}  // namespace spacetime::gateway
