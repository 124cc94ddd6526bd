// bwd_w list builder: turns one tile of one pixel class of 16 src channels (nChw16c) into 16
// per-channel lists of (non-zero value, byte offset of the value's centre pixel in the
// diff_dst tile).
//
// Per block of 16 class pixels of a row: 16 loads (one nChw16c vector = 16 channels of one
// pixel each), a 16x16 in-register transpose (64 shuffles) giving one vector of 16 pixels per
// channel, then the shared emit_compact_vector per channel against the block's offset
// vector. Count of channel c lives in cnt[c] (memory: 16 running counts do not fit the GPRs).
// Lanes past the row end are zero vectors, which the compaction drops.
//
// Offsets-only mode (1x1 stride 1, where a value's src offset and its diff_dst offset differ
// by a fixed scale, so the kernel reads the value back from src): no data transpose and no
// value list. The 16 compare masks (one per pixel, bit c = channel c non-zero) are
// bit-transposed by 16 masked ORs of the pixel's bit into a vector of per-channel words.
// Port-5 work per block drops from ~144 to ~48 uops.
//
// Pair mode (value lists): non-zeros of one channel at neighbouring class pixels j, j + 1 of a
// row (paired greedily within each run of non-zeros of a 16-pixel block, see emit_pair_masks)
// go to the channel's pair list (the two values interleaved, the offset of pixel j), the rest
// to its single list. The kernel then loads each diff_dst vector both pixels need once.
#pragma once

#include <cstdint>
#include <string>

#include "jit/jit_kernel.hpp"

namespace sparsetrain {
namespace jit {

struct bwd_w_build_args {
    const float *src; // the tile's first class pixel (image n, channel block), row 0
    float *vals;      // slot of channel 0 of the block; channel c at + c * slot_bytes
    int32_t *offs;    // the same layout
    int32_t *cnt;     // 16 counts, written (the kernel starts them at 0)
    int64_t rows;     // class rows in the tile (>= 0)
    int64_t cols;     // class pixels per row in the tile (>= 0)
    int32_t *pcnt = nullptr; // pair mode: 16 pair counts, written
};

struct bwd_w_build_params {
    int64_t src_row_step = 0; // bytes between consecutive class rows of src
    int64_t src_col_step = 0; // bytes between consecutive class pixels of a row
    int64_t slot_bytes = 0;   // bytes between the lists of consecutive channels
    int64_t off_row = 0;      // offset stored for centre (i, j): i * off_row + j * off_col
    int64_t off_col = 0;
    // If non-zero: every loaded pixel vector is also prefetched (to L2) at this byte distance,
    // i.e. where the next tile's lists will read (spreads the stream's prefetches over the
    // build instead of a burst that stalls on full miss queues).
    int64_t prefetch_dist = 0;
    bool offsets_only = false; // write no values (vals may be null)
    // Pair mode (not with offsets_only): channel c's pair list starts pair_disp bytes after its
    // single list in both vals (2 floats per entry) and offs (1 offset per entry).
    bool pairs = false;
    int64_t pair_disp = 0;
    std::string key() const;
};

class bwd_w_list_builder : public jit_kernel<bwd_w_list_builder, bwd_w_build_params, const bwd_w_build_args> {
public:
    explicit bwd_w_list_builder(const bwd_w_build_params &p, const std::string &problem = "");

private:
    void generate() override;
    void transpose16x16(int reg[16], int &spare);
    void emit_load_pixels();                         // 16 pixels (fewer at a row's end) into zmm0..15
    void emit_compact_pixels(Xbyak::Label &pixel_bits); // their 16 channels onto the lists
};

} // namespace jit
} // namespace sparsetrain
