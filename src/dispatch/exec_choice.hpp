// Per-execute choice between the sparse kernel and oneDNN dense.
//   mode sparse / dense: always that path (dense when no sparse implementation accepted).
//   mode automatic: probe the exploited operand's zeros (sampled), then ask the problem's
//   crossover_model. The model is calibrated over the first two executes of a problem, each
//   running one path as any execute does: the first the static cost model's choice
//   (dispatch/static_crossover.hpp), the second the other path. The sparse time's split into
//   t0 + k * density comes from the static model's shape, so no run on an all-zero operand is
//   needed (it cost a copy of the operand in fresh memory, and the kernels' time is not
//   affine down to density 0 anyway).
//   mode deterministic: probe, then sparse iff the sampled sparsity reaches the threshold the
//   static cost model (dispatch/static_crossover.hpp) fixed at creation; nothing is timed.
// The probe, calibration and decision steps are dispatch/kernel_model.hpp's, shared with the
// relu_mask dispatcher (dispatch/mask_dispatch.hpp).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/desc_validate.hpp"
#include "dispatch/conv_pd.hpp"
#include "dispatch/kernel_model.hpp"

namespace sparsetrain {
namespace detail {

struct exec_choice {
    impl_kind path = impl_kind::onednn; // the implementation this execute ran
    double zero_fraction = -1; // measured (sampled) sparsity of the exploited operand, -1 if not measured
    std::string note;          // for the verbose line
};

// How to run each path on the current arguments. Each returns nothing; the dispatcher times them.
struct exec_paths {
    std::function<void(double density)> sparse; // density -1: unknown (picks the kernel variant)
    std::function<void()> dense;
    std::function<void()> reference;
};

class dispatcher {
public:
    explicit dispatcher(const conv_pd_impl &pd);
    // Chooses and runs one path (more during calibration); thread-safe.
    exec_choice run(const conv_pd_impl &pd, const conv_memories &m, const exec_paths &paths) const;
    const std::shared_ptr<crossover_model> &model() const { return k_.model; }
    // The static model's crossover sparsity: mode deterministic runs sparse from it, mode
    // automatic takes it for its first execute (-1 in other modes).
    double threshold() const { return k_.threshold; }

private:
    kernel_model k_; // the model is null unless mode is automatic
};

// The key of the per-problem model: everything that changes either path's time: direction,
// problem shape, thread count (OpenMP max threads of the thread creating the primitive;
// executing it from a team of another size makes the model compare unlike timings until its
// refinement catches up), propagation kind, algorithm (direct or Winograd dense), oneDNN's
// implementation, memory formats, bias / fused ReLU, denormal mode and the sparse plan.
std::string crossover_key(const conv_pd_impl &pd, int threads);

// An execute of a primitive whose implementation, chosen at creation, is not the sparse one:
// runs it (oneDNN dense or the reference) and returns the note, "dispatch:dense" or
// "dispatch:reference".
std::string run_chosen_at_creation(impl_kind chosen, const std::function<void()> &dense,
        const std::function<void()> &reference);

// The exploited operand of the direction: fwd / bwd_w src, bwd_d diff_dst.
const dnnl::memory &exploited_operand(const conv_pd_impl &pd, const conv_memories &m);

} // namespace detail
} // namespace sparsetrain
