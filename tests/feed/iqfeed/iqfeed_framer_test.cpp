#include "feed/iqfeed/framer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace spacetime::feed::iqfeed {
namespace {

struct Collected {
  std::vector<std::string> lines;
  int too_long = 0;
};

void push(LineFramer& f, std::string_view chunk, Collected& c) {
  f.push(
      chunk, [&](std::string_view l) { c.lines.emplace_back(l); }, [&] { ++c.too_long; });
}

TEST(LineFramer, SplitsOnLineFeedAndStripsCarriageReturn) {
  LineFramer f;
  Collected c;
  push(f, "Q,A,1\r\nQ,B,2\nT,20240315 09:30:00\r\n", c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"Q,A,1", "Q,B,2", "T,20240315 09:30:00"}));
  EXPECT_EQ(f.pending(), 0u);
}

TEST(LineFramer, KeepsThePartialTailAcrossReads) {
  LineFramer f;
  Collected c;
  push(f, "Q,AAPL,322.7", c);
  EXPECT_TRUE(c.lines.empty());
  push(f, "5,40\r", c);  // the read ends between \r and \n
  EXPECT_TRUE(c.lines.empty());
  push(f, "\nQ,MS", c);
  push(f, "FT,1\r\n", c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"Q,AAPL,322.75,40", "Q,MSFT,1"}));
}

TEST(LineFramer, AnySplitOfAStreamGivesTheSameLines) {
  const std::string stream =
      "S,CURRENT PROTOCOL,6.2\r\nQ,AAPL,1,2,3\r\n\r\nn,ZZZZ\r\nE,oops,\r\nQ,MSFT,4,5,6\r\n";
  LineFramer whole;
  Collected expected;
  push(whole, stream, expected);
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    LineFramer f;
    Collected c;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
      push(f, std::string_view(stream).substr(pos, n), c);
      pos += n;
    }
    ASSERT_EQ(c.lines, expected.lines) << "round " << round;
  }
  EXPECT_EQ(expected.lines.size(), 6u);  // the empty line is a line too
}

TEST(LineFramer, DropsLinesLongerThanTheLimitOnceAndRecovers) {
  LineFramer f(16);
  Collected c;
  push(f, "short\n" + std::string(40, 'x') + "\nafter\n", c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"short", "after"}));
  EXPECT_EQ(c.too_long, 1);
  // Too long across reads: reported once, the rest of that line skipped.
  push(f, std::string(10, 'y'), c);
  push(f, std::string(10, 'y'), c);
  push(f, std::string(100, 'y'), c);
  EXPECT_EQ(c.too_long, 2);
  push(f, "yyy\nok\n", c);
  EXPECT_EQ(c.lines.back(), "ok");
  EXPECT_EQ(c.too_long, 2);
}

TEST(LineFramer, ResetForgetsThePartialLine) {
  LineFramer f;
  Collected c;
  push(f, "Q,HALF", c);
  f.reset();
  push(f, "Q,NEW\n", c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"Q,NEW"}));
}

}  // namespace
}  // namespace spacetime::feed::iqfeed
