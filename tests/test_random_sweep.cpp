// Randomized correctness sweep, the way benchdnn tests oneDNN: seeded random problems in all
// three directions through the public API, each compared with the naive reference on
// small-integer data (exact in fp32, so the comparison is exact), in both activation layouts
// (format_tag::any, i.e. nChw16c, and nhwc; outputs pre-filled with NaN).
//   SPARSETRAIN_SWEEP_COUNT   problems per run (default 540: 180 per direction)
//   SPARSETRAIN_SWEEP_SEED    seed (default: fixed; printed so that a failure can be replayed)
//   SPARSETRAIN_SWEEP_MFLOP   cap on a problem's size in MFLOP (default 24)
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

#include "common/env.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

// Random problem: channels multiple of 16 in [16, 512], spatial 1..64 (non-square), kernel
// 1x1 or 3x3 (mostly) or 2x2 / 5x5, stride 1/2, padding 0..k-1 (the right padding follows,
// often asymmetric), mb 1..32, under a FLOP cap.
problem_t random_problem(std::mt19937_64 &g, double max_flops) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); };
    for (;;) {
        problem_t p;
        p.mb = pick(1, 32);
        p.ic = 16 * pick(1, 32);
        p.oc = 16 * pick(1, 32);
        const int kc = pick(0, 9);
        p.kh = p.kw = kc < 5 ? 3 : kc < 9 ? 1 : (pick(0, 1) ? 2 : 5);
        p.sh = p.sw = pick(0, 2) == 0 ? 2 : 1;
        p.ih = pick(1, 64);
        p.iw = pick(0, 3) == 0 ? p.ih : pick(1, 64);
        // Mostly the paddings the sparse kernels serve (k/2), sometimes any in [0, k-1].
        p.ph = pick(0, 3) ? p.kh / 2 : pick(0, (int)p.kh - 1);
        p.pw = pick(0, 3) ? p.kw / 2 : pick(0, (int)p.kw - 1);
        p.oh = (p.ih - p.kh + 2 * p.ph) / p.sh + 1;
        p.ow = (p.iw - p.kw + 2 * p.pw) / p.sw + 1;
        if (p.oh <= 0 || p.ow <= 0) continue;
        p.ph_r = (p.oh - 1) * p.sh - p.ih + p.kh - p.ph;
        p.pw_r = (p.ow - 1) * p.sw - p.iw + p.kw - p.pw;
        if (p.flops() > max_flops) continue;
        p.validate();
        return p;
    }
}

} // namespace

TEST_CASE("randomized sweep against the reference", "[sweep]") {
    const long count = env::get_int("SPARSETRAIN_SWEEP_COUNT", 540);
    const long seed = env::get_int("SPARSETRAIN_SWEEP_SEED", 20261126);
    const double max_flops = 1e6 * (double)env::get_int("SPARSETRAIN_SWEEP_MFLOP", 24);
    std::printf("random sweep: %ld problems, seed %ld (SPARSETRAIN_SWEEP_SEED), cap %.0f MFLOP\n", count, seed,
            max_flops / 1e6);
    std::mt19937_64 g((uint64_t)seed);
    long n_sparse = 0, n_run = 0;
    for (long i = 0; i < count; ++i) {
        const problem_t p = random_problem(g, max_flops);
        const direction dir = (direction)(i % 3);
        const double sparsity = std::uniform_real_distribution<double>(0.0, 1.0)(g);
        const bool bias = dir != direction::bwd_d && (g() & 1);
        const auto d = test::make_conv_data(p, (uint64_t)seed + i, sparsity);
        INFO("problem " << i << ": " << p.to_string() << " " << to_string(dir) << " sparsity " << sparsity
                        << " bias " << bias << " (seed " << seed << ")");
        // nhwc runs forced sparse (the default automatic mode also keeps its first execute's
        // sparse result; forcing spares oneDNN's dense calibration run).
        for (auto act : {dnnl::memory::format_tag::any, dnnl::memory::format_tag::nhwc}) {
            const bool nhwc = act == dnnl::memory::format_tag::nhwc;
            INFO("activations " << (nhwc ? "nhwc, forced sparse" : "any"));
            dispatch_options dispatch;
            if (nhwc) dispatch.mode = dispatch_mode::sparse;
            const auto r = test::run_against_reference(p, dir, d, bias, dispatch, act);
            INFO("impl " << r.impl);
            const auto c = test::compare(r.ours, r.ref, 0);
            INFO(c.summary());
            CHECK(c.ok);
            if (dir == direction::bwd_w && bias) CHECK(test::compare(r.ours_bias, r.ref_bias, 0).ok);
            n_sparse += r.impl.rfind("sparse", 0) == 0;
            ++n_run;
        }
    }
    std::printf("random sweep: %ld problem runs (both layouts), %ld on a sparse kernel\n", n_run, n_sparse);
    CHECK(n_run == 2 * count);
}
