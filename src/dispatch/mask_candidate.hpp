// The masked backward-data kernel as a candidate (backward_data_options::relu_mask): whether
// it takes a problem (ISA, data types, groups, dilation, channel blocking, layouts,
// attributes) and, if so, its planned implementation. It exploits the zeros of src; it runs
// beside the diff_dst-sparse kernel of try_sparse, the dispatcher choosing per call.
#pragma once

#include <memory>
#include <string>

#include "dispatch/conv_pd.hpp"

namespace sparsetrain {
namespace detail {

// Returns the masked implementation, or nullptr with `why_not` set. `weights_md_for_mask` is
// the layout the kernel reads (IOhw16i16o): the weights are reordered into it per execute.
std::shared_ptr<const sparse_conv> try_sparse_mask(const conv_pd_impl &pd, std::string &why_not,
        dnnl::memory::desc &weights_md_for_mask);

} // namespace detail
} // namespace sparsetrain
