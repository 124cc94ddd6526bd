// The blocking choice shared by the forward and backward-data planners: how many dense
// 16-lane blocks a row pass accumulates (n_blk) and how many sparse 16-channel blocks one
// list spans (cb), from a cost model fitted on this machine. Both directions run the same
// row-pass kernel (jit/row_pass_kernel.hpp) on compacted lists of their sparse operand.
#pragma once

#include <cstdint>
#include <vector>

namespace sparsetrain {

// What the cost model needs to know about one direction's problem.
struct row_pass_shape {
    int64_t mb = 1;
    int64_t sparse_blocks = 1;  // 16-channel blocks of the sparse operand (fwd: ic, bwd_d: oc)
    int64_t dense_blocks = 1;   // 16-lane blocks of the output (fwd: oc, bwd_d: ic)
    int64_t pass_rows = 0;      // per image: sum over kh taps of the output rows the tap feeds
    int64_t out_cols = 0;       // output pixels per row
    int64_t list_rows = 0;      // per image: rows of the sparse operand that are compacted
    int64_t list_cols = 0;      // sparse pixels per row
    int64_t kw = 1;             // taps per row (weight lines per channel in a pass slice)
    int ring = 1;               // accumulator sets of the row schedule
    // targets_hist[t]: sparse pixels per row with t (output, tap) targets (fwd 3x3 stride 2:
    // half with 1, half with 2); an entry's cost depends on its FMA count t * n_blk.
    std::vector<int64_t> targets_hist;
};

struct row_pass_blocking {
    int64_t n_blk = 0, cb = 0;
    int acc_sets = 1;
    double cost = -1; // cost-model estimate (cycles) at the planning sparsity
};

struct row_pass_blocking_hints {
    int64_t n_blk = 0, cb = 0, acc_sets = 0; // 0: choose
    // Weight-slice limit of a pass: two thirds of the 48 KB L1, which leaves room for the lists,
    // the output lines and the src stream. A slice that fills L1 ran ~6 % slower with i.i.d.
    // zeros and 8-12 % slower where zeros come in spatial patches: the dense pixels then sweep
    // the whole slice in the same order pixel after pixel, which thrashes an LRU cache that
    // cannot hold it beside everything else (sparsetrain-bench --zeros=iid,spatial).
    int64_t l1_bytes = 32 * 1024;
    double sparsity = 0.7;                   // for the reported estimate
};

// Estimated cycles of all passes and the compaction for one blocking at sparsity s; with
// pair_sets > 0, of the image-pair variant with that many accumulator sets per image.
double estimate_row_pass(const row_pass_shape &s, const row_pass_blocking &b, double sparsity, int pair_sets = 0);

// The image-pair variant of a blocking (jit/row_pass_kernel.hpp pair mode), chosen per call
// from the sampled density: it loads each dense line once for the lanes non-zero in both
// images, but runs three lists per pixel of an image pair instead of two and compacts
// more, so it pays only at high density.
struct row_pass_pairs {
    int acc_sets = 0;         // accumulator sets per image; 0: no pair variant
    double min_density = 2.0; // the pair variant runs from this density up
};

// mode -1: from the cost model (pairs from the density above which they are estimated
// faster, none if they never are); 0: no pair variant; 1: pairs at every density.
// acc_sets 0 chooses the sets. No pair variant without two images or registers for them.
row_pass_pairs choose_row_pass_pairs(const row_pass_shape &s, const row_pass_blocking &b, int mode = -1,
        int acc_sets = 0);

// The kernel variant of one call, chosen from its density: single lists, image-pair lists,
// or single with inline compaction (the kernel compacts each pixel itself; where every list
// would be read once: 1x1 with one output group).
enum class row_pass_variant { single = 0, pairs = 1, single_inline = 2 };
struct row_pass_variants {
    row_pass_pairs pairs;           // runnable only with units of >= 2 images
    bool pairs_runnable = false;
    bool inline_compact = false;
    double inline_min_density = 0.15; // inline lists shorter than this expose its latency
};
row_pass_variant choose_row_pass_variant(const row_pass_variants &v, double density);

// Among the blockings whose weight slice fits L1 and whose accumulators fit the registers,
// the one whose estimate, relative to the best estimate at each of 50, 70 and 90 %
// sparsity, sums lowest (the sparsity is not known when planning). False if none fits.
bool choose_row_pass_blocking(const row_pass_shape &s, const row_pass_blocking_hints &h, row_pass_blocking &out);

} // namespace sparsetrain
