// One sparse kernel's side of the per-call choice against oneDNN dense, and the steps both
// dispatchers take with it (dispatch/exec_choice.hpp: the sparse kernel; mask_dispatch.hpp:
// the masked or the diff_dst-sparse kernel under relu_mask): probe the exploited operand,
// calibrate the kernel's crossover_model over the first two executes, then let the model
// decide, each run timed and recorded.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/verbose.hpp"
#include "dispatch/crossover_model.hpp"
#include "dispatch/static_crossover.hpp"

namespace sparsetrain {
namespace detail {

struct kernel_model {
    double threshold = -1;                  // static crossover sparsity, fixed at creation
    static_cost_shape shape;                // the static t_kernel(d) / t_dense shape
    std::shared_ptr<crossover_model> model; // mode automatic only
};

// Runs the kernel (true) or oneDNN dense (false); returns its time in ms.
using timed_path = std::function<double(bool kernel)>;

template <typename F>
double timed(F &&f) {
    const double t0 = now_ms();
    f();
    return now_ms() - t0;
}

// printf-formatted numbers for the verbose notes.
std::string note_fmt(const char *f, double a, double b = 0, double c = 0);

// Sampled fraction of zeros of the n floats at `data`. Under flush, denormals are zeros to
// the kernels: they count as zeros here too.
double probe_operand_zeros(const float *data, size_t n, bool flush_denormals);

// One execute of k.model's calibration, `zeros` being the sampled sparsity of the kernel's
// operand: the first runs the static choice (zeros >= k.threshold), the second the other path,
// each timed; then the model is calibrated from both, t0 (the kernel's time at density 0)
// following from the static shape through the kernel's measured point. An execute that finds
// another one calibrating runs the static choice, untimed. Appends to `note` what it did:
// "elsewhere->P", "1/2<first_detail>: P t ms" or "2/2: P t ms,model:...", P being
// `kernel_name` or "dense". Returns whether the kernel ran.
bool calibration_step(const kernel_model &k, double zeros, const timed_path &run, const char *kernel_name,
        const std::string &first_detail, std::string &note);

// After calibration: k.model decides between the kernel and dense at the sampled sparsity
// `zeros`; the run is timed and recorded, a kernel run in k.model, a dense run through
// `observe_dense`. Appends ",predicted K t_k ms dense t_d ms->P" to `note`. Returns whether
// the kernel ran.
bool decided_step(const kernel_model &k, double zeros, const timed_path &run, const char *kernel_name,
        const std::function<void(double ms)> &observe_dense, std::string &note);

} // namespace detail
} // namespace sparsetrain
