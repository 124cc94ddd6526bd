#include "dispatch/static_crossover.hpp"

#include <algorithm>
#include <cmath>

namespace sparsetrain {
namespace detail {

namespace {

struct fit {
    double a, b;
};

// Per direction (fwd, bwd_d, bwd_w); see the header. Measured crossovers (F: s*): fwd 144:
// ~0.02, 72: ~0.12, 16: ~0.45, 4: ~0.5; bwd_d 144: ~0.01, 72: ~0.12, 64: ~0.2, 16: ~0.3;
// bwd_w 144: ~0.04, 72: ~0.05, 16: ~0.6, 4: ~0.65.
const fit fits[3] = {{0.70, 0.135}, {0.66, 0.13}, {0.90, 0.17}};

// The 16-lane FMAs each non-zero of the exploited operand feeds.
double fmas_per_nonzero(direction dir, const problem_t &p) {
    const double taps = (double)(p.kh * p.kw);
    const double F = dir == direction::bwd_d ? (double)p.ic / 16.0 * taps
                                             : (double)p.oc / 16.0 * taps / (double)(p.sh * p.sw);
    return std::max(F, 1e-3);
}

} // namespace

double static_crossover_sparsity(direction dir, const problem_t &p) {
    const fit &f = fits[(int)dir];
    return std::clamp(f.a - f.b * std::log(fmas_per_nonzero(dir, p)), 0.0, 1.0);
}

static_cost_shape static_relative_cost(direction dir, const problem_t &p) {
    static_cost_shape s;
    s.a = std::clamp(0.2 + 0.4 / std::sqrt(fmas_per_nonzero(dir, p)), 0.05, 0.9);
    s.b = (1.0 - s.a) / std::max(0.05, 1.0 - static_crossover_sparsity(dir, p));
    return s;
}

} // namespace detail
} // namespace sparsetrain
