// Per-execute choice for backward data with the fused ReLU backward (relu_mask). Three ways to
// the same result, diff_src * [src > 0]:
//   mask:  the masked kernel, whose cost goes with the density of src (its elements > 0)
//   row:   the diff_dst-sparse kernel, then the mask (cost with the density of diff_dst)
//   dense: oneDNN backward data, then the mask
// mode sparse: the kernel of the lower sampled density (mask when only it exists or on a tie);
// mode dense: dense; automatic: a crossover_model per kernel (keyed apart from the unmasked
// problem, since its dense time includes the mask pass), each calibrated on the first execute
// it is uncalibrated in (the kernel on an all-zero operand, dense, the kernel on the real
// operand, whose result is kept); then the kernel predicted faster at its sampled density runs
// if its model prefers it to dense.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/conv_pd_impl.hpp"
#include "dispatch/crossover_model.hpp"

namespace sparsetrain {
namespace detail {

enum class masked_path { mask, row, dense, reference };

struct masked_choice {
    masked_path path = masked_path::dense;
    double src_zeros = -1, dd_zeros = -1; // sampled, -1 if not measured
    std::string note;                      // for the verbose line
};

// How to run each path on the current arguments; `zero_operand` replaces the exploited operand
// (src for mask, diff_dst for row) by zeros (calibration).
struct masked_paths {
    std::function<void(bool zero_operand, double density)> mask, row;
    std::function<void()> dense, reference;
};

class masked_dispatcher {
public:
    explicit masked_dispatcher(const conv_pd_impl &pd);
    // Chooses and runs one path (more during calibration); thread-safe.
    masked_choice run(const conv_pd_impl &pd, const float *src, size_t src_floats, const float *diff_dst,
            size_t dd_floats, const masked_paths &paths) const;

private:
    std::shared_ptr<crossover_model> model_mask_, model_row_; // null unless automatic and the kernel exists
};

// The model keys: the masked kernel's, and the diff_dst-sparse kernel's under the mask.
std::string masked_model_key(const conv_pd_impl &pd, masked_path p, int threads);

} // namespace detail
} // namespace sparsetrain
