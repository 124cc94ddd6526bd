#include "util/mask_case.hpp"

#include <random>

#include <oneapi/dnnl/dnnl.hpp>

#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"

namespace sparsetrain {
namespace test {

using tag = dnnl::memory::format_tag;

mask_case make_mask_case(const std::string &problem, double src_sparsity, double dd_sparsity, uint64_t seed) {
    mask_case c;
    c.p = problem_t::parse(problem);
    const auto &p = c.p;
    c.src.resize(p.mb * p.ic * p.ih * p.iw);
    c.diff_dst.resize(p.mb * p.oc * p.oh * p.ow);
    c.wei.resize(p.oc * p.ic * p.kh * p.kw);
    fill_int(c.src, seed, 1, 3);
    sparsify(c.src, seed + 7, src_sparsity);
    fill_int(c.diff_dst, seed + 1, -3, 3);
    sparsify(c.diff_dst, seed + 8, dd_sparsity);
    fill_int(c.wei, seed + 2, -2, 2);
    if (src_sparsity > 0 && src_sparsity < 1) {
        // Whole pixels (all channels) zero or all positive: buckets 0 and 16.
        std::mt19937_64 gen(seed + 3);
        const int64_t hw = p.ih * p.iw;
        for (int64_t n = 0; n < p.mb; ++n)
            for (int64_t k = 0; k < hw / 6 + 1; ++k) {
                const int64_t pix = (int64_t)(gen() % hw);
                const bool on = gen() & 1;
                for (int64_t ch = 0; ch < p.ic; ++ch) c.src[(n * p.ic + ch) * hw + pix] = on ? (float)(1 + gen() % 3) : 0.f;
            }
    }
    return c;
}

std::vector<float> mask_reference(const mask_case &c) {
    std::vector<float> d(c.src.size());
    reference::conv_bwd_d(c.p, d.data(), c.wei.data(), c.diff_dst.data());
    for (size_t i = 0; i < d.size(); ++i) d[i] = c.src[i] > 0.f ? d[i] : 0.f;
    return d;
}

std::vector<float> mask_onednn(const mask_case &c) {
    using namespace dnnl;
    const auto &p = c.p;
    auto &eng = cpu_engine();
    auto md = [](const memory::dims &d, tag t) { return memory::desc(d, memory::data_type::f32, t); };
    const auto src_md = md(src_dims(p), tag::nChw16c), dst_md = md(dst_dims(p), tag::nChw16c);
    const auto wei_md = md(wei_dims(p), tag::OIhw16o16i);
    const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, wei_md, dst_md,
            strides, pl, pr);
    convolution_forward::primitive_desc fpd(fd, eng);
    convolution_backward_data::desc bd(algorithm::convolution_direct, src_md, wei_md, dst_md, strides, pl, pr);
    convolution_backward_data::primitive_desc bpd(bd, eng, fpd);

    auto wei_b = to_layout(c.wei, wei_dims(p), tag::oihw, tag::OIhw16o16i);
    auto ddst_b = to_layout(c.diff_dst, dst_dims(p), tag::nchw, tag::nChw16c);
    auto src_b = to_layout(c.src, src_dims(p), tag::nchw, tag::nChw16c);
    std::vector<float> dsrc_b(src_md.get_size() / 4), out_b(src_md.get_size() / 4);
    memory m_dsrc(src_md, eng, dsrc_b.data()), m_wei(wei_md, eng, wei_b.data()), m_ddst(dst_md, eng, ddst_b.data());
    memory m_src(src_md, eng, src_b.data()), m_out(src_md, eng, out_b.data());
    stream s(eng);
    convolution_backward_data(bpd).execute(s, {{DNNL_ARG_DIFF_SRC, m_dsrc}, {DNNL_ARG_WEIGHTS, m_wei},
            {DNNL_ARG_DIFF_DST, m_ddst}});
    eltwise_forward::desc efd(prop_kind::forward_training, algorithm::eltwise_relu, src_md, 0.f);
    eltwise_forward::primitive_desc efpd(efd, eng);
    eltwise_backward::desc ebd(algorithm::eltwise_relu, src_md, src_md, 0.f);
    eltwise_backward::primitive_desc ebpd(ebd, eng, efpd);
    eltwise_backward(ebpd).execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_DIFF_DST, m_dsrc}, {DNNL_ARG_DIFF_SRC, m_out}});
    s.wait();
    return from_layout(out_b, src_dims(p), tag::nChw16c, tag::nchw);
}

} // namespace test
} // namespace sparsetrain
