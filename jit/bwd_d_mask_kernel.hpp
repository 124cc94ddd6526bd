// Backward data under the ReLU-backward mask: diff_src = (W^T * diff_dst) * [src > 0], computed
// only for the elements where src > 0, at element granularity.
//
// For one non-zero src element (pixel p, input channel ic) the kernel accumulates, over the
// pixel's valid taps t and the call's diff_dst channel blocks b,
//     acc += W[b, ic, t] (16 output channels, one 64-byte line of OIhw16i16o weights)
//          * diff_dst[p - t, b] (the same 16 output channels: one vector)
// and sums acc's 16 lanes at the end. The FMA count per computed element equals dense
// backward data's; no broadcast. The elements of one pixel and 16-channel block are an
// "item" of n entries (n = the number of lanes with src > 0); its entries share every
// diff_dst vector, which is loaded once into a register and feeds n FMAs whose weight operands
// are 64-byte memory operands (the weight slice of one channel block is L1-resident).
//
// Items are pre-sorted by n into buckets (mask_bucket_kernel), so that the code variant of
// each n runs a loop over its bucket without mispredicted dispatch. Variant n:
//   1. vcmpps of the item's src vector -> k1 (lanes with src > 0); vpcompressd of the lane
//      offsets (lane * 64) into a stack buffer; n entry registers loaded from it.
//   2. Accumulators zeroed (n x sets; `sets` > 1 alternate the blocks so that small n still
//      has >= 8 independent FMA chains), then the tap loop: per tap, the pixel's diff_dst offset
//      and weight offset from the tap table, per block one diff_dst load and n FMAs.
//   3. Sets added, the n accumulators summed by the transpose-add tree (lane_sum_tree) into
//      lanes 0..n-1 of one register, vexpandps'ed into their lanes under k1 (zeros elsewhere),
//      added to diff_src (accumulate) or stored: one vector store per item.
// More entries than entry registers run as several groups (each its own tap loop), combined
// before the store. Counts >= full_from run all 16 lanes with constant lane displacements
// (no entry registers) and a zero-masked store. Bucket 0 (nothing to compute: src <= 0
// everywhere, or no valid tap) stores zeros, unless accumulating. So every element of every
// listed item is written.
//
// Activation addressing is entirely in the tables the driver builds (pixel table: byte offset
// of the item in src / diff_src, of its diff_dst origin, its taps), so the kernel does not
// depend on the activation layout beyond `dd_blk_stride`, the distance between two diff_dst
// channel blocks.
//
// Tables:
//   pixel table, 4 int32 per pixel: act_off (bytes from src / dst to the item's 16 floats),
//     dd_off (bytes from dd to the pixel's diff_dst origin), tap_end (index one past its last
//     tap in the tap table), ntaps (0: no tap reaches the pixel; it goes to bucket 0)
//   tap table, 2 int64 per tap: dd_rel (bytes from the pixel's origin to that tap's
//     diff_dst pixel), w_off (bytes from w to the tap's weights of lane 0)
//   single_tap (1x1): every pixel has one tap with dd_rel = w_off = 0; no tap loop.
//
// Register allocation (role names in bwd_d_mask_kernel.cpp):
//   rax tap index (negative, steps of 2 to 0)   rbx the item's tap table end
//   rcx the tap's dd_rel   rdx the tap's weight address   rsi the pixel's diff_dst origin
//   rdi rbp r8..r15: entry lane offsets (single_tap: also rax rbx rcx)
//   zmm0..25 accumulators   zmm26 group result   zmm27 tree scratch / permutation index
//   zmm28 diff_dst line   zmm29 0.0f   zmm30 compress scratch   zmm31 lane offsets (lane*64)
//   k1 the item's mask   k2 group lanes
//   loop state (bucket, item index, the item's offsets) lives in the stack frame.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

struct bwd_d_mask_desc {
    int occ = 1;                // diff_dst channel blocks per call: FMAs per entry and tap
    bool single_tap = false;    // every pixel has one tap, dd_rel = w_off = 0 (1x1)
    int64_t dd_blk_stride = 0;  // bytes between diff_dst channel blocks
    int64_t w_blk_stride = 0;   // bytes between weight output-channel blocks
    bool accumulate = false;    // add into diff_src (a later block chunk); bucket 0 untouched
    int max_group = 0;          // entries per group (0: all the entry registers)
    int full_from = 17;         // counts >= full_from compute all 16 lanes
    std::string problem;        // benchdnn string of the layer, for dumps (not in key())

    // Entry registers available (10 with the tap loop, 13 single_tap).
    int entry_regs() const { return single_tap ? 13 : 10; }
    // Accumulator sets for a group of m entries.
    int sets(int m) const;
    std::string key() const;
};

struct bwd_d_mask_args {
    const int32_t *items;  // bucket n: items[n * cap + i], i < counts[n] (pixel indices)
    const int32_t *counts; // 17 buckets
    int64_t cap;
    const int32_t *pix;    // pixel table
    const int64_t *taps;   // tap table
    const float *src;      // origin of act_off (the mask source)
    float *dst;            // origin of act_off (diff_src)
    const float *dd;       // origin of dd_off (the call's first diff_dst channel block)
    const float *w;        // origin of w_off (the call's first output-channel block, input block)
};

class bwd_d_mask_kernel : public jit_generator {
public:
    explicit bwd_d_mask_kernel(const bwd_d_mask_desc &d);
    void operator()(const bwd_d_mask_args *a) const { entry<void (*)(const bwd_d_mask_args *)>()(a); }
    const bwd_d_mask_desc &desc() const { return d_; }
    static std::shared_ptr<const bwd_d_mask_kernel> get(const bwd_d_mask_desc &d);

protected:
    void generate() override;

private:
    struct impl;
    bwd_d_mask_desc d_;
};

} // namespace jit
} // namespace sparsetrain
