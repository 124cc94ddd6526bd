// The sparse backward-weights convolution (sparse_conv implementation): plan from
// config/bwd_w_plan, kernels from jit/bwd_w_*, threads here.
//
// execute(), per chunk of tiles (all threads):
//   1. build the lists of every (tile, channel block, class) of the chunk (split evenly);
//   barrier;
//   2. each thread, for its (ocg range x channel-block range) part: for each block of
//      ocg_block ocgs, for each tile, for each ocg: diff_dst tile (copy or in place) and its
//      diff_bias share, then one kernel call per (class, group) over all the part's channels;
//   barrier.
// Every diff_w / diff_bias element has exactly one owning part: no reduction, no atomics,
// and the summation order of an element does not depend on the thread count.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/bwd_w_plan.hpp"
#include "driver/sparse_conv.hpp"
#include "jit/bwd_w_kernel.hpp"
#include "jit/bwd_w_list_builder.hpp"

namespace sparsetrain {

class bwd_w_conv : public sparse_conv {
public:
    explicit bwd_w_conv(const bwd_w_plan &plan);
    void execute(const conv_tensors &t) const override;
    std::string name() const override { return "sparse_jit:avx512_core"; }
    std::string config_str() const override { return plan_.str(); }
    // Every JIT kernel this instance runs (list builder first), for listings and dumps.
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const;
    const bwd_w_plan &plan() const { return plan_; }

private:
    bwd_w_plan plan_;
    std::shared_ptr<const jit::bwd_w_list_builder> builder_;
    std::vector<std::vector<std::shared_ptr<const jit::bwd_w_kernel>>> kernels_; // [class][group]
};

} // namespace sparsetrain
