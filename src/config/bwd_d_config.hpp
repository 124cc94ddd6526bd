// The backward-data planner: problem + options + CPU -> the blocking of the sparse
// backward-data convolution, or the reason it declines. A pure function of its inputs.
//
// diff_src = transposed convolution of diff_dst, whose zeros are skipped. The row-pass
// kernel walks a diff_dst row (sparse, x = ow) and scatters each non-zero into the ring of
// diff_src pixels it feeds (y = ow*sw - pw + kw). A work unit is `ib` images x a block of
// `rb` diff_src rows; it compacts the diff_dst rows they need (all channels, once), then for
// every group of n_icb diff_src channel blocks runs the passes (kh tap x chunk of cb diff_dst
// channel blocks). With stride sh a tap feeds every sh-th diff_src row: the kernel's dst row
// step is sh rows. Rows a tap does not feed are initialised by the first pass that reaches
// them, or zero-filled by the driver (1x1 stride 2: odd rows and columns stay exactly 0).
//
// Kernel variants, chosen per call from the sampled density (bwd_d_choose_variant), as in
// the forward planner: single lists, image pairs, inline compaction (1x1, one diff_src group).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/problem.hpp"
#include "config/row_pass_blocking.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

// Planning inputs beyond the problem: the thread count, and developer overrides
// (kernel-bench-bwd-d --plan, SPARSETRAIN_BWD_D_PLAN="icb=4,cb=2,rb=8,ib=2,sets=1,pairs=0").
struct bwd_d_plan_hints {
    int64_t n_icb = 0, cb = 0, rb = 0, ib = 0, acc_sets = 0; // 0: the planner chooses
    int64_t l1_bytes = 48 * 1024;   // weight-slice limit per pass (L1)
    int64_t l2_bytes = 1024 * 1024; // lists + diff_src rows of one work unit
    double sparsity = 0.7;          // the sparsity the reported estimate assumes
    int64_t threads = 1;            // threads that will share the work units
    int64_t pairs = -1;             // image-pair variant: -1 cost model, 0 never, 1 always
    int64_t pair_sets = 0;          // its accumulator sets per image (0: planner)
    int64_t inline_compact = -1;    // single variant compacts inline: -1 planner, 0 no, 1 yes
    static bwd_d_plan_hints parse(const std::string &s); // throws on malformed text
};

struct bwd_d_config {
    problem_t p;
    weights_layout wei = weights_layout::OIhw16o16i;
    // Weight strides in floats: between 16-channel blocks of oc (the sparse channels) and of
    // ic (the output blocks); a channel's line is 16 floats.
    int64_t w_sparse_blk = 0, w_dense_blk = 0;
    int64_t n_icb = 0, n_icg = 0;  // diff_src blocks per group, groups
    int64_t cb = 0, n_chunks = 0;  // diff_dst blocks per chunk, chunks
    int64_t rb = 0, n_hblk = 0;    // diff_src rows per unit, row blocks per image
    int64_t ib = 1;                // images per unit
    int ring = 0, acc_sets = 1;
    int64_t lrows_max = 0;         // diff_dst rows of one unit (at most)
    int64_t list_cap = 0;          // single-list entries per unit (either variant), slack included
    // The single variant's kernels compact each pixel themselves (jit/row_pass_kernel.hpp,
    // inline compaction) instead of reading lists: 1x1 with one diff_src group, where every
    // list would be used once.
    bool inline_compact = false;
    double inline_min_density = 0.15; // ... for calls from this density up (shorter lists: slower)
    row_pass_pairs pairs;          // the image-pair variant (none when pairs.acc_sets == 0)
    int64_t pair_rb = 0, pair_n_hblk = 0, pair_ib = 0; // its units (>= 2 images)
    int64_t pair_cap = 0;          // entries per pair list (AB, A, B) of a unit, slack included
    int64_t offs_disp = 0;         // bytes from a list value to its offset
    std::vector<std::pair<int, int>> passes; // (kh, chunk), in execution order
    double est_cycles = 0;
    double planning_sparsity = 0.7;

    std::string str() const;
};

// Returns false and sets why_not when the problem is not covered.
bool plan_bwd_d(const problem_t &p, const sparse_conv_options &o, bwd_d_config &c, std::string &why_not,
        const bwd_d_plan_hints &hints = bwd_d_plan_hints());

// Whether a call with this density hint (conv_tensors::density_hint; -1 unknown: the
// planning sparsity's) runs the image-pair variant.
bool bwd_d_use_pairs(const bwd_d_config &c, double density_hint);
// The kernel variant of one call (single lists, pairs, inline compaction), from its density hint.
row_pass_variant bwd_d_choose_variant(const bwd_d_config &c, double density_hint);

// The diff_src rows [a, a + n*sh) of tap kh inside rows [ih0, ih1) (step sh), and the diff_dst
// row of the first one; n = 0 when the tap feeds none of them.
void bwd_d_tap_rows(const problem_t &p, int kh, int64_t ih0, int64_t ih1, int64_t &a, int64_t &n, int64_t &oh_a);

} // namespace sparsetrain
