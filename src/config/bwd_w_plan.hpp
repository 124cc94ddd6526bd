// Planner of the sparse backward-weights convolution: problem + thread count -> plan (or a
// reason to decline). Pure function; the driver and the JIT generators read only the plan.
//
// The scheme (see jit/bwd_w_kernel.hpp for the inner loop):
//   diff_w[oc][c][kh][kw] += src[n][c][ih][iw] * diff_dst[n][oc][oh][ow]  for every non-zero src.
// * Pixel classes. With stride s, the src pixels (ih, iw) = (a + s_h*i, b + s_w*j) of one
//   parity class (a, b) feed the output pixel (i + dy, j + dx) through the tap (kh, kw) with
//   dy = (a + ph - kh) / s_h (taps where the division is inexact never meet that class). So a
//   strided convolution is a few stride-1 ones on decimated src grids; a stride-1 one is one
//   class. (i, j) is the pixel's "centre" in diff_dst coordinates.
// * Lists. Per (tile, class, channel c): the non-zero src values of that class in the tile,
//   each with the byte offset of its centre pixel in the diff_dst tile (built by
//   jit/bwd_w_list_builder from a 16x16 in-register transpose of nChw16c; for 1x1 stride 1,
//   offsets only, the kernel reading each value back from src).
// * Tiles. The centre space [0, gh) x [0, gw) of each image is cut into tiles of tile_h rows x
//   band_w columns, so that the diff_dst of a tile (with its halo, o oc blocks) stays in L1
//   while every channel's list of that tile runs against it.
// * Accumulators: per (channel, class), a group of (tap, oc block) vectors of 16 oc, held in
//   zmm registers for a whole list and then added to diff_w (OIhw16i16o) in place.
// * Pair lists (variant): in a class with three consecutive taps in one kernel row (3x3
//   stride 1), the non-zeros of a channel at neighbouring class pixels j, j + 1 of a row form
//   pair entries: the diff_dst vector that tap dx of pixel j + 1 and tap dx + 1 of pixel j both
//   need is loaded once for two FMAs. The rest stay singles. Chosen per execute from the
//   density hint (pairs pay where non-zeros often have a non-zero neighbour; at high sparsity
//   the second list per channel and the costlier build cost more than they save).
// * diff_dst: either a zero-padded, pixel-major copy of each tile ([row][col][o][16], every tap
//   valid) or, when no tap ever leaves the image (1x1, pad 0), diff_dst in place.
// * Layouts (common/layout.hpp): src and diff_dst nChw16c or nhwc; the list builder reads 16
//   pixels of one 16-channel block either way (pixel stride 64 bytes or C * 4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/conv_options.hpp"
#include "config/register_budget.hpp"

namespace sparsetrain {

struct bwd_w_tap {
    int kh, kw; // kernel position (its diff_w slot)
    int dy, dx; // diff_dst pixel = centre + (dy, dx)
};

// One kernel's worth of accumulators: `taps` (indices into the class's taps) x oc blocks
// [ocb0, ocb0 + nocb) of the ocg, in `nsets` copies (unrolled entries, latency hiding).
struct bwd_w_group {
    std::vector<int> taps;
    int ocb0 = 0, nocb = 0;
    int nsets = 1;
    int n_acc() const { return (int)taps.size() * nocb * nsets; }
};

struct bwd_w_class {
    int a = 0, b = 0;     // src row / column parity (offset within the stride)
    int64_t h = 0, w = 0; // decimated grid: rows i in [0, h), columns j in [0, w)
    std::vector<bwd_w_tap> taps;
    std::vector<bwd_w_group> groups;
    bool paired = false; // pair lists would share loads (two taps (dy, dx), (dy, dx + 1))
};

struct bwd_w_tuning {
    // Defaults (measured on the 2-core AVX-512 development machine); each can be overridden
    // by an environment variable for experiments: SPARSETRAIN_BWD_W_L1_BYTES, _OCB, _DD,
    // _INDIRECT, _PF_TILES, _PF_KERNEL, _P_BYTES, _MAX_ACC, _PAIR_MIN_DENSITY, _BALANCE.
    int64_t l1_tile_bytes = 36 * 1024;   // diff_dst tile budget (L1 is 48 KB)
    int ocb_per_group = 0;               // oc blocks per ocg (0: planner's choice)
    int dd_mode = 0;                     // 0: planner's choice, 1: always copy, 2: in place when possible
    bool indirect = true;                // offsets-only lists for 1x1 stride 1
    int prefetch_tiles = 1;              // src prefetch distance of the list builder, in tiles
    bool kernel_prefetch = true;         // the kernels prefetch the next tile's src instead (_PF_KERNEL)
    int64_t p_block_bytes = 1 << 20;     // diff_w lines a thread keeps hot (L2 is 2 MB)
    int max_acc = reg_budget::max_acc;   // zmm accumulators per kernel (config/register_budget.hpp)
    // Pair lists when the density hint is at least this (or unknown); > 1 never, 0 always.
    double pair_min_density = 0.38;
    // Channel-block ranges per thread cut by the sampled work (driver/bwd_w_channel_split.hpp);
    // false: equal block counts (for comparisons).
    bool balance_channels = true;
    static bwd_w_tuning from_env();
};

// The kernel variant of one execute (as row_pass_variant for the row-pass directions): single
// lists only, or, where the plan pairs its classes, single plus pair lists (wider list slots,
// the pair-mode builder and kernels).
enum class bwd_w_variant { single = 0, pairs = 1 };
constexpr int n_bwd_w_variants = 2;

struct bwd_w_plan {
    problem_t p;
    act_format act = act_format::nChw16c;
    act_layout src_l, dd_l; // src and diff_dst
    wei_layout dw_l;        // diff_weights (OIhw16i16o)
    int nthr = 1;
    int64_t icb = 0, ocb = 0; // channel blocks of 16
    bool with_bias = false;

    std::vector<bwd_w_class> classes;
    int dy_min = 0, dy_max = 0, dx_min = 0, dx_max = 0;

    int o = 1;          // oc blocks per oc group (ocg); diff_dst tile pixel = o * 64 bytes
    int64_t n_ocg = 0;
    bool dd_copy = true; // padded pixel-major tile copy (else diff_dst in place)
    // Offsets-only lists (1x1 stride 1 only): the stored offset is the pixel's index in the
    // tile times a unit that divides both pixel strides (src, diff_dst tile) by 1, 2, 4 or 8;
    // the kernel reads the value at src + offset * src_scale and diff_dst at offset * dd_scale.
    bool indirect = false;
    int dd_scale = 1, src_scale = 1;

    // Tiles over the centre space of each image, ordered (n, band, row block).
    int64_t gh = 0, gw = 0;
    int64_t tile_h = 0, band_w = 0;
    int64_t n_row_tiles = 0, n_bands = 0, tiles_per_image = 0, n_tiles = 0;
    // Offsets stored in the lists: centre (i, j) of a tile at (r0, j0) ->
    // (i - r0) * off_row + (j - j0) * off_col bytes from the tile's centre origin.
    int64_t off_row = 0, off_col = 0;
    // Copy buffer geometry (pixels) when dd_copy.
    int64_t buf_rows = 0, buf_pitch = 0;

    // Lists (per thread, rebuilt per tile): one slot per (class, channel) of slot_floats(v)
    // floats in the values array (unused by offsets-only lists) and as many int32 in the
    // offsets array: the single list (slot_cap entries), then, in the pair variant, the pair
    // list (pair_cap entries: two values, one offset). The single-list variant keeps compact
    // slots (its lists' L2 footprint does not grow because a pair variant exists).
    int64_t slot_cap = 0;
    bool pairs = false; // some class is paired: pair variant available
    int64_t pair_cap = 0;
    double pair_min_density = 0.38;
    int64_t slot_floats(bwd_w_variant v) const { return slot_cap + (v == bwd_w_variant::pairs ? 2 * pair_cap : 0); }
    // The variant an execute with this density hint (-1: unknown) runs.
    bwd_w_variant choose_variant(double density_hint) const {
        return pairs && (density_hint < 0 || density_hint >= pair_min_density) ? bwd_w_variant::pairs : bwd_w_variant::single;
    }
    bool use_pairs(double density_hint) const { return choose_variant(density_hint) == bwd_w_variant::pairs; }

    // Threads: n_c_parts x n_oc_parts parts, one per thread: a contiguous channel-block range
    // x a contiguous ocg range. (Contiguous channel blocks make a thread's src one sequential
    // stream per image, which the hardware prefetchers need: interleaving the blocks between
    // threads cost up to 40 % on 1x1 layers.) A thread builds the lists of its own channels,
    // so parts that share channels (only when there are fewer channel blocks than threads)
    // build them twice. Threads beyond the parts idle.
    int n_oc_parts = 1, n_c_parts = 1;
    bool balance_channels = true; // cut the channel ranges by sampled work, per execute
    int prefetch_tiles = 1;
    // Src prefetch for the list builder: spread over the channels in the first kernel call of
    // each tile (the memory stream overlaps the FMAs), else in-line by the builder
    // prefetch_tiles ahead (a burst that stalls the builder when memory is the limit).
    bool kernel_prefetch = true;
    int64_t ocg_block = 1; // ocgs per pass over the tiles (diff_w lines kept hot in L2)

    int64_t src_row_step() const { return p.sh * src_l.row * 4; } // bytes between class rows
    int64_t src_col_step() const { return p.sw * src_l.px * 4; }  // bytes between class pixels
    int64_t dd_tile_floats() const { return buf_rows * buf_pitch * o * 16; }
    std::string str() const;
};

// Returns false and sets why_not when the problem is outside what the sparse path covers.
// Same shape as plan_fwd / plan_bwd_d: problem, options (with_bias: diff_bias; act: the
// activations' layout; diff_weights are always OIhw16i16o), plan out, reason, then the hints
// (tuning) and the thread count the plan splits its work for.
bool plan_bwd_w(const problem_t &p, const sparse_conv_options &o, bwd_w_plan &plan, std::string &why_not,
        const bwd_w_tuning &t, int nthr);

// The options of a backward-weights plan.
inline sparse_conv_options bwd_w_options(bool with_bias, act_format act = act_format::nChw16c) {
    sparse_conv_options o;
    o.with_bias = with_bias;
    o.act = act;
    return o;
}

// Range [begin, end) of n items owned by part `i` of `parts` (balanced, contiguous).
inline void split_range(int64_t n, int parts, int i, int64_t &begin, int64_t &end) {
    const int64_t q = n / parts, r = n % parts;
    begin = i * q + (i < r ? i : r);
    end = begin + q + (i < r ? 1 : 0);
}

} // namespace sparsetrain
