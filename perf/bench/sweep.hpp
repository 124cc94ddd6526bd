// Speedup against sparsity for one problem and direction: sparsity 0, 0.05, ..., 0.95, beside
// the 1/(1-s) bound of skipping every zero for free. Three times per point: oneDNN dense,
// sparsetrain forced sparse (dispatch_mode::sparse) and sparsetrain's default dispatch
// (dispatch_mode::automatic), all from one problem_bench re-filled per point.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench/problem_bench.hpp"
#include "bench/progress.hpp"

namespace sparsetrain {
namespace bench {

std::vector<double> sweep_sparsities(); // 0, 0.05, ..., 0.95

struct sweep_point {
    measurement m; // m.ours[0]: forced sparse, m.ours[1]: automatic
    double sparse_ms() const { return m.ours[0].ms; }
    double auto_ms() const { return m.ours[1].ms; }
    double bound() const { return 1.0 / (1.0 - m.sparsity); }
    // automatic / min(dense, forced sparse): 1 when the automatic choice is the best path.
    double auto_vs_best() const;
};

struct sweep_result {
    problem_t prob;
    direction dir = direction::fwd;
    timing_options timing;
    std::vector<sweep_point> points;
};

sweep_result run_sweep(const problem_t &p, direction dir, const timing_options &t, progress &prog);

void print_sweep(std::ostream &os, const sweep_result &r);
// The per-problem CSV columns (csv_header(); sparse = forced sparse) followed by auto_ms,
// auto_speedup, bound, auto_vs_best, auto_ran, check.
std::string sweep_csv_header();
void write_sweep_csv(const std::string &path, const std::vector<sweep_result> &rs);
// {"sweeps": [{"problem", "name", "dir", ..., "points": [...]}]}
void write_sweep_json(const std::string &path, const std::vector<sweep_result> &rs);

} // namespace bench
} // namespace sparsetrain
