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
    int64_t l1_bytes = 48 * 1024;            // weight-slice limit of a pass (L1)
    double sparsity = 0.7;                   // for the reported estimate
};

// Estimated cycles of all passes and the compaction for one blocking at sparsity s.
double estimate_row_pass(const row_pass_shape &s, const row_pass_blocking &b, double sparsity);

// Among the blockings whose weight slice fits L1 and whose accumulators fit the registers,
// the one whose estimate, relative to the best estimate at each of 50, 70 and 90 %
// sparsity, sums lowest (the sparsity is not known when planning). False if none fits.
bool choose_row_pass_blocking(const row_pass_shape &s, const row_pass_blocking_hints &h, row_pass_blocking &out);

} // namespace sparsetrain
