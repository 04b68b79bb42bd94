// Prometheus text exposition (format 0.0.4) for /metrics: every metric with # HELP and
// # TYPE, labelled samples grouped under one name, and fixed-bucket latency histograms.
// Beast-free and single-threaded (the gateway's I/O thread observes and writes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spacetime::gateway {

// Latency in seconds, cumulative buckets as Prometheus wants them.
class Histogram {
 public:
  Histogram();  // 100 us ... 10 s
  void observe(double seconds);
  std::uint64_t count() const { return count_; }
  // The value below which `q` of the observations fall (bucket upper bound), for logs.
  double quantile(double q) const;
  void write(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket (not cumulative), last is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
};

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
  void histogram(std::string_view name, std::string_view help, const Histogram& h);
  const std::string& text() const { return out_; }

 private:
  void head(std::string_view name, std::string_view help, std::string_view type);
  void value(std::string_view name, std::string_view labels, double v);
  std::string out_;
  std::vector<std::string> named_;
};

}  // namespace spacetime::gateway
