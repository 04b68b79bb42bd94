// Shared by the tick file tests: a private temporary directory, simulated ticks with their
// registry, and reading a file to the end.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "feed/simulator.hpp"
#include "feed/tick_file.hpp"

namespace spacetime::feed::testing {

// Removed with everything in it when the test ends; named after the test and the process,
// so parallel ctest runs never share one.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterised tests
    }
    path_ = std::filesystem::temp_directory_path() /
            ("spacetime-files-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline bool same(const market::Tick& a, const market::Tick& b) {
  return a.ts_ns == b.ts_ns && a.price == b.price && a.size == b.size && a.bid == b.bid &&
         a.ask == b.ask && a.seq == b.seq && a.symbol == b.symbol;
}

inline std::vector<market::Tick> read_all(TickFileReader& reader, std::size_t batch = 1000) {
  std::vector<market::Tick> out;
  std::vector<market::Tick> buf(batch);
  while (const std::size_t n = reader.read(buf))
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

constexpr std::int64_t kStart = 1'767'364'200'000'000'000;  // 2026-01-02T14:30:00Z

struct Simulated {
  market::SymbolRegistry symbols;
  std::vector<market::Tick> ticks;
};

inline Simulated simulate(std::size_t symbols, std::size_t n, std::uint64_t seed = 1) {
  Simulated s;
  Simulator sim({.symbols = symbols, .rate = 10'000, .seed = seed, .start_ns = kStart});
  for (const auto& info : sim.symbols())
    s.symbols.add(info);
  s.ticks.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    s.ticks.push_back(sim.next());
  return s;
}

inline std::string write_to_string(const market::SymbolRegistry& symbols,
                                   const std::vector<market::Tick>& ticks,
                                   TickFileWriterOptions options) {
  std::string out;
  auto writer = TickFileWriter::to_buffer(out, symbols, options);
  writer.write(ticks);
  writer.close();
  return out;
}

}  // namespace spacetime::feed::testing
