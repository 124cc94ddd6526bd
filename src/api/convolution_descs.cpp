// sparsetrain::*::desc: validate with field-named messages, then build oneDNN's desc.
#include "sparsetrain/convolution.hpp"

#include "common/desc_validate.hpp"

namespace sparsetrain {

namespace {

using md_t = dnnl::memory::desc;
using dims_t = dnnl::memory::dims;

void check_alg(dnnl::algorithm alg) {
    if (alg != dnnl::algorithm::convolution_direct && alg != dnnl::algorithm::convolution_auto
            && alg != dnnl::algorithm::convolution_winograd)
        throw error("algorithm: not a convolution algorithm (expected convolution_direct, convolution_auto "
                    "or convolution_winograd)");
}

void check_first(dnnl::prop_kind prop) {
    if (prop != dnnl::prop_kind::forward_training && prop != dnnl::prop_kind::forward_inference)
        throw error("prop_kind: a forward convolution needs forward_training or forward_inference");
}
void check_first(dnnl::algorithm alg) { check_alg(alg); }

dnnl::prop_kind checked_alg_then(dnnl::prop_kind prop, dnnl::algorithm alg) {
    check_alg(alg);
    return prop;
}

// Validates, then hands back `first` so that it can sit in a base-class initializer.
template <typename T>
T validated(T first, direction dir, const md_t &src, const md_t &wei, const md_t &bias, const md_t &dst,
        const dims_t &strides, const dims_t &dilates, const dims_t &pl, const dims_t &pr) {
    check_first(first);
    (void)detail::problem_from_parts(dir, {src, wei, bias, dst}, {strides, dilates, pl, pr});
    return first;
}

const md_t no_bias;
const dims_t no_dilation;

} // namespace

convolution_forward::desc::desc(dnnl::prop_kind prop, dnnl::algorithm alg, const md_t &src, const md_t &wei,
        const md_t &bias, const md_t &dst, const dims_t &strides, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_forward::desc(
            validated(checked_alg_then(prop, alg), direction::fwd, src, wei, bias, dst, strides, no_dilation, pl, pr), alg, src, wei,
            bias, dst, strides, pl, pr) {}

convolution_forward::desc::desc(dnnl::prop_kind prop, dnnl::algorithm alg, const md_t &src, const md_t &wei,
        const md_t &dst, const dims_t &strides, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_forward::desc(
            validated(checked_alg_then(prop, alg), direction::fwd, src, wei, no_bias, dst, strides, no_dilation, pl, pr), alg, src,
            wei, dst, strides, pl, pr) {}

convolution_forward::desc::desc(dnnl::prop_kind prop, dnnl::algorithm alg, const md_t &src, const md_t &wei,
        const md_t &bias, const md_t &dst, const dims_t &strides, const dims_t &dil, const dims_t &pl,
        const dims_t &pr)
    : dnnl::convolution_forward::desc(
            validated(checked_alg_then(prop, alg), direction::fwd, src, wei, bias, dst, strides, dil, pl, pr), alg, src, wei, bias,
            dst, strides, dil, pl, pr) {}

convolution_forward::desc::desc(dnnl::prop_kind prop, dnnl::algorithm alg, const md_t &src, const md_t &wei,
        const md_t &dst, const dims_t &strides, const dims_t &dil, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_forward::desc(
            validated(checked_alg_then(prop, alg), direction::fwd, src, wei, no_bias, dst, strides, dil, pl, pr), alg, src, wei, dst,
            strides, dil, pl, pr) {}

convolution_backward_data::desc::desc(dnnl::algorithm alg, const md_t &dsrc, const md_t &wei, const md_t &ddst,
        const dims_t &strides, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_backward_data::desc(
            validated(alg, direction::bwd_d, dsrc, wei, no_bias, ddst, strides, no_dilation, pl, pr), dsrc, wei,
            ddst, strides, pl, pr) {}

convolution_backward_data::desc::desc(dnnl::algorithm alg, const md_t &dsrc, const md_t &wei, const md_t &ddst,
        const dims_t &strides, const dims_t &dil, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_backward_data::desc(
            validated(alg, direction::bwd_d, dsrc, wei, no_bias, ddst, strides, dil, pl, pr), dsrc, wei, ddst,
            strides, dil, pl, pr) {}

convolution_backward_weights::desc::desc(dnnl::algorithm alg, const md_t &src, const md_t &dwei,
        const md_t &dbias, const md_t &ddst, const dims_t &strides, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_backward_weights::desc(
            validated(alg, direction::bwd_w, src, dwei, dbias, ddst, strides, no_dilation, pl, pr), src, dwei,
            dbias, ddst, strides, pl, pr) {}

convolution_backward_weights::desc::desc(dnnl::algorithm alg, const md_t &src, const md_t &dwei,
        const md_t &ddst, const dims_t &strides, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_backward_weights::desc(
            validated(alg, direction::bwd_w, src, dwei, no_bias, ddst, strides, no_dilation, pl, pr), src, dwei,
            ddst, strides, pl, pr) {}

convolution_backward_weights::desc::desc(dnnl::algorithm alg, const md_t &src, const md_t &dwei,
        const md_t &dbias, const md_t &ddst, const dims_t &strides, const dims_t &dil, const dims_t &pl,
        const dims_t &pr)
    : dnnl::convolution_backward_weights::desc(
            validated(alg, direction::bwd_w, src, dwei, dbias, ddst, strides, dil, pl, pr), src, dwei, dbias,
            ddst, strides, dil, pl, pr) {}

convolution_backward_weights::desc::desc(dnnl::algorithm alg, const md_t &src, const md_t &dwei,
        const md_t &ddst, const dims_t &strides, const dims_t &dil, const dims_t &pl, const dims_t &pr)
    : dnnl::convolution_backward_weights::desc(
            validated(alg, direction::bwd_w, src, dwei, no_bias, ddst, strides, dil, pl, pr), src, dwei, ddst,
            strides, dil, pl, pr) {}

} // namespace sparsetrain
