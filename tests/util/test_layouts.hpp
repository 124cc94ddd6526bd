// The layouts the kernel tests run in: oneDNN format tags of sparsetrain's activation and
// weight layouts, and the weights oneDNN itself picks for a forward on nhwc activations.
#pragma once

#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/layout.hpp"
#include "common/problem.hpp"

namespace sparsetrain {
namespace test {

dnnl::memory::format_tag act_tag(act_format f);
dnnl::memory::format_tag wei_tag(weights_layout l);

// oneDNN's pick for format_tag::any forward weights with activations in `f` (brgconv's
// Ohwi<B>o on nhwc), or OIhw16i16o where it picks none of the layouts the kernels read.
weights_layout onednn_fwd_weights(const problem_t &p, act_format f);

// oneDNN's forward-training descriptor of `p` without bias: f32 tensors in the given tags
// (format_tag::any lets oneDNN pick), p's strides and paddings.
dnnl::convolution_forward::desc fwd_desc(const problem_t &p, dnnl::memory::format_tag src, dnnl::memory::format_tag wei,
        dnnl::memory::format_tag dst);

// Both activation layouts, nChw16c first.
const std::vector<act_format> &both_layouts();

} // namespace test
} // namespace sparsetrain
