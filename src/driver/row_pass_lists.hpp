// The compacted lists of one work unit of the row-pass drivers (forward, backward data),
// built once per unit in the calling thread's scratch and read by every pass.
//
// Two variants, chosen per call (jit/row_pass_kernel.hpp): single lists, one image at a time;
// or image pairs, two images compacted together into AB / A / B lists (the last image of an
// odd count alone, in single lists). The unit's images form groups accordingly; a pass runs
// the pair kernel on a pair group and the single kernel on a single one.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/layout.hpp"
#include "config/row_pass_plan.hpp"

#include "jit/row_pass_compact.hpp"
#include "jit/row_pass_kernel.hpp"

namespace sparsetrain {

// Byte layout of the list regions for `cap` single-list entries and `pair_cap` entries per
// pair list: single values at 0, offsets at offs_disp; pair list l (AB, A, B) at
// l * pair_region_disp (offsets at + pair_offs_disp), AB's image-b values at pair_vb_disp.
struct row_pass_list_layout {
    int64_t offs_disp = 0, bytes = 0;
    int64_t pair_offs_disp = 0, pair_region_disp = 0, pair_vb_disp = 0, pair_bytes = 0;
    row_pass_list_layout() = default;
    row_pass_list_layout(int64_t cap, int64_t pair_cap);
};

// The compaction kernels of a driver; `pair` is null when the pair variant does not exist.
struct row_pass_compactors {
    std::shared_ptr<const jit::row_compact_kernel> single, pair;
    const int32_t *offs_table = nullptr; // n_vec x 16 lane offsets
};

// A driver's lane offsets (64-byte aligned, n_vec x 16): entry j is the byte offset from a
// chunk's origin of the dense line that lane j of the chunk multiplies.
struct aligned_free {
    void operator()(void *p) const { std::free(p); }
};
using lane_offset_table = std::unique_ptr<int32_t, aligned_free>;
lane_offset_table make_lane_offsets(int64_t n_vec, const std::function<int64_t(int64_t)> &line_of_lane);

// The list side of a row-pass driver, the same in both: lane offsets of a chunk of plan.cb
// vectors (line_of_lane), the list layout of the planned variants, the compaction kernels.
struct row_pass_list_side {
    lane_offset_table offs_table;
    row_pass_list_layout layout;
    row_pass_compactors compact;
    void init(const row_pass_plan &plan, const std::function<int64_t(int64_t)> &line_of_lane);
    // The compaction kernels (single, then pair where planned), first in a driver's kernels().
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const;
};

// Calls fn(variant index, pair, inline) for each kernel variant the plan has, in
// row_pass_variant order.
template <class Fn>
void for_each_planned_variant(const row_pass_plan &plan, const Fn &fn) {
    for (int v = 0; v < 3; ++v) {
        const bool pair = v == (int)row_pass_variant::pairs, inl = v == (int)row_pass_variant::single_inline;
        if ((pair && plan.pairs.acc_sets == 0) || (inl && !plan.inline_compact)) continue;
        fn(v, pair, inl);
    }
}

// The direction's part of a pass descriptor shared by both drivers: problem label, direction,
// schedule, n_blk output blocks, the variant's accumulator sets, and the output's strides
// (layout `dst`, a tap feeding every row_step-th row).
jit::row_pass_desc make_pass_desc(const std::string &problem, const char *direction, const jit::row_schedule &sched,
        int64_t n_blk, int acc_sets, const act_layout &dst, int64_t row_step);

// The compaction descriptor of one variant of a driver (sparse operand in layout `a`, `cols`
// list pixels per row, every col_step-th column and row_step-th row, n_vec vectors per chunk),
// wired for the variant; unless it compacts inline, its kernel goes into k (pair or single).
jit::row_compact_desc make_compact_variant(row_pass_compactors &k, const row_pass_list_layout &l,
        const std::string &problem, const act_layout &a, int64_t n_vec, int64_t cols, int64_t col_step,
        int64_t row_step, bool pair, bool inl);

// Where the unit's sparse rows are: image n's chunk ch starts at base + n * image + ch * chunk
// (floats), at the unit's first list row.
struct row_pass_source {
    const float *base = nullptr;
    int64_t image = 0, chunk = 0;
};

class row_pass_unit_lists {
public:
    struct group {
        int64_t image = 0;        // first image, unit-relative
        bool pair = false;
        const float *vals = nullptr;
        const int32_t *starts = nullptr; // chunk 0, list row 0
    };

    // Compacts n_rows list rows of `lcols` pixels of every chunk of n_images images. Without
    // `singles`, the single images' groups have no lists (their kernels compact inline).
    void build(const row_pass_compactors &k, const row_pass_list_layout &l, const row_pass_source &src,
            int64_t n_images, int64_t n_chunks, int64_t n_rows, int64_t lcols, bool pairs, bool singles = true);

    const std::vector<group> &groups() const { return groups_; }
    // The starts of list row `row` of chunk ch of group g.
    const int32_t *starts(const group &g, int64_t ch, int64_t row) const {
        const int64_t per_px = g.pair ? 3 : 1;
        return g.starts + ch * per_px * (n_rows_ * lcols_ + 1) + row * lcols_ * per_px;
    }

private:
    std::vector<group> groups_;
    int64_t n_rows_ = 0, lcols_ = 0;
};

// One pass over every group of a unit: the pass arguments `pa` (dense, rows, ...) with each
// group's values and list starts (chunk ch, list row `list_row`) or, compacting inline, the
// sparse operand's pixel row inline_src(image); the output at dst(image) (unit-relative
// images); kernel(variant) runs it.
template <class InlineSrc, class Dst, class Kernel>
void run_pass_on_groups(const row_pass_unit_lists &lists, jit::row_pass_args pa, bool inl, float *inline_list,
        int64_t ch, int64_t list_row, const InlineSrc &inline_src, const Dst &dst, const Kernel &kernel) {
    for (const auto &grp : lists.groups()) {
        if (inl) {
            pa.vals = inline_list;
            pa.starts = reinterpret_cast<const int32_t *>(inline_src(grp.image));
        } else {
            pa.vals = grp.vals;
            pa.starts = lists.starts(grp, ch, list_row);
        }
        pa.dst = dst(grp.image);
        const auto kv = grp.pair ? row_pass_variant::pairs : inl ? row_pass_variant::single_inline : row_pass_variant::single;
        (*kernel(kv))(&pa);
    }
}

// Inline compaction's list (one pixel's chunk of cb 16-channel vectors): values, then the
// offsets this many bytes further (64 bytes of slack each); and the calling thread's list.
inline int64_t row_pass_inline_offs_disp(int64_t cb) { return (cb * 16 + 16) * 4 / 64 * 64 + 64; }
float *row_pass_inline_list(int64_t cb);

// The variant-dependent fields of the kernel descriptors, the same in both drivers.
// Compaction: where the offsets go and, for pairs, the pair regions and the sparse operand's
// image stride (bytes). Pass (after the direction's own fields): list offsets, pair regions
// and the output's image stride (bytes), or for inline compaction the sparse operand's strides
// from `cd` (the kernel compacts each pixel of cb vectors itself).
void wire_compact_variant(jit::row_compact_desc &cd, const row_pass_list_layout &l, bool pair, int64_t sparse_img_bytes);
void wire_pass_variant(jit::row_pass_desc &pd, const jit::row_compact_desc &cd, const row_pass_list_layout &l, bool pair,
        bool inl, int64_t dst_img_bytes, int64_t cb);

} // namespace sparsetrain
