#include "app/event_output.hpp"

#include <fmt/format.h>

#include "gateway/protocol.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spacetime::app {
namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

// One output record: named values in a fixed order per event type. CSV writes the values
// into columns a..j; JSON lines writes them as fields.
struct Record {
  std::string_view event;
  std::uint64_t seq = 0;
  std::int64_t t = 0;
  std::vector<std::pair<std::string_view, std::string>> values;

  template <typename T>
  void add(std::string_view name, const T& v) {
    values.emplace_back(name, fmt::format("{}", v));
  }
  void add_optional(std::string_view name, bool ready, double v) {
    values.emplace_back(name, ready ? fmt::format("{}", v) : std::string());
  }
};

Record to_record(const market::Event& event) {
  Record r;
  std::visit(
      [&r](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, market::CandleEvent>) {
          r.event = "candle";
          r.seq = e.seq;  // the bar's channel sequence number
          r.t = e.candle.start_ns;
          r.add("tf", market::to_string(e.tf));
          r.add("open", e.candle.open);
          r.add("high", e.candle.high);
          r.add("low", e.candle.low);
          r.add("close", e.candle.close);
          r.add("volume", e.candle.volume);
          r.add("ticks", e.candle.ticks);
          r.add("last_ns", e.candle.last_ns);
          r.add_optional("vol_zlma", e.volume_zlma_ready, e.volume_zlma);
          r.add_optional("bar_intensity", e.bar_intensity_ready, e.bar_intensity);
        } else if constexpr (std::is_same_v<T, market::IntensityEvent>) {
          r.event = "intensity";
          r.seq = e.seq;
          r.t = e.t;
          r.add("raw", e.raw);
          r.add_optional("sma", e.sma_ready, e.sma);
          r.add_optional("ema", e.ema_ready, e.ema);
          r.add_optional("zlma", e.zlma_ready, e.zlma);
        } else if constexpr (std::is_same_v<T, market::BufferEvent>) {
          r.event = "buffer";
          r.seq = e.seq;
          r.t = e.t;
          r.add("s", e.smoothed);
          r.add("upper", e.upper);
          r.add("baseline", e.baseline);
          r.add("lower", e.lower);
          r.add("zone", market::to_string(e.zone));
        } else if constexpr (std::is_same_v<T, market::SpikeStartEvent>) {
          r.event = "spike_start";
          r.seq = e.seq;
          r.t = e.t;
          r.add("intensity", e.intensity);
          r.add("z", e.z);
          r.add("price", e.price);
        } else if constexpr (std::is_same_v<T, market::SpikeEndEvent>) {
          r.event = "spike_end";
          r.seq = e.seq;
          r.t = e.t_end;
          r.add("t_start_ns", e.t_start);
          r.add("t_peak_ns", e.t_peak);
          r.add("peak_intensity", e.peak_intensity);
          r.add("peak_z", e.peak_z);
          r.add("ticks", e.ticks);
          r.add("price_start", e.price_start);
          r.add("price_end", e.price_end);
        } else if constexpr (std::is_same_v<T, market::ReversalEvent>) {
          r.event = "reversal";
          r.seq = e.seq;
          r.t = e.t;
          r.add("version", static_cast<int>(e.version));
          r.add("direction", static_cast<int>(e.direction));
          r.add("price", e.price);
          r.add("reason", market::to_string(e.reason));
          r.add("strength", e.strength);
        }
      },
      event);
  return r;
}

}  // namespace

EventFileWriter::EventFileWriter(const std::filesystem::path& path,
                                 const market::SymbolRegistry& symbols)
    : path_(path), symbols_(symbols) {
  const std::string ext = path.extension().string();
  if (ext == ".csv") {
    format_ = EventFormat::kCsv;
  } else if (ext == ".jsonl" || ext == ".ndjson") {
    format_ = EventFormat::kJsonl;
  } else {
    throw std::runtime_error(
        fmt::format("{}: indicator output must end in .csv or .jsonl", path.string()));
  }
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) {
    throw std::runtime_error(
        fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  }
  if (format_ == EventFormat::kCsv) buffer_ = "symbol,seq,t_ns,event,a,b,c,d,e,f,g,h,i,j\n";
}

EventFileWriter::~EventFileWriter() {
  if (file_) std::fclose(file_);  // close() reports errors; a destructor cannot
}

void EventFileWriter::on_publish(std::span<const market::Event> events, std::int64_t) {
  std::lock_guard lock(mutex_);
  if (!error_.empty()) return;
  for (const auto& e : events) {
    const auto* c = std::get_if<market::CandleEvent>(&e);
    if (c && !c->closed) continue;  // display only, depends on batch boundaries
    // Trades are the input itself; samples are the stored history's downsampling, not an
    // indicator of docs/INDICATORS.md. Neither belongs in the indicator file.
    if (std::holds_alternative<market::TickEvent>(e) ||
        std::holds_alternative<market::SampleEvent>(e)) {
      continue;
    }
    append(e);
  }
  if (buffer_.size() >= kFlushBytes) flush_buffer();
}

void EventFileWriter::append(const market::Event& event) {
  const Record r = to_record(event);
  const auto symbol = std::visit([](const auto& e) { return e.symbol; }, event);
  const std::string& name = symbols_.info(symbol).name;
  auto out = std::back_inserter(buffer_);
  if (format_ == EventFormat::kCsv) {
    fmt::format_to(out, "{},{},{},{}", name, r.seq, r.t, r.event);
    for (std::size_t i = 0; i < 10; ++i) {
      buffer_ += ',';
      if (i < r.values.size()) buffer_ += r.values[i].second;
    }
    buffer_ += '\n';
  } else {
    buffer_ += R"({"symbol":)";
    gateway::append_json_string(buffer_, name);  // tick files allow quotes in symbols
    fmt::format_to(out, R"(,"seq":{},"t_ns":{},"event":"{}")", r.seq, r.t, r.event);
    for (const auto& [key, value] : r.values) {
      if (value.empty()) {
        fmt::format_to(out, R"(,"{}":null)", key);
      } else if (key == "tf" || key == "zone" || key == "reason") {
        fmt::format_to(out, R"(,"{}":"{}")", key, value);
      } else {
        fmt::format_to(out, R"(,"{}":{})", key, value);
      }
    }
    buffer_ += "}\n";
  }
  ++written_;
}

void EventFileWriter::flush_buffer() {
  if (!file_ || buffer_.empty() || !error_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    error_ = fmt::format("{}: write failed: {}", path_.string(), std::strerror(errno));
  }
  buffer_.clear();
}

void EventFileWriter::close() {
  std::lock_guard lock(mutex_);
  if (!file_) return;
  flush_buffer();
  const bool failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (!error_.empty()) throw std::runtime_error(error_);
  if (failed)
    throw std::runtime_error(
        fmt::format("{}: close failed: {}", path_.string(), std::strerror(errno)));
}

}  // namespace spacetime::app
