// Randomized correctness sweep, the way benchdnn tests oneDNN: seeded random problems in all
// three directions through the public API, each compared with the naive reference on
// small-integer data (exact in fp32, so the comparison is exact), in both activation layouts
// (format_tag::any, i.e. nChw16c, and nhwc).
// The sparse path is forced and outputs are pre-filled with NaN between guard regions, so a
// kernel that leaves an element unwritten fails; each execute must have run the path named by
// the implementation.
//   SPARSETRAIN_SWEEP_COUNT   problems per run (default 540: 180 per direction)
//   SPARSETRAIN_SWEEP_SEED    seed (default: fixed; printed so that a failure can be replayed)
//   SPARSETRAIN_SWEEP_MFLOP   cap on a problem's size in MFLOP (default 24)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <random>

#include "common/env.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

// Random problem: channels multiple of 16 in [16, 512], spatial 1..64 (non-square, sometimes
// a single row or column), kernel 1x1 or 3x3 (mostly) or 2x2 / 5x5 or 4..7 (square or not),
// stride 1/2 (sometimes 3/4), padding k/2 (mostly), any in [0, k-1] (the right padding
// follows, often asymmetric) or TensorFlow's SAME (right padding >= left: stride 2 on an even
// size gives pad_l 0, pad_r 1), sometimes a 1x1 output, mb 1..32, under a FLOP cap.
problem_t random_problem(std::mt19937_64 &g, double max_flops) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); };
    for (;;) {
        problem_t p;
        p.mb = pick(1, 32);
        p.ic = 16 * pick(1, 32);
        p.oc = 16 * pick(1, 32);
        const int kc = pick(0, 11);
        p.kh = p.kw = kc < 5 ? 3 : kc < 9 ? 1 : kc < 10 ? (pick(0, 1) ? 2 : 5) : pick(4, 7);
        if (kc == 11) p.kw = pick(1, 7);
        const int sc = pick(0, 11);
        p.sh = p.sw = sc < 3 ? 2 : sc < 4 ? pick(3, 4) : 1;
        p.ih = pick(0, 9) == 0 ? 1 : pick(1, 64);
        p.iw = pick(0, 9) == 0 ? 1 : pick(0, 3) == 0 ? p.ih : pick(1, 64);
        if (pick(0, 19) == 0) { // the kernel covers the (padded) input once: a 1x1 output
            p.ih = std::max<int64_t>(1, p.kh - pick(0, 1));
            p.iw = std::max<int64_t>(1, p.kw - pick(0, 1));
        }
        const int pc = pick(0, 5);
        if (pc == 0) { // TensorFlow SAME: o = ceil(i / s), the odd padding on the right/bottom
            auto same = [](int64_t i, int64_t k, int64_t s, int64_t &o, int64_t &pl, int64_t &pr) {
                o = (i + s - 1) / s;
                const int64_t total = std::max<int64_t>(0, (o - 1) * s + k - i);
                pl = total / 2;
                pr = total - pl;
            };
            same(p.ih, p.kh, p.sh, p.oh, p.ph, p.ph_r);
            same(p.iw, p.kw, p.sw, p.ow, p.pw, p.pw_r);
        } else {
            // Mostly the paddings the sparse kernels serve (k/2), sometimes any in [0, k-1].
            p.ph = pc > 1 ? p.kh / 2 : pick(0, (int)p.kh - 1);
            p.pw = pc > 1 ? p.kw / 2 : pick(0, (int)p.kw - 1);
            p.oh = (p.ih - p.kh + 2 * p.ph) / p.sh + 1;
            p.ow = (p.iw - p.kw + 2 * p.pw) / p.sw + 1;
            if (p.oh <= 0 || p.ow <= 0) continue;
            p.ph_r = (p.oh - 1) * p.sh - p.ih + p.kh - p.ph;
            p.pw_r = (p.ow - 1) * p.sw - p.iw + p.kw - p.pw;
        }
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
    dispatch_options forced_sparse;
    forced_sparse.mode = dispatch_mode::sparse;
    for (long i = 0; i < count; ++i) {
        const problem_t p = random_problem(g, max_flops);
        const direction dir = (direction)(i % 3);
        const double sparsity = std::uniform_real_distribution<double>(0.0, 1.0)(g);
        const bool bias = dir != direction::bwd_d && (g() & 1);
        const auto d = test::make_conv_data(p, (uint64_t)seed + i, sparsity);
        INFO("problem " << i << ": " << p.to_string() << " " << to_string(dir) << " sparsity " << sparsity
                        << " bias " << bias << " (seed " << seed << ")");
        for (auto act : {dnnl::memory::format_tag::any, dnnl::memory::format_tag::nhwc}) {
            INFO("activations " << (act == dnnl::memory::format_tag::nhwc ? "nhwc" : "any"));
            // The sparse path forced: no dense run writes the outputs first, so an element a
            // sparse kernel leaves unwritten stays NaN and fails the comparison.
            const auto r = test::run_against_reference(p, dir, d, bias, forced_sparse, act);
            INFO("impl " << r.impl);
            const auto c = test::compare(r.ours, r.ref, 0);
            INFO(c.summary());
            CHECK(c.ok);
            CHECK(r.guards_ok);
            if (dir == direction::bwd_w && bias) CHECK(test::compare(r.ours_bias, r.ref_bias, 0).ok);
            const bool sparse = r.impl.rfind("sparse", 0) == 0;
            // Exactly one execute, on the path the implementation name says.
            CHECK(r.stats.sparse_runs == (sparse ? 1u : 0u));
            CHECK(r.stats.dense_runs == (sparse ? 0u : 1u));
            n_sparse += sparse;
            ++n_run;
        }
    }
    std::printf("random sweep: %ld problem runs (both layouts), %ld on a sparse kernel\n", n_run, n_sparse);
    CHECK(n_run == 2 * count);
    if (max_isa() >= cpu_isa::avx512_core) CHECK(n_sparse * 2 > n_run); // the sweep tests the sparse kernels
}
