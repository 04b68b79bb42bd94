#include "app/run_control.hpp"

#include <csignal>
#include <ctime>

namespace spacetime::app {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void block_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(std::stop_source source)
    : thread_([source](std::stop_token self) mutable {
        const sigset_t set = stop_signals();
        const timespec tick{.tv_sec = 0, .tv_nsec = 100'000'000};
        while (!self.stop_requested()) {
          if (sigtimedwait(&set, nullptr, &tick) > 0) {
            source.request_stop();
            return;
          }
        }
      }) {}

SignalWatcher::~SignalWatcher() {
  thread_.request_stop();
  thread_.join();
}

}  // namespace spacetime::app
