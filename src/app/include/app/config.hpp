// Configuration of `spacetime serve`: defaults, then a TOML file, then SPACETIME_* variables,
// then command-line flags, each overriding the one before (docs/ARCHITECTURE.md
// § Configuration). One table of settings drives all three layers, so a value is parsed and
// checked the same way wherever it comes from.
#pragma once

#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "feed/iqfeed.hpp"
#include "feed/simulator.hpp"
#include "gateway/gateway.hpp"
#include "store/recorder.hpp"

namespace spacetime::app {

struct ServeConfig {
  gateway::GatewayConfig gateway;
  std::string feed = "sim";   // sim, iqfeed or file
  std::string replay_file;    // --feed file: the tick file (.stt or CSV) played into the product
  double replay_speed = 1.0;  // its pace: 1 the recorded one, 10 ten times faster
  feed::SimulatorConfig simulator;
  feed::IqFeedConfig iqfeed;
  double iqfeed_tick_size = 0.01;
  bool sim_start_now = true;                   // start_ns is taken from the clock when serve starts
  std::int64_t max_skew_ns = 300'000'000'000;  // time guard of tick files (feed::TimeGuard)
  std::string bad_ticks = "auto";              // the bad-tick filter: auto, on or off
  feed::BadTickFilter filter;                  // its rules (enabled is set by filter_for)
  // The filter as a feed uses it: auto turns it on for live feeds only.
  feed::BadTickFilter filter_for(bool live) const;
  engine::EngineConfig engine;
  store::StoreConfig store;  // --data-dir, --store, --route, --record-ticks, --retention
  std::uint64_t spool_max_bytes = 256ull << 20;
  // Every setting given, by "section.key": the text and where it came from (file, env or
  // flag); a setting not in it has its default. `spacetime params` prints them.
  struct Applied {
    std::string value;
    std::string origin;
  };
  std::map<std::string, Applied> applied;
};

// A configuration mistake, with a message that names where it came from and what is wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Setting {
  std::string_view section;  // TOML table: server, feed, simulator, iqfeed, guard, filter, engine,
                             // indicators, store, auth
  std::string_view key;      // TOML key; the flag is --key with '_' as '-'
  std::string_view env;      // environment variable
  std::string_view help;
  std::string_view fallback;  // the default, as shown in --help
  // Parses and stores a value; throws ConfigError (without the origin, which the caller adds).
  std::function<void(ServeConfig&, std::string_view)> set;
  // The flag may be given several times (each value is set in turn); in TOML and the
  // environment the values are separated by spaces.
  bool repeatable = false;
  // For a repeatable list: empties it, so that a later layer (environment, flags) replaces
  // what an earlier one gave rather than adding to it.
  std::function<void(ServeConfig&)> clear = nullptr;

  std::string flag() const;
};

const std::vector<Setting>& serve_settings();

// Throws ConfigError naming the file, the line or key, and the problem.
void apply_toml_file(ServeConfig& config, const std::string& path);
void apply_toml(ServeConfig& config, std::string_view text, std::string_view origin);
// getenv is injectable for tests.
void apply_env(
    ServeConfig& config, const std::function<const char*(const char*)>& getenv =
                             [](const char* name) { return std::getenv(name); });
// Applies one setting by flag/key name; origin goes into the error message.
void apply_setting(ServeConfig& config, const Setting& setting, std::string_view value,
                   std::string_view origin);

// "now", integer nanoseconds since the epoch, or ISO-8601 UTC like 2026-01-02T14:30:00Z.
// Returns -1 for "now"; throws ConfigError when it is none of these.
std::int64_t parse_start_time(std::string_view text);

}  // namespace spacetime::app
