#include "dispatch/exec_choice.hpp"

#include <omp.h>

#include <sstream>

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

std::string run_chosen_at_creation(impl_kind chosen, const std::function<void()> &dense,
        const std::function<void()> &reference) {
    if (chosen == impl_kind::reference) {
        reference();
        return "dispatch:reference";
    }
    dense();
    return "dispatch:dense";
}

dispatcher::dispatcher(const conv_pd_impl &pd) {
    if (pd.chosen != impl_kind::sparse_jit || !pd.has_dnnl) return;
    if (pd.mode != dispatch_mode::automatic && pd.mode != dispatch_mode::deterministic) return;
    k_.threshold = static_crossover_sparsity(pd.dir, pd.prob);
    if (pd.mode == dispatch_mode::automatic) {
        k_.model = crossover_model_for(crossover_key(pd, omp_get_max_threads()));
        k_.shape = static_relative_cost(pd.dir, pd.prob);
    }
}

exec_choice dispatcher::run(const conv_pd_impl &pd, const conv_memories &m, const exec_paths &paths) const {
    exec_choice c;
    if (pd.chosen != impl_kind::sparse_jit) {
        c.path = pd.chosen;
        c.note = run_chosen_at_creation(pd.chosen, paths.dense, paths.reference);
        return c;
    }
    const dnnl::memory &op = exploited_operand(pd, m);
    c.zero_fraction = probe_operand_zeros(static_cast<const float *>(op.get_data_handle()),
            op.get_desc().get_size() / sizeof(float), pd.flush_denormals);
    const double density = 1.0 - c.zero_fraction;
    const timed_path run = [&](bool sparse) {
        c.path = sparse ? impl_kind::sparse_jit : impl_kind::onednn;
        return timed([&] {
            if (sparse) paths.sparse(density); // the density picks the kernel variant
            else paths.dense();
        });
    };
    const std::string zeros = "zeros:" + note_fmt("%.3f", c.zero_fraction);

    if (!k_.model && k_.threshold >= 0) { // deterministic: a pure function of the problem and the sample
        const bool sparse = c.zero_fraction >= k_.threshold;
        c.note = "dispatch:deterministic," + zeros + ",threshold:" + note_fmt("%.3f", k_.threshold) + "->"
                + (sparse ? "sparse" : "dense");
        run(sparse);
        return c;
    }
    if (!k_.model) { // sparse chosen, mode sparse (or no dense primitive to switch to)
        c.note = "dispatch:sparse," + zeros;
        run(true);
        return c;
    }
    if (!k_.model->calibrated()) {
        c.note = "dispatch:auto," + zeros + ",calibration ";
        calibration_step(k_, c.zero_fraction, run, "sparse", " (static threshold " + note_fmt("%.3f", k_.threshold) + ")",
                c.note);
        return c;
    }
    c.note = "dispatch:auto," + zeros;
    decided_step(k_, c.zero_fraction, run, "sparse", [&](double t) { k_.model->observe_dense(t); }, c.note);
    return c;
}

} // namespace detail
} // namespace sparsetrain
