// The sparse forward convolution: threads and loops around the compaction and row-pass
// kernels (the `sparse_conv` implementation returned by make_sparse_fwd).
#pragma once

#include <memory>
#include <string>

#include "config/fwd_config.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

// Builds the implementation for an already planned configuration (kernel-bench-fwd and
// tests use it to run chosen blockings); make_sparse_fwd plans and then calls this.
std::unique_ptr<sparse_conv> make_sparse_fwd_from_config(const fwd_config &c);

} // namespace sparsetrain
