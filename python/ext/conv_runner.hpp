// The C++ side of one SparseConv2d module: runs forward and backward on PyTorch tensors
// through sparsetrain primitives, cached per (input shape, memory format, threads, dispatch
// policy) in conv_entry objects, and answers what ran (stats) and what was chosen
// (describe).
//
// Layouts: NCHW tensors are reordered into the layouts the primitive_descs pick
// (nChw16c activations) through the calling thread's workspace and back; channels_last
// tensors are bound as oneDNN nhwc memory over their own storage (no activation or
// gradient copy). Weights are reordered from the parameter's layout into each direction's
// layout per call (they change every step) and diff_weights back into the parameter's.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "conv_entry.hpp"

namespace sparsetrain_torch {

struct run_options {
    bool nhwc = false;       // the tensors are channels_last (else NCHW)
    bool inner_nhwc = false; // NCHW tensors: run the primitives on nhwc copies (else nChw16c)
    sparsetrain::dispatch_mode mode = sparsetrain::dispatch_mode::automatic;
    sparsetrain::denormal_mode denormals = sparsetrain::denormal_mode::from_env;
    // Backward: the input x is a ReLU output (or a max / avg pool of one); backward-data
    // returns diff_src * [x > 0] (backward_data_options::relu_mask).
    bool relu_mask = false;
};

// Per direction: the paths its primitives took (all cached shapes together) and what the
// most recently used one is.
// Backward data reports its masked and unmasked primitives together; mask_runs counts the
// masked primitive's runs (any path) and sparse_mask_runs those of the masked kernel.
struct direction_report {
    unsigned long long sparse_runs = 0, dense_runs = 0, reference_runs = 0;
    unsigned long long mask_runs = 0, sparse_mask_runs = 0;
    double last_zero_fraction = -1;
    std::string impl, problem, layout;
    std::vector<std::pair<std::string, std::string>> declined;
};

class conv_runner {
public:
    explicit conv_runner(const conv_geometry &g, size_t max_entries = 8);

    at::Tensor forward(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b,
            const run_options &o);
    // Undefined tensors where a gradient was not asked for.
    std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor &grad_y, const at::Tensor &x,
            const at::Tensor &w, bool need_x, bool need_w, bool need_b, const run_options &o);

    // The three primitive_descs for an input of n x ic x ih x iw (created, not run).
    std::vector<direction_report> describe(int64_t n, int64_t ih, int64_t iw, const run_options &o);
    std::vector<direction_report> stats() const;
    void clear();
    size_t entries() const;

private:
    conv_entry &entry_for(const entry_key &k);
    void retire(const conv_entry &e); // keeps its run counts in retired_
    void check_input(const at::Tensor &x, const at::Tensor &w, const run_options &o) const;

    conv_geometry g_;
    size_t max_entries_;
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<conv_entry>> entries_; // most recently used first
    // Paths taken by entries evicted or cleared (so stats never go backwards; counts only).
    direction_report retired_[3];
};

// nn.Conv2d's choice of the output memory format: channels_last when the (4-D) input or the
// weight suggests channels_last.
bool use_channels_last(const at::Tensor &x, const at::Tensor &w);

// Test aid: fill every buffer a primitive writes with NaN before it runs, so that an element
// the kernel leaves unwritten shows up.
void set_debug_fill_nan(bool on);

} // namespace sparsetrain_torch
