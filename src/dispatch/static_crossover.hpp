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

// The shape of the sparse kernels' time against oneDNN dense: t_sparse / t_dense ~ a + b * d
// for density d, with a = 0.2 + 0.4 / sqrt(F) (measured: 0.22-0.29 on the 3x3 layers, 0.3-0.5
// on the 1x1 ones) and b such that the line crosses 1 at the crossover above. The automatic
// dispatch anchors it at its one measured point to split t_sparse into t0 + k * d (no run on
// an all-zero operand: the kernels' time falls much faster than linearly towards density 0,
// so such a run gave too low a t0 and too steep a slope).
struct static_cost_shape {
    double a = 0.25, b = 0.8;
};
static_cost_shape static_relative_cost(direction dir, const problem_t &p);

} // namespace detail
} // namespace sparsetrain
