#include "dispatch/mask_dispatch.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>

#include "dispatch/exec_choice.hpp"

namespace sparsetrain {
namespace detail {

namespace {

// 16-lane FMAs per element of src > 0: oc / 16 per valid tap, kh * kw / (sh * sw) taps on average.
double mask_fmas_per_nonzero(const problem_t &p) {
    return std::max(1e-3, (double)p.oc / 16.0 * (double)(p.kh * p.kw) / (double)(p.sh * p.sw));
}

// Models whose kernel has run once after calibration (process-wide, as the models).
bool claim_confirmation(const crossover_model *m) {
    static std::mutex mu;
    static std::set<const crossover_model *> done;
    std::lock_guard<std::mutex> lk(mu);
    return done.insert(m).second;
}

const char *name_of(masked_path p) {
    switch (p) {
    case masked_path::mask: return "mask";
    case masked_path::row: return "row";
    case masked_path::dense: return "dense";
    case masked_path::reference: return "reference";
    }
    return "?";
}

} // namespace

// Measured (Zen 5, 2 threads, N = 16): 3x3 256->256 28^2 (F = 144) t_mask / t_dense 0.77 / 0.58 /
// 0.32 at 50 / 70 / 90 % zeros, crossover ~0.3; 1x1 1024->256 14^2 (F = 16) 1.21 / 0.98 / 0.66,
// crossover ~0.65. s* = 1.09 - 0.159 ln F, a = 0.055 + 1.86 / sqrt(F).
double mask_static_crossover_sparsity(const problem_t &p) {
    return std::clamp(1.09 - 0.159 * std::log(mask_fmas_per_nonzero(p)), 0.0, 1.0);
}

static_cost_shape mask_static_relative_cost(const problem_t &p) {
    static_cost_shape s;
    s.a = std::clamp(0.055 + 1.86 / std::sqrt(mask_fmas_per_nonzero(p)), 0.05, 0.9);
    s.b = (1.0 - s.a) / std::max(0.05, 1.0 - mask_static_crossover_sparsity(p));
    return s;
}

std::string masked_model_key(const conv_pd_impl &pd, masked_path p, int threads) {
    const bool mask = p == masked_path::mask;
    const auto &impl = mask ? pd.sparse_mask : pd.sparse;
    return std::string(mask ? "bwd_d_mask:" : "bwd_d_row_masked:") + (pd.relu_mask_optional ? "optional:" : "")
            + crossover_key(pd, threads) + ":"
            + (impl ? impl->config_str() : std::string());
}

masked_dispatcher::masked_dispatcher(const conv_pd_impl &pd) {
    if (!pd.relu_mask || pd.chosen != impl_kind::sparse_jit) return;
    k_[0].exists = pd.sparse_mask != nullptr;
    k_[1].exists = pd.sparse != nullptr;
    if (k_[0].exists) {
        k_[0].threshold = mask_static_crossover_sparsity(pd.prob);
        k_[0].shape = mask_static_relative_cost(pd.prob);
    }
    if (k_[1].exists) {
        k_[1].threshold = static_crossover_sparsity(direction::bwd_d, pd.prob);
        k_[1].shape = static_relative_cost(direction::bwd_d, pd.prob);
    }
    if (!pd.has_dnnl) return; // no dense path to switch to: always a kernel
    automatic_ = pd.mode == dispatch_mode::automatic;
    deterministic_ = pd.mode == dispatch_mode::deterministic;
    if (automatic_) {
        const int threads = omp_get_max_threads();
        if (k_[0].exists) k_[0].model = crossover_model_for(masked_model_key(pd, masked_path::mask, threads));
        if (k_[1].exists) k_[1].model = crossover_model_for(masked_model_key(pd, masked_path::row, threads));
    }
}

// The candidate kernel: predicted faster relative to dense (models when both are calibrated,
// else the static shapes; the masked kernel on a tie). Automatic: while one model is
// calibrated and the other not, the other (so that both get measured).
int masked_dispatcher::candidate(const double density[2]) const {
    if (!k_[0].exists || !k_[1].exists) return k_[0].exists ? 0 : 1;
    const bool have = k_[0].model && k_[1].model;
    const bool cal0 = have && k_[0].model->calibrated(), cal1 = have && k_[1].model->calibrated();
    if (cal0 != cal1) return cal0 ? 1 : 0;
    auto pred = [&](int i) {
        return cal0 && cal1 ? k_[i].model->predict_sparse(density[i]) / k_[i].model->predict_dense()
                            : k_[i].shape.a + k_[i].shape.b * density[i];
    };
    return pred(1) < pred(0) ? 1 : 0;
}

masked_choice masked_dispatcher::run(const conv_pd_impl &pd, const float *src, size_t src_floats, const float *dd,
        size_t dd_floats, const masked_paths &paths) const {
    masked_choice c;
    if (pd.chosen != impl_kind::sparse_jit) {
        c.path = pd.chosen == impl_kind::reference ? masked_path::reference : masked_path::dense;
        c.note = run_chosen_at_creation(pd.chosen, paths.dense, paths.reference) + "+relu_mask";
        return c;
    }
    if (k_[0].exists) c.src_zeros = probe_operand_zeros(src, src_floats, pd.flush_denormals);
    if (k_[1].exists) c.dd_zeros = probe_operand_zeros(dd, dd_floats, pd.flush_denormals);
    const double zeros[2] = {c.src_zeros, c.dd_zeros};
    auto density = [&](int k) { return 1.0 - zeros[k]; };
    const std::string head = "zeros(src):" + (k_[0].exists ? note_fmt("%.3f", c.src_zeros) : std::string("-"))
            + ",zeros(diff_dst):" + (k_[1].exists ? note_fmt("%.3f", c.dd_zeros) : std::string("-"));

    const double densities[2] = {density(0), density(1)};
    const int k = candidate(densities);
    const masked_path kp = k == 0 ? masked_path::mask : masked_path::row;
    const kernel_state &ks = k_[k];
    const timed_path run_path = [&](bool kernel) {
        c.path = kernel ? kp : masked_path::dense;
        return timed([&] {
            if (!kernel) paths.dense();
            else if (k == 0) paths.mask(density(0));
            else paths.row(density(1));
        });
    };

    if (deterministic_) {
        const bool kernel = zeros[k] >= ks.threshold;
        run_path(kernel);
        c.note = "dispatch:deterministic," + head + ",threshold(" + name_of(kp) + "):" + note_fmt("%.3f", ks.threshold) + "->"
                + name_of(c.path);
        return c;
    }
    if (!automatic_) { // mode sparse, or no dense path
        run_path(true);
        c.note = "dispatch:sparse," + head + "->" + name_of(c.path);
        return c;
    }

    if (!ks.model->calibrated()) { // as dispatch/exec_choice.cpp, with the candidate kernel
        c.note = "dispatch:auto," + head + ",calibration(" + name_of(kp) + ") ";
        calibration_step(ks, zeros[k], run_path, name_of(kp), "", c.note);
        return c;
    }
    // A kernel's calibration time may include the first executes' costs (first touch of the
    // outputs): unlike a single model, whose preferred path runs next and corrects itself, a
    // kernel that is not the candidate would never run again. So each kernel runs once after
    // both are calibrated (process-wide, per model), timed and observed.
    if (k_[0].exists && k_[1].exists)
        for (int i = 0; i < 2; ++i)
            if (k_[i].model && k_[i].model->calibrated() && k_[1 - i].model && k_[1 - i].model->calibrated()
                    && claim_confirmation(k_[i].model.get())) {
                const masked_path ip = i == 0 ? masked_path::mask : masked_path::row;
                c.path = ip;
                const double t = timed([&] {
                    if (i == 0) paths.mask(density(0));
                    else paths.row(density(1));
                });
                k_[i].model->observe_sparse(density(i), t);
                c.note = "dispatch:auto," + head + ",confirming " + name_of(ip) + note_fmt(" %.3f ms", t);
                return c;
            }
    // Dense times are the same for both kernels' models.
    auto observe_dense = [&](double t) {
        for (const auto &s : k_)
            if (s.model && s.model->calibrated()) s.model->observe_dense(t);
    };
    c.note = "dispatch:auto," + head;
    decided_step(ks, zeros[k], run_path, name_of(kp), observe_dense, c.note);
    return c;
}

} // namespace detail
} // namespace sparsetrain
