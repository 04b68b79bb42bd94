// Subcommands of the `spacetime` CLI. Each lives in its own file, compiled into the
// executable, and registers itself with SPACETIME_COMMAND, so adding a command never
// touches main.cpp. CLI11 is only included by these files.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

namespace spacetime::app {

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options; returns it.
  virtual CLI::App* add_to(CLI::App& app) = 0;
  // Runs the command after a successful parse; returns the process exit code. May throw
  // (std::exception): main prints "spacetime: error: <what>" and exits 2.
  virtual int run() = 0;
};

using CommandFactory = std::unique_ptr<Command> (*)();

struct CommandRegistration {
  int order;  // position in --help
  CommandFactory make;
};

std::vector<CommandRegistration>& command_registry();

struct RegisterCommand {
  RegisterCommand(int order, CommandFactory make) { command_registry().push_back({order, make}); }
};

}  // namespace spacetime::app

// In a command's .cpp: SPACETIME_COMMAND(20, ReplayCommand);
#define SPACETIME_COMMAND(order, Type)                            \
  static const ::spacetime::app::RegisterCommand kRegister##Type( \
      order,                                                      \
      []() -> std::unique_ptr<::spacetime::app::Command> { return std::make_unique<Type>(); })
