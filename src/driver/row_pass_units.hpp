// The parallel loop of the row-pass drivers (forward, backward-data): work units of `ib`
// images x `rb` output rows, dealt dynamically to the OpenMP team (units differ in cost with
// their sparsity), each thread under the call's denormal mode (common/denormal_guard.hpp); the
// call's variant choice around it, and the planning of an implementation with developer hints.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "common/denormal_guard.hpp"
#include "common/env.hpp"
#include "config/row_pass_plan.hpp"
#include "driver/sparse_conv.hpp"

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

// One call of a row-pass driver: the variant from the call's density hint, its work units
// over `rows` output rows (pairs: at least two images), run_unit(n0, n1, r0, r1, variant).
template <class RunUnit>
void run_row_pass_units(const row_pass_plan &c, int64_t mb, int64_t rows, const conv_tensors &t, const RunUnit &run_unit) {
    const row_pass_variant v = c.choose_variant(t.density_hint);
    const bool pairs = v == row_pass_variant::pairs;
    const int64_t IB = pairs ? c.pair_ib : c.ib, RB = pairs ? c.pair_rb : c.rb;
    const int64_t n_hblk = pairs ? c.pair_n_hblk : c.n_hblk;
    for_each_row_pass_unit(mb, rows, IB, RB, n_hblk, t.flush_denormals,
            [&](int64_t n0, int64_t n1, int64_t r0, int64_t r1) { run_unit(n0, n1, r0, r1, v); });
}

// The developer override of a row-pass planner's blocking (its hints text in the environment
// variable `env_var`, e.g. SPARSETRAIN_FWD_PLAN), this process's OpenMP threads, the plan,
// and the implementation made from it; null with why_not when the planner declines.
template <class Config, class Hints, class Plan, class Make>
std::unique_ptr<sparse_conv> make_row_pass_conv(const problem_t &p, const sparse_conv_options &o, std::string &why_not,
        const char *env_var, const Plan &plan, const Make &make) {
    Hints h = Hints::parse(env::get_string(env_var, ""));
    h.threads = omp_get_max_threads();
    Config c;
    if (!plan(p, o, c, why_not, h)) return nullptr;
    return make(c);
}

} // namespace sparsetrain
