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

} // namespace sparsetrain
