// The ReLU-backward mask as a separate pass: diff_src = src > 0 ? diff_src : 0 (exactly +0
// where src <= 0 or src is NaN, whatever diff_src held there). The dense path of masked
// backward data (oneDNN backward data, then this) and the diff_dst-sparse kernel's path use
// it; the masked kernel applies the same mask inside (jit/bwd_d_mask_kernel.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/layout.hpp"

namespace sparsetrain {

// n floats, on the calling thread.
void apply_relu_mask(float *diff_src, const float *src, size_t n);
// Rows [y0, y1) of image n, every channel, in layout l (both tensors in it), on the calling thread.
void mask_act_rows(float *diff_src, const float *src, const act_layout &l, int64_t n, int64_t y0, int64_t y1);
// The same split over the calling thread's OpenMP team.
void apply_relu_mask_parallel(float *diff_src, const float *src, size_t n);

} // namespace sparsetrain
