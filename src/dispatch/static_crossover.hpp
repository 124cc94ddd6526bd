// The sparsity from which the sparse kernels are expected to beat oneDNN dense, from a static
// cost model (no timing): the threshold of dispatch_mode::deterministic, fixed when the
// primitive is created, so that the path an execute takes depends only on the problem and
// the sampled sparsity of its operand.
//
// Model: t_sparse / t_dense = a + b * density, with
//   b  the FMA-rate penalty of the sparse kernels (a 64-byte memory operand per FMA, against
//      oneDNN's register-resident weights), per direction;
//   a  what every element costs whether zero or not (zero check, compaction, list reads,
//      output stores), relative to the dense work per element: a0 + c / F, F = the 16-lane
//      FMAs each non-zero feeds (fwd, bwd_w: oc/16 * kh*kw / (sh*sw); bwd_d: ic/16 * kh*kw).
// Sparse runs iff density <= (1 - a) / b. Constants fitted to forced-sparse / oneDNN ratios
// measured on the development machine (perf/README.md, "Deterministic dispatch").
#pragma once

#include "common/problem.hpp"

namespace sparsetrain {
namespace detail {

// In [0, 1]; 1 means never sparse below an all-zero operand.
double static_crossover_sparsity(direction dir, const problem_t &p);

} // namespace detail
} // namespace sparsetrain
