// What the forward and backward-data planners share: the problem, layouts and row schedule,
// the work units, the pass order and the kernel variants of a row-pass convolution (fwd_config
// and bwd_d_config add their own channel-group fields), and the per-call choice of variant
// from the sampled density.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/conv_options.hpp"
#include "config/row_pass_blocking.hpp"
#include "config/row_pass_plan_hints.hpp"
#include "config/row_pass_schedule.hpp"

namespace sparsetrain {

// The shape of a pass's work, for sizing work units: output rows of `cols` pixels, read from
// list rows of `list_row_lanes` entries per image (list pixels x sparse channels).
struct row_pass_unit_shape {
    int64_t mb = 0, rows = 0, cols = 0;
    int64_t list_row_lanes = 0;
    int64_t out_row_bytes = 0;                  // one output row of one channel group
    std::function<int64_t(int64_t)> list_rows; // list rows a unit of rb output rows reads (at most)

    // The units of a direction planned on `s` with n_blk output blocks per group: `rows` output
    // rows per image, list_rows as above.
    row_pass_unit_shape(const row_pass_shape &s, int64_t n_blk, int64_t rows, std::function<int64_t(int64_t)> list_rows);
};

// The limits of the row-pass kernels beyond the shared scope (conv_scope.hpp): kernels up to
// 7x7, strides up to 4, padding below the kernel size, weights and output (`out_elems` floats
// of the direction's output) under 2 GB for 32-bit offsets. False with the reason otherwise.
bool check_row_pass_limits(const problem_t &p, double out_elems, std::string &why_not);

struct row_pass_plan {
    problem_t p;
    act_format act = act_format::nChw16c;            // both activation tensors
    weights_layout wei = weights_layout::OIhw16i16o; // addressed through make_wei_layout
    row_schedule sched;                              // the row schedule of every pass (planned once)
    int acc_sets = 1;             // accumulator sets of the row-pass kernel
    int ring = 0;                 // accumulator sets of the row schedule
    int64_t cb = 0, n_chunks = 0; // sparse-operand blocks per chunk, chunks
    int64_t rb = 0, n_hblk = 0;   // output rows per unit, row blocks per image
    int64_t ib = 1;               // images per unit
    int64_t lrows_max = 0;        // list rows of one work unit (at most)
    int64_t list_cap = 0;         // single-list entries per unit (either variant), slack included
    // The single variant's kernels compact each pixel themselves (jit/row_pass_kernel.hpp,
    // inline compaction) instead of reading lists: 1x1 with one output group, where every
    // list would be used once; for calls from inline_min_density up (the planner sets it).
    bool inline_compact = false;
    double inline_min_density = 0.15;
    row_pass_pairs pairs;         // the image-pair variant (none when pairs.acc_sets == 0)
    int64_t pair_rb = 0, pair_n_hblk = 0, pair_ib = 0; // its units (>= 2 images)
    int64_t pair_cap = 0;         // entries per pair list (AB, A, B) of a unit, slack included
    int64_t offs_disp = 0;        // bytes from a list value to its offset
    std::vector<std::pair<int, int>> passes; // (kh, chunk), in execution order
    double est_cycles = 0;        // cost-model estimate at the planning sparsity
    double planning_sparsity = 0.7;

    // Per call, from its density hint (conv_tensors::density_hint; -1 unknown: the planning
    // sparsity's): whether it runs the image-pair variant, and which variant it runs.
    bool use_pairs(double density_hint) const;
    row_pass_variant choose_variant(double density_hint) const;

    // The channel blocking for `shape` (its ring and targets histogram from `sched`) under the
    // hints: cb, n_chunks, ring, acc_sets, est_cycles, planning_sparsity, the pair variant, and
    // inline compaction where each list would be read once (`lists_read_once`; with one output
    // group unless the hints say) and the kernel has registers for it. `out_image_bytes` is one
    // image's output: from 1 GB the pair variant goes (image b's displacement is 32-bit).
    // `best` gets the blocking (n_blk: output blocks per group); false when no blocking
    // satisfies the hints.
    bool plan_blocking(row_pass_shape shape, const row_schedule &sched, const row_pass_plan_hints &h,
            bool lists_read_once, double out_image_bytes, row_pass_blocking &best);

    // Sizes the work units of both variants (rb, ib, n_hblk, pair_*, lrows_max, list_cap,
    // pair_cap, offs_disp) from the channel blocking and `pairs` already planned; drops the
    // pair variant when it gets no unit of two images. False when even one row of one image
    // overflows the 32-bit list indices.
    bool plan_units(const row_pass_unit_shape &s, const row_pass_plan_hints &h);

    // The problem, the layouts of `o` and the row schedule.
    void set_problem(const problem_t &prob, const sparse_conv_options &o, const row_schedule &s);

protected:
    // ":cb..:rb..:ib..:ring.." and the variants, for the configs' str().
    void print_units(std::ostream &os) const;
};

} // namespace sparsetrain
