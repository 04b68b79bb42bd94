// Session races of issue 12 item 3, driven from several threads through the real hub, the
// real in-process bus and the real token checks (parse, ES256 signature, claims) with keys
// made here, as the gateway runs them: one I/O thread owns the hub and every session, an
// auth worker verifies tokens and posts the verdict back, a publisher thread (the engine)
// publishes into the bus, and client threads (browser tabs) post their messages. The
// session side mirrors WsSession's serialisation (ws_session.cpp: while a token is being
// verified the session reads nothing; a verdict for a session that is gone is dropped).
// Races, many times: an `auth` refresh racing a reconnect + resume, two tabs resuming the
// same channels from the same seqs, subscribe during unsubscribe. Afterwards every
// session's frames are checked: each request answered exactly once, each channel's seq
// continuous or an explicit gap, no event for a channel while unsubscribed, the end state
// of each channel what the last request asked for, nothing sent to a session after it left
// the hub, and the hub's client count the number of live sessions. Built for the `tsan`
// preset (CMakePresets.json), Beast-free so that its compile stays small.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "auth/token.hpp"
#include "bus/bus.hpp"
#include "gateway/hub.hpp"
#include "support/jwt_forge.hpp"

namespace spacetime::gateway {
namespace {

std::int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
Now now() {
  return {.steady_ns = mono_ns(), .wall_ms = mono_ns() / 1'000'000};
}

// A bounded task queue run by one thread: the gateway's I/O thread (net::post in server.cpp).
class Loop {
 public:
  Loop() : thread_([this] { run(); }) {}
  ~Loop() { stop(); }
  // From any thread but the loop's own; waits while kMax tasks are queued.
  void post(std::function<void()> f) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return tasks_.size() < kMax; });
    tasks_.push_back(std::move(f));
    ready_.notify_one();
  }
  // Runs f on the loop and waits for it.
  void call(const std::function<void()>& f) {
    std::promise<void> done;
    post([&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static constexpr std::size_t kMax = 1024;
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        f = std::move(tasks_.front());
        tasks_.pop_front();
      }
      room_.notify_one();
      f();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

struct Verdict {
  bool ok = false;
  std::string sub;
  std::int64_t exp = 0;
};

// The auth worker (server.cpp's auth_pool_): the token checks of auth::Verifier without the
// JWKS fetch (the key set is parsed from a JWKS made here), verdicts posted to the loop.
class AuthWorker {
 public:
  AuthWorker(Loop& loop, auth::KeySet keys, std::string issuer)
      : loop_(loop),
        keys_(std::move(keys)),
        policy_{.issuer = std::move(issuer), .audience = {}, .leeway_s = 30} {
    thread_ = std::thread([this] { run(); });
  }
  ~AuthWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    thread_.join();
  }
  // Never waits in practice: a session has one token in verification at a time.
  void submit(std::string token, std::function<void(Verdict)> done) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return jobs_.size() < 64; });
    jobs_.emplace_back(std::move(token), std::move(done));
    ready_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::pair<std::string, std::function<void(Verdict)>> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      Verdict v;
      const auth::Parsed p = auth::parse_token(job.first);
      if (!p.error) {
        const auto key = keys_.keys.find(p.token.kid);
        v.ok = key != keys_.keys.end() && auth::verify_signature(p.token, key->second) &&
               !auth::check_claims(p.token.claims, policy_, now().wall_ms / 1000);
        v.sub = p.token.claims.sub;
        v.exp = p.token.claims.exp.value_or(0);
      }
      loop_.post([done = std::move(job.second), v] { done(v); });
    }
  }
  Loop& loop_;
  const auth::KeySet keys_;
  const auth::Policy policy_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::pair<std::string, std::function<void(Verdict)>>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

// One WebSocket session as WsSession drives the hub; every method runs on the loop.
class Session : public Client {
 public:
  Session(Hub& hub, AuthWorker& auth) : hub_(hub), auth_(auth) {}

  // The upgrade and the first message: {"op":"auth"}.
  void open(std::string token) { verify("1", std::move(token)); }
  // A message arrives from the peer.
  void receive(std::string text) {
    if (gone) return;
    unread_.push_back(std::move(text));
    read_on();
  }
  // The peer went away (a reconnecting tab): the session leaves the hub at once.
  void drop() {
    gone = true;
    leave();
  }

  void send(Frame frame) override {
    if (gone) {
      ++late_sends;  // the hub must not hold a session that left it
      return;
    }
    std::string text;
    for (const auto& p : frame.pieces)
      text += *p;
    frames.push_back(std::move(text));
  }
  std::size_t queued_bytes() const override { return 0; }
  std::int64_t stalled_since_ns() const override { return 0; }
  void close(std::uint16_t code, std::string_view) override {
    close_code = code;
    gone = true;
    leave();
  }
  bool refresh(const RequestId& id, std::string token) override {
    verify(id, std::move(token));
    return true;
  }

  std::vector<std::string> frames;
  bool gone = false;
  bool joined = false;
  std::uint16_t close_code = 0;
  std::uint64_t late_sends = 0;
  std::uint64_t stale_verdicts = 0;  // verdicts that came after the session was gone

 private:
  void verify(RequestId id, std::string token) {
    verifying_ = true;
    auth_.submit(std::move(token), [this, id = std::move(id)](Verdict v) { on_verdict(id, v); });
  }
  void on_verdict(const RequestId& id, const Verdict& v) {
    verifying_ = false;
    if (gone) {
      ++stale_verdicts;
      return;
    }
    if (!v.ok) return close(4001, "refused");
    if (joined && v.sub != sub_) return close(4001, "subject changed");
    static const std::vector<std::string> kRoles = {"viewer"};
    frames.push_back(encode_auth_ok(id, v.sub, v.exp, kRoles));
    if (!joined) {
      joined = true;
      sub_ = v.sub;
      hub_id_ = hub_.connect(*this, now());
    }
    hub_.set_admin(hub_id_, false);
    read_on();
  }
  // Reads queued messages in order until a token is being verified.
  void read_on() {
    while (!verifying_ && !gone && joined && !unread_.empty()) {
      const std::string text = std::move(unread_.front());
      unread_.pop_front();
      hub_.on_message(hub_id_, text, now());
    }
  }
  void leave() {
    if (hub_id_ == 0) return;
    hub_.disconnect(hub_id_);
    hub_id_ = 0;
  }

  Hub& hub_;
  AuthWorker& auth_;
  std::uint64_t hub_id_ = 0;
  bool verifying_ = false;
  std::string sub_;
  std::deque<std::string> unread_;
};

constexpr std::array<std::string_view, 2> kSymbols = {"ALFA", "BETA"};

// What a client thread sent: ids with what they asked for (the checker's expectations).
struct Sent {
  enum class Op { kAuth, kSubscribe, kUnsubscribe, kResume, kPing };
  struct Request {
    Op op = Op::kPing;
    std::string symbol{};                           // subscribe/unsubscribe: one channel each
    std::map<std::string, std::uint64_t> resume{};  // resume: symbol -> seq
  };
  std::map<std::int64_t, Request> requests;
  std::map<std::string, bool> wanted;  // symbol -> subscribed after the last request
};

// Checks one session's frames against what its tab sent. Returns the problems found.
std::vector<std::string> check(const Session& s, const Sent& sent, bool live) {
  std::vector<std::string> problems;
  auto problem = [&](std::string p) { problems.push_back(std::move(p)); };
  simdjson::dom::parser parser;
  std::map<std::int64_t, int> answers;
  std::map<std::string, bool> subscribed;
  std::map<std::string, std::uint64_t> last;
  std::map<std::string, std::uint64_t> resume_gap;  // not_retained seqs before a snapshot
  // Jumps inside a batch: an overflow gap notice for exactly that range must follow the
  // batch, before the next one.
  std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> holes;
  for (const auto& text : s.frames) {
    simdjson::dom::element doc;
    if (parser.parse(text).get(doc)) {
      problem("unparsable frame " + text);
      continue;
    }
    const std::string_view type = doc["type"];
    if (type == "ok" || type == "error" || type == "pong") {
      std::int64_t id = 0;
      if (doc["id"].get_int64().get(id)) {
        problem("reply without integer id " + text);
        continue;
      }
      ++answers[id];
      const auto it = sent.requests.find(id);
      if (it == sent.requests.end()) {
        problem("reply to an id never sent " + text);
        continue;
      }
      if (type == "error") problem("error reply " + text);
      if (it->second.op == Sent::Op::kUnsubscribe) subscribed[it->second.symbol] = false;
    } else if (type == "snapshot") {
      const std::string symbol{std::string_view(doc["symbol"])};
      const std::uint64_t last_seq = std::uint64_t(doc["last_seq"]);
      bool resume = false;
      if (doc["resume"].get(resume) != simdjson::SUCCESS) resume = false;
      std::uint64_t count = 0, prev = 0;
      for (auto e : simdjson::dom::array(doc["events"])) {
        const std::uint64_t seq = std::uint64_t(e["seq"]);
        if (seq <= prev || seq > last_seq) problem("snapshot events out of order " + text);
        prev = seq;
        ++count;
      }
      if (resume) {
        std::int64_t id = doc["id"];
        const auto& r = sent.requests.at(id);
        const std::uint64_t after = r.resume.at(symbol);
        if (last_seq >= after && count + resume_gap[symbol] != last_seq - after) {
          problem("resume snapshot neither continuous nor an explicit gap: after " +
                  std::to_string(after) + ", events " + std::to_string(count) + ", gap " +
                  std::to_string(resume_gap[symbol]) + ": " + text);
        }
      }
      resume_gap[symbol] = 0;
      subscribed[symbol] = true;
      last[symbol] = last_seq;
    } else if (type == "gap") {
      const std::string symbol{std::string_view(doc["symbol"])};
      const std::uint64_t from = doc["from"], to = doc["to"];
      if (std::string_view(doc["reason"]) == "not_retained") {
        resume_gap[symbol] += to - from + 1;
      } else if (const auto hole =
                     std::find(holes.begin(), holes.end(), std::make_tuple(symbol, from, to));
                 hole != holes.end()) {
        holes.erase(hole);  // the notice of a jump in the batch before
      } else {
        if (!subscribed[symbol]) problem("overflow gap while unsubscribed " + text);
        if (from != last[symbol] + 1) problem("gap does not start at the next seq " + text);
        last[symbol] = to;
      }
    } else if (type == "batch") {
      if (!holes.empty()) problem("a jump with no gap notice before the next batch " + text);
      holes.clear();
      for (auto e : simdjson::dom::array(doc["events"])) {
        const std::string symbol{std::string_view(e["symbol"])};
        const std::uint64_t seq = std::uint64_t(e["seq"]);
        if (!subscribed[symbol]) problem("event while unsubscribed " + std::string(symbol));
        if (seq <= last[symbol]) {
          problem(symbol + ": seq " + std::to_string(seq) + " after " +
                  std::to_string(last[symbol]) + " (a duplicate or out of order)");
        } else if (seq > last[symbol] + 1) {
          holes.emplace_back(symbol, last[symbol] + 1, seq - 1);
        }
        last[symbol] = seq;
      }
    }
  }
  if (!holes.empty()) problem("a jump in the last batch with no gap notice");
  for (const auto& [id, r] : sent.requests) {
    const int n = answers[id];
    if (n > 1) problem("request " + std::to_string(id) + " answered " + std::to_string(n) + "x");
    // auth refreshes are answered by the session (an "ok"), counted above like the rest
    if (live && n != 1) problem("request " + std::to_string(id) + " not answered");
  }
  if (live) {
    for (const auto& [symbol, want] : sent.wanted) {
      if (subscribed[symbol] != want) {
        problem(symbol + (want ? " should be subscribed" : " should not be subscribed"));
      }
    }
  }
  return problems;
}

class SessionRace : public ::testing::Test {
 protected:
  SessionRace() {
    for (const auto name : kSymbols)
      symbols_.add({.name = std::string(name)});
    key_ = testing::ec_key();
    auto keys = auth::parse_jwks(R"({"keys":[)" + testing::jwk_of(key_, "k1") + "]}");
    bus_ = std::make_unique<bus::InprocBus>(symbols_.size());
    // Small: overflows (explicit gaps) happen too.
    sub_ = bus_->subscribe(Hub::subscription_filter(), 256);
    HubConfig config;
    config.requests_per_s = 1e9;
    config.request_burst = 1e9;
    config.abuse_errors = 1'000'000;
    config.ring = 64;  // small: resumes also reach past the ring (explicit gaps)
    hub_ = std::make_unique<Hub>(config, symbols_, *sub_, nullptr);
    auth_ = std::make_unique<AuthWorker>(loop_, std::move(*keys), std::string(kIssuer));
  }
  ~SessionRace() override {
    loop_.stop();  // no task runs after this; the sessions outlive every callback
    auth_.reset();
  }

  std::string token(std::string_view sub) const {
    const std::int64_t t = now().wall_ms / 1000;
    return testing::forge(R"({"alg":"ES256","typ":"JWT","kid":"k1"})",
                          R"({"iss":")" + std::string(kIssuer) + R"(","sub":")" + std::string(sub) +
                              R"(","iat":)" + std::to_string(t) + R"(,"exp":)" +
                              std::to_string(t + 300) + "}",
                          key_, "ES256");
  }

  // The engine: reversals on both symbols, numbered per channel, until stopped.
  void publish_until(const std::atomic<bool>& stop) {
    std::uint64_t seq = 0;
    while (!stop.load()) {
      ++seq;
      std::vector<market::Event> events;
      for (market::SymbolId s = 0; s < symbols_.size(); ++s) {
        events.push_back(market::ReversalEvent{.symbol = s,
                                               .seq = seq,
                                               .channel_seq = seq,
                                               .t = static_cast<std::int64_t>(seq) * 1'000'000,
                                               .version = 1,
                                               .direction = 1,
                                               .price = 100});
      }
      bus_->publish(events);
      // Bursts (some overflow the hub's queue of 256), then a pause: a few thousand a second.
      if (seq % 200 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  static constexpr std::string_view kIssuer = "https://issuer.test/realms/spacetime";
  market::SymbolRegistry symbols_;
  testing::Pkey key_;
  std::unique_ptr<bus::InprocBus> bus_;
  std::shared_ptr<bus::Subscription> sub_;
  std::unique_ptr<Hub> hub_;
  Loop loop_;
  std::unique_ptr<AuthWorker> auth_;
};

std::string channel_op(std::string_view op, std::int64_t id, std::string_view symbol) {
  return R"({"op":")" + std::string(op) + R"(","id":)" + std::to_string(id) + R"(,"symbols":[")" +
         std::string(symbol) + R"("],"streams":["reversals"],"history":0})";
}

TEST_F(SessionRace, RefreshReconnectTwoTabsAndSubscribeDuringUnsubscribeStayConsistent) {
  constexpr int kRounds = 160;
  std::atomic<bool> stop{false};
  std::thread engine([&] { publish_until(stop); });
  // The flush timer: one flush queued at a time (the gateway's timer re-arms after it ran).
  std::atomic<bool> flush_queued{false};
  std::thread flusher([&] {
    while (!stop.load()) {
      if (!flush_queued.exchange(true)) {
        loop_.post([&] {
          flush_queued = false;
          hub_->flush(now());
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  struct Tab {
    std::unique_ptr<Session> session;
    Sent sent;
    std::size_t scanned = 0;  // frames looked at by wait_pong
  };
  std::vector<std::unique_ptr<Tab>> retired;  // reconnected-away tabs: checked, not live
  std::mutex retired_mutex;
  const std::string alice = token("alice");

  // One tab: its own thread, posting its messages; every `round` it reconnects and resumes
  // from the last seqs its old session saw, while a refresh is in flight.
  auto tab_thread = [&](int tab_no, std::unique_ptr<Tab>& tab) {
    std::int64_t next_id = 2;
    auto send = [&](Tab& t, std::string text) {
      loop_.post([s = t.session.get(), text = std::move(text)] { s->receive(text); });
    };
    auto wait_pong = [&](Tab& t, std::int64_t id) {
      const std::string needle = R"("type":"pong","id":)" + std::to_string(id) + ",";
      for (int i = 0; i < 50'000; ++i) {  // a bound against a hang, not a timing
        bool got = false;
        loop_.call([&] {
          for (; t.scanned < t.session->frames.size() && !got; ++t.scanned)
            got = t.session->frames[t.scanned].find(needle) != std::string::npos;
        });
        if (got) return;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      loop_.call([&] {
        ADD_FAILURE() << "no pong for " << id << " (gone " << t.session->gone << ", close "
                      << t.session->close_code << ", frames " << t.session->frames.size()
                      << ", last " << (t.session->frames.empty() ? "" : t.session->frames.back())
                      << ")";
      });
    };
    auto open = [&]() {
      auto t = std::make_unique<Tab>();
      t->session = std::make_unique<Session>(*hub_, *auth_);
      t->sent.requests[1] = {.op = Sent::Op::kAuth};
      loop_.post([s = t->session.get(), tok = alice] { s->open(tok); });
      return t;
    };
    tab = open();
    for (const auto symbol : kSymbols) {
      const auto id = next_id++;
      tab->sent.requests[id] = {.op = Sent::Op::kSubscribe, .symbol = std::string(symbol)};
      tab->sent.wanted[std::string(symbol)] = true;
      send(*tab, channel_op("subscribe", id, symbol));
    }
    for (int round = 0; round < kRounds; ++round) {
      // Subscribe during unsubscribe, on BETA, several times over.
      for (int k = 0; k < 3 + (round + tab_no) % 3; ++k) {
        const bool sub = (k + round) % 2 == 1;
        const auto id = next_id++;
        tab->sent.requests[id] = {.op = sub ? Sent::Op::kSubscribe : Sent::Op::kUnsubscribe,
                                  .symbol = "BETA"};
        tab->sent.wanted["BETA"] = sub;
        send(*tab, channel_op(sub ? "subscribe" : "unsubscribe", id, "BETA"));
      }
      // A refresh, and requests right behind it (read only once it is verified).
      {
        const auto id = next_id++;
        tab->sent.requests[id] = {.op = Sent::Op::kAuth};
        send(*tab,
             R"({"op":"auth","id":)" + std::to_string(id) + R"(,"token":")" + alice + R"("})");
        const auto ping = next_id++;
        tab->sent.requests[ping] = {.op = Sent::Op::kPing};
        send(*tab, R"({"op":"ping","id":)" + std::to_string(ping) + "}");
        // Most rounds the tab waits for its ping's pong (the refresh verified, the requests
        // before it handled); every fourth it reconnects with the refresh still in flight.
        if (round % 4 != 3) {
          wait_pong(*tab, ping);
          continue;
        }
      }
      // Reconnect while that refresh may still be verified: drop, then a new session that
      // resumes from the seqs the old one saw (read on the loop, as a client would know).
      std::map<std::string, std::uint64_t> seqs;
      std::map<std::string, bool> wanted = tab->sent.wanted;
      Session* old = tab->session.get();
      loop_.call([&] {
        old->drop();
        simdjson::dom::parser parser;
        for (const auto& text : old->frames) {
          simdjson::dom::element doc;
          if (parser.parse(text).get(doc)) continue;
          const std::string_view type = doc["type"];
          std::string symbol;
          if (type == "snapshot") {
            symbol = std::string(std::string_view(doc["symbol"]));
            seqs[symbol] = std::uint64_t(doc["last_seq"]);
          } else if (type == "gap") {
            symbol = std::string(std::string_view(doc["symbol"]));
            seqs[symbol] = std::max(seqs[symbol], std::uint64_t(doc["to"]));
          } else if (type == "batch") {
            for (auto e : simdjson::dom::array(doc["events"]))
              seqs[std::string(std::string_view(e["symbol"]))] = std::uint64_t(e["seq"]);
          }
        }
      });
      {
        std::lock_guard lock(retired_mutex);
        retired.push_back(std::move(tab));
      }
      tab = open();
      std::string list;
      std::map<std::string, std::uint64_t> resumed;
      for (const auto& [symbol, want] : wanted) {
        if (!want || !seqs.contains(symbol)) continue;
        resumed[symbol] = seqs[symbol];
        list += (list.empty() ? "" : ",") + std::string(R"({"symbol":")") + symbol +
                R"(","stream":"reversals","seq":)" + std::to_string(seqs[symbol]) + "}";
        tab->sent.wanted[symbol] = true;
      }
      for (const auto& [symbol, want] : wanted) {
        if (want && !resumed.contains(symbol)) {  // subscribed but nothing seen yet
          const auto sid = next_id++;
          tab->sent.requests[sid] = {.op = Sent::Op::kSubscribe, .symbol = symbol};
          tab->sent.wanted[symbol] = true;
          send(*tab, channel_op("subscribe", sid, symbol));
        }
      }
      if (!resumed.empty()) {
        const auto id = next_id++;
        tab->sent.requests[id] = {.op = Sent::Op::kResume, .resume = resumed};
        send(*tab,
             R"({"op":"resume","id":)" + std::to_string(id) + R"(,"channels":[)" + list + "]}");
      }
    }
  };

  // Two tabs of one user: both reconnect and resume the same channels from (about) the same
  // seqs, with refreshes in flight.
  std::unique_ptr<Tab> tabs[2];
  std::thread t0([&] { tab_thread(0, tabs[0]); });
  std::thread t1([&] { tab_thread(1, tabs[1]); });
  t0.join();
  t1.join();
  // Let every request be served, then stop the engine and flush what is left.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  engine.join();
  flusher.join();
  for (int i = 0; i < 3; ++i)
    loop_.call([&] { hub_->flush(now()); });

  // Every verdict delivered, every task run; then nothing touches the sessions any more.
  auth_.reset();
  loop_.stop();
  {
    std::size_t live = 0;
    for (auto& t : tabs) {
      ASSERT_TRUE(t && t->session->joined);
      EXPECT_FALSE(t->session->gone) << "closed with " << t->session->close_code;
      live += !t->session->gone;
      for (const auto& p : check(*t->session, t->sent, true))
        ADD_FAILURE() << "live tab: " << p;
      EXPECT_EQ(t->session->late_sends, 0u);
    }
    for (auto& t : retired) {
      for (const auto& p : check(*t->session, t->sent, false))
        ADD_FAILURE() << "reconnected tab: " << p;
      EXPECT_EQ(t->session->late_sends, 0u);
    }
    EXPECT_EQ(hub_->stats().clients, live) << "exactly the live sessions are in the hub";
    EXPECT_EQ(retired.size(), 2u * (kRounds / 4));
    EXPECT_GT(hub_->stats().resumes, 0u);
    std::uint64_t stale = 0;
    for (auto& t : retired)
      stale += t->session->stale_verdicts;
    const auto& h = hub_->stats();
    std::printf(
        "resumes %llu, overflow gaps %llu, not_retained gaps %llu, snapshots %llu, "
        "batches %llu, verdicts for gone sessions %llu\n",
        static_cast<unsigned long long>(h.resumes),
        static_cast<unsigned long long>(h.gaps_overflow),
        static_cast<unsigned long long>(h.gaps_not_retained),
        static_cast<unsigned long long>(h.snapshots), static_cast<unsigned long long>(h.batches),
        static_cast<unsigned long long>(stale));
  }
}

}  // namespace
}  // namespace spacetime::gateway
