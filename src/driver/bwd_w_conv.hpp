// The sparse backward-weights convolution (sparse_conv implementation): plan from
// config/bwd_w_plan, kernels from jit/bwd_w_*, threads here.
//
// execute(): each thread owns a part = (channel-block range x ocg range). For each block of
// ocg_block ocgs, for each tile: build the lists of the tile for the part's channels (they
// stay in L1/L2 for the kernels right after), then for each ocg: the diff_dst tile (copy or
// in place) and its diff_bias share, then one kernel call per (class, group) over all the
// part's channels. No barrier, no shared lists. Every diff_w / diff_bias element has exactly
// one owning part: no reduction, no atomics, and the order in which an element is summed
// does not depend on the thread count.
//
// Variants: where the plan has paired classes, both the single-list and the pair-list builder
// and kernels are generated here; each execute picks one from conv_tensors::density_hint
// (bwd_w_plan::use_pairs). Both produce bit-identical results on exact data.
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
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override;
    const bwd_w_plan &plan() const { return plan_; }
    // The list builder of the single-list or the pair-list variant (null: no pair variant).
    const jit::bwd_w_list_builder *builder(bool pairs) const { return pairs ? pair_builder_.get() : builder_.get(); }

private:
    using kernel_table = std::vector<std::vector<std::shared_ptr<const jit::bwd_w_kernel>>>; // [class][group]
    bwd_w_plan plan_;
    std::shared_ptr<const jit::bwd_w_list_builder> builder_, pair_builder_;
    kernel_table kernels_;
    kernel_table pair_kernels_; // paired classes only (the others run kernels_ in both variants)
};

} // namespace sparsetrain
