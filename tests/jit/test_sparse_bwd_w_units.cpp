// Units of the sparse bwd_w path: the list builder against a scalar model of its lists, and
// the planner's coverage and declines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "common/cpu.hpp"
#include "config/bwd_w_plan.hpp"
#include "driver/sparse_conv.hpp"
#include "jit/bwd_w_list_builder.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

TEST_CASE("bwd_w list builder: per-channel lists of non-zeros with their offsets", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // A strided class: every other pixel of every other row, 3 rows x `cols` pixels.
    const int64_t iw = 50, col_stride = 2, row_stride = 2;
    jit::bwd_w_build_params bp;
    bp.src_row_step = row_stride * iw * 64;
    bp.src_col_step = col_stride * 64;
    bp.off_row = 1000 * 4;
    bp.off_col = 12;
    const int64_t slot_cap = 96;
    bp.slot_bytes = slot_cap * 4;
    jit::bwd_w_list_builder b(bp);
    b.create();
    jit::bwd_w_build_params bp_off = bp;
    bp_off.offsets_only = true;
    jit::bwd_w_list_builder b_off(bp_off);
    b_off.create();

    for (int64_t cols : {1, 15, 16, 17, 25}) {
        for (double density : {0.0, 0.3, 1.0}) {
            const int64_t rows = 3;
            std::vector<float> src(8 * iw * 16);
            std::mt19937 gen((unsigned)(cols * 10 + density * 7));
            std::uniform_real_distribution<float> u(-1.f, 1.f), d(0.f, 1.f);
            for (auto &x : src) x = d(gen) < density ? u(gen) : (d(gen) < 0.5f ? 0.f : -0.f);
            src[5] = std::numeric_limits<float>::quiet_NaN(); // NaN is not skipped
            const float sentinel = 4242.f;
            std::vector<float> vals(16 * slot_cap + 32, sentinel);
            std::vector<int32_t> offs(16 * slot_cap + 32, -7), cnt(16 + 4, -1);
            jit::bwd_w_build_args a {src.data(), vals.data(), offs.data(), cnt.data(), rows, cols, nullptr};
            b(&a);
            // The offsets-only builder writes the same offsets and counts, and no values.
            std::vector<int32_t> offs2(offs.size(), -7), cnt2(cnt.size(), -1);
            std::vector<float> vals2(vals.size(), sentinel);
            jit::bwd_w_build_args a2 {src.data(), vals2.data(), offs2.data(), cnt2.data(), rows, cols, nullptr};
            b_off(&a2);
            for (int c = 0; c < 16; ++c) {
                REQUIRE(cnt2[c] == cnt[c]);
                for (int e = 0; e < cnt[c]; ++e) CHECK(offs2[c * slot_cap + e] == offs[c * slot_cap + e]);
            }
            CHECK(cnt2[16] == -1);
            CHECK(std::all_of(vals2.begin(), vals2.end(), [&](float x) { return x == sentinel; }));
            INFO("cols " << cols << " density " << density);
            for (int c = 0; c < 16; ++c) {
                std::vector<float> ev;
                std::vector<int32_t> eo;
                for (int64_t i = 0; i < rows; ++i)
                    for (int64_t j = 0; j < cols; ++j) {
                        const float x = src[((i * row_stride) * iw + j * col_stride) * 16 + c];
                        if (x == 0.f) continue;
                        ev.push_back(x);
                        eo.push_back((int32_t)(i * bp.off_row + j * bp.off_col));
                    }
                REQUIRE(cnt[c] == (int32_t)ev.size());
                for (size_t e = 0; e < ev.size(); ++e) {
                    const float got = vals[c * slot_cap + e];
                    if (std::isnan(ev[e])) CHECK(std::isnan(got));
                    else CHECK(got == ev[e]);
                    CHECK(offs[c * slot_cap + e] == eo[e]);
                }
            }
            CHECK(cnt[16] == -1); // nothing written past the 16 counts
            CHECK(vals[16 * slot_cap] == sentinel);
        }
    }
}

TEST_CASE("bwd_w planner: coverage and declines", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    const auto t = bwd_w_tuning {};
    bwd_w_plan q;
    std::string why;
    // Every non-initial layer shape family of VGG16 / ResNet-34 / ResNet-50 is accepted.
    for (const char *s : {"mb16ic64ih224oc64oh224kh3ph1", "mb16ic256ih28oc256oh28kh3ph1",
                 "mb16ic128ih56oc128oh28kh3sh2ph1", "mb16ic256ih56oc64oh56kh1ph0",
                 "mb16ic1024ih14oc2048oh7kh1sh2ph0", "mb16ic512ih7oc512oh7kh3ph1",
                 "mb16ic2048ih7oc512oh7kh1ph0"}) {
        INFO(s);
        CHECK(plan_bwd_w(problem_t::parse(s), bwd_w_options(true), q, why, t, 2));
        CHECK(q.tile_h >= 1);
        CHECK(q.band_w >= 1);
        for (const auto &c : q.classes)
            for (const auto &g : c.groups) CHECK(g.n_acc() <= t.max_acc);
    }
    // 3x3 stride 2: four classes with 1 + 2 + 2 + 4 taps.
    REQUIRE(plan_bwd_w(problem_t::parse("mb2ic16ih14oc16oh7kh3sh2ph1"), bwd_w_options(false), q, why, t, 1));
    int taps = 0;
    for (const auto &c : q.classes) taps += (int)c.taps.size();
    CHECK(q.classes.size() == 4);
    CHECK(taps == 9);
    // 1x1 stride 2: only even pixels, diff_dst in place.
    REQUIRE(plan_bwd_w(problem_t::parse("mb2ic16ih14oc16oh7kh1sh2ph0"), bwd_w_options(false), q, why, t, 1));
    CHECK(q.classes.size() == 1);
    CHECK(!q.dd_copy);

    const char *declined[] = {"g2mb2ic32ih8oc32oh8kh3ph1", "mb2ic16ih8oc16oh6kh3dh1ph1",
            "mb2ic24ih8oc16oh8kh3ph1", "mb2ic16ih8oc24oh8kh3ph1", "mb2ic16ih8oc16oh8kh5ph2",
            "mb2ic16ih9oc16oh3kh3sh3ph0", "mb2ic16id4ih8oc16od4oh8kd3kh3pd1ph1"};
    for (const char *s : declined) {
        INFO(s);
        why.clear();
        CHECK_FALSE(plan_bwd_w(problem_t::parse(s), bwd_w_options(false), q, why, t, 2));
        CHECK(!why.empty());
    }
    // The factory declines other diff_weights layouts.
    sparse_conv_options o;
    o.wei_layout = weights_layout::OIhw16o16i;
    why.clear();
    CHECK(make_sparse_bwd_w(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), o, why) == nullptr);
    CHECK(!why.empty());
}
