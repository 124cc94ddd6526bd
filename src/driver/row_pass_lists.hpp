// The compacted lists of one work unit of the row-pass drivers (forward, backward data),
// built once per unit in the calling thread's scratch and read by every pass.
//
// Two variants, chosen per call (jit/row_pass_kernel.hpp): single lists, one image at a time;
// or image pairs, two images compacted together into AB / A / B lists (the last image of an
// odd count alone, in single lists). The unit's images form groups accordingly; a pass runs
// the pair kernel on a pair group and the single kernel on a single one.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

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
