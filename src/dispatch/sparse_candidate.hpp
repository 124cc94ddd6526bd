// The first entry of the implementation list: decides whether the sparse JIT implementation
// takes a problem (ISA, data types, groups, dilation, channel blocking, layouts, attributes)
// and, if so, asks the direction's planner through its factory.
#pragma once

#include <memory>
#include <string>

#include "dispatch/conv_pd.hpp"

namespace sparsetrain {
namespace detail {

// Returns the sparse implementation, or nullptr with `why_not` set. `weights_md_for_sparse`
// is set (non-zero) when the kernel needs the weights reordered into that layout first.
std::shared_ptr<const sparse_conv> try_sparse(const conv_pd_impl &pd, std::string &why_not,
        dnnl::memory::desc &weights_md_for_sparse);

// The post-ops the sparse kernels fuse: none, or one ReLU (alpha 0, scale 1). Sets
// `with_relu`; returns false (with a reason) for anything else.
bool sparse_supports_attr(direction dir, const dnnl::primitive_attr &attr, bool &with_relu, std::string &why_not);

} // namespace detail
} // namespace sparsetrain
