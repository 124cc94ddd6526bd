#include "dispatch/static_crossover.hpp"

#include <algorithm>

namespace sparsetrain {
namespace detail {

namespace {

struct fit {
    double a0, c, b;
};

// Per direction (fwd, bwd_d, bwd_w); see the header.
const fit fits[3] = {
        {0.05, 1.5, 1.2},
        {0.05, 1.5, 1.2},
        {0.05, 1.5, 1.2},
};

} // namespace

double static_crossover_sparsity(direction dir, const problem_t &p) {
    const double taps = (double)(p.kh * p.kw);
    const double F = dir == direction::bwd_d ? (double)p.ic / 16.0 * taps
                                             : (double)p.oc / 16.0 * taps / (double)(p.sh * p.sw);
    const fit &f = fits[(int)dir];
    const double a = f.a0 + f.c / std::max(F, 1e-3);
    const double max_density = (1.0 - a) / f.b;
    return std::clamp(1.0 - max_density, 0.0, 1.0);
}

} // namespace detail
} // namespace sparsetrain
