#include "dispatch/sparse_candidate.hpp"

#include "common/md_utils.hpp"
#include "common/cpu.hpp"
#include "config/conv_scope.hpp"

namespace sparsetrain {
namespace detail {

bool sparse_supports_attr(direction dir, const dnnl::primitive_attr &attr, bool &with_relu, std::string &why_not) {
    with_relu = false;
    int mask = 0;
    std::vector<float> scales;
    attr.get_output_scales(mask, scales);
    if (!(scales.empty() || (scales.size() == 1 && scales[0] == 1.f))) {
        why_not = "output scales are not supported by the sparse kernels";
        return false;
    }
    for (int arg : {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}) {
        std::vector<int32_t> zp;
        attr.get_zero_points(arg, mask, zp);
        for (int32_t z : zp)
            if (z != 0) {
                why_not = "zero points are not supported by the sparse kernels";
                return false;
            }
    }
    const dnnl::post_ops po = attr.get_post_ops();
    if (po.len() == 0) return true;
    if (dir != direction::fwd) {
        why_not = "post-ops on a backward convolution";
        return false;
    }
    if (po.len() > 1 || po.kind(0) != dnnl::primitive::kind::eltwise) {
        why_not = "only a single ReLU post-op is fused by the sparse kernels";
        return false;
    }
    float scale = 0, alpha = 0, beta = 0;
    dnnl::algorithm alg;
    po.get_params_eltwise(0, scale, alg, alpha, beta);
    if (alg != dnnl::algorithm::eltwise_relu || alpha != 0.f || scale != 1.f) {
        why_not = "only a plain ReLU post-op (alpha 0, scale 1) is fused by the sparse kernels";
        return false;
    }
    with_relu = true;
    return true;
}

namespace {

// All activation tensors of the primitive in one layout the kernels read: nChw16c or nhwc.
bool activation_layout(const conv_pd_impl &pd, act_format &act, std::string &why_not) {
    const auto names = md_names(pd.dir);
    auto format_of = [](const dnnl::memory::desc &md, act_format &f) {
        if (has_tag(md, tag::nChw16c)) f = act_format::nChw16c;
        else if (has_tag(md, tag::nhwc)) f = act_format::nhwc;
        else return false;
        return true;
    };
    act_format fs = act_format::nChw16c, fd = act_format::nChw16c;
    if (!format_of(pd.md.src, fs)) {
        why_not = std::string(names.src) + " layout " + md_str(pd.md.src) + " (sparse kernels need nChw16c or nhwc)";
        return false;
    }
    if (!format_of(pd.md.dst, fd)) {
        why_not = std::string(names.dst) + " layout " + md_str(pd.md.dst) + " (sparse kernels need nChw16c or nhwc)";
        return false;
    }
    if (fs != fd) {
        why_not = std::string("mixed activation layouts: ") + names.src + " " + md_str(pd.md.src) + ", " + names.dst
                + " " + md_str(pd.md.dst) + " (sparse kernels need both in nChw16c or both in nhwc)";
        return false;
    }
    act = fs;
    return true;
}

// The forward weight layouts read in place besides OIhw16i16o: oneDNN's brgconv picks.
bool forward_weights_layout(const dnnl::memory::desc &md, weights_layout &l) {
    const std::pair<tag, weights_layout> ohwi[] = {{tag::Ohwi16o, weights_layout::Ohwi16o},
            {tag::Ohwi32o, weights_layout::Ohwi32o}, {tag::Ohwi48o, weights_layout::Ohwi48o},
            {tag::Ohwi64o, weights_layout::Ohwi64o}};
    for (const auto &x : ohwi)
        if (has_tag(md, x.first)) {
            l = x.second;
            return true;
        }
    return false;
}

} // namespace

std::shared_ptr<const sparse_conv> try_sparse(const conv_pd_impl &pd, std::string &why_not,
        dnnl::memory::desc &weights_md_for_sparse) {
    weights_md_for_sparse = dnnl::memory::desc();
    const problem_t &p = pd.prob;
    if (pd.mode == dispatch_mode::dense) {
        why_not = "dispatch mode is dense (SPARSETRAIN_DISPATCH or dispatch_options)";
        return nullptr;
    }
    const std::string isa = isa_limit_reason();
    if (!isa.empty()) {
        why_not = isa;
        return nullptr;
    }
    const auto f32 = dnnl::memory::data_type::f32;
    if (pd.md.src.data_type() != f32 || pd.md.weights.data_type() != f32 || pd.md.dst.data_type() != f32
            || (pd.with_bias && pd.md.bias.data_type() != f32)) {
        why_not = "data types other than f32";
        return nullptr;
    }
    if (!check_sparse_scope(p, why_not)) return nullptr;
    if (pd.alg != dnnl::algorithm::convolution_direct && pd.alg != dnnl::algorithm::convolution_auto) {
        why_not = "algorithm other than convolution_direct/convolution_auto";
        return nullptr;
    }
    bool relu = false;
    if (!sparse_supports_attr(pd.dir, pd.attr, relu, why_not)) return nullptr;

    const auto names = md_names(pd.dir);
    sparse_conv_options o;
    if (!activation_layout(pd, o.act, why_not)) return nullptr;
    if (pd.dir == direction::bwd_d) {
        if (has_tag(pd.md.weights, tag::OIhw16o16i)) o.wei_layout = weights_layout::OIhw16o16i;
        else if (has_tag(pd.md.weights, tag::IOhw16o16i)) o.wei_layout = weights_layout::IOhw16o16i;
        else if (has_tag(pd.md.weights, tag::OIhw16i16o)) {
            // oneDNN's Winograd (convolution_auto) keeps the forward layout for backward data;
            // the sparse kernel needs 16 input channels per vector: reorder per execute.
            const bool k1 = p.kh == 1 && p.kw == 1;
            o.wei_layout = k1 ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i;
            weights_md_for_sparse = dnnl::memory::desc(pd.md.weights.dims(), pd.md.weights.data_type(),
                    k1 ? tag::IOhw16o16i : tag::OIhw16o16i);
        } else {
            why_not = std::string(names.weights) + " layout " + md_str(pd.md.weights)
                    + " (sparse kernels need OIhw16o16i or IOhw16o16i)";
            return nullptr;
        }
    } else if (has_tag(pd.md.weights, tag::OIhw16i16o)) {
        o.wei_layout = weights_layout::OIhw16i16o;
    } else if (pd.dir == direction::fwd && forward_weights_layout(pd.md.weights, o.wei_layout)) {
        // oneDNN's brgconv pick on nhwc: read in place through the layout's own strides.
    } else {
        why_not = std::string(names.weights) + " layout " + md_str(pd.md.weights)
                + (pd.dir == direction::fwd ? " (sparse kernels need OIhw16i16o or Ohwi16o/32o/48o/64o)"
                                            : " (sparse kernels need OIhw16i16o)");
        return nullptr;
    }
    if (pd.with_bias && !has_tag(pd.md.bias, tag::x)) {
        why_not = std::string(names.bias) + " layout " + md_str(pd.md.bias) + " (need x)";
        return nullptr;
    }
    o.with_bias = pd.with_bias;
    o.with_relu = relu;

    std::unique_ptr<sparse_conv> impl;
    switch (pd.dir) {
    case direction::fwd: impl = make_sparse_fwd(p, o, why_not); break;
    case direction::bwd_d: impl = make_sparse_bwd_d(p, o, why_not); break;
    case direction::bwd_w: impl = make_sparse_bwd_w(p, o, why_not); break;
    }
    return std::shared_ptr<const sparse_conv>(std::move(impl));
}

} // namespace detail
} // namespace sparsetrain
