// `spacetime params`: the effective settings of a run (defaults, then --config FILE, then
// SPACETIME_* variables, then flags, as serve reads them) with where each value came from;
// with --symbol, the indicator parameters of that symbol, symbol-pattern overrides applied.
#include <fmt/format.h>

#include <cstdlib>
#include <memory>

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
        "value came from: default, file, env, flag, or (with --symbol) the override pattern\n"
        "that set it for that symbol. Takes the same --config and flags as serve.");
    sub->add_option("--config", config_path_, "TOML configuration file (env SPACETIME_CONFIG)");
    sub->add_option("--section", section_, "only this TOML table, e.g. indicators");
    sub->add_option("--symbol", symbol_,
                    "the indicator parameters of this symbol: [[indicators.override]] rules "
                    "whose pattern matches it applied (implies --section indicators)");
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
    if (!symbol_.empty()) {
      section_ = "indicators";
      // The symbol's set must run too (throws naming the symbol and the patterns).
      config.engine.overrides.resolve(
          std::make_shared<const indicators::IndicatorParams>(config.engine.indicators), symbol_);
    }
    const auto& overrides = config.engine.overrides;
    const auto override_origin = config.applied.find("indicators.override");
    for (const auto& s : serve_settings()) {
      if (!section_.empty() && s.section != section_) continue;
      const std::string key = fmt::format("{}.{}", s.section, s.key);
      const auto it = config.applied.find(key);
      const bool given = it != config.applied.end();
      std::string value = given ? it->second.value : std::string(s.fallback);
      std::string origin = given ? it->second.origin : "default";
      if (!symbol_.empty()) {
        if (s.key == "override" || s.key == "session") continue;  // shown below
        // The last matching rule that sets the key wins (ParamOverrides::resolve).
        for (const auto& rule : overrides.rules()) {
          if (!overrides.matches(rule, symbol_)) continue;
          for (const auto& [k, v] : rule.values) {
            if (k != s.key) continue;
            value = v;
            origin = fmt::format(
                "override {} ({})", rule.pattern,
                override_origin == config.applied.end() ? "file" : override_origin->second.origin);
          }
        }
      }
      fmt::print("{:<36} {:<24} {}\n", key, value, origin);
    }
    if (!symbol_.empty()) {
      const auto session = config.engine.sessions.find(symbol_);
      fmt::print("{:<36} {:<24} {}\n", "indicators.session",
                 session ? session->describe() : "none (UTC midnight)",
                 session ? "session rule" : "default");
    }
    return 0;
  }

 private:
  std::string config_path_;
  std::string section_;
  std::string symbol_;
  SettingOptions settings_;
};

}  // namespace

SPACETIME_COMMAND(50, ParamsCommand);

}  // namespace spacetime::app
