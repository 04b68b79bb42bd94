// The long-running commands, wired from the parts by one function so that they share every
// code path except the bus:
//   serve    simulator/feed -> engine -> in-process bus -> recorder + gateway (one process)
//   live     simulator/feed -> [shard filter] -> engine -> in-process bus -> Redis publisher
//   gateway  Redis bus -> gateway (WebSocket/REST), history read from the stores
//   history  Redis bus -> recorder -> stores
#pragma once

#include <cstddef>
#include <string>

#include "app/config.hpp"

namespace spacetime::app {

// Distributed mode's settings (docs/OPERATIONS.md § Distributed mode).
struct RedisSettings {
  std::string url = "redis://127.0.0.1:6379";
  std::string prefix = "spacetime";  // keys: <prefix>:events:<shard>, <prefix>:stream:<shard>
  std::size_t stream_maxlen = 10'000;
  std::size_t shard = 0, shards = 1;  // live: this process takes shard `shard` of `shards`
  std::size_t max_batch = 2'048;      // live: events per Redis message
};

// "i/N" with 0 <= i < N; throws ConfigError.
void parse_shard(std::string_view text, RedisSettings& out);

// Each runs until SIGINT or SIGTERM and returns the process exit code. The caller blocks
// both signals in every thread before calling (see main).
int run_serve(ServeConfig config);
int run_live(ServeConfig config, RedisSettings redis);
int run_gateway(ServeConfig config, RedisSettings redis);
int run_history(ServeConfig config, RedisSettings redis);

}  // namespace spacetime::app
