// Process-level sharding of distributed mode (`spacetime live --shard i/N`): each `live`
// process takes the symbols whose stable hash falls in its shard, so N processes fed the
// same ticks split the symbols between them without talking to each other. The hash is of
// the symbol's name (FNV-1a, 64 bit), the same on every machine and in every run.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "market/symbol.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

constexpr std::uint64_t stable_hash(std::string_view name) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr std::size_t shard_of(std::string_view name, std::size_t shards) {
  return shards <= 1 ? 0 : static_cast<std::size_t>(stable_hash(name) % shards);
}

// A TickSink in front of the engine passing the ticks of this shard's symbols (and every
// clock advance); the rest count as accepted and are not seen again. Backpressure keeps its
// meaning: a prefix of the batch is accepted, up to the first of our ticks the engine
// did not take.
class ShardFilter final : public market::TickSink {
 public:
  ShardFilter(const market::SymbolRegistry& symbols, std::size_t shard, std::size_t shards,
              market::TickSink& next);

  std::size_t offer(std::span<const market::Tick> ticks) override;
  void idle() override { next_.idle(); }
  std::chrono::nanoseconds retry_after() const override { return next_.retry_after(); }
  void dropped(std::span<const market::Tick> ticks) override;

  bool takes(market::SymbolId symbol) const { return symbol >= mine_.size() || mine_[symbol]; }
  std::size_t symbols_taken() const;

 private:
  std::vector<bool> mine_;
  market::TickSink& next_;
  std::vector<market::Tick> kept_;
  std::vector<std::size_t> index_;
};

}  // namespace spacetime::feed
