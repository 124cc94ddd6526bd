#include "driver/relu_mask.hpp"

#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace sparsetrain {

void apply_relu_mask(float *diff_src, const float *src, size_t n) {
    // A select, not a multiply: NaN or Inf in diff_src where src <= 0 still gives 0.
    for (size_t i = 0; i < n; ++i) diff_src[i] = src[i] > 0.f ? diff_src[i] : 0.f;
}

void mask_act_rows(float *diff_src, const float *src, const act_layout &l, int64_t n, int64_t y0, int64_t y1) {
    if (l.px == 16) { // nChw16c: each block's rows are one run
        for (int64_t b = 0; b < l.c / 16; ++b) {
            const int64_t off = l.at(n, b, y0, 0);
            apply_relu_mask(diff_src + off, src + off, (size_t)((y1 - y0) * l.w * 16));
        }
        return;
    }
    // nhwc: the rows of all channels are one run (row stride w * c)
    const int64_t off = l.at(n, 0, y0, 0);
    apply_relu_mask(diff_src + off, src + off, (size_t)((y1 - y0) * l.row));
}

void apply_relu_mask_parallel(float *diff_src, const float *src, size_t n) {
    const size_t chunk = 16 * 1024; // 64 KB per piece, 64-byte aligned pieces of the tensor
    const int64_t pieces = (int64_t)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < pieces; ++i) {
        const size_t b = (size_t)i * chunk;
        apply_relu_mask(diff_src + b, src + b, std::min(chunk, n - b));
    }
}

} // namespace sparsetrain
