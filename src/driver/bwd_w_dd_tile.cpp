#include "driver/bwd_w_dd_tile.hpp"

#include <algorithm>

#include <immintrin.h>

namespace sparsetrain {

// Compiled for AVX-512 only here: the sparse path runs only where max_isa() allows it.
__attribute__((target("avx512f"))) void bwd_w_copy_dd_tile(const bwd_w_dd_view &v, int64_t r_begin,
        int64_t rows, int64_t c_begin, int64_t cols, int64_t pitch, float *buf, int64_t prefetch_rows) {
    const int o = v.o;
    const __m512 zero = _mm512_setzero_ps();
    // Columns [c_in0, c_in1) of the tile lie inside the image.
    const int64_t c_in0 = std::min(cols, std::max<int64_t>(0, -c_begin));
    const int64_t c_in1 = std::max(c_in0, std::min(cols, v.ow - c_begin));
    for (int64_t rr = 0; rr < rows; ++rr) {
        float *out = buf + rr * pitch * o * 16;
        const int64_t r = r_begin + rr;
        if (r < 0 || r >= v.oh) {
            for (int64_t q = 0; q < cols * o; ++q) _mm512_storeu_ps(out + q * 16, zero);
            continue;
        }
        for (int64_t q = 0; q < c_in0 * o; ++q) _mm512_storeu_ps(out + q * 16, zero);
        for (int64_t q = c_in1 * o; q < cols * o; ++q) _mm512_storeu_ps(out + q * 16, zero);
        const bool pf = prefetch_rows > 0 && r + prefetch_rows < v.oh;
        for (int l = 0; l < o; ++l) {
            const float *in = v.at(l, r, c_begin);
            for (int64_t cc = c_in0; cc < c_in1; ++cc) {
                _mm512_storeu_ps(out + (cc * o + l) * 16, _mm512_loadu_ps(in + cc * v.px));
                if (pf) _mm_prefetch(reinterpret_cast<const char *>(in + prefetch_rows * v.row + cc * v.px), _MM_HINT_T1);
            }
        }
    }
}

void bwd_w_prefetch_dd_tile(const bwd_w_dd_view &v, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    r0 = std::max<int64_t>(r0, 0);
    r1 = std::min(r1, v.oh);
    c0 = std::max<int64_t>(c0, 0);
    c1 = std::min(c1, v.ow);
    for (int l = 0; l < v.o; ++l)
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t c = c0; c < c1; ++c)
                _mm_prefetch(reinterpret_cast<const char *>(v.at(l, r, c)), _MM_HINT_T1);
}

__attribute__((target("avx512f"))) void bwd_w_sum_dd_tile(const bwd_w_dd_view &v, int64_t r0, int64_t r1,
        int64_t c0, int64_t c1, float *bias) {
    r0 = std::max<int64_t>(r0, 0);
    r1 = std::min(r1, v.oh);
    c0 = std::max<int64_t>(c0, 0);
    c1 = std::min(c1, v.ow);
    if (r0 >= r1 || c0 >= c1) return;
    for (int l = 0; l < v.o; ++l) {
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        for (int64_t r = r0; r < r1; ++r) {
            const float *in = v.at(l, r, 0);
            int64_t c = c0;
            for (; c + 1 < c1; c += 2) {
                s0 = _mm512_add_ps(s0, _mm512_loadu_ps(in + c * v.px));
                s1 = _mm512_add_ps(s1, _mm512_loadu_ps(in + (c + 1) * v.px));
            }
            if (c < c1) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(in + c * v.px));
        }
        _mm512_storeu_ps(bias + l * 16, _mm512_add_ps(_mm512_loadu_ps(bias + l * 16), _mm512_add_ps(s0, s1)));
    }
}

} // namespace sparsetrain
