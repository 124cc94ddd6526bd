// The forward planner: problem + options + CPU -> the blocking of the sparse forward
// convolution, or the reason it declines. A pure function of its inputs.
//
// Work decomposition (see src/driver/fwd_conv.cpp): a work unit is `ib` images x a block of
// `rb` output rows; it compacts the src rows it needs (all channels, once), then for every
// group of n_ocb output-channel blocks runs the passes (kh tap x channel chunk of cb input
// blocks) in order, each pass one row-pass kernel call over the unit's rows, so that the
// weight slice of a pass (kw taps x cb*16 channels x n_ocb lines) stays in L1 across rows
// and images.
//
// Kernel variants, chosen per call from the sampled density (row_pass_plan::choose_variant): single
// lists; image pairs (units of >= 2 images, AB / A / B lists, dense line loads shared by the
// lanes non-zero in both images) where the cost model says they pay (dense enough src); and
// for 1x1 layers with one output group, inline compaction in the kernels instead of lists.
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
// (kernel-bench-fwd --plan, SPARSETRAIN_FWD_PLAN="ocb=4,cb=2,rb=8,ib=2,l1=32768,pairs=0").
struct fwd_hint_names {
    static constexpr const char *who = "fwd", *blk_key = "ocb"; // n_blk: output-channel blocks
};
using fwd_plan_hints = row_pass_dir_hints<fwd_hint_names>;

// act: src and dst; wei: OIhw16i16o (nChw16c) or Ohwi16o .. Ohwi64o (nhwc).
struct fwd_config : row_pass_plan {
    // Output-channel groups whose weight displacements repeat (1 unless the weights' oc block
    // neither divides nor is a multiple of a group, e.g. Ohwi48o with 64-channel groups): the
    // driver generates one pass kernel per residue of the group index.
    int64_t wei_patterns = 1;
    bool with_bias = false, with_relu = false;
    // 1x1 without padding: the lists hold only the used pixels (oh*sh, ow*sw), one list row
    // per output row, and the pass is a 1x1 stride-1 pass over them (sched: 1x1 stride 1).
    bool subsample = false;
    int64_t lcols = 0;            // list pixels per list row
    int64_t n_ocb = 0, n_ocg = 0; // output blocks per group, groups

    // 2 threads: inline compaction is still 7 % faster than lists at 95 % sparsity on 1x1
    // 256->64, so it runs from 5 % density up.
    fwd_config() { inline_min_density = 0.05; }
    std::string str() const;
};

// Returns false and sets why_not when the problem is not covered.
bool plan_fwd(const problem_t &p, const sparse_conv_options &o, fwd_config &c, std::string &why_not,
        const fwd_plan_hints &hints = fwd_plan_hints());

// The kernel variant of one call: fwd_config::choose_variant (row_pass_plan).
using fwd_variant = row_pass_variant;

} // namespace sparsetrain
