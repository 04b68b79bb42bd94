// `spacetime live` and `spacetime gateway`: distributed mode, the same wiring as serve with
// Redis as the bus between processes (docs/OPERATIONS.md § Distributed mode).
#include <csignal>
#include <cstdlib>
#include <string>

#include "app/command.hpp"
#include "app/config.hpp"
#include "app/run_control.hpp"
#include "app/serve.hpp"
#include "app/setting_options.hpp"
#include "bus/redis/redis_bus.hpp"

namespace spacetime::app {
namespace {

// The flags both commands share: the configuration layers and where Redis is.
class DistributedCommand : public Command {
 protected:
  CLI::App* add(CLI::App& app, const char* name, const std::string& help,
                std::initializer_list<std::string_view> sections) {
    auto* sub = app.add_subcommand(name, help);
    sub->add_option("--config", config_path_, "TOML configuration file (env SPACETIME_CONFIG)");
    redis_option_ =
        sub->add_option("--redis", redis_.url,
                        "Redis server, redis://[:password@]host[:port] (env SPACETIME_REDIS_URL)")
            ->capture_default_str();
    sub->add_option("--redis-prefix", redis_.prefix,
                    "key prefix: Pub/Sub channels <prefix>:events:<shard>, streams "
                    "<prefix>:stream:<shard>")
        ->capture_default_str();
    settings_.add(*sub, sections, /*config_names=*/true);
    return sub;
  }

  ServeConfig load() {
    ServeConfig config;
    if (config_path_.empty()) {
      if (const char* env = std::getenv("SPACETIME_CONFIG")) config_path_ = env;
    }
    if (!config_path_.empty()) apply_toml_file(config, config_path_);
    apply_env(config);
    settings_.apply(config);
    if (const char* env = std::getenv("SPACETIME_REDIS_URL"); env && redis_option_->count() == 0) {
      redis_.url = env;
    }
    try {
      bus::redis::parse_redis_url(redis_.url);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("--redis: ") + e.what());
    }
    config.iqfeed.clock_ticks = true;
    return config;
  }

  std::string config_path_;
  CLI::Option* redis_option_ = nullptr;
  SettingOptions settings_;
  RedisSettings redis_;
};

class LiveCommand final : public DistributedCommand {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub =
        add(app, "live",
            "Distributed mode, the producer: feed -> engine -> Redis (no web server). Publishes\n"
            "batched events on <prefix>:events:<i> and appends them to the capped stream\n"
            "<prefix>:stream:<i>, from which gateways catch up after a cut. With --shard i/N\n"
            "this process takes only the symbols whose stable hash (FNV-1a of the name) mod N\n"
            "is i: run N of them with the same feed settings to split the symbols.",
            {"feed", "simulator", "iqfeed", "replay", "guard", "filter", "engine", "indicators",
             "store"});
    sub->add_option("--shard", shard_, "this process's shard, i/N (default 0/1: every symbol)");
    sub->add_option("--stream-maxlen", redis_.stream_maxlen,
                    "entries (frames) each stream keeps, XADD MAXLEN ~; 0: no stream")
        ->capture_default_str();
    sub->add_option("--redis-batch", redis_.max_batch, "most events in one Redis message")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    return sub;
  }

  int run() override {
    auto config = load();
    if (!shard_.empty()) parse_shard(shard_, redis_);
    block_stop_signals();
    return run_live(std::move(config), redis_);
  }

 private:
  std::string shard_;
};

class GatewayCommand final : public DistributedCommand {
 public:
  CLI::App* add_to(CLI::App& app) override {
    return add(
        app, "gateway",
        "Distributed mode, the edge: Redis -> the WebSocket/REST gateway of serve. Subscribes\n"
        "to every live shard under the prefix; after a cut it reconnects with backoff and\n"
        "catches up from the streams, dropping duplicates; what the streams no longer hold\n"
        "reaches clients as an explicit gap. Give it the same feed settings (--symbols or\n"
        "--iqfeed-symbols, or --feed file --file) as the live processes: they name the\n"
        "symbols. Snapshots and REST history are read from the stores (--store/--route) that\n"
        "`spacetime history` writes.",
        {"server", "feed", "simulator", "iqfeed", "replay", "store"});
  }

  int run() override {
    auto config = load();
    block_stop_signals();
    return run_gateway(std::move(config), redis_);
  }
};

class HistoryCommand final : public DistributedCommand {
 public:
  CLI::App* add_to(CLI::App& app) override {
    return add(app, "history",
               "Distributed mode, the recorder: Redis -> the recorder of serve -> the stores\n"
               "(--store/--route: SQLite by default, PostgreSQL, InfluxDB), with its spools and\n"
               "retention. Run one; gateways read what it writes. Same feed settings as the live\n"
               "processes: they name the symbols.",
               {"feed", "simulator", "iqfeed", "replay", "store"});
  }

  int run() override {
    auto config = load();
    block_stop_signals();
    return run_history(std::move(config), redis_);
  }
};

}  // namespace

SPACETIME_COMMAND(11, LiveCommand);
SPACETIME_COMMAND(12, GatewayCommand);
SPACETIME_COMMAND(13, HistoryCommand);

}  // namespace spacetime::app
