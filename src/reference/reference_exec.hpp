// The last-resort implementation: reorders the operands to plain layouts with oneDNN,
// runs the naive reference convolution (reference/ref_conv.hpp), and reorders the results back.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "common/desc_validate.hpp"
#include "common/problem.hpp"

namespace sparsetrain {
namespace detail {

// The problem `p` of direction `dir` on the primitive's memories `m` (forward naming: src,
// weights, bias, dst); `with_bias`: bias / diff_bias, `with_relu`: the forward's fused ReLU.
void reference_execute(direction dir, const problem_t &p, bool with_bias, bool with_relu, dnnl::stream &s,
        const conv_memories &m);

} // namespace detail
} // namespace sparsetrain
