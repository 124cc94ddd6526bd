// The naive reference against oneDNN dense in all three directions (plain layouts).
#include <catch2/catch.hpp>

#include <oneapi/dnnl/dnnl.hpp>

#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

struct tensors {
    std::vector<float> src, wei, bias, dst;
};

tensors make(const problem_t &p, uint64_t seed) {
    tensors t;
    t.src.resize(p.mb * p.ic * p.ih * p.iw);
    t.wei.resize(p.oc * p.ic * p.kh * p.kw);
    t.bias.resize(p.oc);
    t.dst.resize(p.mb * p.oc * p.oh * p.ow);
    test::fill_int(t.src, seed, -3, 3);
    test::sparsify(t.src, seed, 0.5);
    test::fill_int(t.wei, seed + 1, -2, 2);
    test::fill_int(t.bias, seed + 2, -4, 4);
    test::fill_int(t.dst, seed + 3, -3, 3);
    return t;
}

dnnl::memory::desc md(const dnnl::memory::dims &d, tag t) {
    return dnnl::memory::desc(d, dnnl::memory::data_type::f32, t);
}

} // namespace

TEST_CASE("reference convolution equals oneDNN dense", "[reference]") {
    const char *problems[] = {
            "mb2ic16ih9oc32oh9kh3ph1",
            "mb2ic32ih8oc16oh4kh3sh2ph1",
            "mb3ic16ih7oc16oh7kh1ph0",
            "mb2ic32ih10oc16oh5kh1sh2ph0",
            "mb1ic3ih12oc16oh6kh7sh2ph3",
    };
    using namespace dnnl;
    auto &eng = test::cpu_engine();
    stream s(eng);
    for (const char *ps : problems) {
        const auto p = problem_t::parse(ps);
        INFO(p.to_string());
        auto t = make(p, 7);
        const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
        auto src_md = md(test::src_dims(p), tag::nchw), dst_md = md(test::dst_dims(p), tag::nchw);
        auto wei_md = md(test::wei_dims(p), tag::oihw), bia_md = md({p.oc}, tag::x);

        convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                src_md, wei_md, bia_md, dst_md, strides, pl, pr);
        convolution_forward::primitive_desc fpd(fd, eng);

        // forward
        std::vector<float> dst_dnnl(t.dst.size()), dst_ref(t.dst.size());
        memory m_src(src_md, eng, t.src.data()), m_wei(wei_md, eng, t.wei.data()),
                m_bia(bia_md, eng, t.bias.data()), m_dst(dst_md, eng, dst_dnnl.data());
        convolution_forward(fpd).execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_wei},
                {DNNL_ARG_BIAS, m_bia}, {DNNL_ARG_DST, m_dst}});
        s.wait();
        reference::conv_fwd(p, t.src.data(), t.wei.data(), t.bias.data(), dst_ref.data());
        CHECK(test::compare(dst_ref, dst_dnnl, 0).ok);

        // backward data
        std::vector<float> dsrc_dnnl(t.src.size()), dsrc_ref(t.src.size());
        convolution_backward_data::desc bd(algorithm::convolution_direct, src_md, wei_md, dst_md, strides, pl, pr);
        convolution_backward_data::primitive_desc bpd(bd, eng, fpd);
        memory m_dsrc(src_md, eng, dsrc_dnnl.data()), m_ddst(dst_md, eng, t.dst.data());
        convolution_backward_data(bpd).execute(s, {{DNNL_ARG_DIFF_SRC, m_dsrc},
                {DNNL_ARG_WEIGHTS, m_wei}, {DNNL_ARG_DIFF_DST, m_ddst}});
        s.wait();
        reference::conv_bwd_d(p, dsrc_ref.data(), t.wei.data(), t.dst.data());
        CHECK(test::compare(dsrc_ref, dsrc_dnnl, 0).ok);

        // backward weights (+ bias)
        std::vector<float> dw_dnnl(t.wei.size()), dw_ref(t.wei.size()), db_dnnl(p.oc), db_ref(p.oc);
        convolution_backward_weights::desc wd(algorithm::convolution_direct, src_md, wei_md,
                bia_md, dst_md, strides, pl, pr);
        convolution_backward_weights::primitive_desc wpd(wd, eng, fpd);
        memory m_dw(wei_md, eng, dw_dnnl.data()), m_db(bia_md, eng, db_dnnl.data());
        convolution_backward_weights(wpd).execute(s, {{DNNL_ARG_SRC, m_src},
                {DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_DIFF_WEIGHTS, m_dw}, {DNNL_ARG_DIFF_BIAS, m_db}});
        s.wait();
        reference::conv_bwd_w(p, t.src.data(), dw_ref.data(), db_ref.data(), t.dst.data());
        CHECK(test::compare(dw_ref, dw_dnnl, 0).ok);
        CHECK(test::compare(db_ref, db_dnnl, 0).ok);
    }
}

TEST_CASE("reference fused ReLU keeps NaN and clamps negatives", "[reference]") {
    const auto p = problem_t::parse("mb1ic1ih1oc2oh1kh1ph0");
    const float src[1] = {1.f};
    const float wei[2] = {-2.f, 3.f};
    float dst[2];
    reference::conv_fwd(p, src, wei, nullptr, dst, true);
    CHECK(dst[0] == 0.f);
    CHECK(dst[1] == 3.f);
}
