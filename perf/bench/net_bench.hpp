// Runs a network plan: one problem_bench per (shape, direction), re-filled for each of its
// sparsities, with a progress line on stderr.
#pragma once

#include <vector>

#include "bench/net_plan.hpp"
#include "bench/problem_bench.hpp"
#include "bench/progress.hpp"

namespace sparsetrain {
namespace bench {

struct net_result {
    net_plan plan;
    timing_options timing;
    int threads = 0;
    std::vector<measurement> results; // one per plan.tasks[i]
    net_totals totals;
};

net_result run_network(const net_plan &plan, const timing_options &t, progress &prog);

// The task that times occurrence `c` in direction `d`, or -1 when it is not run.
int task_of(const net_plan &plan, const conv_occurrence &c, direction d);

} // namespace bench
} // namespace sparsetrain
