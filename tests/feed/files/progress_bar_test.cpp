// The progress bar lives in app (src/app/progress.hpp); its tests sit with the tick file
// work that introduced it.
#include "app/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace spacetime::app {
namespace {

using namespace std::chrono_literals;

TEST(ProgressBar, ShowsBarPercentCountsRateAndEta) {
  const ProgressState state{
      .fraction = 0.25, .ticks = 1'234'567, .ticks_per_s = 3'100'000, .elapsed = 10s};
  const std::string line = ProgressBar::render(state, "convert", 100);
  EXPECT_EQ(line.rfind("convert [", 0), 0u) << line;
  EXPECT_NE(line.find(" 25.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("1.23 M ticks"), std::string::npos) << line;
  EXPECT_NE(line.find("3.10 M ticks/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:30"), std::string::npos) << line;
  EXPECT_LT(line.size(), 100u);
}

TEST(ProgressBar, WithoutATotalShowsCountsAndElapsedOnly) {
  const ProgressState state{.ticks = 42, .ticks_per_s = 12.0, .elapsed = 3723s};
  const std::string line = ProgressBar::render(state, "", 80);
  EXPECT_EQ(line.find('['), std::string::npos) << line;
  EXPECT_EQ(line.find('%'), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos) << line;
  EXPECT_NE(line.find("42 ticks  12 ticks/s  1:02:03"), std::string::npos) << line;
}

TEST(ProgressBar, FitsANarrowTerminal) {
  const ProgressState state{.fraction = 0.5, .ticks = 10, .ticks_per_s = 1, .elapsed = 1s};
  for (const int width : {20, 40, 60, 200})
    EXPECT_LT(ProgressBar::render(state, "replay", width).size(), static_cast<std::size_t>(width));
}

TEST(ProgressBar, DrawsOnlyOnATerminalUnlessForcedAndErasesItself) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressBar quiet("x", file);
    EXPECT_FALSE(quiet.enabled());
    quiet.update({.fraction = 0.5});
  }
  EXPECT_EQ(std::ftell(file), 0);
  {
    ProgressBar forced("x", file, true);
    forced.update({.fraction = 0.5});
    forced.update({.fraction = 0.6});  // within kRedrawInterval: not drawn
  }
  std::rewind(file);
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  const std::string out(buf, n);
  EXPECT_NE(out.find("50.0%"), std::string::npos) << out;
  EXPECT_EQ(out.find("60.0%"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\x1b[K")) << out;
  std::fclose(file);
}

TEST(ProgressBar, HumanUnits) {
  EXPECT_EQ(human_count(12), "12");
  EXPECT_EQ(human_count(45'678), "45.7 k");
  EXPECT_EQ(human_count(5'250'000), "5.25 M");
  EXPECT_EQ(human_count(2.5e9), "2.50 G");
  EXPECT_EQ(human_duration(7s), "0:07");
  EXPECT_EQ(human_duration(754s), "12:34");
  EXPECT_EQ(human_duration(3723s), "1:02:03");
}

}  // namespace
}  // namespace spacetime::app
