// The forward kernel test harness shared by the test_sparse_fwd*.cpp files: a case (problem,
// layouts, small-integer data with forced all-zero and all-dense pixels), the sparse driver run
// on guarded, NaN-prefilled dst, oneDNN dense on the very same buffers, the naive reference,
// and the exact comparison of the three for 1 and 2 threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"
#include "util/sparse_run.hpp"

namespace sparsetrain {
namespace test {
namespace fwd {

struct fwd_case {
    problem_t p;
    act_format act = act_format::nChw16c;           // src and dst
    weights_layout wl = weights_layout::OIhw16i16o;
    bool bias = false, relu = false;
    std::vector<float> src, wei, b; // plain nchw / oihw / x
};

// Small-integer data: every sum is exact in fp32 in any order; some pixels forced all zero and
// some fully dense so that empty and full 16-lane vectors always occur. Layout nChw16c.
fwd_case make_case(const std::string &ps, double sparsity, uint64_t seed, bool bias, bool relu);
// The case in layout `act`, with the weights oneDNN picks for it.
fwd_case in_layout(fwd_case c, act_format act);

std::vector<float> blocked_src(const fwd_case &c); // src in the case's layout
std::vector<float> blocked_wei(const fwd_case &c); // weights in the case's layout

// The sparse driver on guarded dst pre-filled with NaN (guards checked); plain dst.
std::vector<float> run_sparse(const sparse_conv &impl, const fwd_case &c, const std::vector<float> &src_b,
        const std::vector<float> &wei_b, double density_hint = -1);
std::vector<float> run_reference(const fwd_case &c);
// oneDNN dense on the same buffers (plain dst).
std::vector<float> run_onednn(const fwd_case &c, const std::vector<float> &src_b, const std::vector<float> &wei_b);
// The planned (hints, 2 threads) implementation; REQUIREs that the planner accepts.
std::unique_ptr<sparse_conv> make(const fwd_case &c, const std::string &hints = "");
using test::not_trivial;

// Exact comparison of one case against both the reference and oneDNN, for 1 and 2 threads.
// With expect_pairs the plan must have the image-pair variant.
void check_case(const fwd_case &c, double s, const std::string &hints, bool expect_pairs, double density_hint);
// check_case in both activation layouts (nhwc with oneDNN's weights pick) at each sparsity.
void check_exact(const std::string &ps, const std::vector<double> &sparsities, bool bias, bool relu,
        const std::string &hints = "", bool expect_pairs = false, double density_hint = -1);

} // namespace fwd
} // namespace test
} // namespace sparsetrain
