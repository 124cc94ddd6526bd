#include "bench/bench_side.hpp"

#include <array>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "bench/plain_data.hpp"
#include "sparsetrain/convolution.hpp"

namespace sparsetrain {
namespace bench {

using namespace dnnl;
using tag = memory::format_tag;

namespace {

// Per direction: the tensors of its primitive_desc in side order (src, weights, bias, dst) and,
// in side_args (indexed by direction), the execute() argument each one binds to. bwd_d has no
// bias: an empty desc.
template <direction D, class Pd>
std::array<memory::desc, 4> side_mds(const Pd &pd) {
    if constexpr (D == direction::fwd)
        return {pd.src_desc(), pd.weights_desc(), pd.bias_desc(), pd.dst_desc()};
    else if constexpr (D == direction::bwd_d)
        return {pd.diff_src_desc(), pd.weights_desc(), memory::desc(), pd.diff_dst_desc()};
    else
        return {pd.src_desc(), pd.diff_weights_desc(), pd.diff_bias_desc(), pd.diff_dst_desc()};
}
constexpr int side_args[3][4] = {
        {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},                     // fwd
        {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, 0, DNNL_ARG_DIFF_DST},                      // bwd_d
        {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS, DNNL_ARG_DIFF_DST}};    // bwd_w
static_assert((int)direction::fwd == 0 && (int)direction::bwd_d == 1 && (int)direction::bwd_w == 2,
        "side_args is indexed by direction");

template <class P, class = void>
struct has_stats : std::false_type {};
template <class P>
struct has_stats<P, std::void_t<decltype(std::declval<const P &>().stats())>> : std::true_type {};

template <direction D, class Pd, class Prim>
side wire(const std::string &label, const Pd &pd, Prim prim) {
    side sd;
    sd.label = label;
    const auto mds = side_mds<D>(pd);
    memory *mem[4] = {&sd.src, &sd.weights, &sd.bias, &sd.dst};
    std::unordered_map<int, memory> args;
    for (int i = 0; i < 4; ++i) {
        if (mds[i].is_zero()) continue; // no bias in bwd_d
        *mem[i] = memory(mds[i], cpu_engine());
        args[side_args[(int)D][i]] = *mem[i];
    }
    sd.run = [prim, args](stream &s) { prim.execute(s, args); };
    if constexpr (has_stats<Prim>::value) sd.stats = [prim] { return prim.stats(); };
    return sd;
}

// How each library makes its primitive_descs (the op descs are oneDNN's in both).
struct onednn_api {
    using fwd = dnnl::convolution_forward;
    using bwd_d = dnnl::convolution_backward_data;
    using bwd_w = dnnl::convolution_backward_weights;
    fwd::primitive_desc fwd_pd(const fwd::desc &d) const { return {d, cpu_engine()}; }
    bwd_d::primitive_desc bwd_d_pd(const bwd_d::desc &d, const fwd::primitive_desc &h) const {
        return {d, cpu_engine(), h};
    }
    bwd_w::primitive_desc bwd_w_pd(const bwd_w::desc &d, const fwd::primitive_desc &h) const {
        return {d, cpu_engine(), h};
    }
};
struct sparsetrain_api {
    using fwd = sparsetrain::convolution_forward;
    using bwd_d = sparsetrain::convolution_backward_data;
    using bwd_w = sparsetrain::convolution_backward_weights;
    dispatch_options dopt;
    fwd::primitive_desc fwd_pd(const dnnl::convolution_forward::desc &d) const {
        return {d, primitive_attr(), cpu_engine(), dopt};
    }
    bwd_d::primitive_desc bwd_d_pd(const dnnl::convolution_backward_data::desc &d, const fwd::primitive_desc &h) const {
        return {d, primitive_attr(), cpu_engine(), h, dopt};
    }
    bwd_w::primitive_desc bwd_w_pd(const dnnl::convolution_backward_weights::desc &d,
            const fwd::primitive_desc &h) const {
        return {d, primitive_attr(), cpu_engine(), h, dopt};
    }
};

template <class Api>
side build(const Api &api, const problem_t &p, direction dir, algorithm alg, tag act, const std::string &prefix) {
    // Dilation in oneDNN's (and benchdnn's) convention: 0 = dense taps.
    const memory::dims strides {p.sh, p.sw}, dilates {p.dh, p.dw}, pad_l {p.ph, p.pw}, pad_r {p.ph_r, p.pw_r};
    const auto f32 = memory::data_type::f32;
    const memory::desc src({p.mb, p.ic, p.ih, p.iw}, f32, act), dst({p.mb, p.oc, p.oh, p.ow}, f32, act),
            wei({p.oc, p.ic, p.kh, p.kw}, f32, tag::any), bias({p.oc}, f32, tag::x);
    const dnnl::convolution_forward::desc fd(
            prop_kind::forward_training, alg, src, wei, bias, dst, strides, dilates, pad_l, pad_r);
    const auto fpd = api.fwd_pd(fd);
    switch (dir) {
    case direction::fwd:
        return wire<direction::fwd>(prefix + fpd.impl_info_str(), fpd, typename Api::fwd(fpd));
    case direction::bwd_d: {
        const dnnl::convolution_backward_data::desc bd(alg, src, wei, dst, strides, dilates, pad_l, pad_r);
        const auto bpd = api.bwd_d_pd(bd, fpd);
        return wire<direction::bwd_d>(prefix + bpd.impl_info_str(), bpd, typename Api::bwd_d(bpd));
    }
    case direction::bwd_w: {
        const dnnl::convolution_backward_weights::desc wd(alg, src, wei, bias, dst, strides, dilates, pad_l, pad_r);
        const auto wpd = api.bwd_w_pd(wd, fpd);
        return wire<direction::bwd_w>(prefix + wpd.impl_info_str(), wpd, typename Api::bwd_w(wpd));
    }
    }
    return side();
}

} // namespace

side make_onednn_side(const problem_t &p, direction dir, algorithm alg, tag act, const std::string &label_prefix) {
    return build(onednn_api(), p, dir, alg, act, label_prefix);
}

side make_sparsetrain_side(const problem_t &p, direction dir, dispatch_mode mode, algorithm alg, tag act) {
    sparsetrain_api api;
    api.dopt.mode = mode;
    return build(api, p, dir, alg, act, "");
}

} // namespace bench
} // namespace sparsetrain
