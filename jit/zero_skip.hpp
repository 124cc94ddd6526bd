// The zero-skip mechanism, written once and used by all three directions.
//
// Stage 1, compaction: a 16-float vector of the sparse operand is compared with zero
// (vcmpps -> k-mask); its non-zero lanes and, beside them, the byte offsets of the dense
// vectors they multiply are compressed (vcompressps / vpcompressd) onto the end of a list;
// popcnt of the mask advances the list. No branch at all, so the check of each vector is
// done once and the list is reused by every kernel tap and output-channel group.
//
// Stage 2, the list loop: for each entry, broadcast the value and run a register-blocked
// group of FMAs  acc_k += value * dense[offset + disp_k]  whose dense operand comes from
// L1 as a 64-byte memory operand. One loop branch per non-zero; one likely mispredict per
// list, so a list should span as many lanes as the L1 budget of the dense slice allows.
//
// Floating-point semantics: a lane is skipped iff it compares equal to 0 (so +0.0 and -0.0
// are skipped, NaN is kept). Skipping changes results only where dense math would have
// produced NaN from 0 * Inf or 0 * NaN in the dense operand: the skipped term contributes
// nothing instead (documented in README "Floating-point behaviour").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

struct compact_regs {
    Xbyak::Zmm zero;       // holds 0.0f in every lane (caller sets it once)
    Xbyak::Zmm tmp;        // scratch
    Xbyak::Opmask k;       // scratch mask (not k0)
    Xbyak::Reg64 vals;     // list of values (float), 64 B slack required past the end
    Xbyak::Reg64 offs;     // list of byte offsets (int32), same indexing as vals
    Xbyak::Reg64 count;    // entries so far; advanced by the number of non-zero lanes
    Xbyak::Reg64 scratch;  // scratch GPR
};

// Appends the non-zero lanes of `v` and the matching lanes of `offsets` (int32) to the
// list at index `count`, then advances `count`. Writes a full 64 bytes at vals/offs+count
// (lanes past the new count are written as 0). `disp` is a byte displacement added to both
// list bases (several lists addressed from one pair of base registers).
void emit_compact_vector(jit_generator &g, const compact_regs &r, const Xbyak::Zmm &v,
        const Xbyak::Zmm &offsets, int32_t disp = 0);

// Offsets-only compaction, for when the values can be read back from the sparse operand
// itself (their offsets there are a fixed multiple of the dense offsets): appends the lanes
// of `offsets` selected by `mask` at index `count` and advances `count`. Writes 64 bytes.
struct compact_offsets_regs {
    Xbyak::Zmm tmp;        // scratch
    Xbyak::Reg64 offs;     // list of byte offsets (int32)
    Xbyak::Reg64 count;    // entries so far
    Xbyak::Reg64 scratch;  // scratch GPR
};
void emit_compact_offsets(jit_generator &g, const compact_offsets_regs &r, const Xbyak::Opmask &mask,
        const Xbyak::Zmm &offsets, int32_t disp = 0);

// The same under a given mask (no compare): appends the lanes of `v` selected by `mask` and the
// matching lanes of `offsets`. `r.zero` and `r.k` are not used.
void emit_compact_selected(jit_generator &g, const compact_regs &r, const Xbyak::Opmask &mask, const Xbyak::Zmm &v,
        const Xbyak::Zmm &offsets, int32_t disp = 0);

// Pairing of neighbouring lanes (stage 1b). Two non-zeros in lanes j and j + 1 of one vector
// are neighbouring elements of the sparse operand whose dense vectors are a fixed stride apart,
// so one dense load can feed both (see emit_pair_list_loop). Given the 16-bit non-zero mask
// `m` (a GPR; bits above 15 clear), computes greedily from lane 0 within each run of set bits:
// `first` = lanes j that start a pair (j + 1 is its partner), and leaves in `m` the lanes that
// stay single. An odd run leaves its last lane single. ~14 scalar ops, no branch; `t` scratch.
void emit_pair_masks(jit_generator &g, const Xbyak::Reg32 &m, const Xbyak::Reg32 &first, const Xbyak::Reg32 &t);

// Appends the pairs selected by `first` (their partners in `both` = first | first << 1) to a
// pair list: values interleaved (v[j], v[j + 1]) at vals + 8 * count, the offset of lane j at
// offs + 4 * count; count += popcnt(first). Writes 64 bytes at each. `r.zero`, `r.k` unused.
void emit_compact_pairs(jit_generator &g, const compact_regs &r, const Xbyak::Opmask &first,
        const Xbyak::Opmask &both, const Xbyak::Zmm &v, const Xbyak::Zmm &offsets, int32_t disp = 0);

// Pair compaction: vectors `a` and `b` whose lanes multiply the same dense vectors (the same
// channels of two images, say). The masks of their non-zero lanes are AND-ed, branch-free,
// into three lists: AB (lanes non-zero in both: a's value, b's value, one offset), A (only
// a non-zero) and B (only b). An AB entry lets a kernel load its dense vector once for two
// FMAs. Every list is addressed from `base`: list l's values at base + vals[l] + 4*count[l],
// its offsets at base + offs[l] + 4*count[l], AB's b-values at base + vals_b + 4*count[0].
// Each append writes 64 bytes (64 bytes of slack needed past every list).
struct compact_pair_regs {
    Xbyak::Zmm zero;          // 0.0f in every lane (caller sets it once)
    Xbyak::Zmm tmp;           // scratch
    Xbyak::Opmask ka, kb, k;  // scratch masks (not k0)
    Xbyak::Reg64 base;
    Xbyak::Reg64 count[3];    // entries so far of lists AB, A, B
    Xbyak::Reg64 scratch;     // scratch GPR
};
struct compact_pair_layout {
    int32_t vals[3], offs[3]; // byte displacements from base, lists AB, A, B
    int32_t vals_b;           // AB: the values of b
};
void emit_compact_pair(jit_generator &g, const compact_pair_regs &r, const compact_pair_layout &l,
        const Xbyak::Zmm &a, const Xbyak::Zmm &b, const Xbyak::Zmm &offsets);

// Stage 2's loop control, written once for every list loop of every kernel (forward and
// backward-data row passes, backward weights): runs `entry(i, mask)` for the entries of one
// list, unrolled by `unroll` (entry i of each group of `unroll` consecutive entries goes to
// accumulator set i). The count mod unroll leftover entries run first, through merge-masked
// steps (mask all ones iff the step is inside the count, else the masked-off FMAs and loads
// neither write nor fault), so the loop exit is the list's only data-dependent branch. The
// entry emits the FMAs of entry idx + i (`mask` is k0 in the main loop: unmasked).
//
// How the entries are counted (the kernels address their lists differently):
//   compare_end  entries [idx, end): cmp/jge before, inc + cmp/jl per entry (unroll 1 only);
//   count_down   entries [idx, end): `left` = end - idx counts down, idx up by unroll;
//   up_to_zero   idx = -count counts up to 0, the lists addressed from a base biased to their
//                end, so the add that advances idx is also the loop branch's test. The caller
//                has set idx and left the flags of that (jz to its own exit when the list is
//                empty); unroll 1 or 2.
// `tmp` is scratch for the leftover masks (count_down, up_to_zero); `mark`, if not empty,
// marks the main loop in listings.
enum class list_counter { compare_end, count_down, up_to_zero };
struct list_loop_control {
    list_counter counter = list_counter::compare_end;
    int unroll = 1;
    Xbyak::Reg64 idx, end, left, tmp;
    Xbyak::Opmask leftover = Xbyak::Opmask(7);
    std::string mark;
};
using list_entry_emitter = std::function<void(int i, const Xbyak::Opmask &mask)>;
void emit_list_loop_control(jit_generator &g, const list_loop_control &c, const list_entry_emitter &entry);

struct fma_target {
    Xbyak::Zmm acc;
    int32_t disp; // byte displacement added to the entry's offset
};

struct list_loop_regs {
    Xbyak::Reg64 vals, offs; // list bases
    Xbyak::Reg64 idx, end;   // entries [idx, end) are consumed; idx == end afterwards
    Xbyak::Reg64 dense;      // base of the dense operand
    Xbyak::Reg64 off;        // scratch: the entry's offset
    Xbyak::Zmm bcast;        // scratch: the broadcast value
};

// For every entry i in [idx, end): for every target t, t.acc += vals[i] * dense[offs[i] + t.disp].
void emit_list_loop(jit_generator &g, const list_loop_regs &r, const std::vector<fma_target> &targets);

// The same, unrolled by sets.size() (a power of two): of every sets.size() consecutive
// entries, the s-th one updates sets[s], so that a short target group (few FMAs per entry)
// does not wait on the latency of its own accumulators. The count mod sets.size() leftover
// entries are run first through merge-masked steps (no branch), so the loop exit is the only
// data-dependent branch. All sets must have the same displacements; the caller sums the
// sets' accumulators afterwards. `left` is a scratch GPR; k7 is clobbered. Entries up to
// sets.size() - 1 past the end are read (the lists' slack).
void emit_list_loop(jit_generator &g, const list_loop_regs &r,
        const std::vector<std::vector<fma_target>> &sets, const Xbyak::Reg64 &left);

// The list loop over an offsets-only list: entry i broadcasts values[offs[i] * src_scale] (the
// value read from the sparse operand itself) and runs
// t.acc += value * dense[offs[i] * dense_scale + t.disp] (scales 1, 2, 4 or 8: the two
// operands' pixel strides in units of the stored offset). Unrolled over `sets` like the loop
// above (k7 clobbered). `r.vals` is the base of the sparse operand.
void emit_list_loop_indirect(jit_generator &g, const list_loop_regs &r, int dense_scale,
        const std::vector<std::vector<fma_target>> &sets, const Xbyak::Reg64 &left, int src_scale = 1);

// The list loop over a pair list (stage 2b): entry i carries two values (v0, v1) = vals[2i],
// vals[2i + 1] of two elements whose dense vectors are `step` bytes apart. For every target t:
//   t.acc += v0 * dense[offs[i] + t.disp] + v1 * dense[offs[i] + t.disp + step].
// The dense vectors are grouped by displacement: one that two FMAs need (t.disp + step equal
// to another target's disp) is loaded once into a register (`tmp0` / `tmp1`, alternating) and
// feeds both; one that a single FMA needs stays a memory operand. `list_disp` is added to both
// list addresses. Returns the number of shared loads per entry (0: pairing saves nothing).
struct pair_loop_regs {
    Xbyak::Reg64 vals, offs, idx, end, dense, off;
    Xbyak::Zmm bcast0, bcast1, tmp0, tmp1;
};
int emit_pair_list_loop(jit_generator &g, const pair_loop_regs &r, int32_t step,
        const std::vector<fma_target> &targets, int32_t list_disp = 0);

// The number of dense loads per pair entry that feed two FMAs (the saving of the loop above).
int pair_shared_loads(const std::vector<int32_t> &disps, int32_t step);

} // namespace jit
} // namespace sparsetrain
