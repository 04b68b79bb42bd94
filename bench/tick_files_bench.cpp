// Tick file throughput on one core: reading (open + every tick through the normalizer, as a
// replay does) and writing CSV, .stt and .stt + zstd. The input is 2^20 simulated ticks on 50
// symbols, written once per run to a private temporary directory.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "feed/simulator.hpp"
#include "feed/tick_file.hpp"

namespace {

using spacetime::feed::TickFileReader;
using spacetime::feed::TickFileWriter;
using spacetime::feed::TickFileWriterOptions;
using spacetime::market::SymbolRegistry;
using spacetime::market::Tick;

constexpr std::size_t kTicks = std::size_t{1} << 20;

struct Inputs {
  std::filesystem::path dir;
  SymbolRegistry symbols;
  std::vector<Tick> ticks;

  Inputs() {
    dir = std::filesystem::temp_directory_path() /
          ("spacetime-tick-files-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    spacetime::feed::Simulator sim(
        {.symbols = 50, .rate = 10'000, .seed = 1, .start_ns = 1'767'364'200'000'000'000});
    for (const auto& info : sim.symbols())
      symbols.add(info);
    ticks.resize(kTicks);
    for (auto& t : ticks)
      t = sim.next();
    write(path("csv"), {});
    write(path("stt"), {});
    write(path("zst.stt"), {.zstd = true});
  }
  ~Inputs() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path path(const std::string& ext) const { return dir / ("ticks." + ext); }
  void write(const std::filesystem::path& p, const TickFileWriterOptions& options) const {
    auto writer = TickFileWriter::create(p, symbols, options);
    writer.write(ticks);
    writer.close();
  }
};

const Inputs& inputs() {
  static const Inputs in;
  return in;
}

void report(benchmark::State& state, std::uint64_t bytes) {
  const auto n = static_cast<double>(state.iterations());
  state.counters["ticks/s"] =
      benchmark::Counter(n * static_cast<double>(kTicks), benchmark::Counter::kIsRate);
  state.counters["MB/s"] =
      benchmark::Counter(n * static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["bytes/tick"] = static_cast<double>(bytes) / static_cast<double>(kTicks);
}

void BM_Read(benchmark::State& state, const char* ext) {
  const auto path = inputs().path(ext);
  std::vector<Tick> buf(4096);
  for (auto _ : state) {
    SymbolRegistry symbols;
    auto reader = TickFileReader::open(path, symbols);
    std::size_t n = 0;
    while (const std::size_t got = reader.read(buf))
      n += got;
    if (n != kTicks) state.SkipWithError("lost ticks");
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, std::filesystem::file_size(path));
}
BENCHMARK_CAPTURE(BM_Read, csv, "csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Read, stt, "stt")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Read, stt_zstd, "zst.stt")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Write(benchmark::State& state, const char* ext, bool zstd) {
  const auto path = inputs().dir / (std::string("out.") + ext);
  for (auto _ : state)
    inputs().write(path, {.zstd = zstd});
  report(state, std::filesystem::file_size(path));
}
BENCHMARK_CAPTURE(BM_Write, csv, "csv", false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Write, stt, "stt", false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Write, stt_zstd, "stt", true)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
