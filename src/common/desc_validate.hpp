// Turns a oneDNN convolution op descriptor into a validated problem_t, or throws
// sparsetrain::error naming the offending field (src_desc, weights_desc, dst_desc, bias_desc,
// strides, padding, dilates, data type).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "common/problem.hpp"

namespace sparsetrain {
namespace detail {

// The op's tensors, named as in the forward direction (for backward data, src = diff_src and
// dst = diff_dst; for backward weights, weights = diff_weights and bias = diff_bias).
struct conv_mds {
    dnnl::memory::desc src, weights, bias, dst;
};

// The memories of one execute, named the same way.
struct conv_memories {
    dnnl::memory src, weights, bias, dst;
    dnnl::memory mask_src; // backward data with relu_mask: DNNL_ARG_SRC
};

// Names of the four tensors in `dir` ("diff_src_desc" ...), for messages.
struct conv_md_names {
    const char *src, *weights, *bias, *dst;
};
conv_md_names md_names(direction dir);

conv_mds mds_of(direction dir, const dnnl_convolution_desc_t &d);

// The geometry arguments of a convolution desc, as given to oneDNN (spatial dims only).
struct conv_geometry {
    dnnl::memory::dims strides, dilates, padding_l, padding_r;
};
conv_geometry geometry_of(const dnnl_convolution_desc_t &d);

// Validates the tensors and geometry of a convolution; `dilates` may be empty (= dense).
problem_t problem_from_parts(direction dir, const conv_mds &m, const conv_geometry &g);
problem_t problem_from_desc(direction dir, const dnnl_convolution_desc_t &d);

} // namespace detail
} // namespace sparsetrain
