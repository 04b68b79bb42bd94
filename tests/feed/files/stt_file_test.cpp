#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "feed/files/stt_format.hpp"
#include "feed/tick_file.hpp"
#include "tick_files_support.hpp"

namespace spacetime::feed {
namespace {

using market::Tick;
using testing::read_all;
using testing::same;
using testing::write_to_string;

constexpr TickFileWriterOptions kCsv{.format = TickFileFormat::kCsv};
constexpr TickFileWriterOptions kStt{.format = TickFileFormat::kStt};
constexpr TickFileWriterOptions kSttZstd{
    .format = TickFileFormat::kStt, .zstd = true, .block_ticks = 1000};

std::vector<Tick> read_buffer(std::string_view bytes, market::SymbolRegistry& symbols,
                              const TickFileOptions& options = {}) {
  auto reader = TickFileReader::from_buffer(bytes, symbols, options);
  return read_all(reader, 777);
}

std::uint32_t header_size(std::string_view stt) {
  return files::stt::load<std::uint32_t>(stt.data() + files::stt::kOffHeaderSize);
}

class SttRoundTrip : public ::testing::TestWithParam<bool> {
 protected:
  TickFileWriterOptions stt_options() const { return GetParam() ? kSttZstd : kStt; }
};

TEST_P(SttRoundTrip, CsvToSttToCsvIsBitExact) {
  const auto sim = testing::simulate(20, 50'000);
  const std::string csv = write_to_string(sim.symbols, sim.ticks, kCsv);

  market::SymbolRegistry from_csv;
  const auto csv_ticks = read_buffer(csv, from_csv);
  ASSERT_EQ(csv_ticks.size(), sim.ticks.size());
  const std::string stt = write_to_string(from_csv, csv_ticks, stt_options());

  market::SymbolRegistry from_stt;
  const auto stt_ticks = read_buffer(stt, from_stt);
  ASSERT_EQ(stt_ticks.size(), csv_ticks.size());
  for (std::size_t i = 0; i < stt_ticks.size(); ++i)
    ASSERT_TRUE(same(stt_ticks[i], csv_ticks[i])) << "tick " << i;
  const std::string back = write_to_string(from_stt, stt_ticks, kCsv);
  EXPECT_TRUE(back == csv) << "the CSV written from the .stt file differs";
}

TEST_P(SttRoundTrip, SimulatedTicksComeBackIdenticalWithTheirIds) {
  const auto sim = testing::simulate(50, 30'000, 3);
  const std::string stt = write_to_string(sim.symbols, sim.ticks, stt_options());
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(stt, symbols);
  EXPECT_EQ(reader.format(), TickFileFormat::kStt);
  EXPECT_EQ(symbols.size(), 50u);  // the whole table, before the first read
  EXPECT_EQ(reader.expected_ticks(), sim.ticks.size());
  const auto ticks = read_all(reader);
  ASSERT_EQ(ticks.size(), sim.ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i)
    ASSERT_TRUE(same(ticks[i], sim.ticks[i])) << "tick " << i;  // seq re-derived = recorded
  EXPECT_EQ(reader.bytes_read(), stt.size());
  EXPECT_EQ(reader.rejected().total(), 0u);
  for (std::size_t s = 0; s < symbols.size(); ++s) {
    EXPECT_EQ(symbols.info(static_cast<market::SymbolId>(s)).name, sim.symbols.all()[s].name);
  }
}

TEST_P(SttRoundTrip, OddTickSizesAndSizeScalesSurviveCsvAndStt) {
  market::SymbolRegistry symbols;
  symbols.add({.name = "QTR", .tick_size = 0.25, .decimals = 2});
  symbols.add({.name = "FIVE", .tick_size = 5.0, .decimals = 0});
  symbols.add({.name = "THIRD", .tick_size = 1.0 / 3.0, .size_scale = 3.0, .decimals = 10});
  symbols.add({.name = "BTC", .tick_size = 0.5, .size_scale = 1e8, .decimals = 1});
  symbols.add({.name = "ROUND", .tick_size = 0.0001, .size_scale = 0.01, .decimals = 4});
  std::vector<Tick> ticks;
  std::uint64_t seq[5] = {};
  for (std::int64_t i = 1; i <= 2000; ++i) {
    const auto s = static_cast<market::SymbolId>(i % 5);
    ticks.push_back({.ts_ns = i * 1'000'003,
                     .price = i * 7919 % 1'000'000'007 + 1,
                     .size = i * 104729 % 100'000'000,
                     .bid = i % 3 == 0 ? 0 : i * 7919 % 1'000'000'007,
                     .ask = i % 4 == 0 ? 0 : i * 7919 % 1'000'000'007 + 2,
                     .seq = ++seq[s],
                     .symbol = s});
  }
  for (const CsvTime time : {CsvTime::kNanoseconds, CsvTime::kIso}) {
    TickFileWriterOptions csv_options = kCsv;
    csv_options.csv_time = time;
    const std::string csv = write_to_string(symbols, ticks, csv_options);
    market::SymbolRegistry copy = symbols;  // the CSV carries no tick sizes
    const auto from_csv = read_buffer(csv, copy);
    ASSERT_EQ(from_csv.size(), ticks.size());
    for (std::size_t i = 0; i < ticks.size(); ++i)
      ASSERT_TRUE(same(from_csv[i], ticks[i])) << "tick " << i << " of\n" << csv.substr(0, 400);
    market::SymbolRegistry from_stt;
    const auto back = read_buffer(write_to_string(copy, from_csv, stt_options()), from_stt);
    ASSERT_EQ(back.size(), ticks.size());
    for (std::size_t i = 0; i < ticks.size(); ++i)
      ASSERT_TRUE(same(back[i], ticks[i])) << "tick " << i;
    EXPECT_DOUBLE_EQ(from_stt.info(2).tick_size, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(from_stt.info(3).size_scale, 1e8);
  }
}

TEST_P(SttRoundTrip, TruncationAnywhereIsAnErrorNamingTheOffset) {
  const auto sim = testing::simulate(5, 3000);
  const std::string stt = write_to_string(sim.symbols, sim.ticks, stt_options());
  const std::size_t h = header_size(stt);
  for (const std::size_t cut :
       {std::size_t{0}, std::size_t{5}, std::size_t{8}, std::size_t{31}, h - 1, h, h + 1, h + 15,
        h + 16, h + 48 * 3 + 7, stt.size() / 2, stt.size() - 1}) {
    market::SymbolRegistry symbols;
    try {
      read_buffer(std::string_view(stt).substr(0, cut), symbols, {.format = TickFileFormat::kStt});
      ADD_FAILURE() << "no error at cut " << cut;
    } catch (const TickFileError& e) {
      ASSERT_TRUE(e.offset().has_value());
      EXPECT_EQ(*e.offset(), cut) << e.what();
      EXPECT_NE(std::string(e.what()).find("byte offset " + std::to_string(cut)), std::string::npos)
          << e.what();
    }
  }
}

TEST_P(SttRoundTrip, EmptyTickFileHasItsSymbolsAndNoTicks) {
  const auto sim = testing::simulate(3, 0);
  const std::string stt = write_to_string(sim.symbols, {}, stt_options());
  EXPECT_EQ(stt.size(), header_size(stt));
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(stt, symbols);
  EXPECT_EQ(symbols.size(), 3u);
  EXPECT_EQ(reader.expected_ticks(), 0u);
  EXPECT_TRUE(read_all(reader).empty());
}

TEST_P(SttRoundTrip, WriterThatNeverClosedLeavesAReadableFile) {
  // The record count stays "unknown" until close(); whole records or blocks still read.
  const auto sim = testing::simulate(3, 2000);
  std::string stt = write_to_string(sim.symbols, sim.ticks, stt_options());
  files::stt::store(stt.data() + files::stt::kOffRecordCount, files::stt::kUnknownCount);
  market::SymbolRegistry symbols;
  EXPECT_EQ(read_buffer(stt, symbols).size(), sim.ticks.size());
}

INSTANTIATE_TEST_SUITE_P(Stt, SttRoundTrip, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Zstd" : "Plain"; });

TEST(SttTickFile, CorruptZstdBlockIsAnErrorNamingTheBlockOffset) {
  const auto sim = testing::simulate(5, 5000);
  const std::string good = write_to_string(sim.symbols, sim.ticks, kSttZstd);
  const std::size_t h = header_size(good);
  const auto compressed = files::stt::load<std::uint32_t>(good.data() + h);

  std::string bad = good;
  bad[h + files::stt::kBlockHeaderSize + compressed / 2] ^= 0x55;  // inside the first frame
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(bad, symbols);  // structure is fine: opens
  std::vector<Tick> buf(100);
  try {
    while (reader.read(buf) != 0) {
    }
    FAIL() << "no error";
  } catch (const TickFileError& e) {
    EXPECT_EQ(e.offset(), h);
    EXPECT_NE(std::string(e.what()).find("corrupt zstd block"), std::string::npos) << e.what();
  }

  bad = good;
  bad[h + 5] ^= 0x01;  // raw size field of the block header
  market::SymbolRegistry again;
  try {
    TickFileReader::from_buffer(bad, again);
    FAIL() << "no error";
  } catch (const TickFileError& e) {
    EXPECT_EQ(e.offset(), h);
    EXPECT_NE(std::string(e.what()).find("block header checksum"), std::string::npos) << e.what();
  }
}

TEST(SttTickFile, CorruptHeaderIsAnError) {
  const auto sim = testing::simulate(3, 10);
  const std::string good = write_to_string(sim.symbols, sim.ticks, kStt);
  auto error_of = [](const std::string& bytes) -> std::string {
    market::SymbolRegistry symbols;
    try {
      TickFileReader::from_buffer(bytes, symbols, {.format = TickFileFormat::kStt});
    } catch (const TickFileError& e) {
      return e.what();
    }
    return "no error";
  };
  std::string bad = good;
  bad[files::stt::kFixedHeaderSize + files::stt::kSymbolEntrySize] ^= 0x20;  // a name's byte
  EXPECT_NE(error_of(bad).find("byte offset 20: header checksum mismatch"), std::string::npos)
      << error_of(bad);
  bad = good;
  bad[1] = 'X';
  EXPECT_NE(error_of(bad).find("byte offset 0: not a .stt tick file"), std::string::npos);
  bad = good;
  bad[files::stt::kOffVersion] = 9;
  EXPECT_NE(error_of(bad).find("byte offset 8: unsupported .stt version 9"), std::string::npos);
  bad = good;
  bad += std::string(48, '\0');  // one record more than the header says
  EXPECT_NE(error_of(bad).find("trailing bytes"), std::string::npos) << error_of(bad);
}

TEST(SttTickFile, InvalidRecordsAreRejectedByTheNormalizerAndCounted) {
  market::SymbolRegistry registry;
  registry.add({.name = "AAA"});
  std::vector<Tick> ticks = {
      {.ts_ns = 1, .price = 100, .size = 1, .symbol = 0},
      {.ts_ns = 2, .price = 0, .size = 1, .symbol = 0},     // bad price
      {.ts_ns = 3, .price = -5, .size = 1, .symbol = 0},    // bad price
      {.ts_ns = 4, .price = 100, .size = -1, .symbol = 0},  // bad size
      {.ts_ns = -5, .price = 100, .size = 1, .symbol = 0},  // bad time
      {.ts_ns = 6, .price = 100, .size = 1, .symbol = 0},
      {.ts_ns = 7, .price = 100, .size = 1, .symbol = 0},  // patched to symbol 9 below
  };
  std::string stt = write_to_string(registry, ticks, kStt);
  const std::size_t last = header_size(stt) + 6 * files::stt::kRecordSize;
  files::stt::store(stt.data() + last + files::stt::kRecSymbol, std::uint32_t{9});
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(stt, symbols);
  const auto read = read_all(reader);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[1].ts_ns, 6);
  EXPECT_EQ(read[1].seq, 2u);
  EXPECT_EQ(reader.rejected()[RejectReason::kBadPrice], 2u);
  EXPECT_EQ(reader.rejected()[RejectReason::kBadSize], 1u);
  EXPECT_EQ(reader.rejected()[RejectReason::kBadTime], 1u);
  EXPECT_EQ(reader.rejected()[RejectReason::kUnknownSymbol], 1u);
}

TEST(SttTickFile, OverridesReQuantiseStoredTicks) {
  market::SymbolRegistry registry;
  registry.add({.name = "AAA"});  // 0.01
  const std::vector<Tick> ticks = {{.ts_ns = 1,
                                    .price = 10'003,
                                    .size = 5,
                                    .bid = 10'000,
                                    .ask = 10'005,
                                    .seq = 1,
                                    .symbol = 0}};
  const std::string stt = write_to_string(registry, ticks, kStt);
  market::SymbolRegistry symbols;
  TickFileOptions options;
  options.tick_size = 0.05;
  const auto read = read_buffer(stt, symbols, options);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_DOUBLE_EQ(symbols.info(0).tick_size, 0.05);
  EXPECT_EQ(read[0].price, 2001);  // 100.03 / 0.05 = 2000.6
  EXPECT_EQ(read[0].bid, 2000);
  EXPECT_EQ(read[0].ask, 2001);
}

TEST(SttTickFile, FormatComesFromTheMagicThenTheExtension) {
  const testing::TempDir dir;
  const auto sim = testing::simulate(2, 100);
  {
    auto writer = TickFileWriter::create(dir / "ticks.stt", sim.symbols);
    writer.write(sim.ticks);
    writer.close();
    EXPECT_EQ(writer.ticks_written(), 100u);
    EXPECT_EQ(writer.bytes_written(), std::filesystem::file_size(dir / "ticks.stt"));
  }
  std::filesystem::copy_file(dir / "ticks.stt", dir / "ticks.bin");
  market::SymbolRegistry a;
  auto renamed = TickFileReader::open(dir / "ticks.bin", a);
  EXPECT_EQ(renamed.format(), TickFileFormat::kStt);
  EXPECT_EQ(read_all(renamed).size(), 100u);

  std::ofstream(dir / "text.stt") << "ts,symbol,price,size\n1,AAA,1,1\n";
  market::SymbolRegistry b;
  EXPECT_THROW(TickFileReader::open(dir / "text.stt", b), TickFileError);
  auto as_csv = TickFileReader::open(dir / "text.stt", b, {.format = TickFileFormat::kCsv});
  EXPECT_EQ(read_all(as_csv).size(), 1u);

  std::ofstream(dir / "empty.stt") << "";
  EXPECT_THROW(TickFileReader::open(dir / "empty.stt", b), TickFileError);
}

TEST(TickFileWriter, RefusesWhatItCannotWrite) {
  const testing::TempDir dir;
  market::SymbolRegistry symbols;
  symbols.add({.name = "AAA"});
  EXPECT_THROW(TickFileWriter::create(dir / "out.txt", symbols), std::invalid_argument);
  EXPECT_THROW(TickFileWriter::create(dir / "out.csv", symbols, {.zstd = true}),
               std::invalid_argument);
  EXPECT_THROW(TickFileWriter::create(dir / "no/such/dir/out.stt", symbols), TickFileError);
  std::string out;
  EXPECT_THROW(TickFileWriter::to_buffer(out, symbols, {}), std::invalid_argument);
  auto writer = TickFileWriter::to_buffer(out, symbols, kStt);
  const Tick unknown{.ts_ns = 1, .price = 1, .size = 1, .symbol = 5};
  EXPECT_THROW(writer.write(std::span(&unknown, 1)), std::invalid_argument);

  market::SymbolRegistry commas;
  commas.add({.name = "A,B"});
  std::string csv;
  EXPECT_THROW(TickFileWriter::to_buffer(csv, commas, kCsv), std::invalid_argument);
  EXPECT_THROW(TickFileWriter::create(dir / "commas.csv", commas), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir / "commas.csv"));  // refused before creating it
}

TEST(TickFileWriter, DestructorClosesAnUnclosedFile) {
  const testing::TempDir dir;
  const auto sim = testing::simulate(2, 500);
  {
    auto writer = TickFileWriter::create(dir / "t.stt", sim.symbols, kSttZstd);
    writer.write(sim.ticks);
  }
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::open(dir / "t.stt", symbols);
  EXPECT_EQ(reader.expected_ticks(), 500u);
  EXPECT_EQ(read_all(reader).size(), 500u);
}

}  // namespace
}  // namespace spacetime::feed
