// Masked backward data (diff_src * [src > 0]) against the naive reference (backward data,
// then the mask) and oneDNN (backward data, then eltwise_backward ReLU), on small-integer data
// (exact in any order), with diff_src pre-filled with NaN inside guard regions: every element
// must be written, nothing outside.
#include <catch2/catch.hpp>

#include <cmath>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "config/bwd_d_mask_plan.hpp"
#include "driver/bwd_d_mask_conv.hpp"
#include "util/mask_case.hpp"
#include "util/sparse_run.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

std::vector<float> run_mask(const sparse_conv &impl, const test::mask_case &c, tag act = tag::nChw16c) {
    const auto &p = c.p;
    const auto src_b = test::to_layout(c.src, test::src_dims(p), tag::nchw, act);
    const auto dd_b = test::to_layout(c.diff_dst, test::dst_dims(p), tag::nchw, act);
    const auto wei_b = test::to_layout(c.wei, test::wei_dims(p), tag::oihw, tag::IOhw16i16o);
    conv_tensors t;
    t.diff_dst = dd_b.data();
    t.weights = wei_b.data();
    t.mask_src = src_b.data();
    return test::run_sparse_plain(impl, t, &conv_tensors::diff_src, test::src_dims(p), act);
}

std::unique_ptr<sparse_conv> make(const problem_t &p, const std::string &hints, bool nhwc = false) {
    bwd_d_mask_config cfg;
    std::string why;
    const bool ok = plan_bwd_d_mask(p, bwd_d_mask_hints::parse(hints), cfg, why, nhwc);
    INFO(why);
    REQUIRE(ok);
    return make_sparse_bwd_d_mask_from_config(cfg);
}

bool not_trivial(const std::vector<float> &v) {
    for (float x : v)
        if (x != 0.f) return true;
    return false;
}

void check_exact(const std::string &ps, const std::vector<double> &src_sparsities, double dd_sparsity = 0.0,
        const std::string &hints = "", bool nhwc = false) {
    for (double s : src_sparsities) {
        const auto c = test::make_mask_case(ps, s, dd_sparsity, 31 + (uint64_t)(s * 100));
        const auto ref = test::mask_reference(c);
        const auto dnn = test::mask_onednn(c);
        const auto impl = make(c.p, hints, nhwc);
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            INFO(ps << " src sparsity " << s << " diff_dst sparsity " << dd_sparsity << " threads " << threads
                    << " hints '" << hints << "' config " << impl->config_str());
            const auto got = run_mask(*impl, c, nhwc ? tag::nhwc : tag::nChw16c);
            const auto r1 = test::compare(got, ref, 0), r2 = test::compare(got, dnn, 0);
            INFO("vs reference: " << r1.summary() << "; vs oneDNN: " << r2.summary());
            CHECK(r1.ok);
            CHECK(r2.ok);
            if (s < 1.0 && dd_sparsity < 1.0) CHECK(not_trivial(got));
        }
    }
    omp_set_num_threads(2);
}

const std::vector<double> sweep = {0.0, 0.5, 0.9, 1.0};

} // namespace

TEST_CASE("masked bwd_d 3x3 stride 1 equals reference and oneDNN + ReLU backward", "[bwd_d][mask]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih9oc16oh9kh3ph1", "mb2ic48ih7oc32oh7kh3ph1", "mb1ic64ih10iw13oc64oh10ow13kh3ph1",
                 "mb1ic32ih24oc128oh24kh3ph1", "mb2ic16ih10oc16oh8kh3ph0"})
        check_exact(ps, sweep);
}

TEST_CASE("masked bwd_d 3x3 stride 2 and other kernels", "[bwd_d][mask]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih12oc32oh6kh3sh2ph1", "mb2ic32ih13oc48oh7kh3sh2ph1", "mb1ic32ih15iw8oc64oh8ow4kh3sh2ph1",
                 "mb2ic32ih11oc16oh11kh5ph2", "mb2ic16ih9iw12oc32oh9ow12kh1kw3ph0pw1", "mb1ic16ih12oc16oh6kh2sh2ph0"})
        check_exact(ps, sweep);
}

TEST_CASE("masked bwd_d 1x1, stride 2 leaves exact zeros", "[bwd_d][mask]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih8oc64oh8kh1ph0", "mb2ic64ih15oc32oh8kh1sh2ph0", "mb1ic128ih7oc512oh7kh1ph0",
                 "mb3ic64ih7oc256oh7kh1ph0"})
        check_exact(ps, sweep);
}

TEST_CASE("masked bwd_d on nhwc activations", "[bwd_d][mask][nhwc]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih9oc48oh9kh3ph1", "mb2ic48ih13oc32oh7kh3sh2ph1", "mb2ic64ih7oc32oh7kh1ph0",
                 "mb2ic32ih15oc64oh8kh1sh2ph0", "mb1ic32ih10iw13oc32oh10ow13kh3ph1"})
        check_exact(ps, sweep, 0.0, "", true);
    check_exact("mb2ic32ih9oc32oh9kh3ph1", {0.5}, 0.8, "", true);
    check_exact("mb3ic32ih9oc64oh9kh3ph1", {0.6}, 0.0, "occ=2,ib=2,g=3", true);
}

TEST_CASE("masked bwd_d with sparse diff_dst", "[bwd_d][mask]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    check_exact("mb2ic32ih9oc32oh9kh3ph1", {0.5, 0.9}, 0.8);
    check_exact("mb2ic64ih7oc64oh7kh1ph0", {0.5}, 0.9);
    check_exact("mb2ic32ih9oc32oh9kh3ph1", {0.5}, 1.0);
}

TEST_CASE("masked bwd_d forced blockings: groups, all-lane variants, chunks, units", "[bwd_d][mask]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *hints : {"g=1", "g=3", "g=5,full=9", "full=1", "full=13", "occ=1,rb=1", "occ=2,rb=3", "ib=3",
                 "occ=4,ib=2,g=4,full=15", "cls=0", "cls=0,full=1", "cls=1,g=2", "cls=1,occ=1"}) {
        check_exact("mb3ic32ih9oc64oh9kh3ph1", {0.0, 0.3, 0.6, 0.9}, 0.0, hints);
        check_exact("mb2ic32ih11oc64oh6kh3sh2ph1", {0.5}, 0.0, hints);
        check_exact("mb3ic32ih9oc64oh9kh1ph0", {0.2, 0.6}, 0.0, hints);
    }
}

TEST_CASE("masked bwd_d tables: every pixel's taps reach the diff_dst pixels of the convolution", "[bwd_d][mask]") {
    for (const char *ps : {"mb2ic16ih9oc16oh9kh3ph1", "mb2ic16ih13oc16oh7kh3sh2ph1", "mb2ic16ih15oc16oh8kh1sh2ph0",
                 "mb2ic16ih11oc16oh11kh5ph2"}) {
        const auto p = problem_t::parse(ps);
        bwd_d_mask_config c;
        std::string why;
        REQUIRE(plan_bwd_d_mask(p, bwd_d_mask_hints::parse("ib=2"), c, why));
        for (int64_t i = 0; i < c.ib; ++i)
            for (int64_t h = 0; h < p.ih; ++h)
                for (int64_t w = 0; w < p.iw; ++w) {
                    const int32_t *e = &c.pix[4 * ((i * p.ih + h) * p.iw + w)];
                    INFO(ps << " image " << i << " pixel " << h << "," << w);
                    CHECK(e[0] == c.act.offset(i, 0, h, w));
                    std::vector<std::pair<int64_t, int64_t>> expect, got; // (dd offset, weight offset)
                    for (int64_t kh = 0; kh < p.kh; ++kh)
                        for (int64_t kw = 0; kw < p.kw; ++kw) {
                            const int64_t y = h + p.ph - kh, x = w + p.pw - kw;
                            if (y < 0 || x < 0 || y % p.sh || x % p.sw || y / p.sh >= p.oh || x / p.sw >= p.ow) continue;
                            expect.push_back({c.dd.offset(i, 0, y / p.sh, x / p.sw), (kh * p.kw + kw) * 1024});
                        }
                    for (int32_t t = e[2] - (e[3] & 0xffff); t < e[2]; ++t) got.push_back({e[1] + c.taps[2 * t], c.taps[2 * t + 1]});
                    CHECK(got == expect);
                }
    }
}
