// backward_data_options::relu_mask through the public API: every dispatch mode returns
// diff_src * [src > 0], bitwise equal to oneDNN backward data + oneDNN eltwise_backward ReLU
// and to the naive reference (small-integer data), with diff_src pre-filled with NaN (every
// element written); forced sparse runs the masked kernel (stats, impl name); missing
// DNNL_ARG_SRC is an error naming it; a declined shape falls back to oneDNN + the mask.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "sparsetrain/convolution.hpp"
#include "sparsetrain/error.hpp"
#include "util/mask_case.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

struct masked_run {
    std::vector<float> diff_src; // plain nchw
    std::string impl;
    dispatch_stats stats;
};

dnnl::memory::desc any_md(const dnnl::memory::dims &d) { return dnnl::memory::desc(d, dnnl::memory::data_type::f32, tag::any); }

dnnl::memory filled(const dnnl::memory::desc &md, const std::vector<float> &plain, tag plain_tag) {
    auto &eng = test::cpu_engine();
    dnnl::memory m(md, eng);
    dnnl::memory src(dnnl::memory::desc(md.dims(), dnnl::memory::data_type::f32, plain_tag), eng,
            const_cast<float *>(plain.data()));
    dnnl::stream s(eng);
    dnnl::reorder(src, m).execute(s, src, m);
    s.wait();
    return m;
}

std::vector<float> plain_of(dnnl::memory &m, tag plain_tag) {
    auto &eng = test::cpu_engine();
    const dnnl::memory::desc plain_md(m.get_desc().dims(), dnnl::memory::data_type::f32, plain_tag);
    std::vector<float> out(plain_md.get_size() / sizeof(float)); // not the blocked size (padding)
    dnnl::memory dst(plain_md, eng, out.data());
    dnnl::stream s(eng);
    dnnl::reorder(m, dst).execute(s, m, dst);
    s.wait();
    return out;
}

// Runs the masked primitive `runs` times (automatic mode calibrates on the first).
masked_run run_masked(const test::mask_case &c, dispatch_mode mode, int runs = 1, bool with_src = true, tag act = tag::any,
        bool optional = false) {
    const auto &p = c.p;
    auto &eng = test::cpu_engine();
    const dnnl::memory::dims st {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    const auto f32 = dnnl::memory::data_type::f32;
    const dnnl::memory::desc src_md(test::src_dims(p), f32, act), dst_md(test::dst_dims(p), f32, act);
    const auto wei_md = any_md(test::wei_dims(p));
    dispatch_options dispatch;
    dispatch.mode = mode;
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_md,
            wei_md, dst_md, st, pl, pr);
    convolution_forward::primitive_desc fpd(fd, dnnl::primitive_attr(), eng, dispatch);
    dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, src_md, wei_md, dst_md, st, pl, pr);
    backward_data_options opt;
    opt.relu_mask = true;
    opt.relu_mask_optional = optional;
    convolution_backward_data::primitive_desc pd(bd, dnnl::primitive_attr(), eng, fpd, dispatch, opt);
    REQUIRE(pd.relu_mask());
    REQUIRE(pd.src_desc() == pd.diff_src_desc());
    auto wei = filled(pd.weights_desc(), c.wei, tag::oihw);
    auto dd = filled(pd.diff_dst_desc(), c.diff_dst, tag::nchw);
    auto src = filled(pd.src_desc(), c.src, tag::nchw);
    dnnl::memory dsrc(pd.diff_src_desc(), eng);
    convolution_backward_data prim(pd);
    dnnl::stream s(eng);
    for (int r = 0; r < runs; ++r) {
        auto *d = static_cast<float *>(dsrc.get_data_handle());
        std::fill_n(d, pd.diff_src_desc().get_size() / sizeof(float), std::numeric_limits<float>::quiet_NaN());
        std::unordered_map<int, dnnl::memory> args {{DNNL_ARG_DIFF_SRC, dsrc}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_DST, dd}};
        if (with_src) args[DNNL_ARG_SRC] = src;
        prim.execute(s, args);
        s.wait();
    }
    return {plain_of(dsrc, tag::nchw), pd.impl_info_str(), prim.stats()};
}

// expect_mask (forced sparse): 1 the masked kernel must run, 0 the diff_dst-sparse kernel, -1 either.
void check_mode(const char *ps, dispatch_mode mode, double src_sp, double dd_sp, int runs = 1, int expect_mask = -1,
        tag act = tag::any) {
    const auto c = test::make_mask_case(ps, src_sp, dd_sp, 7 + (uint64_t)(100 * src_sp + 10 * dd_sp));
    const auto ref = test::mask_reference(c), dnn = test::mask_onednn(c);
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        const auto r = run_masked(c, mode, runs, true, act);
        const auto a = test::compare(r.diff_src, ref, 0), b = test::compare(r.diff_src, dnn, 0);
        INFO(ps << " mode " << (int)mode << " src sparsity " << src_sp << " diff_dst sparsity " << dd_sp << " threads "
                << threads << " impl " << r.impl << " runs sparse/mask/dense " << r.stats.sparse_runs << "/"
                << r.stats.sparse_mask_runs << "/" << r.stats.dense_runs);
        INFO("vs reference: " << a.summary() << "; vs oneDNN + ReLU backward: " << b.summary());
        CHECK(a.ok);
        CHECK(b.ok);
        CHECK(r.stats.sparse_runs + r.stats.dense_runs + r.stats.reference_runs >= (unsigned long long)runs);
        if (mode == dispatch_mode::sparse && max_isa() >= cpu_isa::avx512_core) {
            CHECK(r.stats.dense_runs == 0);
            CHECK(r.stats.sparse_runs == (unsigned long long)runs);
            if (expect_mask >= 0) CHECK(r.stats.sparse_mask_runs == (unsigned long long)(expect_mask ? runs : 0));
        }
        if (mode == dispatch_mode::dense) CHECK(r.stats.sparse_runs == 0);
    }
    omp_set_num_threads(2);
}

const char *const shapes[] = {"mb2ic32ih9oc32oh9kh3ph1", "mb2ic32ih13oc48oh7kh3sh2ph1", "mb2ic64ih7oc32oh7kh1ph0",
        "mb2ic32ih15oc32oh8kh1sh2ph0", "mb1ic48ih10iw13oc32oh10ow13kh3ph1"};

} // namespace

TEST_CASE("relu_mask: forced sparse equals oneDNN + ReLU backward and the reference", "[api][mask]") {
    for (const char *ps : shapes)
        for (double s : {0.0, 0.5, 0.9, 1.0}) check_mode(ps, dispatch_mode::sparse, s, 0.0);
    // Sparse diff_dst: the masked kernel (src sparser) or the row kernel + mask (diff_dst sparser).
    check_mode("mb2ic32ih9oc32oh9kh3ph1", dispatch_mode::sparse, 0.5, 0.9);
    check_mode("mb2ic32ih9oc32oh9kh3ph1", dispatch_mode::sparse, 0.9, 0.5);
    check_mode("mb2ic64ih7oc32oh7kh1ph0", dispatch_mode::sparse, 0.5, 1.0);
    // The kernel predicted faster by the static cost shapes (many output channels per tap: the
    // masked kernel on a sparse src; the diff_dst kernel on a very sparse diff_dst).
    check_mode("mb1ic32ih10oc256oh10kh3ph1", dispatch_mode::sparse, 0.5, 0.0, 1, 1);
    check_mode("mb1ic32ih10oc256oh10kh3ph1", dispatch_mode::sparse, 0.9, 0.0, 1, 1);
    check_mode("mb1ic32ih10oc256oh10kh3ph1", dispatch_mode::sparse, 0.0, 0.95, 1, 0);
}

TEST_CASE("relu_mask: nhwc activations, both kernels and dense", "[api][mask][nhwc]") {
    for (const char *ps : {"mb2ic32ih9oc48oh9kh3ph1", "mb2ic64ih7oc32oh7kh1ph0", "mb2ic32ih13oc32oh7kh3sh2ph1"})
        for (double s : {0.0, 0.5, 0.9, 1.0}) check_mode(ps, dispatch_mode::sparse, s, 0.0, 1, -1, tag::nhwc);
    check_mode("mb1ic32ih10oc256oh10kh3ph1", dispatch_mode::sparse, 0.5, 0.0, 1, 1, tag::nhwc);
    check_mode("mb1ic32ih10oc256oh10kh3ph1", dispatch_mode::sparse, 0.0, 0.95, 1, 0, tag::nhwc);
    check_mode("mb2ic32ih9oc48oh9kh3ph1", dispatch_mode::dense, 0.5, 0.0, 1, -1, tag::nhwc);
    check_mode("mb2ic32ih9oc48oh9kh3ph1", dispatch_mode::automatic, 0.5, 0.0, 3, -1, tag::nhwc);
}

TEST_CASE("relu_mask_optional: exact where src > 0, no mask pass on the dense path", "[api][mask]") {
    const auto c = test::make_mask_case("mb1ic32ih10oc256oh10kh3ph1", 0.5, 0.0, 21);
    const auto ref = test::mask_reference(c);
    auto masked = [&](std::vector<float> v) {
        for (size_t i = 0; i < v.size(); ++i) v[i] = c.src[i] > 0.f ? v[i] : 0.f;
        return v;
    };
    // Dense: oneDNN's unmasked gradient (non-zero somewhere src is 0), exact after the ReLU backward.
    const auto d = run_masked(c, dispatch_mode::dense, 1, true, tag::any, true);
    CHECK(d.impl.find("relu_mask") != std::string::npos);
    CHECK(test::compare(masked(d.diff_src), ref, 0).ok);
    bool unmasked_somewhere = false;
    for (size_t i = 0; i < ref.size(); ++i) unmasked_somewhere = unmasked_somewhere || (!(c.src[i] > 0.f) && d.diff_src[i] != 0.f);
    CHECK(unmasked_somewhere);
    // The kernels below need AVX-512; capped or without it, forced sparse runs the dense path
    // checked above (tests/test_api_relu_mask's other cases cover the capped fallback).
    if (max_isa() < cpu_isa::avx512_core) return;
    // The masked kernel still writes exact zeros where src <= 0.
    const auto s = run_masked(c, dispatch_mode::sparse, 1, true, tag::any, true);
    CHECK(s.stats.sparse_mask_runs == 1);
    CHECK(test::compare(s.diff_src, ref, 0).ok);
    // The diff_dst-sparse kernel: no mask pass either.
    const auto c2 = test::make_mask_case("mb1ic32ih10oc256oh10kh3ph1", 0.0, 0.95, 22);
    const auto r = run_masked(c2, dispatch_mode::sparse, 1, true, tag::any, true);
    CHECK(r.stats.sparse_runs == 1);
    CHECK(r.stats.sparse_mask_runs == 0);
    CHECK(test::compare(r.diff_src, test::mask_reference(c2), 0).ok); // src has no zeros here
}

TEST_CASE("relu_mask: dense and automatic modes apply the mask too", "[api][mask][dispatch]") {
    for (double s : {0.0, 0.5, 0.9}) {
        check_mode("mb2ic32ih9oc32oh9kh3ph1", dispatch_mode::dense, s, 0.0);
        check_mode("mb2ic32ih9oc32oh9kh3ph1", dispatch_mode::automatic, s, 0.0, 3);
        check_mode("mb2ic64ih7oc32oh7kh1ph0", dispatch_mode::automatic, s, 0.5, 3);
        check_mode("mb2ic32ih9oc32oh9kh3ph1", dispatch_mode::deterministic, s, 0.0, 2);
    }
}

TEST_CASE("relu_mask: a shape the kernels decline falls back to oneDNN, still masked", "[api][mask]") {
    // ic = 8: no sparse kernel (channel blocking); oneDNN dense, then the mask.
    const auto c = test::make_mask_case("mb2ic8ih9oc16oh9kh3ph1", 0.5, 0.0, 5);
    const auto r = run_masked(c, dispatch_mode::sparse);
    INFO(r.impl);
    CHECK(r.impl.find("relu_mask") != std::string::npos);
    CHECK(r.stats.sparse_runs == 0);
    const auto a = test::compare(r.diff_src, test::mask_reference(c), 0),
               b = test::compare(r.diff_src, test::mask_onednn(c), 0);
    INFO("vs reference: " << a.summary() << "; vs oneDNN + ReLU backward: " << b.summary());
    CHECK(a.ok);
    CHECK(b.ok);
}

TEST_CASE("relu_mask: DNNL_ARG_SRC is required and named; without the option nothing changes", "[api][mask]") {
    const auto c = test::make_mask_case("mb2ic32ih9oc32oh9kh3ph1", 0.5, 0.0, 9);
    try {
        run_masked(c, dispatch_mode::sparse, 1, false);
        FAIL("no error without DNNL_ARG_SRC");
    } catch (const sparsetrain::error &e) {
        CHECK(std::string(e.what()).find("DNNL_ARG_SRC") != std::string::npos);
    }
    const auto &p = c.p;
    auto &eng = test::cpu_engine();
    const dnnl::memory::dims st {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    const auto src_md = any_md(test::src_dims(p)), wei_md = any_md(test::wei_dims(p)), dst_md = any_md(test::dst_dims(p));
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_md,
            wei_md, dst_md, st, pl, pr);
    convolution_forward::primitive_desc fpd(fd, dnnl::primitive_attr(), eng, dispatch_options());
    dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, src_md, wei_md, dst_md, st, pl, pr);
    convolution_backward_data::primitive_desc plain_pd(bd, dnnl::primitive_attr(), eng, fpd, dispatch_options());
    CHECK_FALSE(plain_pd.relu_mask());
    CHECK(plain_pd.src_desc() == dnnl::memory::desc());
    CHECK(plain_pd.impl_info_str().find("relu_mask") == std::string::npos);
}
