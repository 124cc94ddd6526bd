// The README's claim that the sparse kernels' results do not depend on the thread count,
// checked bitwise with random floats (where any change of summation order shows in the last
// bits): each primitive is created and executed at 1, 2 and 3 OpenMP threads, the sparse
// path forced, at a sparsity that runs the paired-image variants and one that runs single
// lists.
#include <catch2/catch.hpp>

#include <omp.h>

#include <cstring>
#include <random>

#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

test::conv_data random_float_data(const problem_t &p, uint64_t seed, double sparsity) {
    test::conv_data d = test::make_conv_data(p, seed, 0.0);
    std::mt19937_64 g(seed);
    std::uniform_real_distribution<float> act(0.f, 2.f), w(-0.1f, 0.1f), grad(-1.f, 1.f);
    for (auto &x : d.src) x = act(g);
    for (auto &x : d.weights) x = w(g);
    for (auto &x : d.bias) x = w(g);
    for (auto &x : d.diff_dst) x = grad(g);
    test::sparsify(d.src, seed + 1, sparsity);
    test::sparsify(d.diff_dst, seed + 2, sparsity);
    return d;
}

bool bitwise_equal(const std::vector<float> &a, const std::vector<float> &b) {
    // Empty vectors (no bias) are equal; memcmp must not get their null data pointers.
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

} // namespace

TEST_CASE("sparse results are bitwise independent of the thread count (random floats)", "[threads]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    dispatch_options sparse;
    sparse.mode = dispatch_mode::sparse;
    const int saved = omp_get_max_threads();
    // Odd image counts (a unit's last image runs single lists beside the pairs), 3x3 stride 1
    // and 2, 1x1 (inline compaction), several channel blocks for the bwd_w channel split.
    for (const char *ps : {"mb3ic64ih14oc64oh14kh3ph1", "mb5ic32ih11oc48oh6kh3sh2ph1", "mb3ic128ih9oc64oh9kh1ph0",
                 "mb4ic96ih10iw7oc32oh10ow7kh3ph1", "mb1ic64ih28oc32oh28kh3ph1", "mb7ic32ih7oc32oh7kh3ph1"}) {
        const auto p = problem_t::parse(ps);
        for (double sparsity : {0.3, 0.8})
            for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
                const auto d = random_float_data(p, 77, sparsity);
                std::vector<float> first, first_bias;
                for (int threads : {1, 2, 3}) {
                    omp_set_num_threads(threads);
                    const auto r = test::run_against_reference(p, dir, d, dir != direction::bwd_d, sparse);
                    INFO(ps << " " << to_string(dir) << " sparsity " << sparsity << " threads " << threads << " impl "
                            << r.impl);
                    REQUIRE(r.stats.sparse_runs == 1);
                    // Close to the reference (a sanity check: signed data cancel, so the
                    // tolerance is loose; the point of the test is the bitwise comparison).
                    CHECK(test::compare(r.ours, r.ref, 1e-4).ok);
                    if (threads == 1) {
                        first = r.ours;
                        first_bias = r.ours_bias;
                    } else {
                        CHECK(bitwise_equal(r.ours, first));
                        CHECK(bitwise_equal(r.ours_bias, first_bias));
                    }
                }
            }
    }
    omp_set_num_threads(saved);
}
