// The forward kernel test harness (see fwd_harness.hpp).
#include "util/fwd_harness.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <random>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "config/fwd_config.hpp"
#include "driver/fwd_conv.hpp"
#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"
#include "util/sparse_run.hpp"
#include "util/test_layouts.hpp"

namespace sparsetrain {
namespace test {
namespace fwd {

using tag = dnnl::memory::format_tag;

// Small-integer data: every sum is exact in fp32 in any order. Some pixels are forced all
// zero and some fully dense so that empty and full 16-lane vectors always occur.
fwd_case make_case(const std::string &ps, double sparsity, uint64_t seed, bool bias, bool relu) {
    fwd_case c;
    c.p = problem_t::parse(ps);
    c.bias = bias;
    c.relu = relu;
    const auto &p = c.p;
    c.src = test::sparse_operand(p.mb, p.ic, p.ih * p.iw, sparsity, seed);
    c.wei = test::small_int_weights(p, seed + 1);
    c.b.resize(p.oc);
    test::fill_int(c.b, seed + 2, -5, 5);
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
        const std::vector<float> &wei_b, double density_hint) {
    conv_tensors t;
    t.src = src_b.data();
    t.weights = wei_b.data();
    t.bias = c.bias ? c.b.data() : nullptr;
    t.density_hint = density_hint;
    return test::run_sparse_plain(impl, t, &conv_tensors::dst, test::dst_dims(c.p), test::act_tag(c.act));
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

std::unique_ptr<sparse_conv> make(const fwd_case &c, const std::string &hints) {
    sparse_conv_options o;
    o.with_bias = c.bias;
    o.with_relu = c.relu;
    o.act = c.act;
    o.wei_layout = c.wl;
    return test::plan_for_test<fwd_config, fwd_plan_hints>(c.p, o, hints, plan_fwd, make_sparse_fwd_from_config);
}

// Exact comparison of one case against both the reference and oneDNN, for 1 and 2 threads.
// With expect_pairs the plan must have the image-pair variant.
void check_case(const fwd_case &c, double s, const std::string &hints, bool expect_pairs, double density_hint) {
    const auto src_b = blocked_src(c), wei_b = blocked_wei(c);
    const auto ref = run_reference(c);
    const auto dnn = run_onednn(c, src_b, wei_b);
    const auto impl = make(c, hints);
    const std::string what = c.p.to_string() + " " + to_string(c.act) + " weights " + to_string(c.wl) + " sparsity "
            + std::to_string(s) + " bias " + std::to_string(c.bias) + " relu " + std::to_string(c.relu) + " hints '"
            + hints + "' density hint " + std::to_string(density_hint);
    test::check_exact_threads(*impl, [&] { return run_sparse(*impl, c, src_b, wei_b, density_hint); }, ref, dnn,
            expect_pairs, s < 1.0 || c.bias, what);
}

// check_case in both activation layouts (nhwc with oneDNN's weights pick) at each sparsity.
void check_exact(const std::string &ps, const std::vector<double> &sparsities, bool bias, bool relu,
        const std::string &hints, bool expect_pairs, double density_hint) {
    for (double s : sparsities)
        for (act_format act : test::both_layouts())
            check_case(in_layout(make_case(ps, s, 11 + (uint64_t)(s * 100), bias, relu), act), s, hints, expect_pairs,
                    density_hint);
}

} // namespace fwd
} // namespace test
} // namespace sparsetrain
