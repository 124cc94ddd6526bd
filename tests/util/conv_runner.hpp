// Runs one problem through sparsetrain's primitives and through oneDNN's, on identical
// buffers in the primitives' own layouts, and returns both results in plain layouts.
#pragma once

#include <string>
#include <vector>

#include "common/problem.hpp"
#include "sparsetrain/convolution.hpp"

namespace sparsetrain {
namespace test {

struct conv_data {
    // Plain layouts: src/diff_src nchw, weights oihw, dst/diff_dst nchw, bias x.
    std::vector<float> src, weights, bias, dst, diff_dst;
};

// Small-integer data (exact sums), the exploited operand sparsified: src for fwd and bwd_w,
// diff_dst for bwd_d.
conv_data make_conv_data(const problem_t &p, uint64_t seed, double sparsity);

struct conv_results {
    std::vector<float> ours, onednn; // plain layout of the direction's output
    std::vector<float> ours_bias, onednn_bias; // bwd_w diff_bias
    std::string ours_impl, onednn_impl;
};

// dir fwd: dst (with bias if `with_bias`); bwd_d: diff_src; bwd_w: diff_weights (+ diff_bias).
// `act`: the activation tensors' format tag in both libraries' descs (any: their own pick,
// nChw16c; nhwc: channels last); weights are format_tag::any. Outputs start as NaN.
conv_results run_both(const problem_t &p, direction dir, const conv_data &d, bool with_bias,
        const dispatch_options &dispatch = {}, dnnl::memory::format_tag act = dnnl::memory::format_tag::any);

} // namespace test
} // namespace sparsetrain
