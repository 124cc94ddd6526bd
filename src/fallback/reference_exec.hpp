// The last-resort implementation: reorders the operands to plain layouts with oneDNN,
// runs the naive reference convolution, and reorders the results back.
#pragma once

#include "api/conv_pd_impl.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {
namespace detail {

// `mem` holds the primitive's memories in forward naming (src, weights, bias, dst).
struct conv_memories {
    dnnl::memory src, weights, bias, dst;
    dnnl::memory mask_src; // backward data with relu_mask: DNNL_ARG_SRC
};

void reference_execute(const conv_pd_impl &pd, dnnl::stream &s, const conv_memories &m);

} // namespace detail
} // namespace sparsetrain
