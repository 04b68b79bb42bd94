// The settings table (config.hpp) as command-line flags of a subcommand: one flag per
// setting of the chosen sections, applied after parsing only when given. Used by serve,
// replay and record so a setting is spelled, documented and checked the same everywhere.
#pragma once

#include <CLI/CLI.hpp>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/config.hpp"

namespace spacetime::app {

class SettingOptions {
 public:
  // Adds a flag for every setting of `sections` (all settings when empty). With
  // `config_names` the help also names the TOML key and the environment variable.
  void add(CLI::App& sub, std::initializer_list<std::string_view> sections, bool config_names) {
    for (const auto& s : serve_settings()) {
      if (sections.size() != 0 &&
          std::find(sections.begin(), sections.end(), s.section) == sections.end()) {
        continue;
      }
      std::string help = std::string(s.help) + " (default " + std::string(s.fallback) + ")";
      if (config_names) {
        help += " [" + std::string(s.section) + "." + std::string(s.key) + ", " +
                std::string(s.env) + "]";
      }
      if (s.repeatable) {
        options_.emplace_back(&s, sub.add_option(s.flag(), lists_.emplace_back(), help));
        values_.emplace_back();
      } else {
        options_.emplace_back(&s, sub.add_option(s.flag(), values_.emplace_back(), help));
        lists_.emplace_back();
      }
    }
  }

  // Applies the flags that were given; throws ConfigError naming the flag.
  void apply(ServeConfig& config) const {
    for (std::size_t i = 0; i < options_.size(); ++i) {
      const auto& [setting, option] = options_[i];
      if (option->count() == 0) continue;
      if (setting->repeatable) {
        if (setting->clear) setting->clear(config);
        for (const auto& v : lists_[i])
          apply_setting(config, *setting, v, setting->flag());
      } else {
        apply_setting(config, *setting, values_[i], setting->flag());
      }
    }
  }

 private:
  std::deque<std::string> values_;              // a deque: CLI11 keeps references to the elements
  std::deque<std::vector<std::string>> lists_;  // of the repeatable settings
  std::vector<std::pair<const Setting*, CLI::Option*>> options_;
};

}  // namespace spacetime::app
