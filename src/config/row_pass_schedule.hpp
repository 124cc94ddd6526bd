// The schedule of one row pass, resolved at generation time and shared by forward and
// backward-data: which dense-output pixels y of a row (and through which kernel tap) each
// sparse-operand pixel x of the matching row feeds.
//   forward:       x = input column iw,  y = output column ow, tap = kw: iw = ow*sw - pw + kw
//   backward data: x = diff_dst column ow, y = diff_src column iw, same relation read backwards
// From the targets follow, per output y, the first and last x feeding it (where its
// accumulators are opened and stored), the ring size (how many outputs are live at once;
// output y lives in accumulator set y mod ring) and the period of the generated loop (px
// sparse pixels and py outputs per iteration, with py a multiple of the ring so that every
// iteration uses the same registers).
//
// Pure arithmetic, planned in config/ (the planners size their rings by it) and compiled into
// the kernels by jit/row_pass_kernel.
#pragma once

#include <string>
#include <vector>

namespace sparsetrain {

struct row_target {
    int y, tap;
    bool operator==(const row_target &o) const { return y == o.y && tap == o.tap; }
};

struct row_schedule {
    int X = 0, Y = 0, taps = 0;
    std::vector<std::vector<row_target>> targets; // [x], in tap order
    std::vector<int> first, last;                 // [y]; first[y] = -1 when nothing feeds y
    int ring = 1;
    int px = 1, py = 1;
    std::string origin; // the factory and its arguments: the targets are a function of them

    // Every field that the generated code depends on, for kernel cache keys.
    std::string key() const;
};

// Forward row of width iw (sparse) into a row of width ow (dense) with kw taps.
row_schedule fwd_row_schedule(int iw, int ow, int kw, int sw, int pw);
// Backward-data row: diff_dst row of width ow (sparse) into diff_src row of width iw.
row_schedule bwd_d_row_schedule(int ow, int iw, int kw, int sw, int pw);

} // namespace sparsetrain
