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

// `act`: the activation tensors' format tag (any: sparsetrain's pick, nChw16c; nhwc); weights
// are format_tag::any. Outputs start as NaN.
ref_results run_against_reference(const problem_t &p, direction dir, const conv_data &d, bool with_bias,
        const dispatch_options &dispatch = {}, dnnl::memory::format_tag act = dnnl::memory::format_tag::any);

} // namespace test
} // namespace sparsetrain
