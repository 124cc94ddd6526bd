#include "dispatch/sparsity_probe.hpp"

#include <algorithm>

namespace sparsetrain {
namespace detail {

sparsity_estimate probe_zeros(const float *data, size_t n, size_t lines) {
    sparsity_estimate e;
    if (!data || n == 0) return e;
    const size_t total_lines = n / 16;
    size_t zeros = 0;
    if (total_lines <= lines) { // small tensor: count everything
        for (size_t i = 0; i < n; ++i) zeros += (data[i] == 0.f);
        e.sampled = n;
    } else {
        // Evenly spaced lines, each shifted by a varying offset inside its stride so that the
        // samples do not always hit the same channel block or image row start.
        const size_t step = total_lines / lines;
        for (size_t l = 0; l < lines; ++l) {
            const float *p = data + ((l * step + (l * 7) % step) * 16);
            for (int j = 0; j < 16; ++j) zeros += (p[j] == 0.f);
        }
        e.sampled = lines * 16;
    }
    e.zero_fraction = (double)zeros / (double)e.sampled;
    return e;
}

} // namespace detail
} // namespace sparsetrain
