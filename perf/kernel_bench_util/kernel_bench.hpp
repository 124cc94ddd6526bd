// What the kernel micro-benchmarks (perf/kernel_bench_fwd.cpp, kernel_bench_bwd_d.cpp) share:
// buffers, the common options, planning a sparse implementation (and an optional second one),
// and the measurement of one problem: per sparsity, fill, check the sparse result against
// oneDNN's on the same buffers, then interleaved runs, medians and the same-run ratio.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <omp.h>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {
namespace kbench {

using clk = std::chrono::steady_clock;

struct aligned_vec {
    float *p = nullptr;
    size_t n = 0;
    explicit aligned_vec(size_t count);
    ~aligned_vec();
    aligned_vec(const aligned_vec &) = delete;
    aligned_vec &operator=(const aligned_vec &) = delete;
};

double ms_since(clk::time_point t0);
double median(std::vector<double> v);
std::vector<double> parse_list(const std::string &s); // "0,0.5,0.9"

// --mb= --reps= --sparsity= --plan= --plan2= --hint= --layout= and the problems.
struct options {
    int64_t mb = 16;
    int reps = 9;
    std::vector<double> sparsities = {0.0, 0.5, 0.7, 0.9};
    std::string plan, plan2, hint = "auto";
    act_format layout = act_format::nChw16c;
    std::vector<std::string> problems;
    // Takes `a` if it is one of the common options or a problem; false for another "--" option.
    bool parse(const std::string &a);
    // conv_tensors::density_hint for a fill of sparsity s: auto 1 - s, none -1, or the number.
    double density_hint(double s) const;
};

// Parses argv into `o`; an argument that is not a common option goes to `extra` (when given),
// which says whether it took it. Prints the first unknown option and returns false.
bool parse_args(int argc, char **argv, options &o, const std::function<bool(const std::string &)> &extra = {});

// The issue's four layers, the default problems of the row-pass benches.
std::vector<std::string> issue_layers();

// "threads ..., mb ..." and the column header.
void print_header(const options &o);

// Plans with `hints_text` (threads: this process's OpenMP threads) and creates the
// implementation; prints "declined" (with `label`) and returns null when the planner declines.
template <class Config, class Hints, class Plan, class Make>
std::unique_ptr<sparse_conv> plan_and_make(const problem_t &p, const sparse_conv_options &so, const std::string &hints_text,
        const char *label, Plan plan, Make make) {
    Config cfg;
    std::string why;
    Hints hints = Hints::parse(hints_text);
    hints.threads = omp_get_max_threads();
    if (!plan(p, so, cfg, why, hints)) {
        std::printf("%-34s %s: %s\n", p.to_string().c_str(), label, why.c_str());
        return nullptr;
    }
    return make(cfg);
}

// The implementation of --plan and, with --plan2, the second one, and their creation time.
struct sparse_impls {
    std::unique_ptr<sparse_conv> first, second;
    double create_ms = 0;
};

// Plans and creates --plan (and --plan2) of `o` for `p`; false (reported) where one declines.
template <class Config, class Hints, class Plan, class Make>
bool plan_impls(const problem_t &p, const sparse_conv_options &so, const options &o, Plan plan, Make make,
        sparse_impls &impls) {
    const auto t_plan = clk::now();
    impls.first = plan_and_make<Config, Hints>(p, so, o.plan, "declined", plan, make);
    if (!impls.first) return false;
    if (!o.plan2.empty() && !(impls.second = plan_and_make<Config, Hints>(p, so, o.plan2, "plan2 declined", plan, make)))
        return false;
    impls.create_ms = ms_since(t_plan);
    return true;
}

// Writes the sparse operand of a fill of sparsity s: each element zero with probability s,
// else drawn from `dist`.
template <class Dist>
void fill_sparse(aligned_vec &v, double s, std::mt19937_64 &gen, Dist &dist) {
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (size_t i = 0; i < v.n; ++i) v.p[i] = u01(gen) < s ? 0.f : dist(gen);
}

// One problem, every sparsity of `o`: fill(s) writes the sparse operand; run_dense runs oneDNN
// into out_dense; the implementations write out_sparse through `t`.
struct problem_run {
    const problem_t *p = nullptr;
    std::string dnnl_impl;
    const sparse_conv *sparse = nullptr, *sparse2 = nullptr; // sparse2 optional (--plan2)
    conv_tensors *t = nullptr;
    const aligned_vec *out_dense = nullptr, *out_sparse = nullptr;
    std::function<void(double)> fill;
    std::function<void()> run_dense;
    double create_ms = 0;
};
// The run of `impls` writing out_sparse through `t`, against oneDNN's `dnnl_impl` writing out_dense.
problem_run make_run(const problem_t &p, const std::string &dnnl_impl, const sparse_impls &impls, conv_tensors &t,
        const aligned_vec &out_dense, const aligned_vec &out_sparse);
void run_problem(const options &o, const problem_run &r);

} // namespace kbench
} // namespace sparsetrain
