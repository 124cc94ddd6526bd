// A created convolution primitive: validates the argument map of each execute, runs the
// chosen implementation (sparse JIT, oneDNN dense, or reference) and logs it.
#pragma once

#include <memory>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "api/conv_pd_impl.hpp"
#include "fallback/reference_exec.hpp"

namespace sparsetrain {
namespace detail {

struct conv_prim_impl {
    explicit conv_prim_impl(std::shared_ptr<const conv_pd_impl> pd);
    void execute(const dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args) const;

    std::shared_ptr<const conv_pd_impl> pd;
    dnnl::primitive dense; // oneDNN dense primitive, created up front when it may run

private:
    conv_memories checked_args(const std::unordered_map<int, dnnl::memory> &args) const;
};

} // namespace detail
} // namespace sparsetrain
