#include "dispatch/exec_choice.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/denormal_guard.hpp"
#include "common/verbose.hpp"
#include "dispatch/sparsity_probe.hpp"
#include "dispatch/static_crossover.hpp"

namespace sparsetrain {
namespace detail {

std::string crossover_key(const conv_pd_impl &pd, int threads) {
    std::ostringstream os;
    os << to_string(pd.dir) << ":" << pd.prob.shape_string() << ":t" << threads << ":prop" << (int)pd.prop << ":alg"
       << (int)pd.alg << ":" << pd.dnnl_impl << ":" << pd.formats_str() << (pd.with_bias ? ":b" : "")
       << (pd.with_relu ? ":r" : "") << (pd.flush_denormals ? ":flush" : ":keep") << ":"
       << (pd.sparse ? pd.sparse->config_str() : std::string());
    return os.str();
}

const dnnl::memory &exploited_operand(const conv_pd_impl &pd, const conv_memories &m) {
    return pd.dir == direction::bwd_d ? m.dst : m.src;
}

dispatcher::dispatcher(const conv_pd_impl &pd) {
    if (pd.chosen != impl_kind::sparse_jit || !pd.has_dnnl) return;
    if (pd.mode != dispatch_mode::automatic && pd.mode != dispatch_mode::deterministic) return;
    threshold_ = static_crossover_sparsity(pd.dir, pd.prob);
    if (pd.mode == dispatch_mode::automatic) {
        model_ = crossover_model_for(crossover_key(pd, omp_get_max_threads()));
        shape_ = static_relative_cost(pd.dir, pd.prob);
    }
}

namespace {

template <typename F>
double timed(F &&f) {
    const double t0 = now_ms();
    f();
    return now_ms() - t0;
}

std::string fmt(const char *f, double a, double b = 0, double c = 0) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), f, a, b, c);
    return buf;
}

} // namespace

void dispatcher::calibration_step(exec_choice &c, double density, const exec_paths &paths) const {
    // Each of the first two executes runs one path, timed: the first the static model's choice
    // (it also takes the first-touch costs of the outputs), the second the other path; then
    // the model is calibrated from both. Both times are provisional: the model confirms the
    // one of the path it does not prefer by one more run on a later execute. t0 (the sparse
    // time at density 0) follows from the static shape t_sparse(d) ~ a + b d through the
    // measured point. A concurrent execute of the same problem runs the static choice, untimed.
    const bool static_sparse = c.zero_fraction >= threshold_;
    auto run = [&](bool sparse) {
        c.path = sparse ? exec_path::sparse : exec_path::dense;
        return timed([&] {
            if (sparse) paths.sparse(density);
            else paths.dense();
        });
    };
    const std::string head = "dispatch:auto,zeros:" + fmt("%.3f", c.zero_fraction) + ",calibration ";
    if (!model_->try_begin_calibration()) {
        run(static_sparse);
        c.note = head + "elsewhere->" + (static_sparse ? "sparse" : "dense");
        return;
    }
    bool first_sparse = false;
    double first_density = 0, first_ms = 0;
    const bool second = model_->first_run(first_sparse, first_density, first_ms);
    const bool sparse = second ? !first_sparse : static_sparse;
    double t = 0;
    try {
        t = run(sparse);
    } catch (...) {
        model_->abort_calibration();
        throw;
    }
    if (!second) {
        model_->record_first_run(sparse, density, t);
        c.note = head + "1/2 (static threshold " + fmt("%.3f", threshold_) + "): " + (sparse ? "sparse" : "dense")
                + fmt(" %.3f ms", t);
        return;
    }
    const double d_s = sparse ? density : first_density, t_s = sparse ? t : first_ms, t_d = sparse ? first_ms : t;
    const double t_zero = t_s * shape_.a / (shape_.a + shape_.b * std::max(0.0, d_s));
    model_->calibrate(t_zero, d_s, t_s, t_d, true);
    c.note = head + "2/2: " + (sparse ? "sparse" : "dense") + fmt(" %.3f ms", t) + ",model:" + model_->str();
}

exec_choice dispatcher::run(const conv_pd_impl &pd, const conv_memories &m, const exec_paths &paths) const {
    exec_choice c;
    if (pd.chosen == impl_kind::reference) {
        c.path = exec_path::reference;
        c.note = "dispatch:reference";
        paths.reference();
        return c;
    }
    if (pd.chosen == impl_kind::onednn) {
        c.path = exec_path::dense;
        c.note = "dispatch:dense";
        paths.dense();
        return c;
    }
    const dnnl::memory &op = exploited_operand(pd, m);
    sparsity_estimate est;
    {
        // Under flush, denormals are zeros to the kernels: count them as zeros here too.
        denormal_guard g(pd.flush_denormals);
        est = probe_zeros(static_cast<const float *>(op.get_data_handle()), op.get_desc().get_size() / sizeof(float));
    }
    c.zero_fraction = est.zero_fraction;
    const double density = 1.0 - est.zero_fraction;

    if (!model_ && threshold_ >= 0) { // deterministic: a pure function of the problem and the sample
        const bool sparse = est.zero_fraction >= threshold_;
        c.path = sparse ? exec_path::sparse : exec_path::dense;
        c.note = "dispatch:deterministic,zeros:" + fmt("%.3f", est.zero_fraction) + ",threshold:"
                + fmt("%.3f", threshold_) + "->" + (sparse ? "sparse" : "dense");
        if (sparse) paths.sparse(density);
        else paths.dense();
        return c;
    }
    if (!model_) { // sparse chosen, mode sparse (or no dense primitive to switch to)
        c.path = exec_path::sparse;
        c.note = "dispatch:sparse,zeros:" + fmt("%.3f", est.zero_fraction);
        paths.sparse(density); // the density picks the kernel variant
        return c;
    }

    if (!model_->calibrated()) {
        calibration_step(c, density, paths);
        return c;
    }
    const double pred_s = model_->predict_sparse(density), pred_d = model_->predict_dense();
    if (model_->decide(density)) {
        c.path = exec_path::sparse;
        const double t = timed([&] { paths.sparse(density); });
        model_->observe_sparse(density, t);
    } else {
        c.path = exec_path::dense;
        const double t = timed([&] { paths.dense(); });
        model_->observe_dense(t);
    }
    c.note = "dispatch:auto,zeros:" + fmt("%.3f", est.zero_fraction) + ",predicted sparse "
            + fmt("%.3f ms dense %.3f ms", pred_s, pred_d) + "->"
            + (c.path == exec_path::sparse ? "sparse" : "dense");
    return c;
}

} // namespace detail
} // namespace sparsetrain
