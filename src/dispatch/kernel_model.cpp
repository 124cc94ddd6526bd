#include "dispatch/kernel_model.hpp"

#include <algorithm>
#include <cstdio>

#include "common/denormal_guard.hpp"
#include "dispatch/sparsity_probe.hpp"

namespace sparsetrain {
namespace detail {

std::string note_fmt(const char *f, double a, double b, double c) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), f, a, b, c);
    return buf;
}

double probe_operand_zeros(const float *data, size_t n, bool flush_denormals) {
    denormal_guard g(flush_denormals);
    return probe_zeros(data, n).zero_fraction;
}

bool calibration_step(const kernel_model &k, double zeros, const timed_path &run, const char *kernel_name,
        const std::string &first_detail, std::string &note) {
    // Both times are provisional: the model confirms the one of the path it does not prefer by
    // one more run on a later execute. The first run also takes the first-touch costs of the
    // outputs.
    crossover_model &m = *k.model;
    const double density = 1.0 - zeros;
    const bool static_kernel = zeros >= k.threshold;
    auto name = [&](bool kernel) { return kernel ? kernel_name : "dense"; };
    if (!m.try_begin_calibration()) {
        run(static_kernel);
        note += std::string("elsewhere->") + name(static_kernel);
        return static_kernel;
    }
    bool first_kernel = false;
    double first_density = 0, first_ms = 0;
    const bool second = m.first_run(first_kernel, first_density, first_ms);
    const bool kernel = second ? !first_kernel : static_kernel;
    double t = 0;
    try {
        t = run(kernel);
    } catch (...) {
        m.abort_calibration();
        throw;
    }
    if (!second) {
        m.record_first_run(kernel, density, t);
        note += "1/2" + first_detail + ": " + name(kernel) + note_fmt(" %.3f ms", t);
        return kernel;
    }
    const double d_s = kernel ? density : first_density, t_s = kernel ? t : first_ms, t_d = kernel ? first_ms : t;
    const double t_zero = t_s * k.shape.a / (k.shape.a + k.shape.b * std::max(0.0, d_s));
    m.calibrate(t_zero, d_s, t_s, t_d, true);
    note += std::string("2/2: ") + name(kernel) + note_fmt(" %.3f ms", t) + ",model:" + m.str();
    return kernel;
}

bool decided_step(const kernel_model &k, double zeros, const timed_path &run, const char *kernel_name,
        const std::function<void(double ms)> &observe_dense, std::string &note) {
    crossover_model &m = *k.model;
    const double density = 1.0 - zeros;
    const double pred_k = m.predict_sparse(density), pred_d = m.predict_dense();
    const bool kernel = m.decide(density);
    const double t = run(kernel);
    if (kernel) m.observe_sparse(density, t);
    else observe_dense(t);
    note += std::string(",predicted ") + kernel_name + note_fmt(" %.3f ms dense %.3f ms", pred_k, pred_d) + "->"
            + (kernel ? kernel_name : "dense");
    return kernel;
}

} // namespace detail
} // namespace sparsetrain
