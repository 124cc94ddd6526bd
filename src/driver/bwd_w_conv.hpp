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
// (bwd_w_plan::choose_variant). Both produce bit-identical results on exact data.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/bwd_w_plan.hpp"
#include "driver/sparse_conv.hpp"
#include "jit/bwd_w_kernel.hpp"
#include "jit/bwd_w_list_builder.hpp"

namespace sparsetrain {

class bwd_w_conv : public planned_sparse_conv<bwd_w_plan> {
public:
    explicit bwd_w_conv(const bwd_w_plan &plan);
    void execute(const conv_tensors &t) const override;
    // Every JIT kernel this instance runs (list builder first), for listings and dumps.
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override;
    // The list builder of a variant (null: the plan has no such variant).
    const jit::bwd_w_list_builder *builder(bwd_w_variant v) const { return builders_[(int)v].get(); }

    using kernel_table = std::vector<std::vector<std::shared_ptr<const jit::bwd_w_kernel>>>; // [class][group]

private:
    // [bwd_w_variant]; the pair variant's are empty when the plan has none (a pair plan pairs
    // every class: the pair variant runs pair kernels for all of them).
    std::shared_ptr<const jit::bwd_w_list_builder> builders_[n_bwd_w_variants];
    kernel_table kernels_[n_bwd_w_variants];
};

} // namespace sparsetrain
