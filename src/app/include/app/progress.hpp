// A one-line progress bar for long-running commands (convert, replay): ticks/s, % done and
// ETA, redrawn in place on a terminal, silent otherwise so logs and pipes stay clean.
// Plain class, no CLI11: a command feeds it whatever progress it has.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace spacetime::app {

struct ProgressState {
  double fraction = -1.0;  // done, 0 ... 1; negative when unknown (no bar, no ETA)
  std::uint64_t ticks = 0;
  double ticks_per_s = 0.0;
  std::chrono::nanoseconds elapsed{0};
};

class ProgressBar {
 public:
  static constexpr std::chrono::milliseconds kRedrawInterval{100};

  // Draws on `out` when it is a terminal, or always with `force` (tests).
  explicit ProgressBar(std::string label = {}, std::FILE* out = stderr, bool force = false);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  // Redraws when kRedrawInterval has passed since the last draw; cheap to call per batch.
  void update(const ProgressState& state);
  // Erases the bar, so what is printed next starts on a clean line. Idempotent.
  void finish();

  // The bar's text for a terminal `width` columns wide, e.g.
  // "convert [=========>          ]  45.2%  1.20 M ticks  3.10 M ticks/s  ETA 0:12"
  static std::string render(const ProgressState& state, std::string_view label, int width);

 private:
  int width() const;

  std::string label_;
  std::FILE* out_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1.23 M", "456.7 k", "12": counts and rates readable at a glance.
std::string human_count(double n);
// "0:07", "12:34", "1:02:03"
std::string human_duration(std::chrono::nanoseconds d);

}  // namespace spacetime::app
