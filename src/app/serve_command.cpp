// `spacetime serve`: flags, TOML and SPACETIME_* variables into a ServeConfig, then run.
#include <csignal>
#include <cstdlib>

#include "app/command.hpp"
#include "app/config.hpp"
#include "app/run_control.hpp"
#include "app/serve.hpp"
#include "app/setting_options.hpp"

namespace spacetime::app {
namespace {

class ServeCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "serve",
        "Run the whole product in one process: simulator -> engine -> bus -> web gateway.\n"
        "Settings come from defaults, then --config FILE (TOML), then SPACETIME_* variables,\n"
        "then these flags.");
    sub->add_option("--config", config_path_, "TOML configuration file (env SPACETIME_CONFIG)");
    settings_.add(*sub, {}, /*config_names=*/true);
    return sub;
  }

  int run() override {
    ServeConfig config;
    if (config_path_.empty()) {
      if (const char* env = std::getenv("SPACETIME_CONFIG")) config_path_ = env;
    }
    if (!config_path_.empty()) apply_toml_file(config, config_path_);
    apply_env(config);
    settings_.apply(config);
    config.iqfeed.clock_ticks = true;  // IQFeed's time stamps close bars (not recorded: record)
    // Signals are taken by run_serve with sigtimedwait: block them before any thread starts.
    block_stop_signals();
    return run_serve(std::move(config));
  }

 private:
  std::string config_path_;
  SettingOptions settings_;
};

}  // namespace

SPACETIME_COMMAND(10, ServeCommand);

}  // namespace spacetime::app
