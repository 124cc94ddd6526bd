// Creating a primitive_desc: validates the op descriptor, the engine, the attributes and the
// forward hint, then runs the implementation list (dispatch/impl_list.hpp).
#pragma once

#include <memory>

#include <oneapi/dnnl/dnnl.hpp>

#include "dispatch/conv_pd.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace detail {

std::shared_ptr<const conv_pd_impl> make_conv_pd(direction dir, const dnnl_convolution_desc_t &desc,
        const dnnl::primitive_attr &attr, const dnnl::engine &engine, const fwd_hint &hint,
        const dispatch_options &dispatch, const dnnl_pd_maker &make_dnnl, bool relu_mask = false,
        bool relu_mask_optional = false);

// Throws unless `engine` is a non-empty CPU engine (field name "engine" in the message).
void check_engine(const dnnl::engine &engine, const char *what);
void check_engine_kind(dnnl::engine::kind kind, const char *what);

} // namespace detail
} // namespace sparsetrain
