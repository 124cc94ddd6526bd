// The --replay mode of sparsetrain-bench: read the capture set, time it, print and write the
// results. Returns false when some output differs from oneDNN's.
#pragma once

#include "bench/bench_options.hpp"

namespace sparsetrain {
namespace bench {

bool run_replay_mode(const options &o);

} // namespace bench
} // namespace sparsetrain
