// The problem mode's loop: every given problem in every requested direction, one table row
// each; a problem that cannot be run (bad string, no implementation, an error while running)
// becomes an error row with its reason and the others still run.
#pragma once

#include <ostream>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/problem_bench.hpp"
#include "bench/progress.hpp"

namespace sparsetrain {
namespace bench {

struct problem_list_result {
    std::vector<measurement> measured;
    int errors = 0;        // error rows printed
    bool all_ok = true;    // every measured output matched oneDNN's
};

problem_list_result run_problem_list(const std::vector<problem_entry> &entries, const options &o, progress &prog,
        std::ostream &table);

} // namespace bench
} // namespace sparsetrain
