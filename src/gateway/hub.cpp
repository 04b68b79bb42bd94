#include "gateway/hub.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace spacetime::gateway {
namespace {

constexpr std::size_t kIdleRing = 16;           // per event channel nobody watched yet
constexpr std::size_t kRecentSamples = 64;      // per symbol: bridges the recorder's batch delay
constexpr std::size_t kSnapshotsPerFlush = 64;  // per client: keeps one flush short
constexpr std::int64_t kTickBaselineNs = 2'000'000'000;  // longest wait for a first tick
// A first snapshot whose store lags behind the ring (the recorder writes in batches, every
// 200 ms by default) waits this long for the store to catch up, then is sent with an
// explicit gap (reason store_behind) for what neither holds.
constexpr std::int64_t kStoreCatchUpNs = 2'000'000'000;
// While a snapshot waits for the store, the store is asked again at most this often (each
// try is one or two queries on the hub's thread, and the store is busy catching up).
constexpr std::int64_t kStoreRecheckNs = 250'000'000;
// A revised bar lost between bus and hub is announced this long after the loss: the gap
// makes clients refetch from the store, which should hold the revision by then.
constexpr std::int64_t kRevisionNoticeDelayNs = 1'000'000'000;

market::Stream market_stream(WireStream s) {
  if (is_candles(s)) return market::candle_stream(timeframe_of(s));
  switch (s) {
    case WireStream::kTicks:
      return market::Stream::kTick;
    case WireStream::kSpikes:
      return market::Stream::kSpike;
    case WireStream::kReversals:
      return market::Stream::kReversal;
    case WireStream::kBuffer:
      return market::Stream::kBuffer;
    default:
      return market::Stream::kIntensity;
  }
}

store::Series series_of(WireStream s) {
  if (is_candles(s)) return store::Series::kCandles;
  switch (s) {
    case WireStream::kTicks:
      return store::Series::kTicks;
    case WireStream::kSpikes:
      return store::Series::kSpikes;
    case WireStream::kReversals:
      return store::Series::kReversals;
    default:
      return store::Series::kSamples;
  }
}

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

}  // namespace

Frame Frame::of(std::string text) {
  Frame f;
  f.add(shared(std::move(text)));
  return f;
}

struct Hub::PendingRequest {
  enum class Kind { kSubscribe, kResume } kind = Kind::kSubscribe;
  RequestId id;
  std::vector<std::uint32_t> channels{};
  std::vector<std::uint64_t> after{};  // resume: last seq the client has, per channel
  std::int64_t history_ns = 0;
  std::size_t next = 0;
  // When a channel of this request first waited for the store (0: none yet). One wait per
  // request, not per channel: a 50-channel subscribe waits 2 s at most, not 100 s.
  std::int64_t store_wait_since_ns = 0;
  std::int64_t store_next_check_ns = 0;  // the waiting snapshot is not rebuilt before this
};

struct Hub::ClientState {
  std::uint64_t id = 0;
  Client* client = nullptr;
  std::vector<std::uint32_t> active;  // channels getting batches
  std::deque<PendingRequest> pending;
  std::size_t pending_channels = 0;
  bool lagging = false;
  bool refresh_values = false;
  bool closing = false;
  std::int64_t over_since_ns = 0;
  double tokens = 0;
  std::int64_t tokens_at_ns = 0;
  std::deque<std::int64_t> error_times;
  bool admin = true;  // may use admin operations (auth off, or the token has role admin)

  bool is_active(std::uint32_t ch) const {
    return std::find(active.begin(), active.end(), ch) != active.end();
  }
};

struct Hub::ChannelState {
  std::vector<ClientState*> subscribers;
  std::deque<market::Event> ring;  // recent events, ascending seq (event channels)
  bool ring_on = false;            // subscribed once: keep the ring for resumes
  bool seen = false;
  bool wanted = false;  // ticks: the bus delivers them for this symbol
  std::int64_t wanted_since_ns = 0;
  std::uint64_t last_seq = 0;
  std::vector<market::Event> pending;  // events since the last flush
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  std::optional<market::Event> latest;  // value streams and the candle in progress
  bool latest_dirty = false;
  bool touched = false;
  std::int64_t origin_ns = 0;  // the oldest origin behind pending or latest; 0: unknown
  std::shared_ptr<const std::string> events_frag;
  std::shared_ptr<const std::string> value_frag;
  std::vector<std::shared_ptr<const std::string>> gap_frames;
};

Hub::Hub(HubConfig config, const market::SymbolRegistry& symbols, bus::Subscription& bus,
         const store::History* history)
    : config_(std::move(config)),
      symbols_(symbols),
      bus_(bus),
      history_(history),
      channels_(symbols.size() * kWireStreamCount),
      samples_(symbols.size()),
      symbol_time_(symbols.size(), 0) {}

Hub::~Hub() = default;

bus::Filter Hub::subscription_filter() {
  // Every event, ticks included: a channel's numbers are known before anyone subscribes,
  // so a first snapshot can say where its batches continue (on-demand ticks could not).
  // Ticks, the heaviest stream, flow only for symbols someone watches (Subscription::want).
  bus::Filter f;
  f.values = bus::Values::kLatest;
  f.on_demand.set(static_cast<std::size_t>(market::Stream::kTick));
  return f;
}

std::uint64_t Hub::connect(Client& client, Now now) {
  auto state = std::make_unique<ClientState>();
  state->id = next_id_++;
  state->client = &client;
  state->tokens = config_.request_burst;
  state->tokens_at_ns = now.steady_ns;
  const std::uint64_t id = state->id;
  send(*state, encode_hello(symbols_, config_.flush_ms, config_.hello, now.wall_ms));
  clients_.emplace(id, std::move(state));
  stats_.clients = clients_.size();
  return id;
}

void Hub::disconnect(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  ClientState& c = *it->second;
  const std::vector<std::uint32_t> active = c.active;
  std::vector<std::uint32_t> asked;
  for (const auto& p : c.pending) {
    asked.insert(asked.end(), p.channels.begin() + static_cast<std::ptrdiff_t>(p.next),
                 p.channels.end());
  }
  for (const std::uint32_t ch : active) {
    auto& subs = channels_[ch].subscribers;
    subs.erase(std::remove(subs.begin(), subs.end(), &c), subs.end());
  }
  clients_.erase(it);
  for (const std::uint32_t ch : active)
    unwant_ticks(ch);
  for (const std::uint32_t ch : asked)
    unwant_ticks(ch);
  stats_.clients = clients_.size();
}

void Hub::send(ClientState& c, std::string text) {
  stats_.bytes_queued_total += text.size();
  c.client->send(Frame::of(std::move(text)));
}

void Hub::reply_error(ClientState& c, const RequestId& id, ErrorCode code, std::string_view message,
                      Now now) {
  ++stats_.errors[static_cast<std::size_t>(code)];
  send(c, encode_error(id, code, message));
  c.error_times.push_back(now.steady_ns);
  const std::int64_t window = std::int64_t{config_.abuse_window_ms} * 1'000'000;
  while (!c.error_times.empty() && c.error_times.front() < now.steady_ns - window)
    c.error_times.pop_front();
  if (c.error_times.size() >= config_.abuse_errors && !c.closing) {
    c.closing = true;
    ++stats_.closed_abuse;
    // Not here: closing leaves the hub, which frees `c` under the caller's feet.
    abusive_.push_back(c.client);
  }
}

void Hub::on_message(std::uint64_t id, std::string_view text, Now now) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (it->second->closing) return;
  handle_message(*it->second, text, now);
  // The session outlives its hub entry: closing it after the handler is safe.
  std::vector<Client*> abusive;
  abusive.swap(abusive_);
  for (Client* client : abusive)
    client->close(1008, "too many bad requests");
}

void Hub::handle_message(ClientState& c, std::string_view text, Now now) {
  ++stats_.requests;
  ClientRequest request = parse_client_message(text, symbols_, config_.parse);
  // Token bucket: a request costs one token; tokens come back at requests_per_s.
  const double elapsed = static_cast<double>(now.steady_ns - c.tokens_at_ns) / 1e9;
  c.tokens = std::min(config_.request_burst, c.tokens + elapsed * config_.requests_per_s);
  c.tokens_at_ns = now.steady_ns;
  if (c.tokens < 1.0) {
    const RequestId rid = std::visit([](const auto& r) { return r.id; }, request);
    reply_error(c, rid, ErrorCode::kRateLimited,
                fmt::format("more than {} requests per second (burst {})", config_.requests_per_s,
                            config_.request_burst),
                now);
    return;
  }
  c.tokens -= 1.0;
  std::visit([&](auto& r) { handle(c, std::move(r), now); }, request);
}

void Hub::handle(ClientState& c, SubscribeRequest r, Now now) {
  std::size_t added = 0;
  for (const auto& ref : r.channels) {
    if (!c.is_active(index_of(ref))) ++added;
  }
  if (c.active.size() + c.pending_channels + added > config_.max_subscriptions) {
    reply_error(c, r.id, ErrorCode::kTooManySubscriptions,
                fmt::format("at most {} channels per client", config_.max_subscriptions), now);
    return;
  }
  PendingRequest p{
      .kind = PendingRequest::Kind::kSubscribe, .id = r.id, .history_ns = r.history_ns};
  for (const auto& ref : r.channels) {
    p.channels.push_back(index_of(ref));
    if (ref.stream == WireStream::kTicks) want_ticks(index_of(ref), now);
  }
  c.pending_channels += p.channels.size();
  c.pending.push_back(std::move(p));
}

void Hub::handle(ClientState& c, UnsubscribeRequest r, Now) {
  std::size_t removed = 0;
  for (const auto& ref : r.channels) {
    const std::uint32_t ch = index_of(ref);
    bool hit = false;
    if (c.is_active(ch)) {
      deactivate(c, ch);
      hit = true;
    }
    // Not served yet: drop it from the pending requests too.
    for (auto& p : c.pending) {
      for (std::size_t i = p.next; i < p.channels.size(); ++i) {
        if (p.channels[i] == ch) {
          p.channels.erase(p.channels.begin() + static_cast<std::ptrdiff_t>(i));
          if (!p.after.empty()) p.after.erase(p.after.begin() + static_cast<std::ptrdiff_t>(i));
          --c.pending_channels;
          hit = true;
          break;
        }
      }
    }
    removed += hit;
    unwant_ticks(ch);  // no-op unless nobody else watches or asks for these ticks
  }
  send(c, encode_ok(r.id, "unsubscribe", removed));
}

void Hub::handle(ClientState& c, ResumeRequest r, Now now) {
  std::size_t added = 0;
  for (const auto& [ref, seq] : r.channels) {
    if (!c.is_active(index_of(ref))) ++added;
  }
  if (c.active.size() + c.pending_channels + added > config_.max_subscriptions) {
    reply_error(c, r.id, ErrorCode::kTooManySubscriptions,
                fmt::format("at most {} channels per client", config_.max_subscriptions), now);
    return;
  }
  ++stats_.resumes;
  PendingRequest p{.kind = PendingRequest::Kind::kResume, .id = r.id};
  for (const auto& [ref, seq] : r.channels) {
    p.channels.push_back(index_of(ref));
    p.after.push_back(seq);
    if (ref.stream == WireStream::kTicks) want_ticks(index_of(ref), now);
  }
  c.pending_channels += p.channels.size();
  c.pending.push_back(std::move(p));
}

void Hub::handle(ClientState& c, PingRequest r, Now now) {
  send(c, encode_pong(r.id, now.wall_ms));
}

void Hub::set_admin(std::uint64_t id, bool admin) {
  if (auto it = clients_.find(id); it != clients_.end()) it->second->admin = admin;
}

void Hub::handle(ClientState& c, AuthRequest r, Now now) {
  if (!c.client->refresh(r.id, std::move(r.token))) {
    reply_error(c, r.id, ErrorCode::kBadRequest, "authentication is off on this server", now);
  }
}

void Hub::handle(ClientState& c, ReplayRequest r, Now now) {
  // `status` only reads the replay clock: every client that got this far (auth off, or a
  // token with role viewer or admin) may ask it. Pause, resume and speed change what every
  // client sees: admin only.
  if (r.action != ReplayAction::kStatus && !c.admin) {
    reply_error(c, r.id, ErrorCode::kForbidden, "replay control needs the admin role", now);
    return;
  }
  if (replay_ == nullptr) {
    reply_error(c, r.id, ErrorCode::kNotReplay,
                "this server is not replaying a file (serve --feed file --file F)", now);
    return;
  }
  switch (r.action) {
    case ReplayAction::kStatus:
      break;
    case ReplayAction::kPause:
      replay_->pause();
      break;
    case ReplayAction::kResume:
      replay_->resume();
      break;
    case ReplayAction::kSpeed:
      if (!replay_->set_speed(r.speed)) {
        reply_error(c, r.id, ErrorCode::kBadRequest,
                    fmt::format("replay: speed {} is out of the replay's range", r.speed), now);
        return;
      }
      break;
  }
  send(c, encode_replay_ok(r.id, replay_->status()));
}

void Hub::handle(ClientState& c, BadRequest r, Now now) {
  reply_error(c, r.id, r.code, r.message, now);
}

// Ticks come on demand: ask the bus for them now; the channel's numbering is known once its
// first tick arrives, and its snapshot waits for that (at most kTickBaselineNs).
void Hub::want_ticks(std::uint32_t ch, Now now) {
  ChannelState& s = channels_[ch];
  if (s.wanted) return;
  s.wanted = true;
  s.wanted_since_ns = now.steady_ns;
  s.seen = false;  // what came before the bus stopped delivering says nothing now
  s.last_seq = 0;
  s.ring.clear();
  if (!s.ring_on) {
    s.ring_on = true;  // keep the baseline tick and what follows for the snapshot
    watched_.push_back(ch);
  }
  const ChannelRef ref = ref_of(ch);
  bus_.want(ref.symbol, market::Stream::kTick, true);
}

void Hub::activate(ClientState& c, std::uint32_t ch) {
  if (c.is_active(ch)) return;
  c.active.push_back(ch);
  ChannelState& s = channels_[ch];
  s.subscribers.push_back(&c);
  const ChannelRef ref = ref_of(ch);
  if (has_events(ref.stream) && !s.ring_on) {
    s.ring_on = true;
    watched_.push_back(ch);
  }
}

void Hub::deactivate(ClientState& c, std::uint32_t ch) {
  c.active.erase(std::remove(c.active.begin(), c.active.end(), ch), c.active.end());
  auto& subs = channels_[ch].subscribers;
  subs.erase(std::remove(subs.begin(), subs.end(), &c), subs.end());
  if (subs.empty()) unwant_ticks(ch);
}

void Hub::unwant_ticks(std::uint32_t ch) {
  ChannelState& s = channels_[ch];
  const ChannelRef ref = ref_of(ch);
  if (ref.stream != WireStream::kTicks || !s.wanted || !s.subscribers.empty()) return;
  for (const auto& [id, cp] : clients_) {
    for (const auto& p : cp->pending) {
      if (std::find(p.channels.begin() + static_cast<std::ptrdiff_t>(p.next), p.channels.end(),
                    ch) != p.channels.end()) {
        return;  // still asked for
      }
    }
  }
  s.wanted = false;
  s.seen = false;
  s.ring.clear();
  s.ring_on = false;
  watched_.erase(std::remove(watched_.begin(), watched_.end(), ch), watched_.end());
  bus_.want(ref.symbol, market::Stream::kTick, false);
}

void Hub::intake() {
  // A loss at the end of a channel shows no jump until its next event: ask the bus. Read
  // before draining: every event published before a loss is then in the rings, so the gap
  // covers exactly what was lost and nothing the rings still hold.
  lost_.resize(watched_.size());
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    const ChannelRef ref = ref_of(watched_[i]);
    lost_[i] = bus_.lost_seq({ref.symbol, market_stream(ref.stream)});
  }
  scratch_.clear();
  origins_.clear();
  bus_.drain_values(scratch_, &origins_);
  for (std::size_t i = 0; i < scratch_.size(); ++i)
    on_value(scratch_[i], origins_[i]);
  scratch_.clear();
  bus_.drain(scratch_);
  // Per drain, not per event: every event of this drain gets the drain's oldest origin.
  drain_origin_ns_ = bus_.drain_origin_ns();
  for (const auto& e : scratch_)
    on_event(e);
  for (std::size_t i = 0; i < lost_.size() && i < watched_.size(); ++i) {
    const std::uint32_t ch = watched_[i];
    ChannelState& s = channels_[ch];
    const std::uint64_t lost = lost_[i];
    if (s.seen && lost > s.last_seq) {
      note_gap(ch, s.last_seq + 1, lost);
      s.last_seq = lost;
      s.seen = true;
    }
    // After the drain: every revision dropped before it is seen now or at the next intake.
    const ChannelRef ref = ref_of(ch);
    if (is_candles(ref.stream)) {
      if (const auto rev = bus_.take_lost_revision({ref.symbol, market_stream(ref.stream)}))
        note_lost_revision(ch, rev);
    }
  }
}

void Hub::note_lost_revision(std::uint32_t ch, std::uint64_t from) {
  ChannelState& s = channels_[ch];
  // The ring may hold the bar as it was before the revision: resumes and snapshots read
  // the store (which the recorder, never dropping, gives the revision) instead.
  s.ring.clear();
  if (s.subscribers.empty() || !s.seen) return;
  const std::uint64_t to = std::max(from, s.last_seq);
  for (auto& n : revision_notices_) {
    if (n.ch == ch && n.due_ns == -1) {  // not yet scheduled: widen it
      n.from = std::min(n.from, from);
      n.to = std::max(n.to, to);
      return;
    }
  }
  revision_notices_.push_back({.ch = ch, .from = from, .to = to});
}

void Hub::send_revision_notices(Now now) {
  std::erase_if(revision_notices_, [&](RevisionNotice& n) {
    if (n.due_ns == -1) n.due_ns = now.steady_ns + kRevisionNoticeDelayNs;
    if (n.due_ns > now.steady_ns) return false;
    ChannelState& s = channels_[n.ch];
    if (!s.subscribers.empty()) {
      const auto frame = shared(encode_gap(symbols_, ref_of(n.ch), n.from, n.to, "revised"));
      for (ClientState* c : s.subscribers) {
        ++stats_.gaps_revised;
        Frame f;
        f.add(frame);
        stats_.bytes_queued_total += f.bytes;
        c->client->send(std::move(f));
      }
    }
    return true;
  });
}

void Hub::on_value(const market::Event& e, std::int64_t origin_ns) {
  const market::SymbolId sym = market::symbol_of(e);
  if (sym >= symbols_.size()) return;
  auto set = [&](WireStream stream) {
    const std::uint32_t ch = index_of({sym, stream});
    ChannelState& s = channels_[ch];
    s.latest = e;
    s.latest_dirty = true;
    if (s.subscribers.empty()) return;  // origin_ns is reset only for touched channels
    market::keep_oldest(s.origin_ns, origin_ns);
    if (!s.touched) {
      s.touched = true;
      touched_.push_back(ch);
    }
  };
  if (const auto* c = std::get_if<market::CandleEvent>(&e)) {
    set(candles_stream(c->tf));
    symbol_time_[sym] = std::max(symbol_time_[sym], c->candle.last_ns);
  } else if (const auto* i = std::get_if<market::IntensityEvent>(&e)) {
    for (const auto s : {Smoothing::kSma, Smoothing::kEma, Smoothing::kZlma})
      set(intensity_stream(s));
    symbol_time_[sym] = std::max(symbol_time_[sym], i->t);
  } else if (std::holds_alternative<market::BufferEvent>(e)) {
    set(WireStream::kBuffer);
  }
}

void Hub::on_event(const market::Event& e) {
  const market::SymbolId sym = market::symbol_of(e);
  if (sym >= symbols_.size()) return;
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, market::CandleEvent>) {
          add_event(index_of({sym, candles_stream(ev.tf)}), e);
        } else if constexpr (std::is_same_v<T, market::TickEvent>) {
          symbol_time_[sym] = std::max(symbol_time_[sym], ev.t);
          add_event(index_of({sym, WireStream::kTicks}), e);
        } else if constexpr (std::is_same_v<T, market::SpikeStartEvent> ||
                             std::is_same_v<T, market::SpikeEndEvent>) {
          add_event(index_of({sym, WireStream::kSpikes}), e);
        } else if constexpr (std::is_same_v<T, market::ReversalEvent>) {
          add_event(index_of({sym, WireStream::kReversals}), e);
        } else if constexpr (std::is_same_v<T, market::SampleEvent>) {
          auto& q = samples_[sym];
          q.push_back(ev);
          if (q.size() > kRecentSamples) q.pop_front();
        }
        // Intensity and buffer samples arrive as values (drain_values), never here.
      },
      e);
}

void Hub::add_event(std::uint32_t ch, const market::Event& e) {
  ChannelState& s = channels_[ch];
  const std::uint64_t seq = market::channel_seq(e);
  if (market::is_revision(e)) {
    revise_event(ch, std::get<market::CandleEvent>(e));
    return;
  }
  if (s.seen && seq <= s.last_seq) {
    ++stats_.duplicates;
    return;
  }
  if (s.seen && seq > s.last_seq + 1) note_gap(ch, s.last_seq + 1, seq - 1);
  s.seen = true;
  s.last_seq = seq;
  // Every event channel keeps its newest few events even before anyone subscribes: the
  // recorder writes in batches, so when a first snapshot reads the store it may not hold
  // the last closes yet, and the ring bridges that delay (as kRecentSamples does for
  // samples). A subscribed channel keeps config_.ring for resumes.
  s.ring.push_back(e);
  if (s.ring.size() > (s.ring_on ? config_.ring : std::min(config_.ring, kIdleRing)))
    s.ring.pop_front();
  if (s.subscribers.empty()) return;
  s.pending.push_back(e);
  market::keep_oldest(s.origin_ns, drain_origin_ns_);
  if (!s.touched) {
    s.touched = true;
    touched_.push_back(ch);
  }
}

void Hub::revise_event(std::uint32_t ch, const market::CandleEvent& bar) {
  ChannelState& s = channels_[ch];
  ++stats_.revisions;
  for (auto& kept : s.ring) {
    if (market::channel_seq(kept) == bar.seq) kept = bar;
  }
  if (s.subscribers.empty()) return;
  s.pending.push_back(bar);
  if (!s.touched) {
    s.touched = true;
    touched_.push_back(ch);
  }
}

void Hub::note_gap(std::uint32_t ch, std::uint64_t from, std::uint64_t to) {
  ChannelState& s = channels_[ch];
  if (s.subscribers.empty()) return;  // the bus counted the loss; nobody to tell
  ++stats_.gaps_overflow;
  s.gaps.emplace_back(from, to);
  if (!s.touched) {
    s.touched = true;
    touched_.push_back(ch);
  }
}

void Hub::flush(Now now) {
  intake();
  if (!revision_notices_.empty()) send_revision_notices(now);
  // 1. Each touched channel's update, encoded once.
  for (const std::uint32_t ch : touched_) {
    ChannelState& s = channels_[ch];
    const ChannelRef ref = ref_of(ch);
    if (!s.pending.empty()) {
      std::string out;
      for (const auto& e : s.pending) {
        const std::size_t mark = out.size();
        if (!out.empty()) out += ',';
        if (!append_event(out, symbols_, ref.stream, e)) out.resize(mark);
      }
      if (!out.empty()) s.events_frag = shared(std::move(out));
    }
    if (s.latest_dirty && s.latest) {
      // A bar in progress that a close in this flush already superseded is not news.
      const auto* bar = std::get_if<market::CandleEvent>(&*s.latest);
      if (!bar || bar->seq > s.last_seq) {
        std::string out;
        if (append_event(out, symbols_, ref.stream, *s.latest))
          s.value_frag = shared(std::move(out));
      }
    }
    for (const auto& [from, to] : s.gaps)
      s.gap_frames.push_back(shared(encode_gap(symbols_, ref, from, to, "overflow")));
  }

  // 2. One batch per client, from the shared fragments.
  static const auto kComma = shared(",");
  static const auto kSuffix = shared("]}");
  const auto prefix =
      shared(fmt::format(R"({{"type":"batch","t_send_ms":{},"events":[)", now.wall_ms));
  for (auto& [id, cp] : clients_) {
    ClientState& c = *cp;
    if (c.closing) continue;
    // The budget looks at the backlog: what earlier flushes left unsent, before this batch.
    apply_budget(c, now);
    if (c.closing) continue;
    Frame frame;
    std::size_t pieces = 0;
    auto add = [&](const std::shared_ptr<const std::string>& piece) {
      if (pieces == 0) {
        frame.add(prefix);
      } else {
        frame.add(kComma);
      }
      frame.add(piece);
      ++pieces;
    };
    const bool refresh = c.refresh_values && !c.lagging;
    gaps_out_.clear();
    for (const std::uint32_t ch : c.active) {
      ChannelState& s = channels_[ch];
      gaps_out_.insert(gaps_out_.end(), s.gap_frames.begin(), s.gap_frames.end());
      if (s.events_frag) {
        add(s.events_frag);
        market::keep_oldest(frame.origin_ns, s.origin_ns);
        stats_.events_delivered += s.pending.size();
      }
      if (c.lagging) continue;
      if (s.value_frag) {
        add(s.value_frag);
        market::keep_oldest(frame.origin_ns, s.origin_ns);
      } else if (refresh && s.latest) {
        std::string out;
        const auto* bar = std::get_if<market::CandleEvent>(&*s.latest);
        if ((!bar || bar->seq > s.last_seq) &&
            append_event(out, symbols_, ref_of(ch).stream, *s.latest)) {
          add(shared(std::move(out)));
        }
      }
    }
    if (refresh) c.refresh_values = false;
    if (pieces != 0) {
      frame.add(kSuffix);
      ++stats_.batches;
      stats_.bytes_queued_total += frame.bytes;
      c.client->send(std::move(frame));
    }
    // After the batch: a gap at the end of a channel (a loss after the events this batch
    // holds) must not arrive before them, or the client would take them for duplicates.
    for (const auto& g : gaps_out_) {
      Frame gf;
      gf.add(g);
      stats_.bytes_queued_total += gf.bytes;
      c.client->send(std::move(gf));
    }
  }
  for (const std::uint32_t ch : touched_) {
    ChannelState& s = channels_[ch];
    s.pending.clear();
    s.gaps.clear();
    s.gap_frames.clear();
    s.events_frag.reset();
    s.value_frag.reset();
    s.latest_dirty = false;
    s.touched = false;
    s.origin_ns = 0;
  }
  touched_.clear();

  // 3. Snapshots of pending requests while the client has room, then the byte budget.
  std::uint64_t lagging = 0;
  std::uint64_t queued = 0;
  for (auto& [id, cp] : clients_) {
    ClientState& c = *cp;
    if (c.closing) continue;
    for (std::size_t n = 0; n < kSnapshotsPerFlush; ++n) {
      if (c.client->queued_bytes() >= config_.high_water_bytes) break;
      if (!serve_pending(c, now)) break;
    }
    lagging += c.lagging;
    queued += c.client->queued_bytes();
  }
  stats_.lagging_clients = lagging;
  stats_.queued_bytes = queued;
  // The sessions outlive their hub entries, so closing after the loops is safe even when a
  // close disconnects at once.
  std::vector<Client*> closing;
  closing.swap(closing_);
  for (Client* client : closing)
    client->close(1013, "slow consumer");
}

bool Hub::serve_pending(ClientState& c, Now now) {
  while (!c.pending.empty() && c.pending.front().next >= c.pending.front().channels.size()) {
    const PendingRequest& done = c.pending.front();
    send(c, encode_ok(done.id, done.kind == PendingRequest::Kind::kResume ? "resume" : "subscribe",
                      done.channels.size()));
    c.pending.pop_front();
  }
  if (c.pending.empty()) return false;
  PendingRequest& p = c.pending.front();
  const std::uint32_t ch = p.channels[p.next];
  {
    const ChannelState& s = channels_[ch];
    if (s.wanted && !s.seen && now.steady_ns - s.wanted_since_ns < kTickBaselineNs) {
      return false;  // ticks asked for but not flowing yet: the snapshot waits for them
    }
  }
  if (now.steady_ns < p.store_next_check_ns) return false;  // waits for the store
  const std::size_t i = p.next;
  const std::uint64_t after = p.kind == PendingRequest::Kind::kResume ? p.after[i] : 0;
  std::optional<std::string> text = snapshot(p, ch, after, c, now);
  if (!text) return false;  // the store catches up with the ring: the snapshot waits
  ++p.next;
  p.store_next_check_ns = 0;
  --c.pending_channels;
  activate(c, ch);
  ++stats_.snapshots;
  send(c, std::move(*text));
  if (p.next >= p.channels.size()) {
    send(c, encode_ok(p.id, p.kind == PendingRequest::Kind::kResume ? "resume" : "subscribe",
                      p.channels.size()));
    c.pending.pop_front();
  }
  return true;
}

std::vector<market::Event> Hub::history_events(std::uint32_t ch, std::int64_t from_ns,
                                               std::uint64_t after_seq, std::size_t limit,
                                               std::pair<std::uint64_t, std::uint64_t>* hole,
                                               std::pair<std::uint64_t, std::uint64_t>* left_out) {
  const ChannelRef ref = ref_of(ch);
  ChannelState& s = channels_[ch];
  std::vector<market::Event> out;
  if (limit == 0) return out;
  if (!has_events(ref.stream)) {
    // Value streams: the downsampled series, from the store, then the newest the hub saw.
    if (history_) {
      try {
        auto page = history_->query({.symbol = ref.symbol,
                                     .series = store::Series::kSamples,
                                     .from_ns = from_ns,
                                     .after_seq = after_seq,
                                     .limit = limit,
                                     .newest = true});
        out = std::move(page.rows);
      } catch (const store::StoreError&) {
        ++stats_.history_errors;
      }
    }
    const std::uint64_t stored = out.empty() ? after_seq : market::channel_seq(out.back());
    for (const auto& sample : samples_[ref.symbol]) {
      if (sample.seq > stored && sample.t >= from_ns) out.emplace_back(sample);
    }
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    return out;
  }
  // Event streams: the ring holds the newest; the store what came before. Keep the answer
  // contiguous: a store that lags behind the ring is not glued to it across a hole.
  std::vector<market::Event> ring;
  for (const auto& e : s.ring) {
    if (market::channel_seq(e) > after_seq && market::event_time(e) >= from_ns) ring.push_back(e);
  }
  const std::uint64_t ring_first =
      ring.empty() ? s.last_seq + 1 : market::channel_seq(ring.front());
  const bool ring_covers =
      !ring.empty() && (ring_first == after_seq + 1 ||
                        (after_seq == 0 && market::event_time(s.ring.front()) < from_ns));
  if (history_ && !ring_covers && ring.size() < limit) {
    try {
      // A first snapshot wants the newest in its window; a resume (which asks what was
      // left out) the oldest after its seq, seq 0 included.
      store::HistoryQuery q{.symbol = ref.symbol,
                            .series = series_of(ref.stream),
                            .from_ns = from_ns,
                            .after_seq = after_seq,
                            .limit = limit - ring.size(),
                            .newest = after_seq == 0 && left_out == nullptr};
      if (is_candles(ref.stream)) q.tf = timeframe_of(ref.stream);
      auto page = history_->query(q);
      // Oldest first, a full page that stops short of the ring, with more after it: the
      // limit, not the store, ends it, so what lies between it and the ring is left out.
      // (A page that reaches into the ring's seqs ended where the store's rows did.)
      if (left_out && !q.newest && page.more && !page.rows.empty() &&
          market::channel_seq(page.rows.back()) + 1 < ring_first) {
        *left_out = {market::channel_seq(page.rows.back()) + 1, ring_first - 1};
      }
      for (auto& e : page.rows) {
        if (market::channel_seq(e) < ring_first) out.push_back(std::move(e));
      }
      if (!ring.empty() && after_seq == 0 && hole != nullptr) {
        // Does the store reach up to the ring? Its newest in the window, else its newest
        // at all (nothing in the window: what lies between may be older than the window,
        // unless the store is behind).
        std::uint64_t stored = out.empty() ? 0 : market::channel_seq(out.back());
        if (out.empty()) {
          store::HistoryQuery newest{
              .symbol = ref.symbol, .series = q.series, .limit = 1, .newest = true};
          newest.tf = q.tf;
          const auto last = history_->query(newest);
          if (!last.rows.empty()) stored = market::channel_seq(last.rows.back());
        }
        if (stored + 1 < ring_first) *hole = {stored + 1, ring_first - 1};
      }
    } catch (const store::StoreError&) {
      ++stats_.history_errors;
    }
  } else if (history_ && left_out && !ring_covers && after_seq + 1 < ring_first) {
    *left_out = {after_seq + 1, ring_first - 1};  // the ring filled the answer: no room
  }
  out.insert(out.end(), ring.begin(), ring.end());
  if (out.size() > limit) {
    const auto keep = out.end() - static_cast<std::ptrdiff_t>(limit);
    // The ring alone held more than the limit (the store was not asked): what it held
    // before what is kept had no room, and so had what the store was not asked for.
    if (left_out) {
      *left_out = {history_ ? after_seq + 1 : market::channel_seq(out.front()),
                   market::channel_seq(*keep) - 1};
    }
    out.erase(out.begin(), keep);
  }
  return out;
}

// A channel the hub has not seen an event on yet (a restarted server, a quiet symbol)
// still has a number: the newest the store holds. Without it a snapshot would say 0 and a
// resuming client would think the numbering started over.
void Hub::learn_last_seq(std::uint32_t ch) {
  ChannelState& s = channels_[ch];
  if (s.seen || !history_) return;
  const ChannelRef ref = ref_of(ch);
  store::HistoryQuery q{
      .symbol = ref.symbol, .series = series_of(ref.stream), .limit = 1, .newest = true};
  if (is_candles(ref.stream)) q.tf = timeframe_of(ref.stream);
  try {
    const auto page = history_->query(q);
    if (page.rows.empty()) return;
    s.last_seq = market::channel_seq(page.rows.back());
    s.seen = true;
  } catch (const store::StoreError&) {
    ++stats_.history_errors;
  }
}

std::optional<std::string> Hub::snapshot(PendingRequest& r, std::uint32_t ch, std::uint64_t after,
                                         ClientState& c, Now now) {
  const ChannelRef ref = ref_of(ch);
  ChannelState& s = channels_[ch];
  const bool resume = r.kind == PendingRequest::Kind::kResume;
  if (has_events(ref.stream)) learn_last_seq(ch);
  // A channel nobody watched: intake does not look for its lost revisions, so look now (its
  // idle ring may hold a bar as it was before a revision the bus dropped).
  if (is_candles(ref.stream) && !s.ring_on &&
      bus_.take_lost_revision({ref.symbol, market_stream(ref.stream)}) != 0) {
    s.ring.clear();
  }
  const market::Event* current = nullptr;
  if (s.latest) {
    const auto* bar = std::get_if<market::CandleEvent>(&*s.latest);
    if (!bar || bar->seq > s.last_seq) current = &*s.latest;
  }
  std::vector<market::Event> events;
  std::uint64_t last_seq = s.last_seq;
  if (!resume) {
    const std::int64_t t_ref = symbol_time_[ref.symbol];
    const std::int64_t from = r.history_ns <= 0 ? std::numeric_limits<std::int64_t>::max()
                              : t_ref > 0       ? t_ref - r.history_ns
                                                : std::numeric_limits<std::int64_t>::min();
    std::pair<std::uint64_t, std::uint64_t> hole{0, 0};
    if (r.history_ns > 0) {
      events = history_events(ch, from, 0, config_.snapshot_max_events, &hole);
    }
    if (hole.first != 0) {
      // The store lags behind the ring by more than the ring holds: wait for it (bounded),
      // then say what is missing instead of leaving a silent hole.
      if (r.store_wait_since_ns == 0)
        r.store_wait_since_ns = std::max<std::int64_t>(now.steady_ns, 1);
      if (now.steady_ns - r.store_wait_since_ns < kStoreCatchUpNs) {
        r.store_next_check_ns = now.steady_ns + kStoreRecheckNs;
        return std::nullopt;
      }
      ++stats_.gaps_store_behind;
      send(c, encode_gap(symbols_, ref, hole.first, hole.second, "store_behind"));
    }
    if (!events.empty() && has_events(ref.stream)) {
      last_seq = std::max(last_seq, market::channel_seq(events.back()));
    }
  } else if (has_events(ref.stream) && after < s.last_seq) {
    std::pair<std::uint64_t, std::uint64_t> left_out{0, 0};
    events = history_events(ch, std::numeric_limits<std::int64_t>::min(), after,
                            config_.snapshot_max_events, nullptr, &left_out);
    // What the snapshot does not hold: explicit gaps, snapshot_limit for the part it had
    // no room for, not_retained for what neither the ring nor the store has.
    const auto send_gap = [&](std::uint64_t from, std::uint64_t to, bool no_room) {
      ++(no_room ? stats_.gaps_snapshot_limit : stats_.gaps_not_retained);
      send(c, encode_gap(symbols_, ref, from, to, no_room ? "snapshot_limit" : "not_retained"));
    };
    const auto gap = [&](std::uint64_t from, std::uint64_t to) {
      if (left_out.first == 0 || to < left_out.first || from > left_out.second)
        return send_gap(from, to, false);
      if (from < left_out.first) send_gap(from, left_out.first - 1, false);
      send_gap(std::max(from, left_out.first), std::min(to, left_out.second), true);
      if (to > left_out.second) send_gap(left_out.second + 1, to, false);
    };
    std::uint64_t expect = after + 1;
    for (const auto& e : events) {
      const std::uint64_t seq = market::channel_seq(e);
      if (seq > expect) gap(expect, seq - 1);
      expect = seq + 1;
    }
    if (expect <= s.last_seq) gap(expect, s.last_seq);
  }
  return encode_snapshot(r.id, symbols_, ref, events, current, last_seq, resume);
}

void Hub::apply_budget(ClientState& c, Now now) {
  const std::size_t q = c.client->queued_bytes();
  const std::int64_t stall = c.client->stalled_since_ns();
  const bool stalled =
      stall > 0 && now.steady_ns - stall > std::int64_t{config_.stall_ms} * 1'000'000;
  if (!c.lagging && (q > config_.high_water_bytes || stalled)) {
    c.lagging = true;
    send(c, encode_lagging(q, config_.high_water_bytes));
  } else if (c.lagging && q < config_.high_water_bytes / 2 && !stalled) {
    c.lagging = false;
    c.refresh_values = true;
    send(c, encode_caught_up());
  }
  if (q > config_.hard_limit_bytes) {
    if (c.over_since_ns == 0) {
      c.over_since_ns = now.steady_ns;
    } else if (now.steady_ns - c.over_since_ns > std::int64_t{config_.grace_ms} * 1'000'000) {
      c.closing = true;
      ++stats_.closed_slow;
      // Not now: a close may leave the hub (disconnect) while flush iterates clients_.
      closing_.push_back(c.client);
    }
  } else {
    c.over_since_ns = 0;
  }
}

std::vector<SymbolQuote> Hub::quotes() const {
  std::vector<SymbolQuote> out(symbols_.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto sym = static_cast<market::SymbolId>(i);
    const ChannelState& day = channels_[index_of({sym, WireStream::kCandles1d})];
    if (day.latest) {
      const auto& bar = std::get<market::CandleEvent>(*day.latest).candle;
      out[i] = {.traded = true, .last = bar.close, .day_open = bar.open};
    }
  }
  return out;
}

}  // namespace spacetime::gateway
