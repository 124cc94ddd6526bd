// dispatch_mode::deterministic: the path of each execute is a pure function of the problem
// and the sampled sparsity of its operand (a threshold fixed at creation by the static cost
// model), so two runs of a program give identical bits; automatic dispatch chooses from
// timings and may not.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include <omp.h>

#include "api/conv_pd_impl.hpp"
#include "dispatch/crossover_model.hpp"
#include "dispatch/exec_choice.hpp"
#include "dispatch/static_crossover.hpp"
#include "util/env_guard.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"
#include "util/test_layouts.hpp"
#include "util/fake_sparse.hpp"

using namespace sparsetrain;
using namespace sparsetrain::detail;

namespace {

test::conv_data random_floats(const problem_t &p, uint64_t seed, double sparsity) {
    test::conv_data d = test::make_conv_data(p, seed, 0.0);
    std::mt19937_64 g(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (auto *v : {&d.src, &d.weights, &d.bias, &d.diff_dst})
        for (auto &x : *v) x = u(g);
    test::sparsify(d.src, seed + 1, sparsity);
    test::sparsify(d.diff_dst, seed + 2, sparsity);
    return d;
}

} // namespace

TEST_CASE("static crossover model: thresholds in [0, 1], lower where each non-zero feeds more FMAs", "[dispatch]") {
    for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(d));
        const double t3 = static_crossover_sparsity(d, problem_t::parse("mb16ic256ih28oc256oh28kh3ph1"));
        const double t1 = static_crossover_sparsity(d, problem_t::parse("mb16ic256ih56oc64oh56kh1ph0"));
        CHECK(t3 >= 0.0);
        CHECK(t1 <= 1.0);
        CHECK(t3 < t1); // 1x1 to 64 channels: few FMAs per non-zero, the overhead weighs more
    }
}

TEST_CASE("dispatcher, deterministic mode: one path per execute, from the sample and the fixed threshold", "[dispatch]") {
    // An automatic model for the same problem that says "always dense" is not consulted.
    auto pd = test::fake_sparse_pd(direction::fwd, "mb2ic16ih8oc16oh8kh3ph1", dispatch_mode::automatic);
    crossover_model_for(crossover_key(pd, omp_get_max_threads()))->calibrate(1.0, 0.5, 100.0, 1.0);
    pd.mode = dispatch_mode::deterministic;
    dispatcher d(pd);
    CHECK_FALSE(d.model());
    const double th = d.threshold();
    CHECK(th == static_crossover_sparsity(pd.dir, pd.prob));
    REQUIRE(th > 0.0);
    REQUIRE(th < 1.0);

    std::vector<float> data(2 * 16 * 8 * 8, 1.f);
    conv_memories m;
    m.src = dnnl::memory(dnnl::memory::desc({2, 16, 8, 8}, dnnl::memory::data_type::f32,
                                 dnnl::memory::format_tag::nChw16c),
            test::cpu_engine(), data.data());
    // Paths timed wildly differently (the sparse one 20x slower): no effect on the choice.
    std::vector<std::string> calls;
    exec_paths paths;
    paths.sparse = [&](double) {
        calls.push_back("sparse");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    };
    paths.dense = [&] {
        calls.push_back("dense");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    paths.reference = [] {};
    auto set_zeros = [&](double share) { // exactly `share` of the elements zero
        const size_t nz = (size_t)(share * (double)data.size() + 0.5);
        for (size_t i = 0; i < data.size(); ++i) data[i] = i < nz ? 0.f : 1.f;
    };
    for (int rep = 0; rep < 2; ++rep) {
        set_zeros(std::min(1.0, th + 0.02));
        calls.clear();
        auto c = d.run(pd, m, paths);
        CHECK(calls == std::vector<std::string> {"sparse"}); // no calibration, no exploration
        CHECK(c.path == impl_kind::sparse_jit);
        CHECK(c.note.find("deterministic") != std::string::npos);
        set_zeros(std::max(0.0, th - 0.02));
        calls.clear();
        c = d.run(pd, m, paths);
        CHECK(calls == std::vector<std::string> {"dense"});
    }
}

TEST_CASE("deterministic mode: fresh primitives give identical bits, on the path the threshold says", "[dispatch]") {
    dispatch_options det;
    det.mode = dispatch_mode::deterministic;
    for (const char *ps : {"mb2ic32ih10oc32oh10kh3ph1", "mb2ic64ih7oc32oh7kh1ph0"}) {
        const auto p = problem_t::parse(ps);
        for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
            const double th = static_crossover_sparsity(dir, p);
            for (double s : {std::max(0.0, th - 0.15), std::min(1.0, th + 0.15)}) {
                const auto d = random_floats(p, 5, s);
                const auto a = test::run_against_reference(p, dir, d, dir != direction::bwd_d, det);
                const auto b = test::run_against_reference(p, dir, d, dir != direction::bwd_d, det);
                INFO(ps << " " << to_string(dir) << " sparsity " << s << " threshold " << th << " impl " << a.impl);
                REQUIRE(a.ours.size() == b.ours.size());
                CHECK(std::memcmp(a.ours.data(), b.ours.data(), a.ours.size() * sizeof(float)) == 0);
                CHECK(a.stats.sparse_runs + a.stats.dense_runs == 1);
                CHECK(a.stats.sparse_runs == b.stats.sparse_runs);
                if (a.impl.rfind("sparse", 0) == 0)
                    CHECK(a.stats.sparse_runs == (a.stats.last_zero_fraction >= th ? 1u : 0u));
                CHECK(test::compare(a.ours, a.ref, 1e-4).ok);
            }
        }
    }
}

TEST_CASE("SPARSETRAIN_DISPATCH=deterministic selects the mode", "[dispatch]") {
    using tag = dnnl::memory::format_tag;
    const auto fd = test::fwd_desc(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), tag::any, tag::any, tag::any);
    test::env_guard g("SPARSETRAIN_DISPATCH", "deterministic");
    sparsetrain::convolution_forward::primitive_desc pd(fd, test::cpu_engine());
    CHECK(pd.impl()->mode == dispatch_mode::deterministic);
    test::env_guard bad("SPARSETRAIN_DISPATCH", "reproducible");
    CHECK_THROWS_WITH(sparsetrain::convolution_forward::primitive_desc(fd, test::cpu_engine()),
            Catch::Contains("deterministic"));
}
