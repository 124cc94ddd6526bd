// Runs one problem through sparsetrain's primitive and through the naive reference, from
// the same plain data; results in plain layouts.
#pragma once

#include <string>
#include <vector>

#include "common/problem.hpp"
#include "sparsetrain/convolution.hpp"
#include "util/conv_runner.hpp"

namespace sparsetrain {
namespace test {

struct ref_results {
    std::vector<float> ours, ref, ours_bias, ref_bias;
    std::string impl;
    // Our outputs live in buffers pre-filled with NaN (an element the primitive leaves
    // unwritten fails the comparison) between guard regions that must stay intact.
    bool guards_ok = true;
    dispatch_stats stats; // the paths our primitive's execute took
};

ref_results run_against_reference(const problem_t &p, direction dir, const conv_data &d, bool with_bias,
        const dispatch_options &dispatch = {});

} // namespace test
} // namespace sparsetrain
