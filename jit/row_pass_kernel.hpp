// The row-pass kernel, shared by forward and backward-data: for n_rows rows, walk the
// sparse pixels x of a row; for each x, run the non-zeros of one channel range against every
// target (y, tap) of the row schedule, accumulating into a ring of output-pixel accumulators
// that are opened (loaded from dst, or zero / bias) before their first contribution and
// stored after their last.
//
// The non-zeros come as compacted (value, dense byte offset) lists written by
// row_compact_kernel, once per execute and reused by every tap and output-block group:
// values at vals[i], the offset (int32, >= 0) of value i at vals + offs_disp + 4*i; the list
// of sparse pixel x of a row is [starts[x], starts[x+1]). Per entry: broadcast, offset
// load, address add, F FMAs with 64-byte memory operands.
//
// acc_sets = 2 alternates entries between two accumulator sets (summed when the output is
// stored): with few FMAs per entry the 4-cycle FMA latency chain through one set, not the
// issue rate, would bound the loop.
//
// Pair mode runs the rows of two images (a, b) at once on row_compact_kernel's pair lists:
// per sparse pixel, list AB (lanes non-zero in both images) loads each dense line once into
// a register and feeds two register FMAs, one per image (measured ~1.3x the FMA rate of
// memory-operand FMAs, which the L1 load rate bounds); lists A and B feed one image each, as
// in single mode. Image b's accumulators are a second image set; its dst is
// pair_dst_disp bytes after image a's. An output element sums the same products in either
// mode, but in another order when the two modes split its entries differently between the
// accumulator sets (exact for small integers; rounding may differ for general floats).
//
// Inline compaction (inline_vecs > 0, single mode only): the kernel compacts each sparse
// pixel's inline_vecs 16-channel vectors itself, from the sparse operand (`starts` is then
// its row-0, x = 0 pointer; x steps src_col_stride bytes, vectors src_vec_stride, rows
// starts_row_stride), into a small list in L1 (`vals`) that it runs at once. For passes that
// visit every (pixel, chunk) once (1x1 with one output group): no list round trip through L2,
// and the sparse operand's loads overlap the FMAs of the pixels before them. Same lists, same
// summation order as reading them from memory.
//
// Register allocation:
//   zmm[((s*images + img)*acc_sets + set)*n_blk + j]  accumulator of ring slot s, image
//          (pairs: a or b), set, 16-lane block j; at most 28 (pairs: 24)
//   zmm24..27  pairs: the dense lines of an AB entry
//   zmm29  the second set's (pairs: image b's) broadcast value    zmm30  0.0f
//   zmm31  the broadcast value
//   r8  starts of the current iteration   r9  list values   r10 dense base
//   r11 dst of the current iteration      r12 rows left     r13 iteration counter
//   r14 starts of the current row         r15 dst of the current row   rsi bias
//   rax entry index (negative, counts up to 0)   rdx list end   rbx values biased to the end
//   rcx the entry's dense address
//   inline compaction: r8 / r14 the sparse operand at the iteration / row, rdx the count,
//   rbp the list's offsets, rcx the lane offsets, zmm26 vector, zmm27 compressed, zmm28 lane
//   offsets
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jit/jit_kernel.hpp"
#include "config/row_pass_schedule.hpp"

namespace sparsetrain {
namespace jit {

// The row schedule is planned in config/ (config/row_pass_schedule.hpp); these names keep the
// jit:: spelling its users had when it lived here.
using sparsetrain::bwd_d_row_schedule;
using sparsetrain::fwd_row_schedule;
using sparsetrain::row_schedule;
using sparsetrain::row_target;

enum class acc_init { load, zero, bias };

struct row_pass_desc {
    std::string direction; // "fwd" / "bwd_d": names the kernel only
    row_schedule sched;
    int n_blk = 1;                   // output blocks of 16 lanes per output pixel
    int acc_sets = 1;                // 1 or 2 (see above)
    std::vector<int32_t> dense_disp; // [j * taps + tap]: byte displacement of the dense line
    int64_t dst_blk_stride = 0;      // bytes between the blocks of one output pixel
    int64_t dst_px_stride = 64;      // bytes between consecutive output pixels of a row
    int64_t dst_row_stride = 0;      // bytes between consecutive rows of dst
    int64_t starts_row_stride = 0;   // bytes between consecutive rows of starts
    int64_t offs_disp = 0;           // bytes from vals[i] to its offset
    bool pair = false;               // pair mode (see above)
    int64_t pair_dst_disp = 0;       // pairs: bytes from image a's dst to image b's
    int64_t region_disp = 0;         // pairs: bytes between the lists AB, A and B
    int64_t vb_disp = 0;             // pairs: bytes from AB's image-a values to its image-b ones
    acc_init init = acc_init::load;
    bool relu = false;               // max(x, 0) before the store (NaN stays NaN)
    int inline_vecs = 0;             // inline compaction (see above): vectors per pixel, 0: off
    int64_t src_col_stride = 0, src_vec_stride = 0; // inline compaction: bytes per x, per vector

    std::string problem;             // benchdnn string of the layer, for dumps (not in key())

    std::string key() const;
};

struct row_pass_args {
    const int32_t *starts; // row 0, x = 0 (pairs: triples)
    const float *vals;
    const float *dense;    // origin of dense_disp / list offsets
    float *dst;            // row 0, y = 0, block 0
    const float *bias;     // block 0 (acc_init::bias)
    int64_t n_rows;        // >= 1
    const int32_t *lane_offsets; // inline compaction: dense byte offset of each lane
                                 // (inline_vecs x 16, 64-byte aligned)
};

class row_pass_kernel : public jit_kernel<row_pass_kernel, row_pass_desc, const row_pass_args> {
public:
    explicit row_pass_kernel(const row_pass_desc &d);

protected:
    void generate() override;

private:
    struct step; // one sparse pixel of an iteration: opens, list targets, closes
    struct iteration;
    std::vector<iteration> iterations() const;
    void emit_iteration(const iteration &it);
    void emit_open(int y_rel);
    void emit_close(int y_rel);
    void emit_list(int x_rel, int list, const std::vector<row_target> &targets);
    void emit_inline_compaction(int x_rel);
    void emit_list_entry(int32_t disp, int img, int set, const std::vector<row_target> &targets,
            const Xbyak::Opmask &mask = Xbyak::Opmask(0));
    void emit_pair_entry(int32_t disp, int set, const std::vector<row_target> &targets,
            const Xbyak::Opmask &mask = Xbyak::Opmask(0));
    int images() const { return d_.pair ? 2 : 1; }
    Xbyak::Zmm acc(int y_rel, int j, int img = 0, int set = 0) const;
};

} // namespace jit
} // namespace sparsetrain
