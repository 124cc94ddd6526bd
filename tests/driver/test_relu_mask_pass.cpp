// The separate ReLU-backward mask pass (driver/relu_mask): diff_src = src > 0 ? diff_src : +0,
// exactly, for every length (the 16-lane body and its masked tail), for -0, NaN, Inf and
// denormal src, and whatever diff_src held (NaN, Inf) where src <= 0. On an AVX-512 machine
// this tests the 16-lane pass; the CI's capped run (SPARSETRAIN_MAX_CPU_ISA=avx2) the scalar one.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "driver/relu_mask.hpp"

using namespace sparsetrain;

namespace {

const float special_src[] = {0.f, -0.f, 1.f, -1.f, std::numeric_limits<float>::quiet_NaN(),
        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
        std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(), 3e-39f};
const float special_diff[] = {2.5f, -7.f, std::numeric_limits<float>::quiet_NaN(),
        std::numeric_limits<float>::infinity(), -0.f, 1e-40f};

uint32_t bits(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
}

void check_pass(size_t n, uint64_t seed, bool parallel) {
    std::mt19937_64 g(seed);
    // One element before and after the range: the pass must not touch them.
    std::vector<float> src(n + 2), diff(n + 2), expect(n + 2);
    for (size_t i = 0; i < n + 2; ++i) {
        src[i] = special_src[g() % (sizeof(special_src) / 4)];
        diff[i] = special_diff[g() % (sizeof(special_diff) / 4)];
        expect[i] = (i == 0 || i == n + 1 || src[i] > 0.f) ? diff[i] : 0.f;
    }
    if (parallel) apply_relu_mask_parallel(diff.data() + 1, src.data() + 1, n);
    else apply_relu_mask(diff.data() + 1, src.data() + 1, n);
    for (size_t i = 0; i < n + 2; ++i) {
        INFO("n " << n << " element " << i << " src " << src[i]);
        REQUIRE(bits(diff[i]) == bits(expect[i]));
    }
}

} // namespace

TEST_CASE("relu mask pass: every length up to 3 vectors, special values, bitwise", "[mask][relu_mask_pass]") {
    for (size_t n = 0; n <= 49; ++n) check_pass(n, 100 + n, false);
}

TEST_CASE("relu mask pass: large unaligned tensors, threaded split", "[mask][relu_mask_pass]") {
    for (size_t n : {size_t(16 * 1024 - 1), size_t(16 * 1024 * 3 + 5), size_t(100003)}) {
        check_pass(n, n, true);
        check_pass(n, n + 1, false);
    }
}
