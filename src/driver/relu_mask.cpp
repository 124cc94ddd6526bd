#include "driver/relu_mask.hpp"

#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace sparsetrain {

void apply_relu_mask(float *diff_src, const float *src, size_t n) {
    // A select, not a multiply: NaN or Inf in diff_src where src <= 0 still gives 0.
    for (size_t i = 0; i < n; ++i) diff_src[i] = src[i] > 0.f ? diff_src[i] : 0.f;
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
