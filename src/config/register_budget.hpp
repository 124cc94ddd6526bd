// The zmm register budget of the generated list-loop kernels, defined once.
//
// The planners size their blocking by these numbers (ring x blocks x sets for the row pass,
// taps x oc blocks x sets for backward weights); the generators name each register's role
// within them (jit/register_map.hpp) and refuse a description that does not fit. Plain
// numbers, so that planning needs no Xbyak.
#pragma once

namespace sparsetrain {
namespace reg_budget {

constexpr int n_zmm = 32;

// List-loop accumulators: zmm0 .. zmm(max_acc - 1). zmm28 .. zmm31 stay for the loop itself
// (broadcast values, 0.0f, the lane offsets of inline compaction, the pair loop's lines).
constexpr int max_acc = 28;

// Row pass, image pairs: zmm24 .. zmm27 hold the dense lines of an AB entry.
constexpr int n_pair_lines = 4;
constexpr int max_acc_pair = max_acc - n_pair_lines;

// Row pass, inline compaction: zmm26 (the loaded vector) and zmm27 (compressed) besides zmm28.
constexpr int max_acc_inline = max_acc - 2;

// Backward weights, single lists only: every register but the broadcast value (zmm31).
constexpr int max_acc_bwd_w_single = n_zmm - 1;
// The planner's ceiling for SPARSETRAIN_BWD_W_MAX_ACC (an experiment knob; the kernels
// themselves check their own limits above).
constexpr int max_acc_bwd_w_tuning = max_acc + 1;

// Masked backward data (jit/bwd_d_mask_kernel): zmm0 .. zmm25 accumulators (entries x sets);
// zmm26..29 the item's result, tree scratch, the diff_dst line and 0.0f.
constexpr int max_acc_mask = n_zmm - 6;

} // namespace reg_budget
} // namespace sparsetrain
