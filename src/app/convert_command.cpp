// `spacetime convert IN OUT`: tick files between CSV and .stt (format by extension), through
// the same reader and normalizer as replay, so a converted file replays like the original.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "app/command.hpp"
#include "app/progress.hpp"
#include "feed/tick_file.hpp"

namespace spacetime::app {
namespace {

namespace fs = std::filesystem;

std::string describe(const feed::LineErrors& errors) {
  std::string out = std::to_string(errors.total()) + " bad lines";
  std::string kinds;
  for (std::size_t k = 0; k < feed::kLineErrorCount; ++k) {
    if (errors.by_kind[k] == 0) continue;
    if (!kinds.empty()) kinds += ", ";
    kinds += std::string(feed::to_string(static_cast<feed::LineError>(k))) + " " +
             std::to_string(errors.by_kind[k]);
  }
  return kinds.empty() ? out : out + " (" + kinds + ")";
}

std::string describe(const feed::RejectCounts& rejected) {
  std::string out = std::to_string(rejected.total()) + " rejected";
  std::string kinds;
  for (std::size_t k = 0; k < feed::kRejectReasonCount; ++k) {
    if (rejected.by_reason[k] == 0) continue;
    if (!kinds.empty()) kinds += ", ";
    kinds += std::string(feed::to_string(static_cast<feed::RejectReason>(k))) + " " +
             std::to_string(rejected.by_reason[k]);
  }
  return kinds.empty() ? out : out + " (" + kinds + ")";
}

class ConvertCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "convert",
        "Convert a tick file between CSV and .stt; the format follows the extension (.csv,\n"
        ".stt). All symbols of IN are registered first; bad CSV lines and invalid ticks are\n"
        "counted and skipped. Prints one summary line.");
    sub->add_option("IN", in_, "input tick file (.csv or .stt)")->required();
    sub->add_option("OUT", out_, "output tick file (.csv or .stt); replaced when done")->required();
    sub->add_flag("--zstd", zstd_, "compress .stt output in zstd blocks");
    sub->add_option("--zstd-level", zstd_level_, "zstd level (default 3)")
        ->check(CLI::Range(1, 19));
    sub->add_option("--tick-size", tick_size_,
                    "tick size of every symbol (default: 0.01 for CSV input, the file's own for "
                    ".stt input, which is then re-quantised)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--size-scale", size_scale_, "lots per size unit (default 1, or the file's)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--iso-time", iso_time_, "write CSV timestamps as ISO-8601 UTC");
    sub->add_flag("--strict", strict_, "exit 1 when any line was skipped or tick rejected");
    return sub;
  }

  int run() override {
    const fs::path in(in_);
    const fs::path out(out_);
    std::error_code ec;
    if (fs::equivalent(in, out, ec)) {
      throw std::runtime_error("IN and OUT are the same file: " + out_);
    }
    feed::TickFileWriterOptions writer_options{
        .zstd = zstd_,
        .zstd_level = zstd_level_,
        .csv_time = iso_time_ ? feed::CsvTime::kIso : feed::CsvTime::kNanoseconds};
    std::string extension = out.extension().string();
    for (char& c : extension)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Set explicitly: the file is written as OUT.partial, whose extension says nothing.
    if (extension == ".csv") writer_options.format = feed::TickFileFormat::kCsv;
    if (extension == ".stt") writer_options.format = feed::TickFileFormat::kStt;
    if (writer_options.format == feed::TickFileFormat::kAuto) {
      throw std::invalid_argument("cannot tell the format of " + out_ +
                                  " from its extension: use .csv or .stt");
    }

    feed::TickFileOptions options;
    options.tick_size = tick_size_;
    options.size_scale = size_scale_;
    // A conversion keeps every valid tick: the time guard is for what reaches the engine.
    options.time_guard.max_skew_ns = 0;
    const auto start = std::chrono::steady_clock::now();
    market::SymbolRegistry symbols;
    auto reader = feed::TickFileReader::open(in, symbols, options);

    // Written beside OUT and renamed at the end: a failed run never leaves a file that looks
    // complete (and never clobbers a good OUT).
    fs::path partial = out;
    partial += ".partial";
    std::uint64_t ticks = 0;
    std::uint64_t bytes = 0;
    try {
      auto writer = feed::TickFileWriter::create(partial, symbols, writer_options);
      ProgressBar bar("convert");
      std::vector<market::Tick> batch(8192);
      // A jump in a symbol's numbers is a gap the input recorded (a live feed's drop, .stt
      // version 3): written again as a gap record so the output numbers its trades the same.
      std::vector<std::uint64_t> last_seq(symbols.size(), 0);
      std::vector<market::Tick> out_ticks;
      while (const std::size_t n = reader.read(batch)) {
        out_ticks.clear();
        for (std::size_t i = 0; i < n; ++i) {
          const market::Tick& t = batch[i];
          if (!market::is_correction(t) && t.symbol < last_seq.size()) {
            if (t.seq > last_seq[t.symbol] + 1) {
              out_ticks.push_back(
                  {.ts_ns = t.ts_ns,
                   .size = static_cast<std::int64_t>(t.seq - last_seq[t.symbol] - 1),
                   .symbol = t.symbol,
                   .kind = static_cast<std::uint8_t>(market::TickKind::kGap)});
            }
            last_seq[t.symbol] = t.seq;
          }
          out_ticks.push_back(t);
        }
        writer.write(out_ticks);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        const double seconds = std::chrono::duration<double>(elapsed).count();
        bar.update({.fraction = reader.total_bytes() == 0
                                    ? 1.0
                                    : static_cast<double>(reader.bytes_read()) /
                                          static_cast<double>(reader.total_bytes()),
                    .ticks = writer.ticks_written(),
                    .ticks_per_s =
                        seconds > 0 ? static_cast<double>(writer.ticks_written()) / seconds : 0.0,
                    .elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed)});
      }
      writer.close();
      bar.finish();
      ticks = writer.ticks_written();
      bytes = writer.bytes_written();
      fs::rename(partial, out);
    } catch (...) {
      fs::remove(partial, ec);
      throw;  // main prints the one error line
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const auto& errors = reader.line_errors();
    std::vector<std::size_t> kinds;  // first occurrences in file order read best
    for (std::size_t k = 0; k < feed::kLineErrorCount; ++k) {
      if (errors.first[k]) kinds.push_back(k);
    }
    std::sort(kinds.begin(), kinds.end(), [&](std::size_t a, std::size_t b) {
      return errors.first[a]->line < errors.first[b]->line;
    });
    for (const std::size_t k : kinds) {
      spdlog::warn("{}:{}: {} ({} line{} of this kind)", in_, errors.first[k]->line,
                   errors.first[k]->message, errors.by_kind[k], errors.by_kind[k] == 1 ? "" : "s");
    }
    std::printf("convert: %s -> %s: %llu ticks, %s, %s, %.3f s, %s ticks/s, %s bytes\n",
                in_.c_str(), out_.c_str(), static_cast<unsigned long long>(ticks),
                describe(errors).c_str(), describe(reader.rejected()).c_str(), seconds,
                human_count(seconds > 0 ? static_cast<double>(ticks) / seconds : 0.0).c_str(),
                human_count(static_cast<double>(bytes)).c_str());
    std::fflush(stdout);
    const bool clean = errors.total() == 0 && reader.rejected().total() == 0;
    return strict_ && !clean ? 1 : 0;
  }

 private:
  std::string in_;
  std::string out_;
  bool zstd_ = false;
  int zstd_level_ = 3;
  std::optional<double> tick_size_;
  std::optional<double> size_scale_;
  bool iso_time_ = false;
  bool strict_ = false;
};

}  // namespace

SPACETIME_COMMAND(30, ConvertCommand);

}  // namespace spacetime::app
