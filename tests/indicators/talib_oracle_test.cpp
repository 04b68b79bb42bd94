// Bit-for-bit oracle tests of the smoothers (docs/INDICATORS.md § 2.2) against TA-Lib, the
// C library built by npm talib@1.1.6 in tests/oracle (scripts/setup installs it):
//   Sma(n)  == TA_SMA(n),  Ema(n) == TA_EMA(n),
//   Zlma(n) == TA_EMA(n) of d_k = 2.0 * x_k - x_{k-L}, L = (n - 1) / 2, with d computed here.
// TA_SMA and TA_EMA reject n = 1, so n = 1 is compared with TA_MA(1), TA-Lib's identity.
// Every double is compared with ==; alignment: our k-th output (1-based) is valid once
// ready(), TA-Lib's first output is input index begIndex. Node runs
// tests/oracle/talib_oracle.mjs as a child process; a missing node or talib is a failure.
#include "indicators/bar_indicators.hpp"
#include "indicators/smoothers.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef SPACETIME_ORACLE_DIR
#error "SPACETIME_ORACLE_DIR must name tests/oracle (tests/CMakeLists.txt defines it)"
#endif

extern char** environ;

namespace spacetime::indicators {
namespace {

constexpr std::array<std::size_t, 8> kPeriods = {1, 2, 3, 10, 14, 20, 21, 50};
constexpr std::string_view kTalibVersion = "1.1.6";

// ---------------------------------------------------------------------------------------
// Running the oracle

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct OracleResult {
  bool ok = false;
  std::string error;
  std::size_t beg = 0;
  std::vector<double> values;
};

struct OracleOutput {
  std::string header;
  std::map<std::string, OracleResult> calls;
};

// Runs `node talib_oracle.mjs request.json`; stdout and stderr go to files (no pipe to
// drain). Returns false with a message when the oracle cannot run or fails.
bool run_oracle(const std::string& request, std::string& out, std::string& message) {
  static int counter = 0;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("spacetime-talib-oracle-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  const auto req_path = dir / "request.json";
  const auto out_path = dir / "stdout.txt";
  const auto err_path = dir / "stderr.txt";
  {
    std::ofstream f(req_path, std::ios::binary);
    f << request;
  }
  const char* env_node = std::getenv("SPACETIME_NODE");
  const std::string node = env_node != nullptr && *env_node != '\0' ? env_node : "node";
  const std::string script = std::string(SPACETIME_ORACLE_DIR) + "/talib_oracle.mjs";
  const std::string req_arg = req_path.string();
  std::vector<char*> argv = {const_cast<char*>(node.c_str()), const_cast<char*>(script.c_str()),
                             const_cast<char*>(req_arg.c_str()), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    message = "cannot start node ('" + node + "': " + std::strerror(rc) +
              "): the TA-Lib oracle needs node on PATH (or $SPACETIME_NODE); run scripts/setup";
    std::filesystem::remove_all(dir);
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out = read_file(out_path);
  const std::string err = read_file(err_path);
  std::filesystem::remove_all(dir);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    message = "the TA-Lib oracle (" + node + " " + script + ") failed with exit code " +
              std::to_string(code) + (code == 127 ? " (node not found)" : "") + ": " + err +
              (code == 3 ? "" : " -- scripts/setup installs node and tests/oracle's packages");
    return false;
  }
  return true;
}

bool parse_double(std::string_view s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Parses the oracle's line protocol (see tests/oracle/talib_oracle.mjs).
bool parse_output(const std::string& text, OracleOutput& parsed, std::string& message) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line.rfind("talib_oracle 1 ", 0) != 0) {
    message = "unexpected oracle output header: '" + line + "'";
    return false;
  }
  parsed.header = line;
  while (std::getline(in, line)) {
    if (line.rfind("end ", 0) == 0) return true;
    std::istringstream head(line);
    std::string word, id, fn, period, status;
    head >> word >> id >> fn >> period >> status;
    if (word != "call") {
      message = "unexpected oracle line: '" + line + "'";
      return false;
    }
    OracleResult& r = parsed.calls[id];
    if (status == "error") {
      std::getline(head, r.error);
      continue;
    }
    std::size_t count = 0;
    head >> r.beg >> count;
    if (status != "ok" || !head) {
      message = "bad oracle call line: '" + line + "'";
      return false;
    }
    r.ok = true;
    r.values.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (!std::getline(in, line) || !parse_double(line, r.values[i])) {
        message = "bad value line " + std::to_string(i) + " of call " + id + ": '" + line + "'";
        return false;
      }
    }
  }
  message = "the oracle output has no end line (truncated?)";
  return false;
}

// ---------------------------------------------------------------------------------------
// Building the request: doubles in the shortest form that round-trips (std::to_chars);
// JSON.parse reads it back as the same double.

void append_number(std::string& s, double x) {
  std::array<char, 32> buf{};
  const auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  s.append(buf.data(), p);
}

class Request {
 public:
  void series(const std::string& name, const std::vector<double>& xs) {
    series_ += series_.empty() ? "\"" : ",\"";
    series_ += name + "\":[";
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (i != 0) series_ += ',';
      append_number(series_, xs[i]);
    }
    series_ += ']';
  }
  void call(const std::string& id, const std::string& fn, std::size_t period,
            const std::string& input, const std::string& matype = "") {
    calls_ += calls_.empty() ? "" : ",";
    calls_ += "{\"id\":\"" + id + "\",\"fn\":\"" + fn + "\",\"period\":" + std::to_string(period) +
              ",\"input\":\"" + input + "\"";
    if (!matype.empty()) calls_ += ",\"matype\":\"" + matype + "\"";
    calls_ += '}';
  }
  // A call given as its JSON object, for functions with several inputs (CHOP).
  void raw_call(const std::string& object) {
    calls_ += calls_.empty() ? "" : ",";
    calls_ += object;
  }
  std::string json() const { return "{\"series\":{" + series_ + "},\"calls\":[" + calls_ + "]}"; }

 private:
  std::string series_;
  std::string calls_;
};

// ---------------------------------------------------------------------------------------
// Comparing a streaming smoother with TA-Lib's batch output

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (0x%016" PRIx64 ")", v, std::bit_cast<std::uint64_t>(v));
  return buf;
}

// Streams x[offset..] through `s` and checks, with ==, every ready output against r, whose
// first output belongs to input index r.beg (counted from x[0]; x[offset] is the first
// input `s` sees).
template <typename Smoother>
::testing::AssertionResult matches(Smoother s, const std::vector<double>& x, std::size_t offset,
                                   const OracleResult& r) {
  if (!r.ok) return ::testing::AssertionFailure() << "the oracle reported an error:" << r.error;
  std::size_t first_ready = x.size(), produced = 0, mismatches = 0;
  std::string first_diff;
  for (std::size_t i = offset; i < x.size(); ++i) {
    s.update(x[i]);
    if (!s.ready()) continue;
    if (first_ready == x.size()) first_ready = i;
    const std::size_t j = produced++;
    if (i < r.beg || j >= r.values.size()) continue;  // reported as an alignment failure
    const double ours = s.value();
    const double theirs = r.values[j];
    if (!(ours == theirs)) {
      if (mismatches++ == 0) {
        first_diff = "first difference at input index " + std::to_string(i) + " (output " +
                     std::to_string(j) + "): ours " + hex(ours) + ", TA-Lib " + hex(theirs);
      }
    }
  }
  if (first_ready != r.beg || produced != r.values.size()) {
    return ::testing::AssertionFailure()
           << "alignment: our first ready output at input index " << first_ready << ", " << produced
           << " outputs; TA-Lib begIndex " << r.beg << ", nbElement " << r.values.size();
  }
  if (mismatches != 0) {
    return ::testing::AssertionFailure()
           << mismatches << " of " << produced << " outputs differ; " << first_diff;
  }
  return ::testing::AssertionSuccess() << produced << " outputs bit-identical";
}

// d_k = 2.0 * x_k - x_{k-L} for k >= L (index 0 of d is x_L): the spec's expression.
std::vector<double> delagged(const std::vector<double>& x, std::size_t lag) {
  std::vector<double> d;
  for (std::size_t k = lag; k < x.size(); ++k)
    d.push_back(2.0 * x[k] - x[k - lag]);
  return d;
}

// n = 1: TA_SMA and TA_EMA reject it (TA-Lib's EMA lookback is -1 there); TA_MA(1) returns
// its input. Sma(1) is that identity exactly. Ema(1) follows the spec's recurrence
// y = (x - y) * 1.0 + y, which is x only when x - y is exact: always for integer price
// ticks (|q| < 2^53) and for neighbours within a factor of 2 (Sterbenz), not across
// large relative jumps between non-integer values. The spec's recurrence is normative
// (docs/INDICATORS.md § 2, n = 1), and TA-Lib has no EMA(1) to compare it with, so on such
// series n = 1 is compared for the SMA only.
enum class PeriodOneEma { kIsIdentity, kNotChecked };

// Every smoother and period of the brief on one series, in one run of the oracle.
void check_series(const std::vector<double>& x,
                  PeriodOneEma period_one = PeriodOneEma::kIsIdentity) {
  Request req;
  req.series("x", x);
  std::map<std::size_t, std::vector<double>> d_by_lag;
  for (const std::size_t n : kPeriods) {
    const std::size_t lag = (n - 1) / 2;
    if (!d_by_lag.contains(lag)) {
      d_by_lag[lag] = delagged(x, lag);
      req.series("d" + std::to_string(lag), d_by_lag[lag]);
    }
    const std::string ns = std::to_string(n);
    const std::string d = "d" + std::to_string(lag);
    if (n == 1) {
      req.call("sma" + ns, "MA", n, "x", "SMA");
      req.call("ema" + ns, "MA", n, "x", "EMA");
      req.call("zlma" + ns, "MA", n, d, "EMA");
      req.call("talib_sma1", "SMA", n, "x");  // TA-Lib rejects these two
      req.call("talib_ema1", "EMA", n, "x");
    } else {
      req.call("sma" + ns, "SMA", n, "x");
      req.call("ema" + ns, "EMA", n, "x");
      req.call("zlma" + ns, "EMA", n, d);
    }
    req.call("jszlma" + ns, "ZLMA", n, "x");  // d computed by the oracle itself
  }
  std::string out, message;
  ASSERT_TRUE(run_oracle(req.json(), out, message)) << message;
  OracleOutput o;
  ASSERT_TRUE(parse_output(out, o, message)) << message;
  ASSERT_EQ(o.header, "talib_oracle 1 talib " + std::string(kTalibVersion))
      << "tests/oracle must have talib pinned at " << kTalibVersion << ": run scripts/setup";

  EXPECT_FALSE(o.calls["talib_sma1"].ok) << "TA_SMA(1) unexpectedly accepted";
  EXPECT_FALSE(o.calls["talib_ema1"].ok) << "TA_EMA(1) unexpectedly accepted";
  for (const std::size_t n : kPeriods) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const std::string ns = std::to_string(n);
    const std::size_t lag = (n - 1) / 2;
    EXPECT_TRUE(matches(Sma(n), x, 0, o.calls["sma" + ns])) << "Sma(" << n << ")";
    if (n == 1 && period_one == PeriodOneEma::kNotChecked) {
      continue;  // see PeriodOneEma
    }
    EXPECT_TRUE(matches(Ema(n), x, 0, o.calls["ema" + ns])) << "Ema(" << n << ")";
    // TA-Lib saw d, which starts at x_L: its begIndex counts from x_L.
    OracleResult zl = o.calls["zlma" + ns];
    zl.beg += lag;
    EXPECT_TRUE(matches(Zlma(n), x, 0, zl)) << "Zlma(" << n << ") vs TA_EMA of the C++ d";
    EXPECT_TRUE(matches(Zlma(n), x, 0, o.calls["jszlma" + ns]))
        << "Zlma(" << n << ") vs TA_EMA of the oracle's own d";
    // The same d through an Ema: the de-lagging is the only thing Zlma adds.
    EXPECT_TRUE(matches(Ema(n), d_by_lag[lag], 0, o.calls["zlma" + ns])) << "Ema(" << n << ") of d";
  }
}

// ---------------------------------------------------------------------------------------
// Series

// SplitMix64: the same numbers on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  std::uint64_t s_;
};

constexpr std::size_t kLong = 30000;

// Prices as the engine has them: (double) of int64 price ticks, a walk around 10000.
std::vector<double> tick_walk(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x;
  std::int64_t q = 10000;
  for (std::size_t i = 0; i < n; ++i) {
    q = std::max<std::int64_t>(1, q + rng.uniform(-3, 3));
    x.push_back(static_cast<double>(q));
  }
  return x;
}

// Non-integer doubles: a multiplicative walk, so the values have all kinds of mantissas.
std::vector<double> double_walk(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x;
  double p = 101.37;
  for (std::size_t i = 0; i < n; ++i) {
    p = p * (1.0 + (rng.unit() - 0.5) * 0.004);
    x.push_back(p);
  }
  return x;
}

TEST(TalibOracle, RequestsAndRepliesRoundTripExactly) {
  // TA_MA(1) copies its input: what comes back is what JSON.parse read. Compared bit for bit.
  const std::vector<double> x = {0.1,
                                 1.0 / 3.0,
                                 -0.0,
                                 0.0,
                                 5e-324,
                                 2.2250738585072014e-308,
                                 1.7976931348623157e308,
                                 9007199254740993.0,
                                 9007199254740991.0,
                                 123456789.123456789,
                                 -2.5e-7,
                                 1e21,
                                 1e-7,
                                 100.37000000000001};
  Request req;
  req.series("x", x);
  req.call("id", "MA", 1, "x", "SMA");
  std::string out, message;
  ASSERT_TRUE(run_oracle(req.json(), out, message)) << message;
  OracleOutput o;
  ASSERT_TRUE(parse_output(out, o, message)) << message;
  const OracleResult& r = o.calls["id"];
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.beg, 0u);
  ASSERT_EQ(r.values.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(r.values[i]), std::bit_cast<std::uint64_t>(x[i]))
        << "index " << i << ": sent " << hex(x[i]) << ", got back " << hex(r.values[i]);
  }
}

TEST(TalibOracle, SmoothersMatchTalibOnIntegerTickWalk) {
  check_series(tick_walk(kLong, 1));
}

TEST(TalibOracle, SmoothersMatchTalibOnNonIntegerWalk) {
  check_series(double_walk(kLong, 2));
}

// Integer ticks, then non-integer prices, with jumps of up to x100 either way (the
// de-lagged 2x - x_lag leaves Sterbenz's range and goes negative).
std::vector<double> gap_series() {
  Rng rng(3);
  std::vector<double> x = tick_walk(kLong / 2, 4);
  for (std::size_t i = 300; i < x.size(); i += static_cast<std::size_t>(rng.uniform(5, 400))) {
    const double f = rng.unit() < 0.5 ? 100.0 : 0.01;
    const std::size_t end = std::min(x.size(), i + static_cast<std::size_t>(rng.uniform(1, 60)));
    for (std::size_t j = i; j < end; ++j)
      x[j] = std::max(1.0, std::round(x[j] * f));
  }
  std::vector<double> y = double_walk(kLong / 2, 5);
  for (std::size_t i = 100; i < y.size(); i += static_cast<std::size_t>(rng.uniform(3, 300))) {
    const double f = 1.0 + rng.unit() * 99.0;
    y[i] = rng.unit() < 0.5 ? y[i] * f : y[i] / f;
  }
  x.insert(x.end(), y.begin(), y.end());
  return x;
}

TEST(TalibOracle, SmoothersMatchTalibOnGaps) {
  check_series(gap_series(), PeriodOneEma::kNotChecked);
}

TEST(TalibOracle, SmoothersMatchTalibOnConstantRuns) {
  // Runs of hundreds of identical values (integer ticks, and 0.1, whose SMA sum drifts),
  // between walk segments; the series starts with a run.
  Rng rng(6);
  const std::vector<double> walk = double_walk(kLong, 7);
  std::vector<double> x;
  const std::array<double, 4> levels = {10000.0, 0.1, 12345.678, 1.0};
  std::size_t w = 0, level = 0;
  while (x.size() < kLong) {
    const auto run = static_cast<std::size_t>(rng.uniform(100, 800));
    x.insert(x.end(), run, levels[level++ % levels.size()]);
    const auto moves = static_cast<std::size_t>(rng.uniform(1, 200));
    for (std::size_t i = 0; i < moves && w < walk.size(); ++i)
      x.push_back(walk[w++]);
  }
  check_series(x, PeriodOneEma::kNotChecked);
}

TEST(TalibOracle, SmoothersMatchTalibWithZeros) {
  // Starts with zeros; single zeros, runs of zeros, and zero/price alternation.
  Rng rng(8);
  std::vector<double> x(37, 0.0);
  const std::vector<double> ticks = tick_walk(kLong, 9);
  const std::vector<double> prices = double_walk(kLong, 10);
  for (std::size_t i = 0; x.size() < kLong; ++i) {
    const auto r = rng.uniform(0, 99);
    if (r < 5) {
      x.insert(x.end(), static_cast<std::size_t>(rng.uniform(1, 300)), 0.0);
    } else if (r < 10) {
      for (int k = 0; k < 40; ++k)
        x.push_back(k % 2 == 0 ? 0.0 : ticks[i]);
    } else if (r < 15) {
      x.push_back(0.0);
    } else {
      x.push_back(r < 60 ? ticks[i] : prices[i]);
    }
  }
  check_series(x, PeriodOneEma::kNotChecked);
}

}  // namespace
}  // namespace spacetime::indicators

namespace spacetime::indicators {
namespace {

// Units in the last place between two doubles of the same sign.
std::uint64_t ulp_distance(double a, double b) {
  const auto ia = std::bit_cast<std::int64_t>(a);
  const auto ib = std::bit_cast<std::int64_t>(b);
  return ia > ib ? static_cast<std::uint64_t>(ia - ib) : static_cast<std::uint64_t>(ib - ia);
}

// The displayed CHOP of BarIndicators against an independent classic (Dreiss) Choppiness
// Index, npm lightweight-charts-indicators, after warm-up. Only log10 differs between V8 and
// glibc, so the values agree within 2 ulp; where the range is 0 the oracle says NaN and we
// show 100.
TEST(ChopOracle, DisplayedChopMatchesAnIndependentDreissImplementation) {
  std::mt19937_64 rng(17);
  std::vector<double> h, l, c;
  std::int64_t price = 10'000;
  for (int b = 0; b < 20'000; ++b) {
    const int kind = static_cast<int>(rng() % 20);
    if (kind == 0) price += static_cast<std::int64_t>(rng() % 400) - 200;  // a gap
    std::int64_t lo = price, hi = price;
    if (kind != 1) {  // kind 1: a flat bar, H == L
      lo = price - static_cast<std::int64_t>(rng() % 20);
      hi = price + static_cast<std::int64_t>(rng() % 20);
    }
    price = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
    h.push_back(static_cast<double>(hi));
    l.push_back(static_cast<double>(lo));
    c.push_back(static_cast<double>(price));
  }
  // A long flat stretch: the range is 0 and CHOP is undefined (100 on our side).
  for (int b = 0; b < 30; ++b) {
    h.push_back(10'000);
    l.push_back(10'000);
    c.push_back(10'000);
  }
  Request req;
  req.series("h", h);
  req.series("l", l);
  req.series("c", c);
  req.raw_call(R"({"id":"chop","fn":"CHOP","period":14,"high":"h","low":"l","close":"c"})");
  std::string out, message;
  ASSERT_TRUE(run_oracle(req.json(), out, message)) << message;
  OracleOutput o;
  ASSERT_TRUE(parse_output(out, o, message)) << message;
  const OracleResult& r = o.calls["chop"];
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.beg, 13u);

  BarIndicators bars(BarParams{}, 60'000'000'000);
  std::size_t compared = 0, exact = 0, undefined = 0;
  for (std::size_t b = 0; b < h.size(); ++b) {
    const BarClose bc = bars.on_close(market::Candle{.open = static_cast<std::int64_t>(c[b]),
                                                     .high = static_cast<std::int64_t>(h[b]),
                                                     .low = static_cast<std::int64_t>(l[b]),
                                                     .close = static_cast<std::int64_t>(c[b])});
    ASSERT_EQ(bc.chop_ready, b >= 13) << "bar " << b;
    if (!bc.chop_ready) continue;
    const double theirs = r.values.at(b - 13);
    if (std::isnan(theirs)) {
      EXPECT_EQ(bc.chop, 100.0) << "bar " << b;
      EXPECT_FALSE(bc.chop_pass) << "bar " << b;
      ++undefined;
      continue;
    }
    ASSERT_LE(ulp_distance(bc.chop, theirs), 2u)
        << "bar " << b << ": " << bc.chop << " vs " << theirs;
    exact += bc.chop == theirs ? 1 : 0;
    // The filter is exact integer-vs-constant arithmetic; away from the threshold it must
    // agree with the displayed value.
    if (std::fabs(theirs - 61.8) > 1e-9) {
      EXPECT_EQ(bc.chop_pass, theirs < 61.8) << "bar " << b;
    }
    ++compared;
  }
  EXPECT_GT(compared, 19'000u);
  EXPECT_GT(undefined, 10u);
  EXPECT_GT(exact, compared * 9 / 10);
}

}  // namespace
}  // namespace spacetime::indicators
