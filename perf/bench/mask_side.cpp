#include "bench/mask_side.hpp"

#include <algorithm>
#include <unordered_map>

#include "bench/plain_data.hpp"
#include "sparsetrain/convolution.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

using namespace dnnl;
using tag = memory::format_tag;

side make_sparsetrain_masked_side(const problem_t &p, dispatch_mode mode, algorithm alg, tag act, bool optional) {
    const memory::dims strides {p.sh, p.sw}, dilates {p.dh, p.dw}, pad_l {p.ph, p.pw}, pad_r {p.ph_r, p.pw_r};
    const auto f32 = memory::data_type::f32;
    const memory::desc src({p.mb, p.ic, p.ih, p.iw}, f32, act), dst({p.mb, p.oc, p.oh, p.ow}, f32, act),
            wei({p.oc, p.ic, p.kh, p.kw}, f32, tag::any);
    dispatch_options dopt;
    dopt.mode = mode;
    const dnnl::convolution_forward::desc fd(prop_kind::forward_training, alg, src, wei, dst, strides, dilates, pad_l,
            pad_r);
    const sparsetrain::convolution_forward::primitive_desc fpd(fd, primitive_attr(), cpu_engine(), dopt);
    const dnnl::convolution_backward_data::desc bd(alg, src, wei, dst, strides, dilates, pad_l, pad_r);
    backward_data_options opt;
    opt.relu_mask = true;
    opt.relu_mask_optional = optional;
    const sparsetrain::convolution_backward_data::primitive_desc bpd(bd, primitive_attr(), cpu_engine(), fpd, dopt, opt);
    const sparsetrain::convolution_backward_data prim(bpd);
    side sd;
    sd.label = bpd.impl_info_str();
    sd.src = memory(bpd.diff_src_desc(), cpu_engine());
    sd.weights = memory(bpd.weights_desc(), cpu_engine());
    sd.dst = memory(bpd.diff_dst_desc(), cpu_engine());
    sd.mask_src = memory(bpd.src_desc(), cpu_engine());
    const std::unordered_map<int, memory> args {{DNNL_ARG_DIFF_SRC, sd.src}, {DNNL_ARG_WEIGHTS, sd.weights},
            {DNNL_ARG_DIFF_DST, sd.dst}, {DNNL_ARG_SRC, sd.mask_src}};
    sd.run = [prim, args](stream &s) { prim.execute(s, args); };
    sd.stats = [prim] { return prim.stats(); };
    return sd;
}

void add_relu_backward(side &sd, const problem_t &p, int scale) {
    if (scale != 1 && scale != 4) throw error("add_relu_backward: scale 1 or 4");
    const memory::desc md = sd.src.get_desc();
    memory::desc relu_md = md;
    memory relu_src, relu_diff;
    if (scale == 1) {
        sd.mask_src = memory(md, cpu_engine());
        relu_src = sd.mask_src;
        relu_diff = sd.src; // in place: the side's diff_src becomes the masked gradient
    } else {
        // The pre-pool tensor: same format as diff_src (plain strides recomputed by oneDNN).
        const bool nhwc = md.data.format_desc.blocking.inner_nblks == 0;
        relu_md = memory::desc({p.mb, p.ic, 2 * p.ih, 2 * p.iw}, memory::data_type::f32, nhwc ? tag::nhwc : tag::nChw16c);
        relu_src = memory(relu_md, cpu_engine());
        relu_diff = memory(relu_md, cpu_engine());
        // Half zeros, the rest positive (the values do not change oneDNN's ReLU backward time).
        for (memory *m : {&relu_src, &relu_diff}) {
            auto *f = static_cast<float *>(m->get_data_handle());
            const size_t n = relu_md.get_size() / sizeof(float);
            for (size_t i = 0; i < n; ++i) f[i] = (i / 7) % 2 ? 0.5f : 0.f;
        }
    }
    const eltwise_forward::primitive_desc efpd({prop_kind::forward_training, algorithm::eltwise_relu, relu_md, 0.f},
            cpu_engine());
    const eltwise_backward::primitive_desc ebpd({algorithm::eltwise_relu, relu_md, relu_md, 0.f}, cpu_engine(), efpd);
    const eltwise_backward relu(ebpd);
    const std::unordered_map<int, memory> rargs {{DNNL_ARG_SRC, relu_src}, {DNNL_ARG_DIFF_DST, relu_diff},
            {DNNL_ARG_DIFF_SRC, relu_diff}};
    auto conv = sd.run;
    sd.run = [conv, relu, rargs](stream &s) {
        conv(s);
        relu.execute(s, rargs);
    };
    sd.label += scale == 1 ? "+relu_bwd" : "+relu_bwd(4x)";
}

} // namespace bench
} // namespace sparsetrain
