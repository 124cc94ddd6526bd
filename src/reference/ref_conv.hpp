// Naive, obviously-correct convolution in all three directions on plain layouts:
// activations nchw [mb][c][h][w], weights goihw [g][oc/g][ic/g][kh][kw] (oihw when g = 1),
// bias/diff_bias [oc]. Sums are accumulated in double. Used by the tests and, through
// reorders, as the last-resort implementation. 2D problems only.
#pragma once

#include "common/problem.hpp"

namespace sparsetrain {
namespace reference {

// dst = conv(src, weights) + bias (bias may be null); with_relu applies max(x, 0) after.
void conv_fwd(const problem_t &p, const float *src, const float *wei, const float *bias,
        float *dst, bool with_relu = false);
// diff_src = conv_transposed(diff_dst, weights).
void conv_bwd_d(const problem_t &p, float *diff_src, const float *wei, const float *diff_dst);
// diff_weights = sum over images and pixels of diff_dst x src; diff_bias (may be null) =
// sum of diff_dst over images and pixels.
void conv_bwd_w(const problem_t &p, const float *src, float *diff_wei, float *diff_bias,
        const float *diff_dst);

} // namespace reference
} // namespace sparsetrain
