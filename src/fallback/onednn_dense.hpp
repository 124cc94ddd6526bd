// The oneDNN dense path of a primitive: oneDNN's own convolution primitive for the
// primitive_desc's direction (created once, up front), run on the execute's arguments.
#pragma once

#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "dispatch/conv_pd.hpp"

namespace sparsetrain {
namespace detail {

// oneDNN's dense primitive of pd.dir from its oneDNN pd (pd.has_dnnl); throws
// sparsetrain::error with oneDNN's message when oneDNN cannot create it.
dnnl::primitive make_dense_primitive(const conv_pd_impl &pd);

// Runs it on `args` (DNNL_ARG_* as given to the primitive) and waits for the stream.
void dense_execute(const dnnl::primitive &dense, dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args);

} // namespace detail
} // namespace sparsetrain
