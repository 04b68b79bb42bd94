#include "feed/quarantine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace spacetime::feed {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Quarantine : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spacetime-quarantine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    symbols_.add({.name = "AAPL"});
    symbols_.add({.name = "ODD,NAME"});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  market::SymbolRegistry symbols_;
};

TEST_F(Quarantine, NamesTheFileAfterTheRecording) {
  EXPECT_EQ(QuarantineFile::path_for("day.stt"), "day.quarantine.csv");
  EXPECT_EQ(QuarantineFile::path_for("/x/day.csv"), "/x/day.quarantine.csv");
  EXPECT_EQ(QuarantineFile::path_for("day.stt.zst"), "day.quarantine.csv");
  EXPECT_EQ(QuarantineFile::path_for("day"), "day.quarantine.csv");
}

// Issue 9: what the bad-tick filter and the time guard reject reaches the file with its
// reason, as given; accepted ticks do not.
TEST_F(Quarantine, RejectedTicksOfTheNormalizerAreWrittenWithTheirReason) {
  const auto path = dir_ / "day.quarantine.csv";
  QuarantineFile q(path.string(), symbols_);
  BadTickFilter filter;
  filter.enabled = true;
  TickNormalizer n(symbols_, TimeGuard{.max_skew_ns = 1'000'000'000, .confirm = 0}, filter);
  n.on_reject([&q](const RejectedTick& t) { q.write(t); });
  const std::int64_t t0 = 1'767'364'200'000'000'000;  // 2026-01-02T14:30:00Z
  EXPECT_TRUE(n.normalize(0, t0, 100.0, 5, 99.99, 100.01));
  EXPECT_FALSE(n.normalize(0, t0 + 1'000'000, 100.0, 5, 100.02, 100.01));         // crossed
  EXPECT_FALSE(n.normalize(1, t0 + 2'000'000, 100.5, 1e9));                       // absurd size
  EXPECT_FALSE(n.normalize(0, t0 + 60'000'000'000, 100.0, 1));                    // a minute ahead
  EXPECT_FALSE(n.normalize(0, t0, std::numeric_limits<double>::quiet_NaN(), 1));  // bad price
  EXPECT_FALSE(n.normalize(7, t0, 100.0, 1));                                     // unknown symbol
  EXPECT_FALSE(n.normalize(0, -5, 100.0, 1));                                     // bad time
  EXPECT_TRUE(n.normalize(0, t0 + 3'000'000, 100.01, 2));
  ASSERT_TRUE(q.close()) << q.error();
  EXPECT_EQ(q.rows(), 6u);
  EXPECT_EQ(q.overflow(), 0u);
  EXPECT_EQ(read_all(path),
            "ts,symbol,price,size,bid,ask,reason\n"
            "2026-01-02T14:30:00.001Z,AAPL,100,5,100.02,100.01,bad_quote\n"
            "2026-01-02T14:30:00.002Z,\"ODD,NAME\",100.5,1000000000,0,0,absurd_size\n"
            "2026-01-02T14:31:00Z,AAPL,100,1,0,0,future_time\n"
            "2026-01-02T14:30:00Z,AAPL,nan,1,0,0,bad_price\n"
            "2026-01-02T14:30:00Z,#7,100,1,0,0,unknown_symbol\n"
            "-5,AAPL,100,1,0,0,bad_time\n");
}

TEST_F(Quarantine, IsBoundedAndCountsTheRest) {
  const auto path = dir_ / "q.csv";
  QuarantineFile q(path.string(), symbols_, 3);
  for (int i = 0; i < 10; ++i) {
    q.write({.reason = RejectReason::kBadQuote, .symbol = 0, .ts_ns = i, .price = 1.0});
  }
  ASSERT_TRUE(q.close());
  EXPECT_EQ(q.rows(), 3u);
  EXPECT_EQ(q.overflow(), 7u);
  const std::string text = read_all(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);  // header + 3
}

TEST_F(Quarantine, NothingRejectedLeavesNoFileUnlessOpened) {
  const auto path = dir_ / "none.csv";
  QuarantineFile q(path.string(), symbols_);
  EXPECT_TRUE(q.close());
  EXPECT_FALSE(std::filesystem::exists(path));
  // open() truncates what an earlier recording of the same name left.
  std::ofstream(path) << "ts,symbol,price,size,bid,ask,reason\nold,AAPL,1,1,0,0,bad_quote\n";
  QuarantineFile fresh(path.string(), symbols_);
  ASSERT_TRUE(fresh.open());
  EXPECT_TRUE(fresh.close());
  EXPECT_EQ(read_all(path), "ts,symbol,price,size,bid,ask,reason\n");
}

TEST_F(Quarantine, AnUnwritablePathIsAnErrorNotACrash) {
  QuarantineFile q((dir_ / "missing" / "q.csv").string(), symbols_);
  q.write({.reason = RejectReason::kBadQuote});
  q.write({.reason = RejectReason::kBadQuote});
  EXPECT_FALSE(q.close());
  EXPECT_NE(q.error().find("missing"), std::string::npos) << q.error();
  EXPECT_EQ(q.rows(), 0u);
  EXPECT_EQ(q.overflow(), 2u);
}

}  // namespace
}  // namespace spacetime::feed
