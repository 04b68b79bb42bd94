#include "feed/simulator.hpp"

#include "feed/random.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace spacetime::feed {
namespace {

using random::Rng;

// Made-up tickers, so simulated data is never mistaken for a real market.
constexpr std::array<const char*, 26> kNames = {
    "ALFA", "BRVO", "CHRL", "DLTA", "ECHO", "FXTR", "GOLF", "HTEL", "INDA",
    "JULT", "KILO", "LIMA", "MIKE", "NOVR", "OSCR", "PAPA", "QBEC", "ROMO",
    "SIRA", "TANG", "UNIF", "VICT", "WHSK", "XRAY", "YANK", "ZULU"};

std::string symbol_name(std::size_t i) {
  if (i < kNames.size()) return kNames[i];
  return std::string(kNames[i % kNames.size()]).substr(0, 3) + std::to_string(i / kNames.size());
}

constexpr double kTradingSecondsPerDay = 23'400.0;  // 6.5 hours

// Regimes a symbol moves through. After a regime ends the next is drawn with probability
// `draw`, independently of the last, and lasts an exponential time of mean `minutes`, so
// the share of time in regime i is draw_i * minutes_i / sum_j draw_j * minutes_j. Rates
// are normalised by that share so that the long-run mean rate is the configured one.
struct RegimeSpec {
  double draw;
  double minutes;
  double rate;    // activity multiplier (before normalisation)
  double vol;     // volatility multiplier
  double size;    // trade size multiplier
  bool trending;  // a drift in one direction for the regime's duration
};
constexpr std::array<RegimeSpec, 4> kRegimes = {{
    {0.30, 8.0, 0.4, 0.6, 0.7, false},   // calm
    {0.30, 10.0, 1.0, 1.0, 1.0, false},  // normal
    {0.20, 5.0, 1.3, 1.2, 1.2, true},    // trending
    {0.20, 1.5, 3.0, 2.0, 2.0, false},   // bursty
}};
constexpr std::size_t kBursty = 3;

double regime_rate_norm() {
  double share = 0.0, weighted = 0.0;
  for (const auto& r : kRegimes) {
    share += r.draw * r.minutes;
    weighted += r.draw * r.minutes * r.rate;
  }
  return weighted / share;
}

struct SymbolSim {
  Rng rng{0};
  double mu_base = 0.0;     // Hawkes baseline of the normal regime, trades per second
  double mu = 0.0;          // baseline in the current regime
  double excitation = 0.0;  // lambda - mu at last_ns, after the jump of the last trade
  std::int64_t last_ns = 0;
  std::int64_t next_ns = 0;
  double next_excitation = 0.0;  // lambda - mu at next_ns, before its jump
  double log_price = 0.0;
  double sigma = 0.0;  // per sqrt(second), normal regime
  double tick_size = 0.01;
  std::uint64_t seq = 0;
  std::size_t regime = 1;
  std::int64_t regime_end_ns = INT64_MAX;
  double drift = 0.0;        // log-price per second while trending
  double jump_chance = 0.0;  // per trade: jumps per hour / the symbol's mean trades per hour
};

}  // namespace

struct Simulator::State {
  SimulatorConfig config;
  std::vector<market::SymbolInfo> infos;
  std::vector<SymbolSim> sims;
  double rate_norm = 1.0;
  // Binary min-heap of (next time, symbol), one entry per symbol: ties go to the lower
  // symbol id, deterministically. The entries are all distinct, so the order of the ticks
  // does not depend on how the heap is kept.
  using Entry = std::pair<std::int64_t, market::SymbolId>;
  std::vector<Entry> heap;
  // Written by the thread that calls next() only, read by stats() from any thread: a plain
  // load and store, not a locked read-modify-write per tick.
  std::atomic<std::uint64_t> ticks{0};
  std::atomic<std::uint64_t> backpressured{0};

  // The symbol at the top trades again at `next`: one sift down from the root, where a
  // pop and a push would sift twice.
  void replace_top(Entry next) {
    const std::size_t n = heap.size();
    std::size_t i = 0;
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1] < heap[child]) ++child;
      if (!(heap[child] < next)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = next;
  }

  void enter_regime(SymbolSim& s, std::size_t regime, std::int64_t at_ns) {
    const RegimeSpec& r = kRegimes[regime];
    s.regime = regime;
    s.mu = s.mu_base * r.rate / rate_norm;
    const double seconds = s.rng.exponential() * r.minutes * 60.0;
    s.regime_end_ns = at_ns + std::max<std::int64_t>(1, std::llround(seconds * 1e9));
    // A trend moves the price by about one regime-length standard deviation.
    const double sign = s.rng.uniform() < 0.5 ? -1.0 : 1.0;
    s.drift = r.trending ? sign * s.sigma * r.vol / std::sqrt(r.minutes * 60.0) : 0.0;
  }

  void next_regime(SymbolSim& s, std::int64_t at_ns) {
    double u = s.rng.uniform();
    std::size_t next = kRegimes.size() - 1;
    for (std::size_t i = 0; i < kRegimes.size(); ++i) {
      if (u < kRegimes[i].draw) {
        next = i;
        break;
      }
      u -= kRegimes[i].draw;
    }
    enter_regime(s, next, at_ns);
  }

  // The regime a symbol starts in is drawn by its share of time (draw x mean length), not by
  // `draw`: the process then starts stationary, and the mean rate is --rate from the first
  // second. Drawing by `draw` made a bursty start four times as likely as its share of time
  // (20 % against 4.5 %), which put short runs about 50 % above --rate.
  void first_regime(SymbolSim& s, std::int64_t at_ns) {
    double total = 0.0;
    for (const auto& r : kRegimes)
      total += r.draw * r.minutes;
    double u = s.rng.uniform() * total;
    std::size_t first = kRegimes.size() - 1;
    for (std::size_t i = 0; i < kRegimes.size(); ++i) {
      const double share = kRegimes[i].draw * kRegimes[i].minutes;
      if (u < share) {
        first = i;
        break;
      }
      u -= share;
    }
    enter_regime(s, first, at_ns);
  }

  // Ogata thinning from the last trade: between trades the intensity only decays, so its
  // value right after a trade bounds it until the next one, or until the regime changes
  // the baseline, where thinning restarts (the exponential wait is memoryless).
  void schedule(SymbolSim& s) {
    double elapsed = 0.0;
    double e = s.excitation;
    for (;;) {
      const double bound = s.mu + e;
      const double wait = s.rng.exponential() / bound;
      const double to_switch = static_cast<double>(s.regime_end_ns - s.last_ns) * 1e-9 - elapsed;
      if (config.regimes && wait >= to_switch) {
        e *= std::exp(-config.decay * to_switch);
        elapsed += to_switch;
        next_regime(s, s.regime_end_ns);
        continue;
      }
      elapsed += wait;
      e *= std::exp(-config.decay * wait);
      if (s.rng.uniform() * bound <= s.mu + e) break;
    }
    s.next_ns = s.last_ns + static_cast<std::int64_t>(elapsed * 1e9 + 0.5);  // elapsed >= 0
    s.next_excitation = e;
  }
};

Simulator::Simulator(const SimulatorConfig& config) : state_(std::make_unique<State>()) {
  if (config.symbols == 0) throw std::invalid_argument("simulator needs at least one symbol");
  if (!(config.rate > 0.0) || !std::isfinite(config.rate)) {
    throw std::invalid_argument("simulator rate must be a positive number of ticks per second");
  }
  if (!(config.branching >= 0.0 && config.branching < 1.0)) {
    throw std::invalid_argument("simulator branching ratio must be in [0, 1)");
  }
  if (!(config.decay > 0.0)) throw std::invalid_argument("simulator decay must be positive");
  if (config.start_ns < 0) throw std::invalid_argument("simulator start time must be >= 0");
  if (!(config.jumps_per_hour >= 0.0)) throw std::invalid_argument("jumps per hour must be >= 0");

  State& st = *state_;
  st.config = config;
  st.rate_norm = config.regimes ? regime_rate_norm() : 1.0;
  Rng setup(config.seed);
  // Per-symbol activity differs (log-normal weights), normalised so the total mean rate
  // is config.rate: stationary Hawkes rate = mu / (1 - branching).
  std::vector<double> weights(config.symbols);
  double total = 0.0;
  for (auto& w : weights) {
    w = std::exp(0.7 * setup.normal());
    total += w;
  }
  st.sims.resize(config.symbols);
  st.infos.resize(config.symbols);
  for (std::size_t i = 0; i < config.symbols; ++i) {
    SymbolSim& s = st.sims[i];
    s.rng = Rng(setup.next() ^ (0x5851f42d4c957f2dULL * (i + 1)));
    s.mu_base = config.rate * weights[i] / total * (1.0 - config.branching);
    s.mu = s.mu_base;
    s.jump_chance = config.jumps_per_hour / (3600.0 * s.mu_base / (1.0 - config.branching));
    s.log_price = std::log(10.0) + setup.uniform() * (std::log(400.0) - std::log(10.0));
    const double daily_vol = 0.01 + 0.02 * setup.uniform();
    s.sigma = daily_vol / std::sqrt(kTradingSecondsPerDay);
    s.last_ns = config.start_ns;
    if (config.regimes) st.first_regime(s, config.start_ns);
    // Start at the stationary mean excitation, mu * n / (1 - n), so the mean rate is the
    // configured one from the first second instead of after a warm-up.
    s.excitation = s.mu * config.branching / (1.0 - config.branching);
    st.infos[i] = market::SymbolInfo{
        .name = symbol_name(i), .tick_size = s.tick_size, .size_scale = 1.0, .decimals = 2};
    st.schedule(s);
    st.heap.emplace_back(s.next_ns, static_cast<market::SymbolId>(i));
  }
  std::make_heap(st.heap.begin(), st.heap.end(), std::greater<>{});
}

Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;
Simulator& Simulator::operator=(Simulator&&) noexcept = default;

const std::vector<market::SymbolInfo>& Simulator::symbols() const {
  return state_->infos;
}

std::int64_t Simulator::peek_time() const {
  return state_->heap.front().first;
}

market::Tick Simulator::next() {
  State& st = *state_;
  const auto [ts, id] = st.heap.front();
  SymbolSim& s = st.sims[id];
  const RegimeSpec& regime = kRegimes[st.config.regimes ? s.regime : 1];

  // Price: geometric Brownian motion (with the regime's volatility and drift) over the
  // time since this symbol's last trade, and now and then a jump.
  const double dt = static_cast<double>(ts - s.last_ns) * 1e-9;
  const double sigma = s.sigma * regime.vol;
  const double var = sigma * sigma * dt;
  s.log_price += std::sqrt(var) * s.rng.normal() - 0.5 * var + s.drift * dt;
  bool jumped = false;
  if (s.rng.uniform() < s.jump_chance) {
    // A shock worth a few minutes of ordinary volatility, then a bursty regime.
    s.log_price += s.rng.normal() * s.sigma * 15.0;
    jumped = true;
  }
  const double mid_ticks = std::exp(s.log_price) / s.tick_size;
  const std::int64_t spread = s.rng.uniform() < 0.7 ? 1 : 2;
  const double bid_ticks = mid_ticks - 0.5 * static_cast<double>(spread);
  // floor() for the prices that can trade; anything below one tick is one tick.
  const std::int64_t bid = bid_ticks < 1.0 ? 1 : static_cast<std::int64_t>(bid_ticks);
  const std::int64_t ask = bid + spread;
  const bool buy = s.rng.uniform() < 0.5;

  // Size: round lots with a geometric tail, some odd lots; bigger in busy regimes and while
  // a burst runs (volume clusters with activity).
  std::int64_t size = 0;
  if (s.rng.uniform() < 0.2) {
    size = 1 + static_cast<std::int64_t>(s.rng.uniform() * 99.0);
  } else {
    size = 100 * (1 + static_cast<std::int64_t>(s.rng.exponential() * 1.5 * regime.size));
  }
  if (s.next_excitation > 2.0 * s.mu) size *= 2;

  market::Tick tick{.ts_ns = ts,
                    .price = buy ? ask : bid,
                    .size = size,
                    .bid = bid,
                    .ask = ask,
                    .seq = ++s.seq,
                    .symbol = id};

  // The trade excites its own future arrivals; a jump excites them a lot more.
  s.excitation = s.next_excitation + st.config.branching * st.config.decay;
  s.last_ns = ts;
  if (jumped && st.config.regimes) {
    st.enter_regime(s, kBursty, ts);
    s.excitation += 10.0 * s.mu;
  }
  st.schedule(s);
  st.replace_top({s.next_ns, id});
  st.ticks.store(st.ticks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return tick;
}

void Simulator::run(market::TickSink& sink, std::stop_token stop, bool paced,
                    std::uint64_t max_ticks) {
  using Clock = std::chrono::steady_clock;
  constexpr std::size_t kBatch = 1024;
  std::vector<market::Tick> batch;
  batch.reserve(kBatch);
  const auto wall_start = Clock::now();
  const std::int64_t sim_start = state_->config.start_ns;
  std::uint64_t produced = 0;

  while (!stop.stop_requested()) {
    std::int64_t horizon = INT64_MAX;
    if (paced) {
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - wall_start).count();
      horizon = sim_start + elapsed;
    }
    batch.clear();
    while (batch.size() < kBatch && peek_time() <= horizon &&
           (max_ticks == 0 || produced + batch.size() < max_ticks)) {
      batch.push_back(next());
    }
    if (batch.empty()) {
      sink.idle();  // ticks the engine holds back move on while the feed is quiet
      if (max_ticks != 0 && produced >= max_ticks) return;
      const std::int64_t wait_ns = std::min<std::int64_t>(peek_time() - horizon, 2'000'000);
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<std::int64_t>(wait_ns, 0)));
      continue;
    }
    std::span<const market::Tick> rest(batch);
    while (!rest.empty()) {
      const std::size_t taken = sink.offer(rest);
      rest = rest.subspan(taken);
      if (rest.empty()) break;
      state_->backpressured.fetch_add(1, std::memory_order_relaxed);
      if (stop.stop_requested()) return;
      std::this_thread::sleep_for(sink.retry_after());
    }
    produced += batch.size();
  }
}

SimulatorStats Simulator::stats() const {
  return SimulatorStats{.ticks = state_->ticks.load(std::memory_order_relaxed),
                        .backpressured = state_->backpressured.load(std::memory_order_relaxed)};
}

}  // namespace spacetime::feed
