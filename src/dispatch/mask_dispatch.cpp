#include "dispatch/mask_dispatch.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>

#include "common/denormal_guard.hpp"
#include "common/verbose.hpp"
#include "dispatch/sparsity_probe.hpp"

namespace sparsetrain {
namespace detail {

std::string masked_model_key(const conv_pd_impl &pd, masked_path p, int threads) {
    const char *kind = p == masked_path::mask ? "bwd_d_mask:" : "bwd_d_row_masked:";
    return std::string(kind) + pd.prob.shape_string() + ":t" + std::to_string(threads) + ":alg"
            + std::to_string((int)pd.alg) + (pd.flush_denormals ? ":flush" : ":keep");
}

masked_dispatcher::masked_dispatcher(const conv_pd_impl &pd) {
    if (!pd.relu_mask || pd.chosen != impl_kind::sparse_jit || !pd.has_dnnl || pd.mode != dispatch_mode::automatic) return;
    const int threads = omp_get_max_threads();
    if (pd.sparse_mask) model_mask_ = crossover_model_for(masked_model_key(pd, masked_path::mask, threads));
    if (pd.sparse) model_row_ = crossover_model_for(masked_model_key(pd, masked_path::row, threads));
}

namespace {

template <typename F>
double timed(F &&f) {
    const double t0 = now_ms();
    f();
    return now_ms() - t0;
}

std::string fmt(const char *f, double a, double b = 0) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), f, a, b);
    return buf;
}

} // namespace

masked_choice masked_dispatcher::run(const conv_pd_impl &pd, const float *src, size_t src_floats, const float *dd,
        size_t dd_floats, const masked_paths &paths) const {
    masked_choice c;
    if (pd.chosen == impl_kind::reference) {
        c.path = masked_path::reference;
        c.note = "dispatch:reference+relu_mask";
        paths.reference();
        return c;
    }
    if (pd.chosen == impl_kind::onednn) {
        c.path = masked_path::dense;
        c.note = "dispatch:dense+relu_mask";
        paths.dense();
        return c;
    }
    {
        // Under flush, denormals are zeros to the kernels: count them as zeros here too.
        denormal_guard g(pd.flush_denormals);
        if (pd.sparse_mask) c.src_zeros = probe_zeros(src, src_floats).zero_fraction;
        if (pd.sparse) c.dd_zeros = probe_zeros(dd, dd_floats).zero_fraction;
    }
    const double d_src = 1.0 - c.src_zeros, d_dd = 1.0 - c.dd_zeros;
    const std::string zeros = "zeros(src):" + (pd.sparse_mask ? fmt("%.3f", c.src_zeros) : std::string("-"))
            + ",zeros(diff_dst):" + (pd.sparse ? fmt("%.3f", c.dd_zeros) : std::string("-"));
    auto run_kernel = [&](masked_path p, bool zero, double density) {
        (p == masked_path::mask ? paths.mask : paths.row)(zero, density);
    };

    if (!model_mask_ && !model_row_) { // mode sparse (or no dense path to switch to)
        c.path = !pd.sparse ? masked_path::mask : !pd.sparse_mask ? masked_path::row
                : d_src <= d_dd ? masked_path::mask : masked_path::row;
        c.note = "dispatch:sparse," + zeros;
        run_kernel(c.path, false, c.path == masked_path::mask ? d_src : d_dd);
        return c;
    }

    const std::pair<masked_path, crossover_model *> models[2] = {
            {masked_path::mask, model_mask_.get()}, {masked_path::row, model_row_.get()}};
    auto density_of = [&](masked_path p) { return p == masked_path::mask ? d_src : d_dd; };
    for (const auto &m : models) {
        if (!m.second || !m.second->try_begin_calibration()) continue;
        // As the unmasked dispatcher: a warm run, the faster of two runs on an all-zero operand
        // and of two dense runs, then the kernel on the real operand (its result is kept).
        try {
            const double d = density_of(m.first);
            run_kernel(m.first, false, d);
            const double t_zero = std::min(timed([&] { run_kernel(m.first, true, 0.0); }),
                    timed([&] { run_kernel(m.first, true, 0.0); }));
            const double t_dense = std::min(timed([&] { paths.dense(); }), timed([&] { paths.dense(); }));
            const double t_sparse = timed([&] { run_kernel(m.first, false, d); });
            m.second->calibrate(t_zero, d, t_sparse, t_dense);
        } catch (...) {
            m.second->abort_calibration();
            throw;
        }
        c.path = m.first;
        c.note = "dispatch:auto," + zeros + ",calibrated:" + m.second->str();
        return c;
    }
    // The kernel predicted faster (among the calibrated ones) competes with dense.
    masked_path best = masked_path::dense;
    crossover_model *bm = nullptr;
    double best_ms = 0;
    for (const auto &m : models) {
        if (!m.second) continue;
        if (!m.second->calibrated()) { // another thread is calibrating it right now
            c.path = m.first;
            run_kernel(m.first, false, density_of(m.first));
            c.note = "dispatch:auto," + zeros + ",calibrating elsewhere->sparse";
            return c;
        }
        const double ms = m.second->predict_sparse(density_of(m.first));
        if (!bm || ms < best_ms) {
            best = m.first;
            bm = m.second;
            best_ms = ms;
        }
    }
    const double pred_dense = bm->predict_dense();
    if (bm->decide(density_of(best))) {
        c.path = best;
        const double t = timed([&] { run_kernel(best, false, density_of(best)); });
        bm->observe_sparse(density_of(best), t);
    } else {
        c.path = masked_path::dense;
        const double t = timed([&] { paths.dense(); });
        for (const auto &m : models)
            if (m.second) m.second->observe_dense(t);
    }
    c.note = "dispatch:auto," + zeros + ",predicted " + (best == masked_path::mask ? "mask " : "row ")
            + fmt("%.3f ms dense %.3f ms", best_ms, pred_dense) + "->"
            + (c.path == masked_path::mask ? "mask" : c.path == masked_path::row ? "row" : "dense");
    return c;
}

} // namespace detail
} // namespace sparsetrain
