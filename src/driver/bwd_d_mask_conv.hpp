// Masked backward data, diff_src = (W^T * diff_dst) * [src > 0]: threads and loops around the
// bucket sort (jit/mask_bucket_kernel) and the masked kernel (jit/bwd_d_mask_kernel), as a
// `sparse_conv` whose exploited operand is src (conv_tensors::mask_src, required). Weights in
// IOhw16i16o: a 64-byte line holds the 16 output channels of one input channel and tap (as in
// the forward layout OIhw16i16o), and input-channel blocks are outermost, so that the slice of
// one kernel call (one input block x taps x a chunk of output blocks) is contiguous.
#pragma once

#include <memory>
#include <string>

#include "common/problem.hpp"
#include "config/bwd_d_mask_plan.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

// The implementation name of the masked kernel, for verbose lines and impl_info_str().
extern const char *const bwd_d_mask_impl_name;

// Builds the implementation for an already planned configuration (tests, kernel benchmarks).
std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask_from_config(const bwd_d_mask_config &c);
// Plans (developer overrides from SPARSETRAIN_BWD_D_MASK_PLAN) and builds; nullptr and
// why_not when the problem is not covered.
// Activations nChw16c, or nhwc (both diff_src / src and diff_dst).
std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask(const problem_t &p, std::string &why_not, bool nhwc = false);

} // namespace sparsetrain
