// Scaffolding shared by the row-pass kernel tests (forward: util/fwd_harness, backward data:
// test_sparse_bwd_d.cpp): test data with forced all-zero and all-dense pixels, a guarded,
// NaN-prefilled output, and planning with hints for two threads.
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
