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

#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {
namespace test {

// In the plain (nchw) tensor `v` of mb x c x hw: about hw / 5 pixels per image set all zero or
// all non-zero (small integers) across every channel, so that empty and full 16-lane vectors
// always occur. Seeded.
void force_pixels(std::vector<float> &v, int64_t mb, int64_t c, int64_t hw, uint64_t seed);

// Runs `run(out)` on an output of n floats pre-filled with NaN (an unwritten element fails
// the comparison) between guard regions; CHECKs the guards; returns the n floats.
std::vector<float> run_guarded(size_t n, const std::function<void(float *)> &run);

// Some element is non-zero.
bool not_trivial(const std::vector<float> &v);

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
