// spacetime: the command line. Every subcommand registers itself (app/command.hpp); main
// parses, runs the chosen one, and turns any error into one line and exit code 2.
#include <spdlog/spdlog.h>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include "app/command.hpp"

namespace spacetime::app {
std::vector<CommandRegistration>& command_registry() {
  static std::vector<CommandRegistration> registry;
  return registry;
}
}  // namespace spacetime::app

namespace {

constexpr const char* kVersion = "0.1.0";

int fail(const std::string& message) {
  std::fprintf(stderr, "spacetime: error: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spacetime::app;
  CLI::App app{
      "SpaceTime: real-time market data platform. Ticks in (simulator, file, DTN IQFeed),\n"
      "indicators and multi-timeframe candles out, to live browser charts."};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  auto registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
  for (const auto& r : registry) {
    auto command = r.make();
    CLI::App* sub = command->add_to(app);
    commands.emplace_back(sub, std::move(command));
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
  std::signal(SIGPIPE, SIG_IGN);
  for (auto& [sub, command] : commands) {
    if (!*sub) continue;
    try {
      return command->run();
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  return 0;
}
