#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "feed/tick_file.hpp"
#include "tick_files_support.hpp"

namespace spacetime::feed {
namespace {

using market::Tick;
using testing::read_all;

struct Read {
  market::SymbolRegistry symbols;
  std::vector<Tick> ticks;
  LineErrors errors;
  RejectCounts rejected;
};

Read read_csv(std::string_view text, const TickFileOptions& options = {}) {
  Read r;
  auto reader = TickFileReader::from_buffer(text, r.symbols, options);
  EXPECT_EQ(reader.format(), TickFileFormat::kCsv);
  r.ticks = read_all(reader, 3);  // a small batch crosses batch boundaries often
  r.errors = reader.line_errors();
  r.rejected = reader.rejected();
  return r;
}

TEST(CsvTickFile, ReadsIntegerNanosecondAndIsoTimestamps) {
  const auto r = read_csv(
      "ts,symbol,price,size\n"
      "1767364200000000000,AAA,1,1\n"
      "2026-01-02T14:30:00Z,AAA,1,1\n"
      "2026-01-02T14:30:00.123456789Z,AAA,1,1\n"
      "2026-01-02T14:30:00.5Z,AAA,1,1\n"
      "2024-02-29T23:59:59.000001Z,AAA,1,1\n"
      "1970-01-01T00:00:00Z,AAA,1,1\n"
      "0,AAA,1,1\n");
  ASSERT_EQ(r.ticks.size(), 7u);
  EXPECT_EQ(r.ticks[0].ts_ns, 1'767'364'200'000'000'000);
  EXPECT_EQ(r.ticks[1].ts_ns, 1'767'364'200'000'000'000);
  EXPECT_EQ(r.ticks[2].ts_ns, 1'767'364'200'123'456'789);
  EXPECT_EQ(r.ticks[3].ts_ns, 1'767'364'200'500'000'000);
  EXPECT_EQ(r.ticks[4].ts_ns, 1'709'251'199'000'001'000);
  EXPECT_EQ(r.ticks[5].ts_ns, 0);
  EXPECT_EQ(r.ticks[6].ts_ns, 0);
  EXPECT_EQ(r.errors.total(), 0u);
}

TEST(CsvTickFile, AcceptsTsNsAndColumnsInAnyOrder) {
  const auto r = read_csv(
      "Symbol, size ,TS_NS,price,ask,bid\n"
      "AAA,300,1000,101.23,101.24,101.22\n");
  ASSERT_EQ(r.ticks.size(), 1u);
  const Tick& t = r.ticks[0];
  EXPECT_EQ(t.ts_ns, 1000);
  EXPECT_EQ(t.price, 10123);
  EXPECT_EQ(t.size, 300);
  EXPECT_EQ(t.bid, 10122);
  EXPECT_EQ(t.ask, 10124);
  EXPECT_EQ(r.errors.total(), 0u);
}

TEST(CsvTickFile, QuantisesAndSequencesPerSymbolWithOptionalQuotes) {
  const auto r = read_csv(
      "ts,symbol,price,size,bid,ask\n"
      "1,AAA,101.23,100,101.22,101.24\n"
      "2,BBB,50,7,,\n"
      "3,AAA,101.25,1,,101.26\n"
      "4,\"BBB\",+50.01,2, 50 , 50.02 \n");
  ASSERT_EQ(r.ticks.size(), 4u);
  EXPECT_EQ(r.ticks[0].seq, 1u);
  EXPECT_EQ(r.ticks[1].seq, 1u);
  EXPECT_EQ(r.ticks[2].seq, 2u);
  EXPECT_EQ(r.ticks[3].seq, 2u);
  EXPECT_EQ(r.ticks[1].bid, 0);  // empty quote fields: no quote
  EXPECT_EQ(r.ticks[1].ask, 0);
  EXPECT_EQ(r.ticks[2].bid, 0);
  EXPECT_EQ(r.ticks[2].ask, 10126);
  EXPECT_EQ(r.ticks[3].symbol, r.ticks[1].symbol);
  EXPECT_EQ(r.ticks[3].price, 5001);
  EXPECT_EQ(r.ticks[3].bid, 5000);
  EXPECT_EQ(r.ticks[3].ask, 5002);
}

TEST(CsvTickFile, HandlesCrlfBlankLinesByteOrderMarkAndNoFinalNewline) {
  const auto r = read_csv(
      "\xEF\xBB\xBF\r\n"
      "ts,symbol,price,size\r\n"
      "\r\n"
      "1,AAA,1.00,1\r\n"
      "   \r\n"
      "\n"
      "2,AAA,2.00,2\r\n"
      "3,AAA,3.00,3");
  ASSERT_EQ(r.ticks.size(), 3u);
  EXPECT_EQ(r.ticks[2].price, 300);
  EXPECT_EQ(r.ticks[2].size, 3);
  EXPECT_EQ(r.errors.total(), 0u);
}

TEST(CsvTickFile, ParsesNumbersExactlyToTheNearestDouble) {
  // The reference is strtod (correctly rounded in glibc): from_chars must give the same
  // double, so the quantised ticks are the D1 formula of the exact decimal.
  std::mt19937_64 rng(7);
  std::string csv = "ts,symbol,price,size\n";
  std::vector<std::pair<std::string, std::string>> values;
  for (int i = 0; i < 5000; ++i) {
    char price[64];
    char size[64];
    std::snprintf(price, sizeof price, "%.*g", 1 + static_cast<int>(rng() % 17),
                  std::ldexp(static_cast<double>(rng() >> 11), -53) * 1000.0 + 1e-6);
    std::snprintf(size, sizeof size, "%.*f", static_cast<int>(rng() % 9),
                  static_cast<double>(rng() % 100'000'000) / 1e4);
    values.emplace_back(price, size);
    csv += std::to_string(i) + ",BTC," + price + "," + size + "\n";
  }
  TickFileOptions options;
  options.symbols["BTC"] = {.tick_size = 1e-6, .size_scale = 1e8};
  const auto r = read_csv(csv, options);
  ASSERT_EQ(r.ticks.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double price = std::strtod(values[i].first.c_str(), nullptr);
    const double size = std::strtod(values[i].second.c_str(), nullptr);
    ASSERT_EQ(r.ticks[i].price, std::llround(price / 1e-6)) << values[i].first;
    ASSERT_EQ(r.ticks[i].size, std::llround(size * 1e8)) << values[i].second;
  }
}

TEST(CsvTickFile, RegistersEverySymbolBeforeTheFirstReadInOrderOfAppearance) {
  const std::string csv =
      "ts,symbol,price,size\n"
      "1,ZZZ,1,1\n"
      "2,AAA,1,1\n"
      "3,ZZZ,1,1\n"
      "4,BTC,1,1\n"
      "5,ETH,1,1\n"
      "6,,1,1\n"        // bad symbol: never registered
      "7,XXX,1,1,1\n";  // wrong field count: never registered
  market::SymbolRegistry symbols;
  symbols.add({.name = "ETH", .tick_size = 0.5, .size_scale = 1e8, .decimals = 1});
  TickFileOptions options;
  options.tick_size = 0.05;
  options.symbols["BTC"] = {.tick_size = 0.25, .size_scale = 1e6};
  options.symbols["ETH"] = {.tick_size = 1.0, .size_scale = 1.0};  // already registered: ignored
  auto reader = TickFileReader::from_buffer(csv, symbols, options);
  ASSERT_EQ(symbols.size(), 4u);  // before any read()
  EXPECT_EQ(symbols.info(1).name, "ZZZ");
  EXPECT_EQ(symbols.info(2).name, "AAA");
  EXPECT_EQ(symbols.info(3).name, "BTC");
  EXPECT_DOUBLE_EQ(symbols.info(1).tick_size, 0.05);
  EXPECT_DOUBLE_EQ(symbols.info(1).size_scale, 1.0);
  EXPECT_EQ(symbols.info(1).decimals, 2);
  EXPECT_DOUBLE_EQ(symbols.info(3).tick_size, 0.25);
  EXPECT_DOUBLE_EQ(symbols.info(3).size_scale, 1e6);
  EXPECT_DOUBLE_EQ(symbols.info(0).tick_size, 0.5);
  EXPECT_EQ(reader.expected_ticks(), 7u);
  const auto ticks = read_all(reader);
  ASSERT_EQ(ticks.size(), 5u);
  EXPECT_EQ(ticks[4].symbol, 0u);
  EXPECT_EQ(ticks[4].price, 2);  // 1 / 0.5
}

TEST(CsvTickFile, DefaultsToTickSizeOneCentAndSizeScaleOne) {
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer("ts,symbol,price,size\n1,AAA,1.5,2\n", symbols);
  ASSERT_EQ(symbols.size(), 1u);
  EXPECT_DOUBLE_EQ(symbols.info(0).tick_size, 0.01);
  EXPECT_DOUBLE_EQ(symbols.info(0).size_scale, 1.0);
}

TEST(CsvTickFile, CountsEveryMalformedKindWithItsFirstLineAndSkipsTheLine) {
  const auto r = read_csv(
      "ts,symbol,price,size,bid,ask\n"         // 1
      "1,AAA,1,1,,\n"                          // 2 ok
      "2,AAA,1,1\n"                            // 3 field count
      "3,AAA,abc,1,,\n"                        // 4 bad number (price)
      "2026-13-01T00:00:00Z,AAA,1,1,,\n"       // 5 bad timestamp (month 13)
      ",AAA,1,1,,\n"                           // 6 bad timestamp (empty)
      "4,,1,1,,\n"                             // 7 bad symbol
      "5,AAA,1,1,x,\n"                         // 8 bad number (bid)
      "6,AAA,1,1,,,\n"                         // 9 field count
      "7,AAA,1,1e999,,\n"                      // 10 bad number (out of range)
      "2026-02-29T00:00:00Z,AAA,1,1,,\n"       // 11 bad timestamp (not a leap year)
      "2026-01-02T14:30:00+01:00,AAA,1,1,,\n"  // 12 bad timestamp (not UTC)
      "8,AAA,0x10,1,,\n"                       // 13 bad number (hex)
      "9,A\x01"
      "A,1,1,,\n"         // 14 bad symbol (control character)
      "10,AAA,2,2,,\n");  // 15 ok
  ASSERT_EQ(r.ticks.size(), 2u);
  EXPECT_EQ(r.ticks[1].ts_ns, 10);
  EXPECT_EQ(r.ticks[1].seq, 2u);

  EXPECT_EQ(r.errors[LineError::kBadHeader], 0u);
  EXPECT_EQ(r.errors[LineError::kFieldCount], 2u);
  EXPECT_EQ(r.errors[LineError::kBadNumber], 4u);
  EXPECT_EQ(r.errors[LineError::kBadTimestamp], 4u);
  EXPECT_EQ(r.errors[LineError::kBadSymbol], 2u);
  EXPECT_EQ(r.errors.total(), 12u);

  EXPECT_EQ(r.errors.first_of(LineError::kFieldCount)->line, 3u);
  EXPECT_EQ(r.errors.first_of(LineError::kFieldCount)->message, "expected 6 fields, found 4");
  EXPECT_EQ(r.errors.first_of(LineError::kBadNumber)->line, 4u);
  EXPECT_EQ(r.errors.first_of(LineError::kBadNumber)->message,
            "bad number in column 'price': 'abc'");
  EXPECT_EQ(r.errors.first_of(LineError::kBadTimestamp)->line, 5u);
  EXPECT_NE(r.errors.first_of(LineError::kBadTimestamp)->message.find("'2026-13-01T00:00:00Z'"),
            std::string::npos);
  EXPECT_EQ(r.errors.first_of(LineError::kBadSymbol)->line, 7u);
  EXPECT_EQ(r.errors.first_of(LineError::kBadSymbol)->message, "empty symbol");
  EXPECT_FALSE(r.errors.first_of(LineError::kBadHeader).has_value());
  EXPECT_EQ(r.rejected.total(), 0u);
}

TEST(CsvTickFile, BadHeaderIsCountedAndFieldsAreReadByPosition) {
  const auto r = read_csv(
      "\n"
      "time,sym,px,qty\n"
      "1,AAA,1.5,2\n"
      "2,AAA,1.5,2,1.49,1.51\n"
      "3,AAA,1.5\n");
  EXPECT_EQ(r.errors[LineError::kBadHeader], 1u);
  EXPECT_EQ(r.errors.first_of(LineError::kBadHeader)->line, 2u);
  EXPECT_NE(r.errors.first_of(LineError::kBadHeader)->message.find("unknown column 'time'"),
            std::string::npos);
  ASSERT_EQ(r.ticks.size(), 2u);
  EXPECT_EQ(r.ticks[1].bid, 149);
  EXPECT_EQ(r.errors[LineError::kFieldCount], 1u);
  EXPECT_EQ(r.errors.first_of(LineError::kFieldCount)->message, "expected 4 or 6 fields, found 3");

  const auto duplicate = read_csv("ts,symbol,price,size,ts_ns\n1,AAA,1,1\n");
  EXPECT_NE(duplicate.errors.first_of(LineError::kBadHeader)->message.find("appears twice"),
            std::string::npos);
  EXPECT_EQ(duplicate.ticks.size(), 1u);
  const auto missing = read_csv("ts,symbol,size\n1,AAA,1,1\n");
  EXPECT_NE(missing.errors.first_of(LineError::kBadHeader)->message.find("no column 'price'"),
            std::string::npos);
}

TEST(CsvTickFile, InvalidTicksAreRejectedByTheNormalizerAndCounted) {
  const auto r = read_csv(
      "ts,symbol,price,size\n"
      "1,AAA,nan,1\n"
      "2,AAA,-1,1\n"
      "3,AAA,0,1\n"
      "4,AAA,inf,1\n"
      "5,AAA,1,-1\n"
      "6,AAA,1,NaN\n"
      "-7,AAA,1,1\n"
      "8,AAA,1,0\n");  // size 0 is a valid trade size
  ASSERT_EQ(r.ticks.size(), 1u);
  EXPECT_EQ(r.ticks[0].ts_ns, 8);
  EXPECT_EQ(r.ticks[0].seq, 1u);  // rejected ticks take no sequence number
  EXPECT_EQ(r.rejected[RejectReason::kBadPrice], 4u);
  EXPECT_EQ(r.rejected[RejectReason::kBadSize], 2u);
  EXPECT_EQ(r.rejected[RejectReason::kBadTime], 1u);
  EXPECT_EQ(r.errors.total(), 0u);
}

TEST(CsvTickFile, EmptyFileHeaderOnlyAndBlankLinesGiveNoTicksAndNoErrors) {
  for (const std::string_view text :
       {std::string_view(""), std::string_view("ts,symbol,price,size"),
        std::string_view("ts,symbol,price,size\r\n"), std::string_view("\n\n  \r\n")}) {
    const auto r = read_csv(text);
    EXPECT_TRUE(r.ticks.empty());
    EXPECT_EQ(r.errors.total(), 0u);
    EXPECT_EQ(r.symbols.size(), 0u);
  }
}

TEST(CsvTickFile, ReportsBytesReadAndExpectedTicks) {
  const std::string csv = "ts,symbol,price,size\n1,AAA,1,1\n2,AAA,1,1\n\n3,AAA,1,1\n";
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::from_buffer(csv, symbols);
  EXPECT_EQ(reader.total_bytes(), csv.size());
  EXPECT_EQ(reader.expected_ticks(), 3u);
  std::vector<Tick> one(1);
  ASSERT_EQ(reader.read(one), 1u);
  EXPECT_EQ(reader.bytes_read(), csv.find('2'));
  EXPECT_EQ(reader.ticks_read(), 1u);
  read_all(reader);
  EXPECT_EQ(reader.bytes_read(), csv.size());
  EXPECT_EQ(reader.ticks_read(), 3u);
}

TEST(CsvTickFile, OpensAFileByPathAndNamesAMissingOne) {
  const testing::TempDir dir;
  const auto path = dir / "ticks.txt";  // not .stt, no magic: CSV
  std::ofstream(path) << "ts,symbol,price,size\n1,AAA,1,1\n";
  market::SymbolRegistry symbols;
  auto reader = TickFileReader::open(path, symbols);
  EXPECT_EQ(reader.format(), TickFileFormat::kCsv);
  EXPECT_EQ(read_all(reader).size(), 1u);

  try {
    TickFileReader::open(dir / "missing.csv", symbols);
    FAIL() << "no exception";
  } catch (const TickFileError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv: cannot open"), std::string::npos);
  }
  EXPECT_THROW(TickFileReader::open(dir / "", symbols), TickFileError);  // a directory
}

}  // namespace
}  // namespace spacetime::feed
