#include "app/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace spacetime::app {

std::string human_count(double n) {
  char buf[32];
  if (n >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f G", n / 1e9);
  } else if (n >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  } else if (n >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1f k", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", n);
  }
  return buf;
}

std::string human_duration(std::chrono::nanoseconds d) {
  const auto total = std::max<std::int64_t>(
      0,
      std::chrono::duration_cast<std::chrono::seconds>(d + std::chrono::milliseconds(500)).count());
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return buf;
}

ProgressBar::ProgressBar(std::string label, std::FILE* out, bool force)
    : label_(std::move(label)), out_(out), enabled_(force || ::isatty(::fileno(out)) != 0) {}

ProgressBar::~ProgressBar() {
  finish();
}

int ProgressBar::width() const {
  winsize ws{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string ProgressBar::render(const ProgressState& state, std::string_view label, int width) {
  const bool known = state.fraction >= 0.0;
  const double f = std::clamp(state.fraction, 0.0, 1.0);
  std::string right;
  char buf[32];
  if (known) {
    std::snprintf(buf, sizeof buf, "%5.1f%%", f * 100.0);
    right += buf;
  }
  right += "  " + human_count(static_cast<double>(state.ticks)) + " ticks  " +
           human_count(state.ticks_per_s) + " ticks/s";
  if (known && f > 0.0 && f < 1.0) {
    const double seconds = std::chrono::duration<double>(state.elapsed).count() * (1.0 - f) / f;
    right += "  ETA " + human_duration(std::chrono::nanoseconds(
                            static_cast<std::int64_t>(std::min(seconds, 1e8) * 1e9)));
  } else {
    right += "  " + human_duration(state.elapsed);
  }
  std::string line(label);
  if (!line.empty()) line += ' ';
  // Whatever room is left goes to the bar, if it is worth drawing.
  const int room = width - 1 - static_cast<int>(line.size() + right.size()) - 3;
  if (known && room >= 10) {
    const int cells = std::min(room, 50);
    const int full = static_cast<int>(f * cells);
    line += '[';
    line.append(static_cast<std::size_t>(full), '=');
    if (full < cells) {
      line += '>';
      line.append(static_cast<std::size_t>(cells - full - 1), ' ');
    }
    line += "] ";
  }
  line += right;
  if (static_cast<int>(line.size()) >= width)
    line.resize(static_cast<std::size_t>(std::max(width - 1, 0)));
  return line;
}

void ProgressBar::update(const ProgressState& state) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  drawn_ = true;
  // \r back to column 0, ESC[K clears what a longer previous line left behind.
  std::fprintf(out_, "\r%s\x1b[K", render(state, label_, width()).c_str());
  std::fflush(out_);
}

void ProgressBar::finish() {
  if (!drawn_) return;
  drawn_ = false;
  std::fprintf(out_, "\r\x1b[K");
  std::fflush(out_);
}

}  // namespace spacetime::app
