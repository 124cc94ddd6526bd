// bwd_w compute kernel: for each channel of a range of channel blocks, runs that channel's
// list of one tile and one pixel class against the diff_dst tile and adds the result to
// diff_w (OIhw16i16o) in place.
//
// Register allocation: accumulators zmm0 .. zmm(F*S-1) = diff_w[c][tap][oc block] for the
// group's taps x oc blocks (F of them) in S copies (S > 1 only for small F: consecutive
// entries alternate copies so that FMA latency is hidden); zmm31 = broadcast value. Per
// entry: one broadcast, one offset load, F FMAs with 64-byte memory operands
// dd[offset + disp(tap, oc block)]. After the list: copies summed, then F read-add-writes of
// diff_w. One call per (tile, class, group, oc group) covers all the thread's channels, so the
// call cost is paid once per ~hundreds of lists.
//
// Pair mode: each channel also has a pair list (entries of two class pixels j, j + 1 of a row,
// see bwd_w_list_builder). After the single list, the pair list runs into the same
// accumulators: per entry two broadcasts (zmm31, zmm30) and, for a diff_dst vector that both
// pixels need (tap dx of pixel j + 1 = tap dx + 1 of pixel j), one load into zmm29 / zmm28 that
// feeds two register FMAs. For 3x3 stride 1 that is 24 loads for 36 FMAs instead of 36.
//
// Before each channel's lists, a few prefetches of the next tile's src (see args.pf): they
// overlap the memory stream of the list builder with this kernel's FMAs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jit/jit_kernel.hpp"

namespace sparsetrain {
namespace jit {

struct bwd_w_kernel_args {
    const float *vals;   // list slot of the first channel; channel c at + c * slot_bytes
                         // (indirect mode: src at the tile's centre origin, first channel)
    const int32_t *offs; // the same layout
    const int32_t *cnt;  // list lengths, one per channel
    const float *dd;     // diff_dst tile: centre origin, first oc block of the group
    float *dw;           // diff_w at (first oc block of the group, first channel, tap (0, 0))
    int64_t n_icb;       // channel blocks of 16 to run (>= 1), icb_step apart in diff_w / src;
                         // their lists are consecutive
    const int32_t *pcnt = nullptr; // pair mode: pair list lengths, one per channel
    // Prefetch (to L2) spread over the channels: before each channel's lists, the next pf_lines
    // entries of the table pf_offs (byte offsets from pf; the table restarts for every channel
    // block, pf advancing by pf_icb_stride). The driver points it at the next tile's src, so
    // the memory stream overlaps the FMAs and the list builder finds its data in L2.
    const char *pf = nullptr;
    const int32_t *pf_offs = nullptr; // >= 16 * pf_lines entries
    int64_t pf_lines = 0;             // 0: no prefetch
    int64_t pf_icb_stride = 0;
};

struct bwd_w_kernel_params {
    int64_t slot_bytes = 0;
    int64_t icb_stride = 0;          // bytes between channel blocks in diff_w (kh*kw*1024)
    int icb_step = 1;                // the channel blocks run are icb0, icb0 + step, ...
    std::vector<int32_t> dd_disp;    // per accumulator of one copy: diff_dst displacement
    std::vector<int32_t> dw_disp;    // per accumulator of one copy: diff_w displacement
    int nsets = 1;
    // Indirect mode (offsets-only lists): the value of an entry is src[vals + offset * src_scale]
    // and its diff_dst vectors are at dd + offset * dd_scale + disp. Channel c's src is at
    // vals + 4 * (c % 16) + (c / 16) * src_icb_stride * icb_step.
    bool indirect = false;
    int dd_scale = 1, src_scale = 1;
    int64_t src_icb_stride = 0;
    // Pair mode (value lists only): channel c's pair list is pair_disp bytes after its single
    // list (in vals and offs); the partner pixel's diff_dst vectors are pair_step bytes further.
    bool pairs = false;
    int64_t pair_disp = 0;
    int64_t pair_step = 0;
    std::string key() const;
};

class bwd_w_kernel : public jit_kernel<bwd_w_kernel, bwd_w_kernel_params, const bwd_w_kernel_args> {
public:
    explicit bwd_w_kernel(const bwd_w_kernel_params &p, const std::string &problem = "");

private:
    void generate() override;
};

} // namespace jit
} // namespace sparsetrain
