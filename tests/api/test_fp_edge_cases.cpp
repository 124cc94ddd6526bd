// Floating-point edge cases, documented in README "Floating-point behaviour":
//  - NaN / Inf in the dense operand where the sparse operand is 0: the sparse kernels skip
//    the product (the result stays finite); oneDNN dense computes 0 * Inf = NaN.
//  - -0.0 in the sparse operand counts as zero; results equal oneDNN's bit for bit.
//  - denormals: tests/test_denormals.cpp.
//  - all-zero operand: output = bias (forward), zero gradients (backward data / weights).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "util/conv_runner.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

const float inf = std::numeric_limits<float>::infinity();

dispatch_options mode(dispatch_mode m) {
    dispatch_options o;
    o.mode = m;
    return o;
}

bool is_sparse(const std::string &impl) { return impl.rfind("sparse", 0) == 0; }

size_t count_nan(const std::vector<float> &v) {
    size_t n = 0;
    for (float x : v) n += std::isnan(x);
    return n;
}

} // namespace

TEST_CASE("NaN/Inf in the dense operand where the sparse operand is zero", "[fp]") {
    const auto p = problem_t::parse("mb2ic32ih8oc32oh8kh3ph1");
    const int64_t c0 = 5; // the channel whose sparse operand is all zero

    SECTION("forward: weights of an all-zero input channel hold NaN and Inf") {
        auto d = test::make_conv_data(p, 1, 0.5);
        test::zero_channel(d.src, p.mb, p.ic, p.ih * p.iw, c0);
        auto clean = d;
        clean.weights = test::poison_channel_weights(p, direction::fwd, c0, d.weights, test::inf_or_nan);
        const auto sparse = test::run_against_reference(p, direction::fwd, d, true, mode(dispatch_mode::sparse));
        const auto dense = test::run_against_reference(p, direction::fwd, d, true, mode(dispatch_mode::dense));
        const auto expect_skip = test::run_against_reference(p, direction::fwd, clean, true, mode(dispatch_mode::dense));
        CHECK(count_nan(dense.ours) == dense.ours.size()); // every output sees 0 * NaN or 0 * Inf
        if (is_sparse(sparse.impl)) {
            CHECK(count_nan(sparse.ours) == 0);
            CHECK(test::compare(sparse.ours, expect_skip.ours, 0).ok);
        } else {
            WARN("no sparse forward kernel for " << p.to_string() << ": " << sparse.impl);
            CHECK(count_nan(sparse.ours) == sparse.ours.size());
        }
    }
    SECTION("backward data: weights of an all-zero diff_dst channel hold Inf") {
        auto d = test::make_conv_data(p, 2, 0.5);
        test::zero_channel(d.diff_dst, p.mb, p.oc, p.oh * p.ow, c0);
        auto clean = d;
        clean.weights = test::poison_channel_weights(p, direction::bwd_d, c0, d.weights, [](int64_t) { return -inf; });
        const auto sparse = test::run_against_reference(p, direction::bwd_d, d, false, mode(dispatch_mode::sparse));
        const auto dense = test::run_against_reference(p, direction::bwd_d, d, false, mode(dispatch_mode::dense));
        const auto expect_skip = test::run_against_reference(p, direction::bwd_d, clean, false, mode(dispatch_mode::dense));
        CHECK(count_nan(dense.ours) == dense.ours.size());
        if (is_sparse(sparse.impl)) CHECK(test::compare(sparse.ours, expect_skip.ours, 0).ok);
        else WARN("no sparse backward-data kernel: " << sparse.impl);
    }
    SECTION("backward weights: diff_dst holds Inf where an input channel is all zero") {
        auto d = test::make_conv_data(p, 3, 0.5);
        test::zero_channel(d.src, p.mb, p.ic, p.ih * p.iw, c0);
        d.diff_dst[(1 * p.oc + 3) * p.oh * p.ow + 10] = inf; // image 1, output channel 3
        const auto sparse = test::run_against_reference(p, direction::bwd_w, d, true, mode(dispatch_mode::sparse));
        const auto dense = test::run_against_reference(p, direction::bwd_w, d, true, mode(dispatch_mode::dense));
        // diff_weights[3][c0][*]: 0 * Inf terms. Dense: NaN; sparse (skips src zeros): 0.
        const int64_t w0 = (3 * p.ic + c0) * p.kh * p.kw;
        CHECK(std::isnan(dense.ours[w0 + 4]));
        CHECK(std::isinf(dense.ours_bias[3]));
        if (is_sparse(sparse.impl)) {
            for (int t = 0; t < 9; ++t) CHECK(sparse.ours[w0 + t] == 0.f);
            CHECK(std::isinf(sparse.ours_bias[3])); // diff_bias sums diff_dst: Inf stays Inf
        } else {
            WARN("no sparse backward-weights kernel: " << sparse.impl);
        }
    }
}

TEST_CASE("negative zero in the sparse operand is zero; results equal oneDNN bitwise", "[fp]") {
    const auto p = problem_t::parse("mb2ic32ih8oc16oh8kh3ph1");
    auto d = test::make_conv_data(p, 4, 0.6);
    for (auto &x : d.src) if (x == 0.f) x = -0.f;
    for (auto &x : d.diff_dst) if (x == 0.f) x = -0.f;
    for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(dir));
        const auto r = test::run_both(p, dir, d, false, mode(dispatch_mode::sparse));
        INFO(r.ours_impl);
        REQUIRE(r.ours.size() == r.onednn.size());
        CHECK(std::memcmp(r.ours.data(), r.onednn.data(), r.ours.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("all-zero sparse operand: output is the bias, gradients are zero", "[fp]") {
    const auto p = problem_t::parse("mb2ic32ih9oc32oh5kh3sh2ph1");
    auto d = test::make_conv_data(p, 6, 1.0); // src and diff_dst all zero
    auto fwd = test::run_against_reference(p, direction::fwd, d, true, mode(dispatch_mode::sparse));
    INFO(fwd.impl);
    for (int64_t n = 0; n < p.mb; ++n)
        for (int64_t o = 0; o < p.oc; ++o)
            for (int64_t x = 0; x < p.oh * p.ow; ++x) REQUIRE(fwd.ours[(n * p.oc + o) * p.oh * p.ow + x] == d.bias[o]);
    auto bwd_d = test::run_against_reference(p, direction::bwd_d, d, false, mode(dispatch_mode::sparse));
    for (float x : bwd_d.ours) REQUIRE(x == 0.f);
    auto bwd_w = test::run_against_reference(p, direction::bwd_w, d, true, mode(dispatch_mode::sparse));
    for (float x : bwd_w.ours) REQUIRE(x == 0.f);
    for (float x : bwd_w.ours_bias) REQUIRE(x == 0.f); // diff_dst is all zero too
}
