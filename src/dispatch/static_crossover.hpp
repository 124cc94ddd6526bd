// The sparsity from which the sparse kernels are expected to beat oneDNN dense, from a static
// cost model (no timing): the threshold of dispatch_mode::deterministic, fixed when the
// primitive is created, so that the path an execute takes depends only on the problem and
// the sampled sparsity of its operand.
//
// What decides the crossover is how much work each non-zero of the exploited operand carries
// against what every element costs whether zero or not (zero check, compaction, lists, output
// stores): F = the 16-lane FMAs one non-zero feeds (fwd, bwd_w: oc/16 * kh*kw / (sh*sw);
// bwd_d: ic/16 * kh*kw). Model: s* = A - B * ln(F), clamped to [0, 1], per direction, fitted
// to the crossovers of forced-sparse / oneDNN ratios measured at 0, 30, 50 and 70 % zeros on
// the four representative layers (AMD Zen 5, 2 threads, N = 16; perf/README.md): 3x3 layers
// with 128-256 channels cross at 0-15 %, 1x1 layers at 30-65 %.
#pragma once

#include "common/problem.hpp"

namespace sparsetrain {
namespace detail {

// In [0, 1]: sparse runs iff the sampled sparsity is at least this.
double static_crossover_sparsity(direction dir, const problem_t &p);

} // namespace detail
} // namespace sparsetrain
