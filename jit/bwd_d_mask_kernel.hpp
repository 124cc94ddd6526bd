// Backward data under the ReLU-backward mask: diff_src = (W^T * diff_dst) * [src > 0], computed
// only for the elements where src > 0, at element granularity.
//
// For one non-zero src element (pixel p, input channel ic) the kernel accumulates, over the
// pixel's valid taps t and the call's diff_dst channel blocks b,
//     acc += W[b, ic, t] (16 output channels: one 64-byte line of IOhw16i16o weights)
//          * diff_dst[p - t, b] (the same 16 output channels: one vector)
// and sums acc's 16 lanes at the end. The FMA count per computed element equals dense
// backward data's; no broadcast. The elements of one pixel and 16-channel block form an item of
// n entries (n = its lanes with src > 0); they share every diff_dst vector, which is loaded
// once into a register and feeds n FMAs whose weight operands are 64-byte memory operands
// (the call's weight slice, 16 input channels x taps x occ blocks, is sized to stay in L1).
//
// Items come sorted into buckets by (tap class, n), with one record each (mask_bucket_kernel):
// the code of each bucket is a loop over its records, without mispredicted dispatch, and an
// item starts with independent loads from its record (mask, diff_dst origin, lane offsets).
// Per item:
//   1. The n entries' lane offsets from the record into entry registers (groups of at most
//      the entry registers when n is larger; each group runs the taps again).
//   2. Accumulators zeroed (n x sets; sets > 1 alternate taps or blocks so that a small n
//      still has enough independent FMA chains), then per tap and block one diff_dst load and n
//      FMAs. Tap classes of the plan (`classes`, the frequent tap lists: all taps of an
//      interior pixel, the parity classes of stride 2) have their taps unrolled with constant
//      displacements; other pixels (edges) run a loop over their taps in the tap table.
//   3. Sets added, the n accumulators summed by the transpose-add tree (lane_sum_tree) into
//      lanes 0..n-1 of one register, vexpandps'ed into their lanes under the mask (zeros
//      elsewhere), added to diff_src (accumulate) or stored: one vector store per item.
// Counts >= full_from run all 16 lanes with constant lane displacements and a zero-masked
// store. Bucket count 0 stores zeros (unless accumulating), so every listed item is written.
//
// Activation addressing is entirely in the tables the driver builds (config/bwd_d_mask_plan:
// byte offsets of each pixel in src / diff_src and of its diff_dst origin, its taps), so the
// kernel depends on the activation layout only through dd_blk_stride (between two diff_dst
// channel blocks).
//
// Tables:
//   records: see mask_bucket_kernel.hpp (pixel entry, mask, lane offsets)
//   tap table (generic class), 2 int64 per tap: dd_rel (bytes from the pixel's diff_dst origin
//     to the tap's diff_dst pixel), the absolute address of the tap's lane-0 weights for this
//     call; a record's taps are [tap_end - ntaps, tap_end)
//   classes: the same (dd_rel, w_off) lists, with w_off relative to `w`, fixed at generation
//
// Register allocation (role names: jit/register_map.hpp, regmap::bwd_d_mask):
//   unrolled classes: rsi the diff_dst origin (advanced per block), rdx the block's weight
//     offset, entries rdi rbp rbx rcx r8..r15 rax (absolute lane addresses)
//   one tap (1x1): rsi the diff_dst origin, entries rdi rbp rbx rcx rdx r8..r15 rax
//   generic: rax tap index (negative, steps of 2), rbx the record's tap table end, rcx dd_rel,
//     rdx the tap's weights, rsi the diff_dst origin, entries rdi rbp r8..r15 (lane offsets)
//   zmm0..25 accumulators   zmm26 item result   zmm27 tree scratch / permutation index
//   zmm28 diff_dst line   zmm29 0.0f   k1 the item's mask   k2 group lanes
//   the record pointer and the bases live in the stack frame.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/bwd_d_mask_plan.hpp"
#include "jit/jit_kernel.hpp"
#include "jit/mask_bucket_kernel.hpp"

namespace sparsetrain {
namespace jit {

// The plan's code (bwd_d_mask_code: groups, full_from, chains, tap classes 0..K-1 unrolled,
// class K generic: any tap list, from the tap table) and the call's strides.
struct bwd_d_mask_desc : bwd_d_mask_code {
    int occ = 1;                // diff_dst channel blocks per call: FMAs per entry and tap
    int64_t dd_blk_stride = 0;  // bytes between diff_dst channel blocks
    int64_t w_blk_stride = 0;   // bytes between weight output-channel blocks
    bool accumulate = false;    // add into diff_src (a later block chunk); count 0 untouched
    std::string problem;        // benchdnn string of the layer, for dumps (not in key())

    bwd_d_mask_desc() = default;
    explicit bwd_d_mask_desc(const bwd_d_mask_code &code) : bwd_d_mask_code(code) {}

    // Entry registers of a class's code.
    int entry_regs(int cls) const;
    // Accumulator sets for a group of m entries of class cls.
    int sets(int cls, int m) const;
    std::string key() const;
};

struct bwd_d_mask_args {
    const char *records;   // records of every bucket, in bucket order
    const int32_t *starts; // first record of each bucket (class * 17 + count)
    const int32_t *counts; // records of each bucket
    const int64_t *taps;   // tap table of this call (absolute weight addresses)
    const float *src;      // origin of act_off (the mask source)
    float *dst;            // origin of act_off (diff_src)
    const float *dd;       // origin of dd_off (the call's first diff_dst channel block)
    const float *w;        // origin of the classes' w_off (the call's first output block, input block)
};

class bwd_d_mask_kernel : public jit_kernel<bwd_d_mask_kernel, bwd_d_mask_desc, const bwd_d_mask_args> {
public:
    explicit bwd_d_mask_kernel(const bwd_d_mask_desc &d);

protected:
    void generate() override;

private:
    struct impl;
};

} // namespace jit
} // namespace sparsetrain
