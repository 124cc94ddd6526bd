// The last-resort implementation: reorders the operands to plain layouts with oneDNN,
// runs the naive reference convolution, and reorders the results back.
#pragma once

#include "common/desc_validate.hpp"
#include "dispatch/conv_pd.hpp"

namespace sparsetrain {
namespace detail {

// `m` holds the primitive's memories in forward naming (src, weights, bias, dst).
void reference_execute(const conv_pd_impl &pd, dnnl::stream &s, const conv_memories &m);

} // namespace detail
} // namespace sparsetrain
