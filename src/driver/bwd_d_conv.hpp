// The sparse backward-data convolution: threads and loops around the compaction (of
// diff_dst) and row-pass kernels (the `sparse_conv` implementation returned by
// make_sparse_bwd_d).
#pragma once

#include <memory>

#include "config/bwd_d_config.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

// Builds the implementation for an already planned configuration (kernel-bench-bwd-d and
// tests use it to run chosen blockings); make_sparse_bwd_d plans and then calls this.
std::unique_ptr<sparse_conv> make_sparse_bwd_d_from_config(const bwd_d_config &c);

} // namespace sparsetrain
