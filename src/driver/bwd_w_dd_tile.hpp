// diff_dst tiles for the bwd_w kernels: the zero-padded pixel-major copy of one tile (its own
// packing, below: not a tensor layout), and the diff_bias sum over the part of diff_dst that a
// tile owns.
#pragma once

#include <cstdint>

namespace sparsetrain {

// One image's diff_dst (nChw16c or nhwc), seen from an oc group of `o` blocks starting at
// `ocb0`; strides in floats (common/layout.hpp act_layout).
struct bwd_w_dd_view {
    const float *img; // image n, oc block 0
    int64_t oh, ow;
    int64_t ocb0;
    int o;
    int64_t cblk, row, px;
    const float *plane(int l) const { return img + (ocb0 + l) * cblk; }
    const float *at(int l, int64_t r, int64_t c) const { return plane(l) + r * row + c * px; }
};

// buf[rr][cc][l][16] = diff_dst(row r_begin + rr, column c_begin + cc, oc block l), zero where the
// pixel lies outside the image; rows x cols pixels, row pitch `pitch` pixels. Every source
// line read is also prefetched (to L2) `prefetch_rows` rows further down (the next tile).
void bwd_w_copy_dd_tile(const bwd_w_dd_view &v, int64_t r_begin, int64_t rows, int64_t c_begin,
        int64_t cols, int64_t pitch, float *buf, int64_t prefetch_rows = 0);

// Prefetches (to L2) rows [r0, r1) x columns [c0, c1) of the view's o planes (clipped to the
// image): the part of the next tile that an in-place tile reads.
void bwd_w_prefetch_dd_tile(const bwd_w_dd_view &v, int64_t r0, int64_t r1, int64_t c0, int64_t c1);

// bias[l * 16 + lane] += sum over rows [r0, r1) x columns [c0, c1) (clipped to the image) of
// diff_dst(oc block l, lane).
void bwd_w_sum_dd_tile(const bwd_w_dd_view &v, int64_t r0, int64_t r1, int64_t c0, int64_t c1, float *bias);

} // namespace sparsetrain
