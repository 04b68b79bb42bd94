// spacetime: the command line. Parses arguments (CLI11 stays in this file: it is heavy to
// compile) and hands a checked configuration to the subcommand.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "app/config.hpp"
#include "app/serve.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

int fail(const std::string& message) {
  std::fprintf(stderr, "spacetime: error: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using spacetime::app::ServeConfig;

  CLI::App app{
      "SpaceTime: real-time market data platform. Ticks in (simulator, file, DTN IQFeed),\n"
      "indicators and multi-timeframe candles out, to live browser charts."};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  auto* serve = app.add_subcommand(
      "serve",
      "Run the whole product in one process: simulator -> engine -> bus -> web gateway.\n"
      "Settings come from defaults, then --config FILE (TOML), then SPACETIME_* variables,\n"
      "then these flags.");
  std::string config_path;
  serve->add_option("--config", config_path, "TOML configuration file (env SPACETIME_CONFIG)");
  const auto& settings = spacetime::app::serve_settings();
  std::vector<std::string> values(settings.size());
  std::vector<CLI::Option*> options;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const auto& s = settings[i];
    options.push_back(serve->add_option(s.flag(), values[i],
                                        std::string(s.help) + " [" + std::string(s.section) + "." +
                                            std::string(s.key) + ", " + std::string(s.env) + "]"));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see spacetime --help)");
  }

  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  if (*serve) {
    ServeConfig config;
    try {
      if (config_path.empty()) {
        if (const char* env = std::getenv("SPACETIME_CONFIG")) config_path = env;
      }
      if (!config_path.empty()) spacetime::app::apply_toml_file(config, config_path);
      spacetime::app::apply_env(config);
      for (std::size_t i = 0; i < settings.size(); ++i) {
        if (options[i]->count() > 0) {
          spacetime::app::apply_setting(config, settings[i], values[i], settings[i].flag());
        }
      }
    } catch (const spacetime::app::ConfigError& e) {
      return fail(e.what());
    }
    // Signals are taken by run_serve with sigtimedwait: block them before any thread starts.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    try {
      return spacetime::app::run_serve(std::move(config));
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  return 0;
}
