// Scaffolding shared by the row-pass kernel tests (forward: util/fwd_harness, backward data:
// test_sparse_bwd_d.cpp): test data with forced all-zero and all-dense pixels, a guarded,
// NaN-prefilled output, the exact and within-tolerance checks, the shape sweeps both tests run,
// and planning with hints for two threads.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {
namespace test {

// In the plain (nchw) tensor `v` of mb x c x hw: about hw / 5 pixels per image set all zero or
// all non-zero (small integers) across every channel, so that empty and full 16-lane vectors
// always occur. Seeded.
void force_pixels(std::vector<float> &v, int64_t mb, int64_t c, int64_t hw, uint64_t seed);

// The sparse operand of a row-pass kernel test, plain mb x c x hw: small integers in [-3, 3]
// (every sum exact in fp32 in any order) with a `sparsity` share of zeros and, where
// 0 < sparsity < 1, forced all-zero and all-dense pixels (force_pixels, seed + 3).
std::vector<float> sparse_operand(int64_t mb, int64_t c, int64_t hw, double sparsity, uint64_t seed);
// Plain (oihw) weights of `p`: small integers in [-2, 2].
std::vector<float> small_int_weights(const problem_t &p, uint64_t seed);

// Runs `run(out)` on an output of n floats pre-filled with NaN (an unwritten element fails
// the comparison) between guard regions; CHECKs the guards; returns the n floats.
std::vector<float> run_guarded(size_t n, const std::function<void(float *)> &run);

// Runs `impl` on the inputs set in `t`, its output `t.*out` a guarded buffer (run_guarded) of
// the plain dims `dims` in the activation layout `act`; returns the output in plain nchw.
std::vector<float> run_sparse_plain(const sparse_conv &impl, conv_tensors t, float *conv_tensors::*out,
        const dnnl::memory::dims &dims, dnnl::memory::format_tag act);

// Some element is non-zero.
bool not_trivial(const std::vector<float> &v);

// The exact check of one planned implementation: with expect_pairs its configuration must
// have the image-pair variant; run() at 1 and 2 OpenMP threads must equal `ref` and `dnn` bit
// for bit and, where expect_nonzero, not be all zero. `what` names the case in the messages.
void check_exact_threads(const sparse_conv &impl, const std::function<std::vector<float>()> &run,
        const std::vector<float> &ref, const std::vector<float> &dnn, bool expect_pairs, bool expect_nonzero,
        const std::string &what);

// The within-tolerance check of `got` against the reference `ref` and oneDNN `dnn`; `what`
// names the case in the message.
void check_within(const std::vector<float> &got, const std::vector<float> &ref, const std::vector<float> &dnn,
        double tol, const std::string &what);

// A shape sweep of the row-pass kernel tests: every shape at every sparsity.
struct shape_sweep {
    std::vector<std::string> shapes;
    std::vector<double> sparsities;
};
// The shape sweeps both row-pass kernel tests run, in forward terms: ic is the reduction's
// channel count, oc the output's. The backward-data test runs each shape with ic and oc
// swapped (swap_channels), so that both kernels see the same reduction and output widths.
const shape_sweep &sweep_3x3_stride1();
const shape_sweep &sweep_3x3_stride2();
const shape_sweep &sweep_1x1();                // stride 1 and 2
const shape_sweep &sweep_other_kernels();      // 1x3, 3x1, 2x2, 5x5, no padding, mixed strides
// The problem `ps` with its input and output channel counts swapped.
std::string swap_channels(const std::string &ps);

// Shapes the row-pass planners accept at their limits: kernels 4..7, strides 3 and 4,
// TensorFlow SAME padding (pad_r > pad_l), one row or column, a 1x1 output.
const std::vector<const char *> &planner_limit_shapes();

// The pair-variant choice of a row-pass configuration `cfg` planned for a 3x3 layer of
// several images without hints: the cost model gives it a pair variant, taken for dense
// enough operands, and the planning sparsity decides without a density hint.
template <class Config>
void check_pair_choice(const Config &cfg) {
    REQUIRE(cfg.pairs.acc_sets > 0);
    CHECK(cfg.pairs.min_density > 0.0);
    CHECK(cfg.pairs.min_density < 1.0);
    CHECK(cfg.pair_ib >= 2);
    CHECK(cfg.use_pairs(1.0));
    CHECK(!cfg.use_pairs(0.0));
    CHECK(cfg.use_pairs(cfg.pairs.min_density));
    CHECK(cfg.use_pairs(-1) == (1.0 - cfg.planning_sparsity >= cfg.pairs.min_density));
}

// Plans the 3x3 layer `p` of several images twice: without hints the configuration must have
// the pair choice (check_pair_choice), with the hint "pairs=0" no pairs. Returns the second.
template <class Config, class Hints, class Plan>
Config check_pair_planning(const problem_t &p, const sparse_conv_options &o, Plan plan) {
    std::string why;
    Config cfg;
    REQUIRE(plan(p, o, cfg, why, Hints()));
    check_pair_choice(cfg);
    Config none;
    REQUIRE(plan(p, o, none, why, Hints::parse("pairs=0")));
    CHECK(!none.use_pairs(1.0));
    return none;
}

// Plans `p` with the planner's text hints for two threads (REQUIREs that it accepts) and
// creates the implementation from the configuration.
template <class Config, class Hints, class Plan, class Make>
std::unique_ptr<sparse_conv> plan_for_test(const problem_t &p, const sparse_conv_options &o, const std::string &hints,
        Plan plan, Make make) {
    Config cfg;
    std::string why;
    auto h = Hints::parse(hints);
    h.threads = 2;
    const bool ok = plan(p, o, cfg, why, h);
    INFO(why);
    REQUIRE(ok);
    return make(cfg);
}

} // namespace test
} // namespace sparsetrain
