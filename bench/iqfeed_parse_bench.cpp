// Lines per second of the IQFeed Level 1 parser (one core) on realistic lines: trade and
// quote updates in SpaceTime's fieldset and in DTN's default one, a framed 64 KiB stream
// mixing both as a busy feed does, and tick-history lines. Target: >= 1 M lines/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "feed/iqfeed/framer.hpp"
#include "feed/iqfeed/protocol.hpp"

namespace {

namespace iq = spacetime::feed::iqfeed;

// A draw in [0, n) as unsigned int (what the %u formats below take).
unsigned draw(std::mt19937& rng, unsigned n) {
  return static_cast<unsigned>(rng() % n);
}

constexpr const char* kSymbols[] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOG",   "META",
                                    "TSLA", "SPY",  "QQQ",  "IWM",  "@ESM24", "@NQM24"};

// SpaceTime's fieldset: Symbol, Most Recent Trade, Size, Time, Date, Bid, Ask, Total Volume,
// Message Contents, TickID.
std::vector<std::string> make_lines(bool trades, std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  out.reserve(n);
  char buf[256];
  for (std::size_t i = 0; i < n; ++i) {
    const char* sym = kSymbols[draw(rng, static_cast<unsigned>(std::size(kSymbols)))];
    const double px = 100.0 + static_cast<double>(rng() % 40000) / 100.0;
    const unsigned us = draw(rng, 1000000);
    std::snprintf(buf, sizeof buf,
                  "Q,%s,%.4f,%u,%02u:%02u:%02u.%06u,03/15/2024,%.4f,%.4f,%u,%s,%u,", sym, px,
                  1 + draw(rng, 900), 9 + draw(rng, 7), draw(rng, 60), draw(rng, 60), us, px - 0.01,
                  px + 0.01, 1000000 + draw(rng, 50000000), trades ? "Cbav" : "ba",
                  4000000000u + static_cast<unsigned>(i));
    out.emplace_back(buf);
  }
  return out;
}

// DTN's default 16-field layout (IQFeed.CSharpApiClient test line shape).
std::vector<std::string> make_default_lines(std::size_t n) {
  std::mt19937 rng(3);
  std::vector<std::string> out;
  char buf[256];
  for (std::size_t i = 0; i < n; ++i) {
    const double px = 100.0 + static_cast<double>(rng() % 40000) / 100.0;
    std::snprintf(buf, sizeof buf,
                  "Q,%s,%.4f,%u,16:53:23.%06u,11,37629453,%.4f,100,%.4f,100,312.6000,318.4000,"
                  "312.1900,308.9500,%s,873D17,",
                  kSymbols[draw(rng, static_cast<unsigned>(std::size(kSymbols)))], px,
                  1 + draw(rng, 900), draw(rng, 1000000), px - 0.01, px + 0.01,
                  (i % 3 == 0) ? "Cbav" : "ba");
    out.emplace_back(buf);
  }
  return out;
}

template <typename Parse>
void run_lines(benchmark::State& state, const std::vector<std::string>& lines, Parse parse) {
  std::size_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string& l = lines[i++ & (lines.size() - 1)];
    bytes += l.size() + 2;
    auto p = parse(l);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_IqFeedParse_TradeUpdate(benchmark::State& state) {
  static const auto lines = make_lines(true, 4096, 1);
  const auto fs = iq::UpdateFieldset::spacetime();
  run_lines(state, lines, [&](const std::string& l) { return iq::parse_level1_line(l, fs); });
}
BENCHMARK(BM_IqFeedParse_TradeUpdate);

void BM_IqFeedParse_QuoteUpdate(benchmark::State& state) {
  static const auto lines = make_lines(false, 4096, 2);
  const auto fs = iq::UpdateFieldset::spacetime();
  run_lines(state, lines, [&](const std::string& l) { return iq::parse_level1_line(l, fs); });
}
BENCHMARK(BM_IqFeedParse_QuoteUpdate);

void BM_IqFeedParse_DefaultFieldset(benchmark::State& state) {
  static const auto lines = make_default_lines(4096);
  const auto fs = iq::UpdateFieldset::from_names(
      "Symbol,Most Recent Trade,Most Recent Trade Size,Most Recent Trade Time,"
      "Most Recent Trade Market Center,Total Volume,Bid,Bid Size,Ask,Ask Size,Open,High,Low,"
      "Close,Message Contents,Most Recent Trade Conditions");
  run_lines(state, lines, [&](const std::string& l) { return iq::parse_level1_line(l, fs); });
}
BENCHMARK(BM_IqFeedParse_DefaultFieldset);

void BM_IqFeedParse_HistoryTick(benchmark::State& state) {
  static const auto lines = [] {
    std::vector<std::string> out;
    std::mt19937 rng(4);
    char buf[256];
    for (int i = 0; i < 4096; ++i) {
      std::snprintf(buf, sizeof buf,
                    "B1.0,LH,2024-03-15 %02u:%02u:%02u.%06u,%.4f,%u,%u,%.4f,%.4f,%u,C,19,3D,0,15,",
                    9 + draw(rng, 7), draw(rng, 60), draw(rng, 60), draw(rng, 1000000),
                    100.0 + draw(rng, 40000) / 100.0, 1 + draw(rng, 900), draw(rng, 50000000),
                    100.0, 100.02, 4000000000u + static_cast<unsigned>(i));
      out.emplace_back(buf);
    }
    return out;
  }();
  run_lines(state, lines, [](const std::string& l) { return iq::parse_lookup_line(l); });
}
BENCHMARK(BM_IqFeedParse_HistoryTick);

// What the client does per read: frame a 64 KiB chunk (cut mid-line) and parse each line;
// 1 trade in 4 updates, as a quote-heavy watch list produces.
void BM_IqFeedParse_FramedStream(benchmark::State& state) {
  static const std::string stream = [] {
    const auto trades = make_lines(true, 1024, 5);
    const auto quotes = make_lines(false, 3072, 6);
    std::string s;
    for (std::size_t i = 0; i < 4096; ++i)
      s += (i % 4 == 0 ? trades[i / 4] : quotes[i - i / 4 - 1]) + "\r\n";
    return s;
  }();
  const auto fs = iq::UpdateFieldset::spacetime();
  constexpr std::size_t kRead = 64 * 1024;
  std::size_t lines = 0;
  std::size_t trades = 0;
  for (auto _ : state) {
    iq::LineFramer framer;
    for (std::size_t pos = 0; pos < stream.size(); pos += kRead) {
      framer.push(
          std::string_view(stream).substr(pos, kRead),
          [&](std::string_view l) {
            const auto p = iq::parse_level1_line(l, fs);
            ++lines;
            if (const auto* u = std::get_if<iq::Update>(&p.message); u && u->is_trade()) ++trades;
          },
          [] {});
    }
  }
  benchmark::DoNotOptimize(trades);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IqFeedParse_FramedStream);

}  // namespace
