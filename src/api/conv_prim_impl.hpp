// A created convolution primitive: validates the argument map of each execute, runs the
// chosen implementation (sparse JIT, oneDNN dense, or reference) and logs it.
#pragma once

#include <memory>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>

#include "api/conv_pd_impl.hpp"
#include "dispatch/exec_choice.hpp"
#include "dispatch/mask_dispatch.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace detail {

// The data pointer of a memory (null for an empty one).
float *fptr(const dnnl::memory &x);
// The kernels' view of an execute's memories: conv_tensors names each direction's tensors,
// conv_memories holds them in forward naming. `weights`, when not null, replaces the weights'
// memory (the weights reordered for the kernel).
conv_tensors tensors_of(direction dir, const conv_memories &m, const float *weights = nullptr);
// Reorders `weights` with `r` into `md`, in the calling thread's buffer, and returns that.
const float *reordered_weights(const dnnl::reorder &r, const dnnl::memory &weights, const dnnl::memory::desc &md,
        const dnnl::engine &eng);

struct conv_prim_impl {
    explicit conv_prim_impl(std::shared_ptr<const conv_pd_impl> pd);
    void execute(const dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args) const;
    dispatch_stats stats() const;

    std::shared_ptr<const conv_pd_impl> pd;
    dnnl::primitive dense; // oneDNN dense primitive, created up front when it may run
    dispatcher choose;
    dnnl::reorder weights_to_sparse; // when pd->sparse_weights_md is set
    masked_dispatcher choose_masked; // relu_mask
    dnnl::reorder weights_to_mask;   // relu_mask: into pd->mask_weights_md when it is set

private:
    conv_memories checked_args(const std::unordered_map<int, dnnl::memory> &args) const;
    void run_sparse(const conv_memories &m, double density) const;
    // relu_mask (conv_prim_masked.cpp): one execute, and its two kernels.
    void execute_masked(dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args,
            const conv_memories &m) const;
    void run_mask_kernel(const conv_memories &m, double density) const;
    void run_row_kernel_masked(const conv_memories &m, double density) const;
    mutable std::atomic<unsigned long long> n_sparse_ {0}, n_dense_ {0}, n_reference_ {0}, n_sparse_mask_ {0};
    mutable std::atomic<double> last_zeros_ {-1.0};
};

} // namespace detail
} // namespace sparsetrain
