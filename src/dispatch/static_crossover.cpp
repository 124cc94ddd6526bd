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

} // namespace

double static_crossover_sparsity(direction dir, const problem_t &p) {
    const double taps = (double)(p.kh * p.kw);
    const double F = dir == direction::bwd_d ? (double)p.ic / 16.0 * taps
                                             : (double)p.oc / 16.0 * taps / (double)(p.sh * p.sw);
    const fit &f = fits[(int)dir];
    return std::clamp(f.a - f.b * std::log(std::max(F, 1e-3)), 0.0, 1.0);
}

} // namespace detail
} // namespace sparsetrain
