// Shared by the long-running commands (serve, replay, record): a stop source that SIGINT and
// SIGTERM trigger. Call block_stop_signals() first thing in run(), before any thread starts,
// so that only the watcher thread ever receives them.
#pragma once

#include <signal.h>

#include <stop_token>
#include <thread>

namespace spacetime::app {

// SIGINT and SIGTERM: the signals that stop a long-running command.
sigset_t stop_signals();
void block_stop_signals();

// Requests stop on `source` when SIGINT or SIGTERM arrives, until destroyed.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::stop_source source);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::jthread thread_;
};

}  // namespace spacetime::app
