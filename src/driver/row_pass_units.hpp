// The parallel loop of the row-pass drivers (forward, backward-data): work units of `ib`
// images x `rb` output rows, dealt dynamically to the OpenMP team (units differ in cost with
// their sparsity), each thread under the call's denormal mode (common/denormal_guard.hpp).
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/denormal_guard.hpp"

namespace sparsetrain {

// Calls fn(n0, n1, r0, r1) for images [n0, n1) x rows [r0, r1) of every unit; n_hblk row
// blocks per image.
template <class Fn>
void for_each_row_pass_unit(int64_t mb, int64_t rows, int64_t ib, int64_t rb, int64_t n_hblk, bool flush_denormals,
        const Fn &fn) {
    const int64_t units = (mb + ib - 1) / ib * n_hblk;
#pragma omp parallel
    {
        denormal_guard fp(flush_denormals);
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < units; ++u) {
            const int64_t n0 = u / n_hblk * ib, r0 = u % n_hblk * rb;
            fn(n0, std::min(mb, n0 + ib), r0, std::min(rows, r0 + rb));
        }
    }
}

} // namespace sparsetrain
