// Command line of sparsetrain-bench.
#pragma once

#include <string>
#include <vector>

#include "common/problem.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace bench {

struct options {
    std::vector<direction> dirs {direction::fwd, direction::bwd_d, direction::bwd_w};
    double sparsity = 0.7;
    bool mb_given = false;
    int64_t mb = 16;
    int threads = 0; // 0: all cores (OpenMP default)
    int reps = 10;
    int warmup = 2;
    std::string csv_path, json_path;
    std::vector<std::string> batch_files;
    std::vector<std::string> problems; // benchdnn strings from the command line
    dispatch_mode dispatch = dispatch_mode::from_env;
    bool check = true;
    bool help = false;
};

// Throws sparsetrain::error with the offending argument on bad input.
options parse_options(int argc, char **argv);
const char *usage();

// Problems from the command line and batch files, with --mb applied.
std::vector<problem_t> collect_problems(const options &o);

} // namespace bench
} // namespace sparsetrain
