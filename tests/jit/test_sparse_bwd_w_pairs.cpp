// Units of the bwd_w pair variant: the shared pairing emitters (greedy pair masks over every
// 16-bit mask, the pair list loop with shared loads) and the list builder's pair mode, each
// against a scalar model.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "common/cpu.hpp"
#include "jit/bwd_w_list_builder.hpp"
#include "jit/jit_generator.hpp"
#include "jit/zero_skip.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace sparsetrain::jit;
using namespace Xbyak;

namespace {

// Scalar model of the greedy pairing: within each run of set bits, from its lowest bit, bits
// (j, j + 1) pair up; an odd run leaves its last bit single.
void model_pairs(uint32_t m, uint32_t &first, uint32_t &singles) {
    first = singles = 0;
    for (int j = 0; j < 16; ++j) {
        if (!(m >> j & 1)) continue;
        if (j + 1 < 16 && (m >> (j + 1) & 1)) {
            first |= 1u << j;
            ++j; // the partner
        } else {
            singles |= 1u << j;
        }
    }
}

// uint64_t f(uint32_t m): first | singles << 32.
struct pair_mask_kernel : jit_generator {
    pair_mask_kernel() : jit_generator("test_pair_masks", "pair_masks", "unit-test") {}
    void generate() override {
        preamble();
        mov(eax, edi);
        emit_pair_masks(*this, eax, ecx, edx);
        shl(rax, 32);
        or_(rax, rcx);
        postamble();
    }
};

// void f(const float *vals, const int32_t *offs, int64_t n, const float *dense, float *out):
// a pair list loop into three accumulators with displacements 0, 64, 128 and a partner step
// of 64 bytes (a 3-tap row: dense vectors at 0 and 64 + 128 are each needed by two FMAs).
struct pair_loop_kernel : jit_generator {
    int shared = -1;
    pair_loop_kernel() : jit_generator("test_pair_loop", "pair_loop", "unit-test") {}
    void generate() override {
        preamble();
        const Reg64 vals = rdi, offs = rsi, n = rdx, dense = rcx, out = r8, idx = r9, off = r10;
        for (int i = 0; i < 3; ++i) vpxord(Zmm(i), Zmm(i), Zmm(i));
        xor_(idx, idx);
        const pair_loop_regs r {vals, offs, idx, n, dense, off, zmm31, zmm30, zmm29, zmm28};
        shared = emit_pair_list_loop(*this, r, 64, {{zmm0, 0}, {zmm1, 64}, {zmm2, 128}});
        for (int i = 0; i < 3; ++i) vmovups(ptr[out + 64 * i], Zmm(i));
        postamble();
    }
};

bool can_run() {
    if (max_isa() >= cpu_isa::avx512_core) return true;
    test::report_skip("AVX-512 unavailable or capped: generated, not run");
    return false;
}

} // namespace

TEST_CASE("zero-skip pairing: greedy pair masks for every 16-bit mask", "[bwd_w][pairs]") {
    pair_mask_kernel k;
    k.create();
    if (!can_run()) return;
    auto f = k.entry<uint64_t (*)(uint32_t)>();
    int mismatches = 0;
    for (uint32_t m = 0; m < 65536; ++m) {
        uint32_t first, singles;
        model_pairs(m, first, singles);
        const uint64_t got = f(m);
        if ((uint32_t)got != first || (uint32_t)(got >> 32) != singles) {
            if (++mismatches <= 5) FAIL_CHECK("mask " << m << ": first " << (uint32_t)got << " singles " << (got >> 32)
                                                       << ", expected " << first << " / " << singles);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("zero-skip pairing: pair list loop matches a scalar model", "[bwd_w][pairs]") {
    pair_loop_kernel k;
    k.create();
    CHECK(k.shared == 2);
    CHECK(pair_shared_loads({0, 64, 128}, 64) == 2);
    CHECK(pair_shared_loads({0, 1024}, 64) == 0);
    if (!can_run()) return;
    const int rows = 40;
    std::vector<float> dense(rows * 16);
    test::fill_int(dense, 11, -4, 4);
    for (int n : {0, 1, 2, 7, 16}) {
        std::vector<float> vals(2 * n + 32);
        std::vector<int32_t> offs(n + 16);
        test::fill_int(vals, 12 + n, -3, 3);
        std::mt19937 gen(n);
        for (int i = 0; i < n; ++i) offs[i] = (int32_t)(gen() % (rows - 3)) * 64;
        std::vector<float> out(48, -1.f), expect(48, 0.f);
        k.entry<void (*)(const float *, const int32_t *, int64_t, const float *, float *)>()(
                vals.data(), offs.data(), n, dense.data(), out.data());
        for (int i = 0; i < n; ++i)
            for (int t = 0; t < 3; ++t)
                for (int l = 0; l < 16; ++l)
                    expect[t * 16 + l] += vals[2 * i] * dense[offs[i] / 4 + t * 16 + l]
                            + vals[2 * i + 1] * dense[offs[i] / 4 + (t + 1) * 16 + l];
        INFO("entries " << n);
        CHECK(test::compare(out, expect, 0).ok);
    }
}

TEST_CASE("bwd_w list builder, pair mode: single and pair lists of every channel", "[bwd_w][pairs]") {
    // A strided class as in the plain builder test: every other pixel of every other row.
    const int64_t iw = 50, col_stride = 2, row_stride = 2, rows = 3;
    const int64_t slot_cap = 96, pair_cap = 64;
    jit::bwd_w_build_params bp;
    bp.src_row_step = row_stride * iw * 64;
    bp.src_col_step = col_stride * 64;
    bp.off_row = 1000 * 4;
    bp.off_col = 12;
    bp.slot_bytes = (slot_cap + 2 * pair_cap) * 4;
    bp.pairs = true;
    bp.pair_disp = slot_cap * 4;
    jit::bwd_w_list_builder b(bp);
    b.create();
    if (!can_run()) return;
    const int64_t slot = slot_cap + 2 * pair_cap;
    for (int64_t cols : {1, 2, 15, 16, 17, 25}) {
        for (double density : {0.0, 0.3, 0.7, 1.0}) {
            INFO("cols " << cols << " density " << density);
            std::vector<float> src(8 * iw * 16);
            std::mt19937 gen((unsigned)(cols * 10 + density * 7));
            std::uniform_real_distribution<float> u(-1.f, 1.f), d(0.f, 1.f);
            for (auto &x : src) x = d(gen) < density ? u(gen) : (d(gen) < 0.5f ? 0.f : -0.f);
            src[5] = std::numeric_limits<float>::quiet_NaN(); // NaN is a non-zero
            const float sentinel = 4242.f;
            std::vector<float> vals(16 * slot + 32, sentinel);
            std::vector<int32_t> offs(16 * slot + 32, -7), cnt(20, -1), pcnt(20, -1);
            jit::bwd_w_build_args a {src.data(), vals.data(), offs.data(), cnt.data(), rows, cols, pcnt.data()};
            b(&a);
            auto same = [](float x, float y) { return std::isnan(x) ? std::isnan(y) : x == y; };
            for (int c = 0; c < 16; ++c) {
                // Model: per row and 16-pixel block, greedy pairs of neighbouring non-zeros.
                std::vector<float> sv, pv;
                std::vector<int32_t> so, po;
                for (int64_t i = 0; i < rows; ++i)
                    for (int64_t j0 = 0; j0 < cols; j0 += 16) {
                        auto x = [&](int64_t j) { return src[((i * row_stride) * iw + j * col_stride) * 16 + c]; };
                        uint32_t m = 0, first, singles;
                        for (int64_t j = j0; j < std::min(cols, j0 + 16); ++j) m |= (x(j) != 0.f) << (j - j0);
                        model_pairs(m, first, singles);
                        for (int64_t j = j0; j < std::min(cols, j0 + 16); ++j) {
                            const int32_t off = (int32_t)(i * bp.off_row + j * bp.off_col);
                            if (singles >> (j - j0) & 1) {
                                sv.push_back(x(j));
                                so.push_back(off);
                            }
                            if (first >> (j - j0) & 1) {
                                pv.push_back(x(j));
                                pv.push_back(x(j + 1));
                                po.push_back(off);
                            }
                        }
                    }
                INFO("channel " << c);
                REQUIRE(cnt[c] == (int32_t)so.size());
                REQUIRE(pcnt[c] == (int32_t)po.size());
                for (size_t e = 0; e < so.size(); ++e) {
                    CHECK(same(sv[e], vals[c * slot + e]));
                    CHECK(offs[c * slot + e] == so[e]);
                }
                for (size_t e = 0; e < po.size(); ++e) {
                    CHECK(same(pv[2 * e], vals[c * slot + slot_cap + 2 * e]));
                    CHECK(same(pv[2 * e + 1], vals[c * slot + slot_cap + 2 * e + 1]));
                    CHECK(offs[c * slot + slot_cap + e] == po[e]);
                }
            }
            CHECK(cnt[16] == -1); // 16 counts of each kind, nothing past them
            CHECK(pcnt[16] == -1);
            CHECK(vals[16 * slot] == sentinel);
        }
    }
}
