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
// Kernel variants, chosen per call from the sampled density (fwd_choose_variant): single
// lists; image pairs (units of >= 2 images, AB / A / B lists, dense line loads shared by the
// lanes non-zero in both images) where the cost model says they pay (dense enough src); and
// for 1x1 layers with one output group, inline compaction in the kernels instead of lists.
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
// (kernel-bench-fwd --plan, SPARSETRAIN_FWD_PLAN="ocb=4,cb=2,rb=8,ib=2,l1=32768,pairs=0").
struct fwd_plan_hints {
    int64_t n_ocb = 0, cb = 0, rb = 0, ib = 0; // 0: the planner chooses
    int64_t l1_bytes = 48 * 1024;      // weight-slice limit per pass (L1)
    int64_t l2_bytes = 1024 * 1024;    // lists + dst of one work unit
    double sparsity = 0.7;             // the sparsity the cost model optimises for
    int64_t threads = 1;               // threads that will share the work units
    int64_t acc_sets = 0;              // 0: planner; 1 or 2
    int64_t pairs = -1;                // image-pair variant: -1 cost model, 0 never, 1 always
    int64_t pair_sets = 0;             // its accumulator sets per image (0: planner)
    int64_t inline_compact = -1;       // single variant compacts inline: -1 planner, 0 no, 1 yes
    static fwd_plan_hints parse(const std::string &s); // throws on malformed text
};

struct fwd_config {
    problem_t p;
    bool with_bias = false, with_relu = false;
    // 1x1 without padding: the lists hold only the used pixels (oh*sh, ow*sw), one list row
    // per output row, and the pass is a 1x1 stride-1 pass over them.
    bool subsample = false;
    int acc_sets = 1;       // accumulator sets of the row-pass kernel
    int64_t lcols = 0;      // list pixels per list row
    int64_t lrows_max = 0;  // list rows of one work unit (at most)
    int64_t n_ocb = 0, n_ocg = 0; // output blocks per group, groups
    int64_t cb = 0, n_chunks = 0; // input blocks per chunk, chunks
    int64_t rb = 0, n_hblk = 0;   // output rows per unit, row blocks per image
    int64_t ib = 1;               // images per unit
    int ring = 0;                 // accumulator sets of the row schedule
    int64_t list_cap = 0;         // single-list entries per unit (either variant), slack included
    // The single variant's kernels compact each pixel themselves (jit/row_pass_kernel.hpp,
    // inline compaction) instead of reading lists: 1x1 with one output group, where every
    // list would be used once.
    bool inline_compact = false;
    double inline_min_density = 0.05; // ... for calls from this density up (2 threads: inline still
                                      // 7 % faster than lists at 95 % sparsity on 1x1 256->64)
    row_pass_pairs pairs;         // the image-pair variant (none when pairs.acc_sets == 0)
    int64_t pair_rb = 0, pair_n_hblk = 0, pair_ib = 0; // its units (>= 2 images)
    int64_t pair_cap = 0;         // entries per pair list (AB, A, B) of a unit, slack included
    int64_t offs_disp = 0;        // bytes from a list value to its offset
    std::vector<std::pair<int, int>> passes; // (kh, chunk), in execution order
    double est_cycles = 0;        // cost-model estimate at the planning sparsity
    double planning_sparsity = 0.7;

    std::string str() const;
};

// Returns false and sets why_not when the problem is not covered.
bool plan_fwd(const problem_t &p, const sparse_conv_options &o, fwd_config &c, std::string &why_not,
        const fwd_plan_hints &hints = fwd_plan_hints());

// The kernel variant of one call: single lists, image-pair lists, or single with inline
// compaction; chosen from its density hint (conv_tensors::density_hint; -1 unknown: the
// planning sparsity's).
using fwd_variant = row_pass_variant;
fwd_variant fwd_choose_variant(const fwd_config &c, double density_hint);
bool fwd_use_pairs(const fwd_config &c, double density_hint);

} // namespace sparsetrain
