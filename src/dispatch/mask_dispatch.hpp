// Per-execute choice for backward data with the fused ReLU backward (relu_mask). Three ways to
// the same result, diff_src * [src > 0]:
//   mask:  the masked kernel, whose cost goes with the density of src (its elements > 0)
//   row:   the diff_dst-sparse kernel, then the mask (cost with the density of diff_dst)
//   dense: oneDNN backward data, then the mask
// Both operands are probed (sampled) when their kernel exists. The candidate kernel of a call
// is the one predicted faster at its sampled density (by its calibrated model when both are
// calibrated, else by the static cost shapes; in automatic mode, while only one model is
// calibrated, the other kernel, so that both get measured). Then, as dispatch/exec_choice.hpp:
//   mode sparse: the candidate; mode dense: dense;
//   mode deterministic: the candidate iff its operand's sampled sparsity reaches its static
//     threshold (fixed at creation), else dense;
//   mode automatic: the candidate's crossover_model (keyed apart from the unmasked problem,
//     since the dense time includes the mask pass) is calibrated over the first two executes
//     it is the candidate in (the static choice first, then the other path, t0 from the static
//     shape), then decides between it and dense, refined by every timed run. Once both
//     kernels' models are calibrated, each kernel runs once more (timed, observed): its
//     calibration run may have carried the first executes' costs, and a kernel that is not
//     the candidate would otherwise never be measured again.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dispatch/conv_pd.hpp"
#include "dispatch/kernel_model.hpp"

namespace sparsetrain {
namespace detail {

enum class masked_path { mask, row, dense, reference };

struct masked_choice {
    masked_path path = masked_path::dense;
    double src_zeros = -1, dd_zeros = -1; // sampled, -1 if not measured
    std::string note;                      // for the verbose line
};

// How to run each path on the current arguments (density: of the kernel's exploited operand).
struct masked_paths {
    std::function<void(double density)> mask, row;
    std::function<void()> dense, reference;
};

class masked_dispatcher {
public:
    explicit masked_dispatcher(const conv_pd_impl &pd);
    // Chooses and runs one path; thread-safe.
    masked_choice run(const conv_pd_impl &pd, const float *src, size_t src_floats, const float *diff_dst,
            size_t dd_floats, const masked_paths &paths) const;

private:
    struct kernel_state : kernel_model {
        bool exists = false;
    };
    int candidate(const double density[2]) const; // 0: mask, 1: row
    kernel_state k_[2]; // [masked_path::mask, masked_path::row]
    bool automatic_ = false, deterministic_ = false;
};

// The model keys: the masked kernel's, and the diff_dst-sparse kernel's under the mask.
std::string masked_model_key(const conv_pd_impl &pd, masked_path p, int threads);

// Static cost model of the masked kernel (as dispatch/static_crossover.hpp, fitted to the
// kernel's forced / oneDNN bwd_d + ReLU bwd ratios at 50 / 70 / 90 % zeros of src on 3x3
// 256->256 28^2 and 1x1 1024->256 14^2, AMD Zen 5, 2 threads, N = 16): the crossover sparsity
// and the shape t_mask / t_dense ~ a + b * d of src density d.
double mask_static_crossover_sparsity(const problem_t &p);
static_cost_shape mask_static_relative_cost(const problem_t &p);

} // namespace detail
} // namespace sparsetrain
