#include "bus/redis/frame.hpp"

#include <gtest/gtest.h>

namespace spacetime::bus::redis {
namespace {

// The frame of docs/PROTOCOL.md § Redis bus codec, byte for byte.
TEST(RedisFrame, MatchesTheDocumentedExampleAndReadsBack) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "A"});
  const std::vector<market::Event> events = {market::TickEvent{.symbol = 0,
                                                               .seq = 7,
                                                               .tick_seq = 9,
                                                               .t = 1'000'000'000,
                                                               .price = 10012,
                                                               .size = 3,
                                                               .bid = 10011,
                                                               .ask = 10013}};
  std::string bytes;
  encode_frame({.epoch = 1764719000000, .batch = 42}, events, symbols, bytes);
  ASSERT_EQ(bytes.size(), kFrameHeaderSize + 24);
  EXPECT_EQ(
      bytes.substr(0, kFrameHeaderSize),
      std::string("\x01\xc0\xf9\x72\xe1\x9a\x01\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00", 17));
  FrameHeader h;
  std::vector<market::Event> out;
  EXPECT_EQ(decode_frame(bytes, symbols, h, out), 0u);
  EXPECT_EQ(h, (FrameHeader{.epoch = 1764719000000, .batch = 42}));
  EXPECT_TRUE(out == events);
}

TEST(RedisFrame, RejectsShortFramesAndOtherVersions) {
  market::SymbolRegistry symbols;
  FrameHeader h;
  std::vector<market::Event> out;
  EXPECT_THROW(decode_frame("", symbols, h, out), CodecError);
  EXPECT_THROW(decode_frame(std::string(16, '\x01'), symbols, h, out), CodecError);
  std::string frame;
  encode_frame({.epoch = 1, .batch = 1}, {}, symbols, frame);
  EXPECT_NO_THROW(decode_frame(frame, symbols, h, out));
  frame[0] = 2;
  EXPECT_THROW(decode_frame(frame, symbols, h, out), CodecError);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace spacetime::bus::redis
