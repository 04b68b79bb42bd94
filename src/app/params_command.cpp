// `spacetime params`: the effective settings of a run (defaults, then --config FILE, then
// SPACETIME_* variables, then flags, as serve reads them) with where each value came from.
#include <fmt/format.h>

#include <cstdlib>

#include "app/command.hpp"
#include "app/config.hpp"
#include "app/setting_options.hpp"

namespace spacetime::app {
namespace {

class ParamsCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "params",
        "Print the effective settings (every indicator parameter among them) and where each\n"
        "value came from: default, file, env or flag. Takes the same --config and flags as "
        "serve.");
    sub->add_option("--config", config_path_, "TOML configuration file (env SPACETIME_CONFIG)");
    sub->add_option("--section", section_, "only this TOML table, e.g. indicators");
    settings_.add(*sub, {}, /*config_names=*/false);
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
    indicators::validate(config.engine.indicators);  // a combination that cannot run fails here
    for (const auto& s : serve_settings()) {
      if (!section_.empty() && s.section != section_) continue;
      const std::string key = fmt::format("{}.{}", s.section, s.key);
      const auto it = config.applied.find(key);
      const bool given = it != config.applied.end();
      fmt::print("{:<36} {:<24} {}\n", key, given ? it->second.value : std::string(s.fallback),
                 given ? it->second.origin : "default");
    }
    return 0;
  }

 private:
  std::string config_path_;
  std::string section_;
  SettingOptions settings_;
};

}  // namespace

SPACETIME_COMMAND(50, ParamsCommand);

}  // namespace spacetime::app
