// The register map of the generated kernels: which register holds what, for each kernel
// family, in one place. The accumulator budget itself is config/register_budget.hpp (the
// planners size their blocking by it); the registers here are named within it.
//
// Every kernel is a leaf function called through jit_generator::preamble()/postamble() (System
// V, the callee-saved rbx, rbp, r12..r15 saved), with its argument struct in rdi.
#pragma once

#include <xbyak/xbyak.h>

#include "config/register_budget.hpp"

namespace sparsetrain {
namespace jit {
namespace regmap {

using reg_budget::max_acc;

// row_pass_kernel (forward / backward-data list loops, jit/row_pass_kernel.hpp).
namespace row_pass {
// zmm0 .. zmm27: accumulators ((slot * images + img) * acc_sets + set) * n_blk + j, at most
// max_acc (pairs: max_acc_pair, inline compaction: max_acc_inline).
constexpr int line_idx = reg_budget::max_acc_pair;     // zmm24..27: pairs, an AB entry's dense lines
constexpr int n_line_regs = reg_budget::n_pair_lines;
constexpr int inline_v_idx = 26, inline_tmp_idx = 27;  // inline compaction: vector, compressed
constexpr int inline_table_idx = 28;                   // inline compaction: lane offsets
constexpr int bcast1_idx = 29;                         // second set's (pairs: image b's) value
constexpr int zero_idx = 30;                           // 0.0f (ReLU, compaction)
constexpr int bcast0_idx = 31;                         // the broadcast value
static_assert(inline_v_idx >= reg_budget::max_acc_inline && line_idx + n_line_regs <= inline_table_idx,
        "row pass: scratch registers overlap the accumulators");
const Xbyak::Reg64 reg_ptr = Xbyak::util::r8;       // starts (inline: the sparse operand) of the iteration
const Xbyak::Reg64 reg_vals = Xbyak::util::r9;      // list values
const Xbyak::Reg64 reg_dense = Xbyak::util::r10;    // dense base
const Xbyak::Reg64 reg_dst = Xbyak::util::r11;      // dst of the iteration
const Xbyak::Reg64 reg_rows = Xbyak::util::r12;     // rows left
const Xbyak::Reg64 reg_iter = Xbyak::util::r13;     // iteration counter
const Xbyak::Reg64 reg_ptr_row = Xbyak::util::r14;  // starts (inline: the sparse operand) of the row
const Xbyak::Reg64 reg_dst_row = Xbyak::util::r15;  // dst of the row
const Xbyak::Reg64 reg_idx = Xbyak::util::rax;      // entry index (negative, counts up to 0)
const Xbyak::Reg64 reg_end = Xbyak::util::rdx;      // list end (inline: the count)
const Xbyak::Reg64 reg_vals_end = Xbyak::util::rbx; // values biased to the list end
const Xbyak::Reg64 reg_addr = Xbyak::util::rcx;     // the entry's dense address; scratch
const Xbyak::Reg64 reg_bias = Xbyak::util::rsi;     // bias
const Xbyak::Reg64 reg_args = Xbyak::util::rdi;     // row_pass_args
const Xbyak::Reg64 reg_inline_offs = Xbyak::util::rbp; // inline compaction: the list's offsets
const Xbyak::Opmask k_odd = Xbyak::util::k7;        // two sets: the odd count's first entry
const Xbyak::Opmask k_inline = Xbyak::util::k1;     // inline compaction's zero check
} // namespace row_pass

// bwd_w_kernel (backward-weights list loops, jit/bwd_w_kernel.hpp).
namespace bwd_w {
// zmm0 .. zmm(F*S - 1): accumulators set * F + i, at most max_acc_bwd_w_single (pairs: max_acc).
constexpr int bcast_idx = 31;                     // the broadcast value (pairs: pixel j's)
constexpr int pair_bcast_idx = 30;                // pairs: pixel j + 1's value
constexpr int pair_line0_idx = 29, pair_line1_idx = 28; // pairs: shared diff_dst lines
static_assert(pair_line1_idx >= max_acc && bcast_idx >= reg_budget::max_acc_bwd_w_single,
        "bwd_w: scratch registers overlap the accumulators");
const Xbyak::Reg64 vals = Xbyak::util::r8, offs = Xbyak::util::r9, cnt = Xbyak::util::r10;
const Xbyak::Reg64 dd = Xbyak::util::r11, dw = Xbyak::util::r12, n_icb = Xbyak::util::r13;
const Xbyak::Reg64 lane = Xbyak::util::r14;       // channels left in the block
const Xbyak::Reg64 idx = Xbyak::util::rax, end = Xbyak::util::rbx; // entries [idx, end)
const Xbyak::Reg64 off = Xbyak::util::rcx;        // the entry's offset
const Xbyak::Reg64 left = Xbyak::util::rdx;       // entries left (unrolled loops); scratch
const Xbyak::Reg64 pcnt = Xbyak::util::r15;       // pairs: pair list lengths
const Xbyak::Reg64 pf = Xbyak::util::rbp;         // src prefetch base
const Xbyak::Opmask k_leftover = Xbyak::util::k7; // unrolled loops: leftover entries
} // namespace bwd_w

// bwd_w_list_builder (jit/bwd_w_list_builder.hpp): zmm0..15 the 16 pixels (transposed: the 16
// channels), zmm16 the transpose's spare, then the constants below.
namespace bwd_w_builder {
const Xbyak::Reg64 row_src = Xbyak::util::r8, vals = Xbyak::util::r9, offs = Xbyak::util::r10;
const Xbyak::Reg64 cnt = Xbyak::util::r11, rows = Xbyak::util::r12, cols = Xbyak::util::r13;
const Xbyak::Reg64 row_off = Xbyak::util::r14, pix_src = Xbyak::util::r15, j = Xbyak::util::rbx;
const Xbyak::Reg64 left = Xbyak::util::rax, count = Xbyak::util::rcx, scratch = Xbyak::util::rdx;
const Xbyak::Reg64 pix_off = Xbyak::util::rbp;
const Xbyak::Reg64 pcnt = Xbyak::util::rdi;       // pairs: replaces the argument pointer
const Xbyak::Reg32 pair_first = Xbyak::util::esi; // pairs: lanes that start a pair
const Xbyak::Zmm zero(17);      // 0.0f
const Xbyak::Zmm offsets(18);   // the 16 pixels' list offsets
const Xbyak::Zmm lane_off(19);  // lane p: p * off_col
const Xbyak::Zmm tmp(20);       // compaction scratch
const Xbyak::Zmm chan_bits(21); // offsets only: lane c = the pixels where channel c is non-zero
const Xbyak::Opmask k = Xbyak::util::k1, k_chan = Xbyak::util::k2; // zero check; offsets only: a channel's mask
const Xbyak::Opmask k_single = Xbyak::util::k2, k_first = Xbyak::util::k3, k_both = Xbyak::util::k4; // pairs
} // namespace bwd_w_builder

// row_compact_kernel (jit/row_pass_compact.hpp): zmm0 .. the offsets table.
namespace row_compact {
constexpr int max_table_regs = 24;                // table in zmm0..23, else reloaded into zmm27
constexpr int table_tmp_idx = 27, vb_idx = 28, v_idx = 29, tmp_idx = 30, zero_idx = 31;
static_assert(max_table_regs <= table_tmp_idx, "row compaction: table overlaps its scratch");
} // namespace row_compact

// bwd_d_mask_kernel (masked backward data, jit/bwd_d_mask_kernel.hpp): zmm0 .. zmm25 the
// accumulators set * m + j of a group of m entries (at most max_acc_mask); the GPRs by code
// kind (unrolled / block loop / generic tap loop). The record pointer and the call's bases live
// in the stack frame.
namespace bwd_d_mask {
const Xbyak::Reg64 dd = Xbyak::util::rsi;                            // the item's diff_dst origin
const Xbyak::Reg64 wblk = Xbyak::util::rdx;                          // block loop: the block's weight offset
const Xbyak::Reg64 wbase = Xbyak::util::rdi;                         // all-lane groups: the call's weights
const Xbyak::Reg64 tap = Xbyak::util::rax, tab = Xbyak::util::rbx;   // generic: tap index (negative), table end
const Xbyak::Reg64 ddrel = Xbyak::util::rcx, wtap = Xbyak::util::rdx; // generic: the tap's dd_rel and weights
const Xbyak::Reg64 args = Xbyak::util::rdi;                          // bwd_d_mask_args (prologue only)
// Entry registers (one input channel's weight address each): unrolled code uses all 14, the
// block loop 13 (rdx is its offset), the generic tap loop the 10 below.
const Xbyak::Reg64 entries_unrolled[14] = {Xbyak::util::rdi, Xbyak::util::rbp, Xbyak::util::rbx,
        Xbyak::util::rcx, Xbyak::util::r8, Xbyak::util::r9, Xbyak::util::r10, Xbyak::util::r11, Xbyak::util::r12,
        Xbyak::util::r13, Xbyak::util::r14, Xbyak::util::r15, Xbyak::util::rax, Xbyak::util::rdx};
const Xbyak::Reg64 entries_generic[10] = {Xbyak::util::rdi, Xbyak::util::rbp, Xbyak::util::r8, Xbyak::util::r9,
        Xbyak::util::r10, Xbyak::util::r11, Xbyak::util::r12, Xbyak::util::r13, Xbyak::util::r14, Xbyak::util::r15};
const Xbyak::Reg64 s0 = Xbyak::util::rax, s1 = Xbyak::util::rcx, s2 = Xbyak::util::rdx; // scratch between groups
constexpr int result_idx = reg_budget::max_acc_mask;  // zmm26: the item's lane sums
constexpr int tmp_idx = result_idx + 1;                // zmm27: tree scratch, permutation index
constexpr int line_idx = result_idx + 2;               // zmm28: the diff_dst line
constexpr int zero_idx = result_idx + 3;               // zmm29: 0.0f
static_assert(zero_idx < reg_budget::n_zmm, "bwd_d_mask: scratch registers beyond zmm31");
const Xbyak::Opmask k_item = Xbyak::util::k1;   // the item's mask (src > 0 lanes)
const Xbyak::Opmask k_group = Xbyak::util::k2;  // the group's lanes in the result
} // namespace bwd_d_mask

} // namespace regmap
} // namespace jit
} // namespace sparsetrain
