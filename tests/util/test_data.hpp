// Shared test helpers: deterministic data, sparsification, a zero channel with Inf / NaN
// weights, layout conversion through oneDNN reorders, and benchdnn-style comparison.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/cpu.hpp"
#include "common/problem.hpp"

// Kernel tests run JIT code directly (not through dispatch): without AVX-512 (or with it
// capped by SPARSETRAIN_MAX_CPU_ISA) they only generate it and skip the run. Catch2 v2 has no
// skip: the line below goes to stdout and ctest's SKIP_REGULAR_EXPRESSION (tests/CMakeLists.txt)
// reports the test as skipped instead of passed.
#define SPARSETRAIN_SKIP_MARKER "SPARSETRAIN_TEST_SKIPPED"
#define SPARSETRAIN_SKIP_WITHOUT_AVX512()                                                          \
    do {                                                                                           \
        if (::sparsetrain::max_isa() < ::sparsetrain::cpu_isa::avx512_core) {                      \
            ::sparsetrain::test::report_skip(::sparsetrain::isa_limit_reason());                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

namespace sparsetrain {
namespace test {

// Small non-zero integers in [lo, hi] (a drawn 0 becomes +-1; all zeros only when
// lo == hi == 0): products and sums of them are exact in fp32 in any order as long as the
// reduction stays below 2^24.
void fill_int(std::vector<float> &v, uint64_t seed, int lo, int hi);
// Sets each element to 0 with probability `sparsity` (independently, seeded); the rest of
// the elements keep their (non-zero) values. sparsity 1.0 zeroes everything.
void sparsify(std::vector<float> &v, uint64_t seed, double sparsity);
// Fraction of exact zeros.
double zero_fraction(const std::vector<float> &v);
// Floats at realistic scales for a within-tolerance test, from one generator (seeded 99): the
// activation operand `act` uniform in [lo, hi], the weights uniform in [-0.1, 0.1] (He-init
// sized for fan-ins of a few hundred); then a 0.6 share of `act` zeroed (sparsify, seed 3).
void realistic_floats(std::vector<float> &act, float lo, float hi, std::vector<float> &wei);

// Sets channel `ch` of every image of the plain mb x c x hw tensor `v` to zero.
void zero_channel(std::vector<float> &v, int64_t mb, int64_t c, int64_t hw, int64_t ch);
// Sets every weight in the plain oihw weights `wei` of `p` that multiplies channel `ch` of the
// sparse operand of `dir` (input channel ch for fwd, output channel ch for bwd_d) to
// value(other channel); returns a copy of the original `wei` with those weights 0 instead: the
// weights a kernel that skips the zero channel effectively computes with.
std::vector<float> poison_channel_weights(const problem_t &p, direction dir, int64_t ch, std::vector<float> &wei,
        const std::function<float(int64_t)> &value);
// Inf for odd k, NaN for even k.
float inf_or_nan(int64_t k);

// Plain dims of the problem's tensors (2D, g = 1).
dnnl::memory::dims src_dims(const problem_t &p);
dnnl::memory::dims dst_dims(const problem_t &p);
dnnl::memory::dims wei_dims(const problem_t &p);

// Copies between a plain buffer (nchw / oihw) and a buffer in `tag`, via dnnl::reorder.
std::vector<float> to_layout(const std::vector<float> &plain, const dnnl::memory::dims &dims,
        dnnl::memory::format_tag plain_tag, dnnl::memory::format_tag tag);
std::vector<float> from_layout(const std::vector<float> &blocked, const dnnl::memory::dims &dims,
        dnnl::memory::format_tag tag, dnnl::memory::format_tag plain_tag);

struct compare_result {
    bool ok = true;
    int64_t n_errors = 0;
    int64_t first_bad = -1;
    float got = 0, expected = 0;
    double max_rel = 0;
    std::string summary() const;
};
// benchdnn-style: |got - exp| <= tol * max(1, |exp|), with tol given by the caller (0 for
// exact). NaN matches NaN, +-Inf must match exactly.
compare_result compare(const std::vector<float> &got, const std::vector<float> &expected, double tol);
// Tolerance for fp32 sums of `reduction_len` products of magnitude-bounded data, scaled
// like benchdnn's (a few ulps per log2 of the length). Exact data needs no tolerance: pass 0.
double sum_tolerance(int64_t reduction_len);

dnnl::engine &cpu_engine();

// Prints SPARSETRAIN_SKIP_MARKER with the reason (stdout, flushed): ctest then counts the
// test as skipped.
void report_skip(const std::string &why);

} // namespace test
} // namespace sparsetrain
