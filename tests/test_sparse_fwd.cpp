// Sparse forward convolution against the naive reference and oneDNN dense, on the very
// buffers oneDNN uses (nChw16c / OIhw16i16o, and nhwc with oneDNN's own weights pick), with
// guard regions around dst and dst pre-filled with NaN.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "config/fwd_config.hpp"
#include "driver/fwd_conv.hpp"
#include "jit/kernel_cache.hpp"
#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"
#include "util/test_layouts.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

const int guard = 64; // floats before and after dst
const float canary = -12345.75f;

struct fwd_case {
    problem_t p;
    act_format act = act_format::nChw16c;           // src and dst
    weights_layout wl = weights_layout::OIhw16i16o;
    bool bias = false, relu = false;
    std::vector<float> src, wei, b; // plain nchw / oihw / x
};

// Small-integer data: every sum is exact in fp32 in any order. Some pixels are forced all
// zero and some fully dense so that empty and full 16-lane vectors always occur.
fwd_case make_case(const std::string &ps, double sparsity, uint64_t seed, bool bias, bool relu) {
    fwd_case c;
    c.p = problem_t::parse(ps);
    c.bias = bias;
    c.relu = relu;
    const auto &p = c.p;
    c.src.resize(p.mb * p.ic * p.ih * p.iw);
    c.wei.resize(p.oc * p.ic * p.kh * p.kw);
    c.b.resize(p.oc);
    test::fill_int(c.src, seed, -3, 3);
    test::sparsify(c.src, seed, sparsity);
    test::fill_int(c.wei, seed + 1, -2, 2);
    test::fill_int(c.b, seed + 2, -5, 5);
    if (sparsity > 0 && sparsity < 1) {
        std::mt19937_64 gen(seed + 3);
        const int64_t hw = p.ih * p.iw;
        for (int64_t n = 0; n < p.mb; ++n)
            for (int64_t k = 0; k < hw / 5 + 1; ++k) {
                const int64_t pix = (int64_t)(gen() % hw);
                const bool dense = gen() & 1;
                for (int64_t ch = 0; ch < p.ic; ++ch) {
                    float &x = c.src[(n * p.ic + ch) * hw + pix];
                    x = dense ? (float)(1 + (int)(gen() % 3)) : 0.f;
                }
            }
    }
    return c;
}

std::vector<float> blocked_src(const fwd_case &c) {
    return test::to_layout(c.src, test::src_dims(c.p), tag::nchw, test::act_tag(c.act));
}
std::vector<float> blocked_wei(const fwd_case &c) {
    return test::to_layout(c.wei, test::wei_dims(c.p), tag::oihw, test::wei_tag(c.wl));
}

// The case in layout `act`, with the weights oneDNN picks for it.
fwd_case in_layout(fwd_case c, act_format act) {
    c.act = act;
    c.wl = test::onednn_fwd_weights(c.p, act);
    return c;
}

// Runs `impl` on guarded dst pre-filled with NaN; checks the guards; returns plain dst.
std::vector<float> run_sparse(const sparse_conv &impl, const fwd_case &c, const std::vector<float> &src_b,
        const std::vector<float> &wei_b, double density_hint = -1) {
    const auto &p = c.p;
    const size_t n = (size_t)(p.mb * p.oc * p.oh * p.ow);
    std::vector<float> buf(n + 2 * guard, canary);
    for (size_t i = 0; i < n; ++i) buf[guard + i] = std::numeric_limits<float>::quiet_NaN(); // must be overwritten
    conv_tensors t;
    t.src = src_b.data();
    t.weights = wei_b.data();
    t.bias = c.bias ? c.b.data() : nullptr;
    t.dst = buf.data() + guard;
    t.density_hint = density_hint;
    impl.execute(t);
    bool guards_ok = true;
    for (int i = 0; i < guard; ++i)
        guards_ok = guards_ok && std::memcmp(&buf[i], &canary, 4) == 0
                && std::memcmp(&buf[guard + n + i], &canary, 4) == 0;
    CHECK(guards_ok);
    std::vector<float> blocked(buf.begin() + guard, buf.begin() + guard + n);
    return test::from_layout(blocked, test::dst_dims(p), test::act_tag(c.act), tag::nchw);
}

std::vector<float> run_reference(const fwd_case &c) {
    std::vector<float> d((size_t)(c.p.mb * c.p.oc * c.p.oh * c.p.ow));
    reference::conv_fwd(c.p, c.src.data(), c.wei.data(), c.bias ? c.b.data() : nullptr, d.data(), c.relu);
    return d;
}

// oneDNN dense on the same blocked buffers.
std::vector<float> run_onednn(const fwd_case &c, const std::vector<float> &src_b, const std::vector<float> &wei_b) {
    using namespace dnnl;
    const auto &p = c.p;
    auto &eng = test::cpu_engine();
    auto md = [](const memory::dims &d, tag t) { return memory::desc(d, memory::data_type::f32, t); };
    auto src_md = md(test::src_dims(p), test::act_tag(c.act)), dst_md = md(test::dst_dims(p), test::act_tag(c.act));
    auto wei_md = md(test::wei_dims(p), test::wei_tag(c.wl)), bia_md = md({p.oc}, tag::x);
    const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    auto fd = c.bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                               src_md, wei_md, bia_md, dst_md, strides, pl, pr)
                     : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                               src_md, wei_md, dst_md, strides, pl, pr);
    primitive_attr attr;
    if (c.relu) {
        post_ops po;
        po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
        attr.set_post_ops(po);
    }
    convolution_forward::primitive_desc pd(fd, attr, eng);
    std::vector<float> dst_b(pd.dst_desc().get_size() / 4);
    memory m_src(src_md, eng, const_cast<float *>(src_b.data())), m_wei(wei_md, eng, const_cast<float *>(wei_b.data()));
    memory m_bia(bia_md, eng, const_cast<float *>(c.b.data())), m_dst(dst_md, eng, dst_b.data());
    stream s(eng);
    convolution_forward(pd).execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_wei},
            {DNNL_ARG_BIAS, m_bia}, {DNNL_ARG_DST, m_dst}});
    s.wait();
    return test::from_layout(dst_b, test::dst_dims(p), test::act_tag(c.act), tag::nchw);
}

std::unique_ptr<sparse_conv> make(const fwd_case &c, const std::string &hints = "") {
    sparse_conv_options o;
    o.with_bias = c.bias;
    o.with_relu = c.relu;
    o.act = c.act;
    o.wei_layout = c.wl;
    fwd_config cfg;
    std::string why;
    auto h = fwd_plan_hints::parse(hints);
    h.threads = 2;
    const bool ok = plan_fwd(c.p, o, cfg, why, h);
    INFO(why);
    REQUIRE(ok);
    return make_sparse_fwd_from_config(cfg);
}

bool not_trivial(const std::vector<float> &v) {
    for (float x : v)
        if (x != 0.f) return true;
    return false;
}

// Exact comparison of one case against both the reference and oneDNN, for 1 and 2 threads.
// With expect_pairs the plan must have the image-pair variant.
void check_case(const fwd_case &c, double s, const std::string &hints, bool expect_pairs, double density_hint) {
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto ref = run_reference(c);
    const auto dnn = run_onednn(c, src_b, wei_b);
    const auto impl = make(c, hints);
    const std::string ps = c.p.to_string();
    if (expect_pairs) {
        INFO(ps << " hints '" << hints << "' config " << impl->config_str());
        CHECK(impl->config_str().find(":pairs") != std::string::npos);
    }
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        INFO(ps << " " << to_string(c.act) << " weights " << to_string(c.wl) << " sparsity " << s << " threads " << threads
                << " bias " << c.bias << " relu " << c.relu << " hints '" << hints << "' density hint " << density_hint
                << " config " << impl->config_str());
        const auto got = run_sparse(*impl, c, src_b, wei_b, density_hint);
        const auto r1 = test::compare(got, ref, 0), r2 = test::compare(got, dnn, 0);
        INFO("vs reference: " << r1.summary() << "; vs oneDNN: " << r2.summary());
        CHECK(r1.ok);
        CHECK(r2.ok);
        if (s < 1.0 || c.bias) CHECK(not_trivial(got));
    }
    omp_set_num_threads(2);
}

// check_case in both activation layouts (nhwc with oneDNN's weights pick) at each sparsity.
void check_exact(const std::string &ps, const std::vector<double> &sparsities, bool bias, bool relu,
        const std::string &hints = "", bool expect_pairs = false, double density_hint = -1) {
    for (double s : sparsities)
        for (act_format act : test::both_layouts())
            check_case(in_layout(make_case(ps, s, 11 + (uint64_t)(s * 100), bias, relu), act), s, hints, expect_pairs,
                    density_hint);
}

const std::vector<double> sweep = {0.0, 0.5, 0.9, 1.0};

} // namespace

TEST_CASE("sparse fwd 3x3 stride 1 equals reference and oneDNN", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic16ih9oc32oh9kh3ph1", "mb2ic32ih7oc48oh7kh3ph1", "mb1ic64ih10iw13oc64oh10ow13kh3ph1",
                 "mb1ic128ih24oc64oh24kh3ph1", "mb1ic256ih14oc256oh14kh3ph1"})
        check_exact(ps, sweep, false, false);
}

TEST_CASE("sparse fwd 3x3 stride 2 equals reference and oneDNN", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih12oc32oh6kh3sh2ph1", "mb2ic48ih13oc32oh7kh3sh2ph1", "mb1ic64ih15iw8oc32oh8ow4kh3sh2ph1"})
        check_exact(ps, sweep, false, false);
}

TEST_CASE("sparse fwd 1x1 equals reference and oneDNN", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic64ih8oc32oh8kh1ph0", "mb2ic32ih15oc64oh8kh1sh2ph0", "mb1ic512ih7oc128oh7kh1ph0",
                 "mb1ic256ih14iw9oc64oh14ow9kh1ph0", "mb1ic64ih14oc128oh7kh1sh2ph0"})
        check_exact(ps, sweep, false, false);
}

TEST_CASE("sparse fwd other kernels, padding and strides", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic16ih10oc16oh8kh3ph0", "mb2ic16ih11oc32oh11kh5ph2", "mb2ic32ih9iw12oc16oh9ow12kh1kw3ph0pw1",
                 "mb2ic16ih9iw7oc32oh5ow7kh3kw1sh2sw1ph1pw0", "mb1ic16ih12oc16oh6kh2sh2ph0"})
        check_exact(ps, {0.0, 0.5, 1.0}, false, false);
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
    const auto p = problem_t::parse("mb4ic64ih14oc64oh14kh3ph1");
    sparse_conv_options o;
    std::string why;
    fwd_config cfg;
    REQUIRE(plan_fwd(p, o, cfg, why));
    // The cost model gives this 3x3 layer a pair variant for dense enough src.
    REQUIRE(cfg.pairs.acc_sets > 0);
    CHECK(cfg.pairs.min_density > 0.0);
    CHECK(cfg.pairs.min_density < 1.0);
    CHECK(cfg.pair_ib >= 2);
    CHECK(cfg.use_pairs(1.0));
    CHECK(!cfg.use_pairs(0.0));
    CHECK(cfg.use_pairs(cfg.pairs.min_density));
    CHECK(cfg.use_pairs(-1) == (1.0 - cfg.planning_sparsity >= cfg.pairs.min_density));
    fwd_config none;
    REQUIRE(plan_fwd(p, o, none, why, fwd_plan_hints::parse("pairs=0")));
    CHECK(none.pairs.acc_sets == 0);
    CHECK(!none.use_pairs(1.0));
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

TEST_CASE("sparse fwd on nhwc reads every weights layout in place", "[fwd][nhwc]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // brgconv's Ohwi<B>o picks and OIhw16i16o; output groups of 16, 32 and 64 channels meet
    // the 48-channel blocks of Ohwi48o in three displacement patterns (and 32-channel groups
    // straddle nothing): one pass kernel per pattern. 3x3 and 1x1 (single, pair and inline
    // variants), bias and ReLU.
    for (weights_layout wl : {weights_layout::OIhw16i16o, weights_layout::Ohwi16o, weights_layout::Ohwi32o,
                 weights_layout::Ohwi48o, weights_layout::Ohwi64o})
        for (const char *hints : {"ocb=1", "ocb=2", "ocb=4,pairs=1", "ocb=4,sets=2"})
            for (const char *ps : {"mb2ic32ih9oc192oh9kh3ph1", "mb3ic48ih7oc192oh7kh1ph0"}) {
                auto c = make_case(ps, 0.5, 31, true, true);
                c.act = act_format::nhwc;
                c.wl = wl;
                check_case(c, 0.5, hints, false, -1);
            }
    fwd_config cfg;
    std::string why;
    sparse_conv_options o;
    o.act = act_format::nhwc;
    o.wei_layout = weights_layout::Ohwi48o;
    REQUIRE(plan_fwd(problem_t::parse("mb2ic32ih9oc192oh9kh3ph1"), o, cfg, why, fwd_plan_hints::parse("ocb=4")));
    CHECK(cfg.wei_patterns == 3);
    REQUIRE(plan_fwd(problem_t::parse("mb2ic32ih9oc192oh9kh3ph1"), o, cfg, why, fwd_plan_hints::parse("ocb=3")));
    CHECK(cfg.wei_patterns == 1);
}

TEST_CASE("sparse fwd random floats within tolerance", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic128ih14oc64oh14kh3ph1", "mb2ic256ih7oc64oh7kh1ph0"}) {
        auto c = make_case(ps, 0.0, 5, true, false);
        // Realistic scales: src is a ReLU output (non-negative, O(1)); weights are He-init
        // sized (std ~ sqrt(2 / fan_in) ~ 0.04 here).
        std::mt19937_64 gen(99);
        std::uniform_real_distribution<float> us(0.f, 2.f), uw(-0.1f, 0.1f);
        for (auto &x : c.src) x = us(gen);
        for (auto &x : c.wei) x = uw(gen);
        test::sparsify(c.src, 3, 0.6);
        const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
        const auto got = run_sparse(*make(c), c, src_b, wei_b);
        const double tol = test::sum_tolerance(c.p.ic * c.p.kh * c.p.kw);
        const auto r1 = test::compare(got, run_reference(c), tol), r2 = test::compare(got, run_onednn(c, src_b, wei_b), tol);
        const auto r3 = test::compare(run_onednn(c, src_b, wei_b), run_reference(c), tol);
        INFO(ps << " tol " << tol << " vs reference: " << r1.summary() << "; vs oneDNN: " << r2.summary() << "; oneDNN vs reference: " << r3.summary());
        CHECK(r1.ok);
        CHECK(r2.ok);
    }
}

TEST_CASE("sparse fwd skips zero src: Inf/NaN weights there leave the result finite", "[fwd]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // Input channel 5 is zero everywhere; its weights are Inf and NaN. Dense math gives
    // 0 * Inf = NaN in every output; the sparse kernel never reads those weights, so the
    // result is that of the convolution with channel 5 removed.
    auto c = make_case("mb1ic32ih8oc32oh8kh3ph1", 0.3, 21, true, false);
    const auto &p = c.p;
    for (int64_t pix = 0; pix < p.ih * p.iw; ++pix) c.src[5 * p.ih * p.iw + pix] = 0.f;
    auto finite = c;
    for (int64_t oc = 0; oc < p.oc; ++oc)
        for (int64_t k = 0; k < p.kh * p.kw; ++k) {
            c.wei[(oc * p.ic + 5) * p.kh * p.kw + k] = (oc % 2) ? std::numeric_limits<float>::infinity()
                                                                 : std::numeric_limits<float>::quiet_NaN();
            finite.wei[(oc * p.ic + 5) * p.kh * p.kw + k] = 0.f;
        }
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto got = run_sparse(*make(c), c, src_b, wei_b);
    const auto expected = run_reference(finite);
    CHECK(test::compare(got, expected, 0).ok);
    const auto dense = run_onednn(c, src_b, wei_b);
    CHECK(std::isnan(dense[0])); // the difference this test pins
}

TEST_CASE("sparse fwd image pairs skip zero src too: Inf/NaN weights there leave the result finite", "[fwd][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    auto c = make_case("mb2ic32ih8oc32oh8kh3ph1", 0.3, 21, true, false);
    const auto &p = c.p;
    for (int64_t n = 0; n < p.mb; ++n)
        for (int64_t pix = 0; pix < p.ih * p.iw; ++pix) c.src[(n * p.ic + 5) * p.ih * p.iw + pix] = 0.f;
    auto finite = c;
    for (int64_t oc = 0; oc < p.oc; ++oc)
        for (int64_t k = 0; k < p.kh * p.kw; ++k) {
            c.wei[(oc * p.ic + 5) * p.kh * p.kw + k] = (oc % 2) ? std::numeric_limits<float>::infinity()
                                                                 : std::numeric_limits<float>::quiet_NaN();
            finite.wei[(oc * p.ic + 5) * p.kh * p.kw + k] = 0.f;
        }
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

TEST_CASE("sparse fwd declines what it does not cover, with a reason", "[fwd]") {
    sparse_conv_options o;
    std::string why;
    CHECK(!make_sparse_fwd(problem_t::parse("mb2ic8ih8oc16oh8kh3ph1"), o, why));
    CHECK(why.find("multiples of 16") != std::string::npos);
    CHECK(!make_sparse_fwd(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1dh1"), o, why));
    CHECK(why.find("dilation") != std::string::npos);
    CHECK(!make_sparse_fwd(problem_t::parse("g2mb2ic32ih8oc32oh8kh3ph1"), o, why));
    CHECK(why.find("groups") != std::string::npos);
    o.wei_layout = weights_layout::OIhw16o16i;
    CHECK(!make_sparse_fwd(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), o, why));
    CHECK(why.find("OIhw16i16o") != std::string::npos);
    o.wei_layout = weights_layout::OIhw16i16o;
    why.clear();
    CHECK(make_sparse_fwd(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), o, why));
    CHECK(why.empty());
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
