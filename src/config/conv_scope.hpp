// The words every sparse planner declines with, and the cover all three directions share.
//
// A planner (plan_fwd, plan_bwd_d, plan_bwd_w) returns false and sets `why_not` through
// decline(); the reason ends up in the primitive_desc's declined() list and the verbose line,
// so all directions use the same wording for the same limit.
#pragma once

#include <string>

#include "common/problem.hpp"

namespace sparsetrain {

// Sets why_not = reason and returns false: `return decline(why_not, "...");`.
inline bool decline(std::string &why_not, const std::string &reason) {
    why_not = reason;
    return false;
}

// The cover of every sparse kernel: 2D, one group, no dilation, ic and oc multiples of 16
// (whole 16-channel vectors). False with the reason otherwise.
bool check_sparse_scope(const problem_t &p, std::string &why_not);

// The kernel geometry the row-pass and masked backward-data kernels generate code for: taps up
// to 7x7, strides up to 4, padding smaller than the kernel (tap tables and row schedules are
// sized by these). False with the reason otherwise.
bool check_tap_limits(const problem_t &p, std::string &why_not);

} // namespace sparsetrain
