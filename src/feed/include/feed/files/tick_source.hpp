// What TickFileReader and TickFileWriter delegate to: one reader and one writer per format.
// Virtual per batch, never per tick.
#pragma once

#include <cstdint>
#include <span>

#include "feed/normalizer.hpp"
#include "feed/tick_file.hpp"
#include "market/tick.hpp"

namespace spacetime::feed::files {

class TickSource {
 public:
  virtual ~TickSource() = default;
  virtual std::size_t read(std::span<market::Tick> out) = 0;
  virtual TickFileFormat format() const = 0;
  virtual std::uint64_t bytes_read() const = 0;
  virtual std::uint64_t total_bytes() const = 0;
  virtual std::uint64_t expected_ticks() const = 0;
  virtual std::uint64_t ticks_read() const = 0;
  virtual const LineErrors& line_errors() const = 0;
  virtual const RejectCounts& rejected() const = 0;
  // Gap records taken (.stt version 3): records that make no tick and are not rejected.
  virtual std::uint64_t gaps_read() const { return 0; }
  virtual const std::vector<RejectedTick>& reject_samples() const = 0;
};

class TickEncoder {
 public:
  virtual ~TickEncoder() = default;
  virtual void write(std::span<const market::Tick> ticks) = 0;
  virtual void close() = 0;
  virtual std::uint64_t ticks_written() const = 0;
  virtual std::uint64_t bytes_written() const = 0;
  // Trade corrections the format cannot hold (CSV), left out.
  virtual std::uint64_t corrections_skipped() const { return 0; }
  // Gap records (market::TickKind::kGap) the format cannot hold (CSV), left out.
  virtual std::uint64_t gaps_skipped() const { return 0; }
};

}  // namespace spacetime::feed::files
