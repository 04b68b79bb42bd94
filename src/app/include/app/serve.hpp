// `spacetime serve`: the whole product in one process, wired from the parts:
// simulator -> engine -> in-process bus -> gateway.
#pragma once

#include "app/config.hpp"

namespace spacetime::app {

// Runs until SIGINT or SIGTERM; returns the process exit code. The caller blocks both
// signals in every thread before calling (see main).
int run_serve(ServeConfig config);

}  // namespace spacetime::app
