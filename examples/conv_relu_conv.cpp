// A small oneDNN training pipeline, conv1 -> ReLU -> conv2, forward and backward, in which
// conv2 (whose input is the ReLU output, hence sparse) is sparsetrain's: the only change
// from the all-oneDNN version is `sparsetrain::` instead of `dnnl::` on conv2's types.
// It runs the pipeline both ways and checks that the results agree.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <sparsetrain/sparsetrain.hpp>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct results {
    std::vector<float> dst, diff_src1, diff_w2, diff_b2;
    std::string conv2_fwd, conv2_bwd_d, conv2_bwd_w;
};

std::vector<float> read(const memory &m, tag t, stream &s) {
    std::vector<float> out(m.get_desc().get_size() / sizeof(float));
    memory plain(memory::desc(m.get_desc().dims(), dt::f32, t), m.get_engine(), out.data());
    reorder(m, plain).execute(s, const_cast<memory &>(m), plain);
    s.wait();
    return out;
}

memory from(const std::vector<float> &v, const memory::desc &md, tag t, engine &eng, stream &s) {
    memory m(md, eng);
    memory plain(memory::desc(md.dims(), dt::f32, t), eng, const_cast<float *>(v.data()));
    reorder(plain, m).execute(s, plain, m);
    s.wait();
    return m;
}

// Conv2 is `Conv2` (dnnl::convolution_* or sparsetrain::convolution_*): the one line that differs.
template <typename Fwd, typename BwdD, typename BwdW>
results run(engine &eng, stream &s, const std::vector<float> &x, const std::vector<float> &w1,
        const std::vector<float> &w2, const std::vector<float> &b2, const std::vector<float> &dy) {
    const memory::dims x_dims {8, 16, 28, 28}, h_dims {8, 64, 28, 28}, y_dims {8, 64, 28, 28};
    const memory::dims w1_dims {64, 16, 3, 3}, w2_dims {64, 64, 3, 3}, b2_dims {64};
    const memory::dims st {1, 1}, pad {1, 1};
    auto any = [](const memory::dims &d) { return memory::desc(d, dt::f32, tag::any); };

    // conv1 (oneDNN) -> ReLU (oneDNN)
    convolution_forward::desc c1d(prop_kind::forward_training, algorithm::convolution_direct, any(x_dims),
            any(w1_dims), any(h_dims), st, pad, pad);
    convolution_forward::primitive_desc c1pd(c1d, eng);
    auto mx = from(x, c1pd.src_desc(), tag::nchw, eng, s);
    auto mw1 = from(w1, c1pd.weights_desc(), tag::oihw, eng, s);
    memory mh(c1pd.dst_desc(), eng), ma(c1pd.dst_desc(), eng);
    convolution_forward(c1pd).execute(s, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mw1}, {DNNL_ARG_DST, mh}});
    eltwise_forward::primitive_desc rpd({prop_kind::forward_training, algorithm::eltwise_relu, c1pd.dst_desc(), 0.f}, eng);
    eltwise_forward(rpd).execute(s, {{DNNL_ARG_SRC, mh}, {DNNL_ARG_DST, ma}});

    // conv2: forward, backward data, backward weights
    typename Fwd::desc c2d(prop_kind::forward_training, algorithm::convolution_direct, any(h_dims), any(w2_dims),
            any(b2_dims), any(y_dims), st, pad, pad);
    typename Fwd::primitive_desc c2pd(c2d, eng);
    auto mw2 = from(w2, c2pd.weights_desc(), tag::oihw, eng, s);
    auto mb2 = from(b2, c2pd.bias_desc(), tag::x, eng, s);
    auto ma2 = ma;
    if (c2pd.src_desc() != ma.get_desc()) { // reorder the activation if conv2 wants another layout
        ma2 = memory(c2pd.src_desc(), eng);
        reorder(ma, ma2).execute(s, ma, ma2);
    }
    memory my(c2pd.dst_desc(), eng);
    Fwd(c2pd).execute(s, {{DNNL_ARG_SRC, ma2}, {DNNL_ARG_WEIGHTS, mw2}, {DNNL_ARG_BIAS, mb2}, {DNNL_ARG_DST, my}});

    typename BwdD::desc c2bd(algorithm::convolution_direct, any(h_dims), any(w2_dims), any(y_dims), st, pad, pad);
    typename BwdD::primitive_desc c2bpd(c2bd, eng, c2pd);
    auto mdy = from(dy, c2bpd.diff_dst_desc(), tag::nchw, eng, s);
    auto mw2b = from(w2, c2bpd.weights_desc(), tag::oihw, eng, s);
    memory mda(c2bpd.diff_src_desc(), eng);
    BwdD(c2bpd).execute(s, {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_WEIGHTS, mw2b}, {DNNL_ARG_DIFF_SRC, mda}});

    typename BwdW::desc c2wd(algorithm::convolution_direct, any(h_dims), any(w2_dims), any(b2_dims), any(y_dims),
            st, pad, pad);
    typename BwdW::primitive_desc c2wpd(c2wd, eng, c2pd);
    auto mdy_w = from(dy, c2wpd.diff_dst_desc(), tag::nchw, eng, s);
    memory mdw2(c2wpd.diff_weights_desc(), eng), mdb2(c2wpd.diff_bias_desc(), eng);
    BwdW(c2wpd).execute(s, {{DNNL_ARG_SRC, ma2}, {DNNL_ARG_DIFF_DST, mdy_w}, {DNNL_ARG_DIFF_WEIGHTS, mdw2},
            {DNNL_ARG_DIFF_BIAS, mdb2}});

    // ReLU backward and conv1 backward data (oneDNN), to reach the input gradient.
    memory mda1(c1pd.dst_desc(), eng);
    if (mda.get_desc() != c1pd.dst_desc()) {
        reorder(mda, mda1).execute(s, mda, mda1);
    } else {
        mda1 = mda;
    }
    eltwise_backward::primitive_desc rbpd({algorithm::eltwise_relu, c1pd.dst_desc(), c1pd.dst_desc(), 0.f}, eng, rpd);
    memory mdh(c1pd.dst_desc(), eng);
    eltwise_backward(rbpd).execute(s, {{DNNL_ARG_SRC, mh}, {DNNL_ARG_DIFF_DST, mda1}, {DNNL_ARG_DIFF_SRC, mdh}});
    convolution_backward_data::desc c1bd(algorithm::convolution_direct, any(x_dims), any(w1_dims), any(h_dims), st, pad, pad);
    convolution_backward_data::primitive_desc c1bpd(c1bd, eng, c1pd);
    memory mdx(c1bpd.diff_src_desc(), eng);
    auto mw1b = from(w1, c1bpd.weights_desc(), tag::oihw, eng, s);
    auto mdh1 = mdh;
    if (c1bpd.diff_dst_desc() != mdh.get_desc()) {
        mdh1 = memory(c1bpd.diff_dst_desc(), eng);
        reorder(mdh, mdh1).execute(s, mdh, mdh1);
    }
    convolution_backward_data(c1bpd).execute(s, {{DNNL_ARG_DIFF_DST, mdh1}, {DNNL_ARG_WEIGHTS, mw1b}, {DNNL_ARG_DIFF_SRC, mdx}});
    s.wait();

    results r;
    r.dst = read(my, tag::nchw, s);
    r.diff_src1 = read(mdx, tag::nchw, s);
    r.diff_w2 = read(mdw2, tag::oihw, s);
    r.diff_b2 = read(mdb2, tag::x, s);
    r.conv2_fwd = c2pd.impl_info_str();
    r.conv2_bwd_d = c2bpd.impl_info_str();
    r.conv2_bwd_w = c2wpd.impl_info_str();
    return r;
}

double max_rel_diff(const std::vector<float> &a, const std::vector<float> &b) {
    double scale = 1, m = 0;
    for (float v : b) scale = std::max(scale, (double)std::fabs(v));
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs((double)a[i] - b[i]) / scale);
    return m;
}

} // namespace

int main() {
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    std::mt19937 gen(42);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    auto rnd = [&](size_t n) {
        std::vector<float> v(n);
        for (auto &x : v) x = u(gen);
        return v;
    };
    const auto x = rnd(8 * 16 * 28 * 28), w1 = rnd(64 * 16 * 9), w2 = rnd(64 * 64 * 9), b2 = rnd(64),
               dy = rnd(8 * 64 * 28 * 28);

    const auto ref = run<convolution_forward, convolution_backward_data, convolution_backward_weights>(
            eng, s, x, w1, w2, b2, dy);
    const auto ours = run<sparsetrain::convolution_forward, sparsetrain::convolution_backward_data,
            sparsetrain::convolution_backward_weights>(eng, s, x, w1, w2, b2, dy);

    std::printf("conv2 implementations: fwd %s, bwd_d %s, bwd_w %s\n", ours.conv2_fwd.c_str(),
            ours.conv2_bwd_d.c_str(), ours.conv2_bwd_w.c_str());
    const double e[4] = {max_rel_diff(ours.dst, ref.dst), max_rel_diff(ours.diff_src1, ref.diff_src1),
            max_rel_diff(ours.diff_w2, ref.diff_w2), max_rel_diff(ours.diff_b2, ref.diff_b2)};
    std::printf("max relative difference vs all-oneDNN: dst %.2e, diff_src(conv1) %.2e, diff_w2 %.2e, diff_b2 %.2e\n",
            e[0], e[1], e[2], e[3]);
    for (double v : e)
        if (!(v < 1e-4)) {
            std::printf("MISMATCH\n");
            return 1;
        }
    std::printf("results agree\n");
    return 0;
}
