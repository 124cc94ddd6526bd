// The contract between the dispatch layer and a sparse (zero-skipping) implementation of
// one direction. A sparse implementation is created for one problem and one set of
// layouts; it either accepts (and owns its planned configuration and JIT kernels) or
// declines with a reason that the dispatch layer logs.
//
// Layouts (exactly oneDNN 2.6's own picks for f32 with format_tag::any weights, so that the
// oneDNN dense fallback can run on the very same memory without any reorder; see
// common/layout.hpp):
//   activations (src, dst, diff_src, diff_dst): nChw16c or nhwc (all four in one layout)
//   weights fwd:                                OIhw16i16o (nChw16c), Ohwi16o/32o/48o/64o (nhwc)
//   diff_weights bwd_w:                         OIhw16i16o
//   weights bwd_d:                              OIhw16o16i, or IOhw16o16i (oneDNN's pick for 1x1)
//   bias / diff_bias:                           x (plain, oc floats)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/conv_options.hpp"
#include "jit/jit_generator.hpp"

namespace sparsetrain {

// Raw pointers for one execute; members a direction does not use are null.
// The name every sparse implementation reports (impl_info_str(), verbose lines, declined()).
inline constexpr const char *sparse_impl_name = "sparse_jit:avx512_core";

struct conv_tensors {
    const float *src = nullptr;      // fwd, bwd_w
    const float *weights = nullptr;  // fwd, bwd_d
    const float *bias = nullptr;     // fwd (optional)
    float *dst = nullptr;            // fwd
    float *diff_src = nullptr;       // bwd_d
    const float *diff_dst = nullptr; // bwd_d, bwd_w
    float *diff_weights = nullptr;   // bwd_w
    float *diff_bias = nullptr;      // bwd_w (optional)
    // bwd_d under the ReLU-backward mask (src is a ReLU output): the forward src, same layout
    // as diff_src; the result is diff_src * [mask_src > 0]. Null: no mask.
    const float *mask_src = nullptr;
    // Sampled fraction of non-zeros of the exploited operand when the dispatcher measured
    // it (automatic mode), else -1. Implementations may use it to pick a kernel variant.
    double density_hint = -1;
    // FTZ + DAZ in every thread while the kernels run (denormal_mode::flush), see
    // common/denormal_guard.hpp.
    bool flush_denormals = false;
};

class sparse_conv {
public:
    virtual ~sparse_conv() = default;
    // Runs the whole direction with OpenMP threads (the calling thread's team).
    // Thread-safe: one instance may run from several threads at once on different tensors.
    virtual void execute(const conv_tensors &t) const = 0;
    // Printable implementation name: sparse_impl_name for all three directions.
    virtual std::string name() const { return sparse_impl_name; }
    // The planned configuration (blocking, loop order), for verbose lines and dumps.
    virtual std::string config_str() const = 0;
    // Every JIT kernel this implementation runs (for listings and dumps). Generating them
    // needs no AVX-512: only running them does.
    virtual std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const { return {}; }
};

// A sparse implementation that runs one planned configuration `Plan` (a direction's planner
// output, with str()): it owns the plan, reports it and lets tests and benches read it.
template <class Plan>
class planned_sparse_conv : public sparse_conv {
public:
    std::string config_str() const override { return c_.str(); }
    const Plan &plan() const { return c_; }

protected:
    explicit planned_sparse_conv(const Plan &c) : c_(c) {}
    const Plan c_;
};

// Factories: return nullptr and set `why_not` when the problem or layouts are not covered.
std::unique_ptr<sparse_conv> make_sparse_fwd(const problem_t &p, const sparse_conv_options &o, std::string &why_not);
std::unique_ptr<sparse_conv> make_sparse_bwd_d(const problem_t &p, const sparse_conv_options &o, std::string &why_not);
std::unique_ptr<sparse_conv> make_sparse_bwd_w(const problem_t &p, const sparse_conv_options &o, std::string &why_not);

} // namespace sparsetrain
