// Sparse forward convolution against the naive reference and oneDNN dense, on the very
// buffers oneDNN uses (nChw16c / OIhw16i16o, and nhwc with oneDNN's own weights pick), with
// guard regions around dst and dst pre-filled with NaN (harness: util/fwd_harness).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "config/fwd_config.hpp"
#include "driver/fwd_conv.hpp"
#include "jit/kernel_cache.hpp"
#include "util/fwd_harness.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace sparsetrain::test::fwd;

namespace {
// One of the shape sweeps shared with the backward-data test, no bias, no fused ReLU.
void check_sweep(const test::shape_sweep &sw) {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const auto &ps : sw.shapes) check_exact(ps, sw.sparsities, false, false);
}
} // namespace

TEST_CASE("sparse fwd 3x3 stride 1 equals reference and oneDNN", "[fwd]") { check_sweep(test::sweep_3x3_stride1()); }
TEST_CASE("sparse fwd 3x3 stride 2 equals reference and oneDNN", "[fwd]") { check_sweep(test::sweep_3x3_stride2()); }
TEST_CASE("sparse fwd other kernels, padding and strides", "[fwd]") { check_sweep(test::sweep_other_kernels()); }

TEST_CASE("sparse fwd 1x1 equals reference and oneDNN", "[fwd]") {
    auto sw = test::sweep_1x1();
    sw.shapes.push_back("mb1ic256ih14iw9oc64oh14ow9kh1ph0"); // an odd width (forward only)
    check_sweep(sw);
}

TEST_CASE("sparse fwd bias and fused ReLU", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih9oc32oh9kh3ph1", "mb2ic32ih9oc32oh5kh3sh2ph1", "mb2ic64ih7oc32oh7kh1ph0"}) {
        check_exact(ps, {0.0, 0.5, 1.0}, true, false);
        check_exact(ps, {0.0, 0.5, 1.0}, false, true);
        check_exact(ps, {0.5, 1.0}, true, true);
    }
}

TEST_CASE("sparse fwd forced blockings: one-row units, many chunks, single blocks", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // Every pass sees edge rows; passes and chunks multiply; init / ReLU fix-ups run; units
    // span several images (an odd count leaves a short last unit); two accumulator sets with
    // odd and even list lengths.
    for (const char *hints : {"ocb=1,cb=1,rb=1", "ocb=2,cb=2,rb=3", "ocb=4,cb=4,rb=2", "ocb=1,cb=2,sets=2",
                 "ocb=2,cb=1,sets=2,ib=2", "ocb=4,cb=1,sets=1,ib=3,rb=4"}) {
        check_exact("mb3ic64ih9oc64oh9kh3ph1", {0.0, 0.5, 0.9}, true, true, hints);
        check_exact("mb2ic64ih11oc64oh6kh3sh2ph1", {0.5}, true, true, hints);
        check_exact("mb2ic64ih9oc64oh9kh1ph0", {0.5}, true, true, hints);
    }
    check_exact("mb1ic32ih7oc32oh7kh3ph1", {0.5}, false, true, "rb=7");
}

TEST_CASE("sparse fwd image-pair variant equals reference and oneDNN", "[fwd][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // pairs=1: every call runs the pair kernels on image pairs; an odd image count in a unit
    // leaves its last image to the single kernels. Units of 2 and 3 images, one-row units
    // (every pass sees edge rows), many chunks and groups, one and two accumulator sets per
    // image, odd widths, stride 2, 1x1 (subsampled with stride 2), bias and ReLU; sparsity 0
    // puts every lane in list AB, 1.0 leaves all lists empty, the forced all-zero / all-dense
    // pixels make long A-only and B-only lists.
    for (const char *hints : {"pairs=1", "pairs=1,ib=3", "pairs=1,ocb=1,cb=1,rb=1,psets=2", "pairs=1,ocb=2,cb=2,rb=3,psets=1",
                 "pairs=1,ocb=2,cb=1,psets=2,ib=2,rb=4"}) {
        check_exact("mb3ic64ih9oc64oh9kh3ph1", {0.0, 0.5, 0.9, 1.0}, true, true, hints, true);
        check_exact("mb2ic64ih7iw10oc32oh7ow10kh3ph1", {0.3, 0.7}, false, false, hints, true);
        check_exact("mb4ic64ih11oc64oh6kh3sh2ph1", {0.5}, true, false, hints, true);
        check_exact("mb2ic64ih9oc64oh9kh1ph0", {0.5}, false, true, hints, true);
        check_exact("mb5ic32ih15oc64oh8kh1sh2ph0", {0.5}, true, true, hints, true);
    }
    check_exact("mb2ic32ih9oc32oh9kh5ph2", {0.5}, false, false, "pairs=1", true);
}

TEST_CASE("sparse fwd picks the pair variant from the density hint", "[fwd][pairs]") {
    sparse_conv_options o;
    // The cost model gives this 3x3 layer a pair variant for dense enough src.
    auto none = test::check_pair_planning<fwd_config, fwd_plan_hints>(
            problem_t::parse("mb4ic64ih14oc64oh14kh3ph1"), o, plan_fwd);
    CHECK(none.pairs.acc_sets == 0);
    std::string why;
    // One image: no pairs.
    REQUIRE(plan_fwd(problem_t::parse("mb1ic64ih14oc64oh14kh3ph1"), o, none, why));
    CHECK(!none.use_pairs(1.0));
    // Both variants of the same plan, selected per call, give the exact result.
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (double hint : {0.0, 1.0})
        check_exact("mb4ic64ih14oc64oh14kh3ph1", {0.4}, true, true, "", true, hint);
}

TEST_CASE("sparse fwd 1x1 with inline compaction equals reference and oneDNN", "[fwd][inline]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // inl=1: every single-image call of a 1x1 layer compacts each src pixel inside the row-pass
    // kernel. One-row units, many chunks, one and two sets (odd / even list lengths), stride 2
    // (strided src pixels and rows), odd image counts, bias and ReLU, sparsity 0 (full lists)
    // and 1 (all empty).
    for (const char *hints : {"inl=1", "inl=1,ocb=1,cb=1,rb=1", "inl=1,ocb=2,cb=2,rb=3,sets=2", "inl=1,ocb=4,cb=1,sets=1,ib=3"}) {
        check_exact("mb3ic64ih9oc64oh9kh1ph0", {0.0, 0.5, 0.9, 1.0}, true, true, hints);
        check_exact("mb2ic32ih15oc64oh8kh1sh2ph0", {0.5}, true, false, hints);
        check_exact("mb1ic256ih14iw9oc64oh14ow9kh1ph0", {0.3}, false, true, hints);
    }
    // Beside the pair variant: the last image of an odd count runs in single lists.
    check_exact("mb3ic64ih9oc32oh9kh1ph0", {0.5}, true, false, "inl=1,pairs=1", true);
}

TEST_CASE("sparse fwd picks inline compaction for 1x1 layers with one output group", "[fwd][inline]") {
    sparse_conv_options o;
    std::string why;
    fwd_config cfg;
    REQUIRE(plan_fwd(problem_t::parse("mb4ic256ih14oc64oh14kh1ph0"), o, cfg, why));
    REQUIRE(cfg.inline_compact);
    CHECK(cfg.n_ocg == 1);
    CHECK(cfg.pairs.acc_sets == 0);
    CHECK(cfg.choose_variant(0.5) == fwd_variant::single_inline);
    CHECK(cfg.choose_variant(cfg.inline_min_density / 2) == fwd_variant::single);
    fwd_config three;
    REQUIRE(plan_fwd(problem_t::parse("mb4ic64ih14oc64oh14kh3ph1"), o, three, why));
    CHECK(!three.inline_compact);
    CHECK(three.choose_variant(1.0) == fwd_variant::pairs);
    CHECK(three.choose_variant(0.0) == fwd_variant::single);
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (double hint : {0.0, 1.0})
        check_exact("mb4ic256ih14oc64oh14kh1ph0", {0.4}, true, true, "", false, hint);
}

TEST_CASE("sparse fwd random floats within tolerance", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic128ih14oc64oh14kh3ph1", "mb2ic256ih7oc64oh7kh1ph0"}) {
        auto c = make_case(ps, 0.0, 5, true, false);
        // Realistic scales: src is a ReLU output (non-negative, O(1)); weights are He-init
        // sized (std ~ sqrt(2 / fan_in) ~ 0.04 here).
        test::realistic_floats(c.src, 0.f, 2.f, c.wei);
        const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
        const auto ref = run_reference(c), dnn = run_onednn(c, src_b, wei_b);
        const double tol = test::sum_tolerance(c.p.ic * c.p.kh * c.p.kw);
        test::check_within(run_sparse(*make(c), c, src_b, wei_b), ref, dnn, tol, ps);
        const auto r3 = test::compare(dnn, ref, tol);
        INFO(ps << " tol " << tol << " oneDNN vs reference: " << r3.summary());
        CHECK(r3.ok); // the tolerance holds for oneDNN too (else it says nothing about ours)
    }
}

namespace {
// Input channel 5 of the case `ps` is zero everywhere and its weights are Inf and NaN;
// `finite` gets the case with those weights 0: what a kernel that skips the zeros computes.
fwd_case with_channel5_poisoned(const char *ps, fwd_case &finite) {
    auto c = make_case(ps, 0.3, 21, true, false);
    test::zero_channel(c.src, c.p.mb, c.p.ic, c.p.ih * c.p.iw, 5);
    finite = c;
    finite.wei = test::poison_channel_weights(c.p, direction::fwd, 5, c.wei, test::inf_or_nan);
    return c;
}
} // namespace

TEST_CASE("sparse fwd skips zero src: Inf/NaN weights there leave the result finite", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // Dense math gives 0 * Inf = NaN in every output; the sparse kernel never reads those
    // weights, so the result is that of the convolution with channel 5 removed.
    fwd_case finite;
    const auto c = with_channel5_poisoned("mb1ic32ih8oc32oh8kh3ph1", finite);
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto got = run_sparse(*make(c), c, src_b, wei_b);
    const auto expected = run_reference(finite);
    CHECK(test::compare(got, expected, 0).ok);
    const auto dense = run_onednn(c, src_b, wei_b);
    CHECK(std::isnan(dense[0])); // the difference this test pins
}

TEST_CASE("sparse fwd image pairs skip zero src too: Inf/NaN weights there leave the result finite", "[fwd][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    fwd_case finite;
    const auto c = with_channel5_poisoned("mb2ic32ih8oc32oh8kh3ph1", finite);
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto impl = make(c, "pairs=1");
    REQUIRE(impl->config_str().find(":pairs") != std::string::npos);
    CHECK(test::compare(run_sparse(*impl, c, src_b, wei_b), run_reference(finite), 0).ok);
}

TEST_CASE("sparse fwd NaN and Inf in src propagate like dense", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    auto c = make_case("mb1ic32ih6oc16oh6kh3ph1", 0.5, 8, false, false);
    c.src[3] = std::numeric_limits<float>::quiet_NaN();
    c.src[40] = std::numeric_limits<float>::infinity();
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto got = run_sparse(*make(c), c, src_b, wei_b);
    const auto r = test::compare(got, run_reference(c), 0);
    INFO(r.summary());
    CHECK(r.ok);
}

TEST_CASE("sparse fwd kernels are generated once and cached", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    sparse_conv_options o;
    std::string why;
    const auto p = problem_t::parse("mb2ic48ih11oc80oh11kh3ph1");
    auto a = make_sparse_fwd(p, o, why);
    REQUIRE(a);
    const size_t misses = jit::kernel_cache::instance().misses();
    auto b = make_sparse_fwd(p, o, why);
    REQUIRE(b);
    CHECK(jit::kernel_cache::instance().misses() == misses);
}

TEST_CASE("sparse fwd shapes at the planner's limits: kernels 4..7, strides 3/4, SAME padding, one row, 1x1 output", "[fwd][shapes]") {
    // Every shape here is accepted by the planner (kernels up to 7x7, strides up to 4, any
    // padding below the kernel size); each must run and be exact.
    for (const char *ps : test::planner_limit_shapes()) {
        sparse_conv_options o;
        fwd_config cfg;
        std::string why;
        INFO(ps);
        REQUIRE(plan_fwd(problem_t::parse(ps), o, cfg, why));
        if (max_isa() < cpu_isa::avx512_core) continue; // planned only (skip reported below)
        check_exact(ps, {0.0, 0.5}, false, false);
        check_exact(ps, {0.7}, true, true);
    }
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
}
