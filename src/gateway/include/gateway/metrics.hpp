// Prometheus text exposition (format 0.0.4) for /metrics: every metric with # HELP and
// # TYPE, labelled samples grouped under one name, and the fixed-bucket latency histograms
// of market/latency.hpp. Beast-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "market/latency.hpp"

namespace spacetime::gateway {

// Whether a metric handed over by name (PromText::sample) has a help text of its own,
// rather than the generic "SpaceTime metric <name>.".
bool has_help(std::string_view name);

// Builds the exposition; a name's HELP and TYPE are written before its first sample.
class PromText {
 public:
  void counter(std::string_view name, std::string_view help, double value,
               std::string_view labels = {});
  void gauge(std::string_view name, std::string_view help, double value,
             std::string_view labels = {});
  // A sample whose kind and help are looked up by name (counters from other parts);
  // `name` may carry labels: feed_parse_errors{kind="x"}.
  void sample(std::string_view name_with_labels, std::uint64_t value);
  void histogram(std::string_view name, std::string_view help,
                 const market::LatencyHistogram::Snapshot& h);
  const std::string& text() const { return out_; }

 private:
  void head(std::string_view name, std::string_view help, std::string_view type);
  void value(std::string_view name, std::string_view labels, double v);
  std::string out_;
  std::vector<std::string> named_;
};

}  // namespace spacetime::gateway
