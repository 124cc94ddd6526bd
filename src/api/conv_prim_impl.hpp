// A created convolution primitive: validates the argument map of each execute, runs the
// chosen implementation (sparse JIT, oneDNN dense, or reference) and logs it.
#pragma once

#include <memory>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <mutex>

#include "api/conv_pd_impl.hpp"
#include "dispatch/exec_choice.hpp"
#include "fallback/reference_exec.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace detail {

struct conv_prim_impl {
    explicit conv_prim_impl(std::shared_ptr<const conv_pd_impl> pd);
    void execute(const dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args) const;
    dispatch_stats stats() const;

    std::shared_ptr<const conv_pd_impl> pd;
    dnnl::primitive dense; // oneDNN dense primitive, created up front when it may run
    dispatcher choose;
    dnnl::reorder weights_to_sparse; // when pd->sparse_weights_md is set

private:
    conv_memories checked_args(const std::unordered_map<int, dnnl::memory> &args) const;
    void run_sparse(const conv_memories &m, bool zero_operand, double density) const;
    mutable std::atomic<unsigned long long> n_sparse_ {0}, n_dense_ {0}, n_reference_ {0};
    mutable std::atomic<double> last_zeros_ {-1.0};
    // All-zero stand-in for the exploited operand (calibration only): an anonymous mapping
    // that is read once so that every page maps the shared zero page (no memory used).
    const float *zero_operand() const;
    mutable std::once_flag zeros_once_;
    mutable void *zeros_ = nullptr;
    mutable size_t zeros_size_ = 0;

public:
    ~conv_prim_impl();
};

} // namespace detail
} // namespace sparsetrain
