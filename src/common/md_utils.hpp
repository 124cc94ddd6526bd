// Small helpers over dnnl::memory::desc: printable names, layout tests, resolving `any`.
#pragma once

#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace sparsetrain {
namespace detail {

using tag = dnnl::memory::format_tag;

bool is_zero_md(const dnnl::memory::desc &md);
bool is_any(const dnnl::memory::desc &md);
// True when md is exactly `t` for its own dims and data type.
bool has_tag(const dnnl::memory::desc &md, tag t);
// "f32:nChw16c", "bf16:blocked", "undef", "f32:any".
std::string md_str(const dnnl::memory::desc &md);
const char *dt_str(dnnl::memory::data_type dt);
// md itself, or for `any` the plain tag (nchw / oihw / x) of its dims.
dnnl::memory::desc resolve_any_plain(const dnnl::memory::desc &md, bool is_weights);

} // namespace detail
} // namespace sparsetrain
