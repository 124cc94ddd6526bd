// Denormals (README "Floating-point behaviour"): with denormal_mode::keep the sparse kernels
// compute them like any non-zero (IEEE); with denormal_mode::flush (the default) the kernels
// run with FTZ + DAZ, so denormal inputs read as zero and denormal results become zero, and
// the caller's MXCSR (every OpenMP thread's) is the same after execute as before.
//
// The data are small integers times powers of two, so every expected value is exact and the
// outputs are compared after scaling back by a power of two (also exact): a plain benchdnn
// comparison with its absolute floor of 1 could not tell a denormal from zero.
#include <catch2/catch.hpp>

#include <omp.h>
#include <xmmintrin.h>

#include <cmath>
#include <vector>

#include "sparsetrain/error.hpp"
#include "util/conv_runner.hpp"
#include "util/env_guard.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

constexpr unsigned ftz_daz = 0x8040;

dispatch_options sparse_with(denormal_mode dm) {
    dispatch_options o;
    o.mode = dispatch_mode::sparse;
    o.denormals = dm;
    return o;
}

bool is_sparse(const std::string &impl) { return impl.rfind("sparse", 0) == 0; }

std::vector<float> scaled(std::vector<float> v, int exp2) {
    for (auto &x : v) x = std::ldexp(x, exp2);
    return v;
}

size_t count_nonzero(const std::vector<float> &v) {
    size_t n = 0;
    for (float x : v) n += x != 0.f;
    return n;
}

// Scales the direction's sparse operand by 2^sparse_exp and its dense operand by 2^dense_exp.
test::conv_data scaled_data(const problem_t &p, direction dir, int sparse_exp, int dense_exp) {
    auto d = test::make_conv_data(p, 5, 0.5);
    auto &sp = dir == direction::bwd_d ? d.diff_dst : d.src;
    auto &dn = dir == direction::fwd ? d.weights : dir == direction::bwd_d ? d.weights : d.diff_dst;
    sp = scaled(sp, sparse_exp);
    dn = scaled(dn, dense_exp);
    return d;
}

// MXCSR of every thread of the OpenMP team, and of the calling thread.
std::vector<unsigned> team_mxcsr() {
    std::vector<unsigned> v((size_t)omp_get_max_threads() + 1, 0);
    v.back() = _mm_getcsr();
#pragma omp parallel
    v[(size_t)omp_get_thread_num()] = _mm_getcsr();
    return v;
}

const auto p = problem_t::parse("mb2ic16ih6oc16oh6kh3ph1");

} // namespace

TEST_CASE("denormal_mode::keep: denormal inputs are non-zero and computed exactly", "[fp][denormal]") {
    for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(dir));
        // Sparse operand |x| <= 3 * 2^-140 (denormal); products back at ~2^-100 (normal).
        const auto d = scaled_data(p, dir, -140, 40);
        const auto r = test::run_against_reference(p, dir, d, false, sparse_with(denormal_mode::keep));
        INFO(r.impl);
        CHECK(count_nonzero(r.ours) > r.ours.size() / 2);
        const auto c = test::compare(scaled(r.ours, 100), scaled(r.ref, 100), 0);
        CHECK(c.ok);
        INFO(c.summary());
    }
}

TEST_CASE("denormal_mode::keep: denormal results are kept", "[fp][denormal]") {
    for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(dir));
        // Normal inputs (2^-70 scale) whose products and sums are denormal (~2^-137).
        const auto d = scaled_data(p, dir, -70, -70);
        const auto r = test::run_against_reference(p, dir, d, false, sparse_with(denormal_mode::keep));
        INFO(r.impl);
        CHECK(count_nonzero(r.ours) > r.ours.size() / 2);
        CHECK(test::compare(scaled(r.ours, 140), scaled(r.ref, 140), 0).ok);
    }
}

TEST_CASE("denormal_mode::flush: denormal inputs read as zero, denormal results are zero", "[fp][denormal]") {
    for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(dir));
        for (int sparse_exp : {-140, -70}) { // denormal inputs; normal inputs with denormal results
            INFO("sparse operand scale 2^" << sparse_exp);
            const auto d = scaled_data(p, dir, sparse_exp, sparse_exp == -140 ? 40 : -70);
            const auto r = test::run_against_reference(p, dir, d, false, sparse_with(denormal_mode::flush));
            INFO(r.impl);
            if (is_sparse(r.impl)) {
                CHECK(count_nonzero(r.ours) == 0);
            } else { // declined (no AVX-512): oneDNN dense computes them, like keep
                CHECK(test::compare(scaled(r.ours, 140), scaled(r.ref, 140), 0).ok);
            }
        }
    }
}

TEST_CASE("denormal_mode::flush is the default; normal data give the same results as keep", "[fp][denormal]") {
    dispatch_options o;
    o.mode = dispatch_mode::sparse; // denormals: from_env, SPARSETRAIN_DENORMALS unset
    test::env_guard unset("SPARSETRAIN_DENORMALS", "");
    const auto tiny = scaled_data(p, direction::fwd, -140, 40);
    const auto r = test::run_against_reference(p, direction::fwd, tiny, false, o);
    if (is_sparse(r.impl)) CHECK(count_nonzero(r.ours) == 0);

    const auto d = test::make_conv_data(p, 9, 0.5);
    for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(dir));
        const auto flushed = test::run_against_reference(p, dir, d, true, o);
        const auto kept = test::run_against_reference(p, dir, d, true, sparse_with(denormal_mode::keep));
        CHECK(test::compare(flushed.ours, flushed.ref, 0).ok);
        CHECK(test::compare(flushed.ours, kept.ours, 0).ok);
    }
}

TEST_CASE("SPARSETRAIN_DENORMALS selects the mode; a bad value names the variable", "[fp][denormal]") {
    dispatch_options o;
    o.mode = dispatch_mode::sparse;
    const auto d = scaled_data(p, direction::fwd, -140, 40);
    {
        test::env_guard g("SPARSETRAIN_DENORMALS", "keep");
        const auto r = test::run_against_reference(p, direction::fwd, d, false, o);
        CHECK(count_nonzero(r.ours) > r.ours.size() / 2);
    }
    {
        test::env_guard g("SPARSETRAIN_DENORMALS", "sometimes");
        try {
            (void)test::run_against_reference(p, direction::fwd, d, false, o);
            FAIL("no error for SPARSETRAIN_DENORMALS=sometimes");
        } catch (const error &e) {
            CHECK_THAT(e.what(), Catch::Contains("SPARSETRAIN_DENORMALS"));
        }
    }
}

TEST_CASE("denormal_mode::flush leaves every thread's MXCSR as it found it", "[fp][denormal]") {
    const auto d = test::make_conv_data(p, 3, 0.5);
    for (bool caller_flushes : {false, true}) {
        INFO("caller has FTZ/DAZ set: " << caller_flushes);
        const unsigned saved = _mm_getcsr();
        if (caller_flushes) {
#pragma omp parallel
            _mm_setcsr(saved | ftz_daz);
            _mm_setcsr(saved | ftz_daz);
        }
        const auto before = team_mxcsr();
        for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w})
            (void)test::run_against_reference(p, dir, d, true, sparse_with(denormal_mode::flush));
        const auto after = team_mxcsr();
        CHECK(before == after);
        for (unsigned csr : after) CHECK((csr & ftz_daz) == (caller_flushes ? ftz_daz : 0u));
#pragma omp parallel
        _mm_setcsr(saved);
        _mm_setcsr(saved);
    }
}
