#include "store/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace spacetime::store {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  SpoolTest() {
    path = (fs::temp_directory_path() /
            ("spacetime_spool_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".spool"))
               .string();
    fs::remove(path);
  }
  ~SpoolTest() override { fs::remove(path); }
  std::string path;
};

TEST_F(SpoolTest, ReplaysRecordsInOrderAcrossReopening) {
  {
    Spool spool(path);
    spool.append("one", 10);
    spool.append("two", 20);
    spool.append("three", 30);
    EXPECT_EQ(spool.oldest_ns(), 10);
  }
  Spool spool(path);
  ASSERT_EQ(spool.size(), 3u);
  EXPECT_EQ(spool.front(), "one");
  spool.pop_front();
  EXPECT_EQ(spool.front(), "two");
  EXPECT_EQ(spool.oldest_ns(), 20);
  spool.pop_front();
  spool.pop_front();
  EXPECT_TRUE(spool.empty());
  EXPECT_EQ(spool.bytes(), 0u);
  EXPECT_EQ(fs::file_size(path), 0u);
  spool.append("four", 40);
  EXPECT_EQ(spool.front(), "four");
}

TEST_F(SpoolTest, CutsATornTailAndKeepsTheWholeRecords) {
  {
    Spool spool(path);
    spool.append("whole", 1);
    spool.append("torn record", 2);
  }
  fs::resize_file(path, fs::file_size(path) - 3);  // a crash in the middle of an append
  Spool spool(path);
  ASSERT_EQ(spool.size(), 1u);
  EXPECT_GT(spool.discarded_bytes(), 0u);
  EXPECT_EQ(spool.front(), "whole");
  spool.append("next", 3);
  Spool again(path);
  ASSERT_EQ(again.size(), 2u);
  again.pop_front();
  EXPECT_EQ(again.front(), "next");
}

TEST_F(SpoolTest, StopsAtACorruptRecord) {
  {
    Spool spool(path);
    spool.append("good", 1);
    spool.append("flipped", 2);
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) - 2));
    f.put('X');
  }
  Spool spool(path);
  ASSERT_EQ(spool.size(), 1u);
  EXPECT_EQ(spool.front(), "good");
}

TEST_F(SpoolTest, ShrinksTheOldestRecordsFirstUntilUnderTheBound) {
  Spool spool(path);
  for (int i = 0; i < 10; ++i)
    spool.append(std::string(100, static_cast<char>('a' + i)), i);
  const auto before = spool.bytes();
  int offered = 0;
  spool.shrink_oldest(before - 150, [&](std::string_view p) {
    ++offered;
    return std::string(p.substr(0, 10));
  });
  EXPECT_EQ(offered, 2);  // 90 bytes saved per record
  EXPECT_LE(spool.bytes(), before - 150);
  ASSERT_EQ(spool.size(), 10u);
  EXPECT_EQ(spool.front(), std::string(10, 'a'));
  Spool reopened(path);
  EXPECT_EQ(reopened.bytes(), spool.bytes());
}

}  // namespace
}  // namespace spacetime::store
