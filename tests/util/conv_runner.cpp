#include "util/conv_runner.hpp"

#include "util/test_data.hpp"

#include <limits>

namespace sparsetrain {
namespace test {

using namespace dnnl;
using tag = memory::format_tag;

conv_data make_conv_data(const problem_t &p, uint64_t seed, double sparsity) {
    conv_data d;
    d.src.resize(p.mb * p.ic * p.ih * p.iw);
    d.weights.resize(p.oc * p.ic * p.kh * p.kw);
    d.bias.resize(p.oc);
    d.diff_dst.resize(p.mb * p.oc * p.oh * p.ow);
    fill_int(d.src, seed, -3, 3);
    fill_int(d.weights, seed + 1, -2, 2);
    fill_int(d.bias, seed + 2, -5, 5);
    fill_int(d.diff_dst, seed + 3, -2, 2);
    sparsify(d.src, seed + 4, sparsity);
    sparsify(d.diff_dst, seed + 5, sparsity);
    return d;
}

namespace {

memory::desc any_md(const memory::dims &dims) { return memory::desc(dims, memory::data_type::f32, tag::any); }

// A buffer in layout `md`, filled from plain data (or zero when `plain` is empty).
memory make_mem(const memory::desc &md, const std::vector<float> &plain, tag plain_tag) {
    auto &eng = cpu_engine();
    memory m(md, eng);
    if (plain.empty()) {
        // Outputs start as NaN: an element a kernel does not write fails the comparison.
        std::fill_n(static_cast<float *>(m.get_data_handle()), md.get_size() / sizeof(float), std::numeric_limits<float>::quiet_NaN());
        return m;
    }
    memory src(memory::desc(md.dims(), memory::data_type::f32, plain_tag), eng, const_cast<float *>(plain.data()));
    stream s(eng);
    reorder(src, m).execute(s, src, m);
    s.wait();
    return m;
}

std::vector<float> read_plain(const memory &m, tag plain_tag) {
    auto &eng = cpu_engine();
    const auto md = m.get_desc();
    std::vector<float> out(md.get_size() / sizeof(float));
    memory dst(memory::desc(md.dims(), memory::data_type::f32, plain_tag), eng, out.data());
    stream s(eng);
    reorder(const_cast<memory &>(m), dst).execute(s, const_cast<memory &>(m), dst);
    s.wait();
    return out;
}

// Runs `run(pd, primitive)`, which returns the output memory, on our primitive_desc and then on
// oneDNN's; stores both outputs (read back in `plain_tag`) and both implementation names.
template <class OurPrim, class DnnlPrim, class OurPd, class DnnlPd, class Run>
void run_sides(conv_results &r, const OurPd &ours, const DnnlPd &theirs, Run run, tag plain_tag) {
    r.ours = read_plain(run(ours, OurPrim(ours)), plain_tag);
    r.onednn = read_plain(run(theirs, DnnlPrim(theirs)), plain_tag);
    r.ours_impl = ours.impl_info_str();
    r.onednn_impl = theirs.impl_info_str();
}

} // namespace

conv_results run_both(const problem_t &p, direction dir, const conv_data &d, bool with_bias,
        const dispatch_options &dispatch, tag act) {
    auto &eng = cpu_engine();
    stream s(eng);
    const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    const auto src_md = memory::desc(src_dims(p), memory::data_type::f32, act), wei_md = any_md(wei_dims(p)),
               dst_md = memory::desc(dst_dims(p), memory::data_type::f32, act);
    const auto bias_md = with_bias ? memory::desc({p.oc}, memory::data_type::f32, tag::x) : memory::desc();

    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, wei_md,
            bias_md, dst_md, strides, pl, pr);
    sparsetrain::convolution_forward::primitive_desc our_fpd(fd, primitive_attr(), eng, dispatch);
    convolution_forward::primitive_desc dnnl_fpd(fd, eng);
    conv_results r;

    switch (dir) {
    // Each side runs on its own layouts, reordered from the same plain data; run(pd, primitive)
    // returns the side's output memory.
    case direction::fwd: {
        auto bias = make_mem(bias_md.data.ndims ? bias_md : memory::desc({1}, memory::data_type::f32, tag::x),
                d.bias, tag::x);
        auto run = [&](const auto &pd, auto &&prim) {
            auto dst = make_mem(pd.dst_desc(), {}, tag::nchw);
            std::unordered_map<int, memory> args {{DNNL_ARG_SRC, make_mem(pd.src_desc(), d.src, tag::nchw)},
                    {DNNL_ARG_WEIGHTS, make_mem(pd.weights_desc(), d.weights, tag::oihw)}, {DNNL_ARG_DST, dst}};
            if (with_bias) args[DNNL_ARG_BIAS] = bias;
            prim.execute(s, args);
            s.wait();
            return dst;
        };
        run_sides<sparsetrain::convolution_forward, convolution_forward>(r, our_fpd, dnnl_fpd, run, tag::nchw);
        break;
    }
    case direction::bwd_d: {
        convolution_backward_data::desc bd(algorithm::convolution_direct, src_md, wei_md, dst_md, strides, pl, pr);
        sparsetrain::convolution_backward_data::primitive_desc ours(bd, primitive_attr(), eng, our_fpd, dispatch);
        convolution_backward_data::primitive_desc theirs(bd, eng, dnnl_fpd);
        auto run = [&](const auto &pd, auto &&prim) {
            auto dsrc = make_mem(pd.diff_src_desc(), {}, tag::nchw);
            prim.execute(s, {{DNNL_ARG_WEIGHTS, make_mem(pd.weights_desc(), d.weights, tag::oihw)},
                                    {DNNL_ARG_DIFF_DST, make_mem(pd.diff_dst_desc(), d.diff_dst, tag::nchw)},
                                    {DNNL_ARG_DIFF_SRC, dsrc}});
            s.wait();
            return dsrc;
        };
        run_sides<sparsetrain::convolution_backward_data, convolution_backward_data>(r, ours, theirs, run, tag::nchw);
        break;
    }
    case direction::bwd_w: {
        convolution_backward_weights::desc wd(algorithm::convolution_direct, src_md, wei_md, bias_md, dst_md,
                strides, pl, pr);
        sparsetrain::convolution_backward_weights::primitive_desc ours(wd, primitive_attr(), eng, our_fpd, dispatch);
        convolution_backward_weights::primitive_desc theirs(wd, eng, dnnl_fpd);
        std::vector<memory> diff_bias; // ours, then oneDNN's
        // Returns the diff_weights memory; keeps the diff_bias one.
        auto run = [&](const auto &pd, auto &&prim) {
            auto dw = make_mem(pd.diff_weights_desc(), {}, tag::oihw);
            auto db = make_mem(memory::desc({p.oc}, memory::data_type::f32, tag::x), {}, tag::x);
            std::unordered_map<int, memory> args {{DNNL_ARG_SRC, make_mem(pd.src_desc(), d.src, tag::nchw)},
                    {DNNL_ARG_DIFF_DST, make_mem(pd.diff_dst_desc(), d.diff_dst, tag::nchw)}, {DNNL_ARG_DIFF_WEIGHTS, dw}};
            if (with_bias) args[DNNL_ARG_DIFF_BIAS] = db;
            prim.execute(s, args);
            s.wait();
            diff_bias.push_back(db);
            return dw;
        };
        run_sides<sparsetrain::convolution_backward_weights, convolution_backward_weights>(r, ours, theirs, run, tag::oihw);
        if (with_bias) {
            r.ours_bias = read_plain(diff_bias[0], tag::x);
            r.onednn_bias = read_plain(diff_bias[1], tag::x);
        }
        break;
    }
    }
    return r;
}

} // namespace test
} // namespace sparsetrain
