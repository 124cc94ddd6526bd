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
// Kernel variants, chosen per call from the sampled density (row_pass_plan::choose_variant), as in
// the forward planner: single lists, image pairs, inline compaction (1x1, one diff_src group).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/row_pass_blocking.hpp"
#include "config/row_pass_plan.hpp"
#include "config/row_pass_plan_hints.hpp"
#include "config/row_pass_schedule.hpp"
#include "config/conv_options.hpp"

namespace sparsetrain {

// Planning inputs beyond the problem: the thread count, and developer overrides
// (kernel-bench-bwd-d --plan, SPARSETRAIN_BWD_D_PLAN="icb=4,cb=2,rb=8,ib=2,sets=1,pairs=0").
struct bwd_d_hint_names {
    static constexpr const char *who = "bwd_d", *blk_key = "icb"; // n_blk: diff_src channel blocks
};
using bwd_d_plan_hints = row_pass_dir_hints<bwd_d_hint_names>;

// act: diff_src and diff_dst; wei: OIhw16o16i or IOhw16o16i.
struct bwd_d_config : row_pass_plan {
    int64_t n_icb = 0, n_icg = 0; // diff_src blocks per group, groups
    bwd_d_config() { wei = weights_layout::OIhw16o16i; }
    // Inline compaction runs from row_pass_plan's default 15 % density up (shorter lists: slower).
    std::string str() const;
};

// Returns false and sets why_not when the problem is not covered.
bool plan_bwd_d(const problem_t &p, const sparse_conv_options &o, bwd_d_config &c, std::string &why_not,
        const bwd_d_plan_hints &hints = bwd_d_plan_hints());

// The kernel variant of one call: bwd_d_config::choose_variant (row_pass_plan).

// The diff_src rows [a, a + n*sh) of tap kh inside rows [ih0, ih1) (step sh), and the diff_dst
// row of the first one; n = 0 when the tap feeds none of them.
void bwd_d_tap_rows(const problem_t &p, int kh, int64_t ih0, int64_t ih1, int64_t &a, int64_t &n, int64_t &oh_a);

} // namespace sparsetrain
