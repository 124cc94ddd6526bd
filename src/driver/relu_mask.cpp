#include "driver/relu_mask.hpp"

#include <algorithm>
#include <cstdint>

#include <immintrin.h>
#include <omp.h>

#include "common/cpu.hpp"

namespace sparsetrain {

namespace {

// A select, not a multiply: NaN or Inf in diff_src where src <= 0 still gives 0.
void mask_scalar(float *diff_src, const float *src, size_t n) {
    for (size_t i = 0; i < n; ++i) diff_src[i] = src[i] > 0.f ? diff_src[i] : 0.f;
}

// The same with 16 lanes: the pass runs on rows still in cache (bwd_d_conv) and on whole
// tensors (the dense path), where the library's baseline (no -march) code is 4 lanes wide.
// _CMP_LT_OQ: 0 < src is false for +-0, negatives and NaN, like the scalar compare.
__attribute__((target("avx512f"))) void mask_avx512(float *diff_src, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __mmask16 k = _mm512_cmp_ps_mask(_mm512_setzero_ps(), _mm512_loadu_ps(src + i), _CMP_LT_OQ);
        _mm512_storeu_ps(diff_src + i, _mm512_maskz_mov_ps(k, _mm512_loadu_ps(diff_src + i)));
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1);
        const __m512 s = _mm512_maskz_loadu_ps(tail, src + i);
        const __mmask16 k = _mm512_mask_cmp_ps_mask(tail, _mm512_setzero_ps(), s, _CMP_LT_OQ);
        _mm512_mask_storeu_ps(diff_src + i, tail, _mm512_maskz_loadu_ps(k, diff_src + i));
    }
}

} // namespace

void apply_relu_mask(float *diff_src, const float *src, size_t n) {
    // Under the ISA cap too (SPARSETRAIN_MAX_CPU_ISA), so the capped CI run tests the scalar pass.
    static const bool wide = max_isa() >= cpu_isa::avx512_core;
    if (wide) mask_avx512(diff_src, src, n);
    else mask_scalar(diff_src, src, n);
}

void mask_act_rows(float *diff_src, const float *src, const act_layout &l, int64_t n, int64_t y0, int64_t y1) {
    if (l.px == 16) { // nChw16c: each block's rows are one run
        for (int64_t b = 0; b < l.blocks(); ++b) {
            const int64_t off = l.at(n, b, y0, 0);
            apply_relu_mask(diff_src + off, src + off, (size_t)((y1 - y0) * l.row));
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
