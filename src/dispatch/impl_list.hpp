// The implementation list of a convolution primitive_desc, in order of preference:
//   1. sparse_jit (and, for backward data with relu_mask, the masked kernel beside it),
//   2. oneDNN dense (also fixes the memory descs: its picks for `any`),
//   3. the reference (exact; 2D, ungrouped, f32, no attribute but a plain ReLU),
// with the reason each one that did not take the problem declined.
#pragma once

#include "common/desc_validate.hpp"
#include "dispatch/conv_pd.hpp"

namespace sparsetrain {
namespace detail {

// Fills in `pd` (validated problem, engine, attr, mode already set): md, the oneDNN pd, the
// sparse implementations, with_relu, relu_mask, chosen and declined (first entry:
// sparse_jit_mask when asked for and declined, then sparse_jit when it declined, then onednn).
// `given` are the op's memory descs as the user gave them. Throws sparsetrain::error
// (dnnl_unimplemented) when no implementation takes the problem.
void choose_implementation(conv_pd_impl &pd, const conv_mds &given, const fwd_hint &hint,
        const dnnl_pd_maker &make_dnnl, bool relu_mask, bool relu_mask_optional);

} // namespace detail
} // namespace sparsetrain
