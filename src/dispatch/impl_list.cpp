#include "dispatch/impl_list.hpp"

#include <string>
#include <utility>

#include "common/md_utils.hpp"
#include "dispatch/mask_candidate.hpp"
#include "dispatch/sparse_candidate.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

namespace {

void take_dnnl_mds(conv_pd_impl &pd) {
    switch (pd.dir) {
    case direction::fwd:
        pd.md = {pd.dnnl_fwd.src_desc(), pd.dnnl_fwd.weights_desc(), pd.dnnl_fwd.bias_desc(), pd.dnnl_fwd.dst_desc()};
        pd.dnnl_impl = pd.dnnl_fwd.impl_info_str();
        break;
    case direction::bwd_d:
        pd.md = {pd.dnnl_bwd_d.diff_src_desc(), pd.dnnl_bwd_d.weights_desc(), dnnl::memory::desc(),
                pd.dnnl_bwd_d.diff_dst_desc()};
        pd.dnnl_impl = pd.dnnl_bwd_d.impl_info_str();
        break;
    case direction::bwd_w:
        pd.md = {pd.dnnl_bwd_w.src_desc(), pd.dnnl_bwd_w.diff_weights_desc(), pd.dnnl_bwd_w.diff_bias_desc(),
                pd.dnnl_bwd_w.diff_dst_desc()};
        pd.dnnl_impl = pd.dnnl_bwd_w.impl_info_str();
        break;
    }
}

// oneDNN dense: also fixes the memory descs of the primitive (its picks for `any`); without
// it, `any` resolves to the plain layouts.
void try_onednn(conv_pd_impl &pd, const conv_mds &given, const fwd_hint &hint, const dnnl_pd_maker &make_dnnl) {
    try {
        make_dnnl(pd, hint, pd.attr);
        pd.has_dnnl = true;
        take_dnnl_mds(pd);
    } catch (const dnnl::error &e) {
        pd.declined.emplace_back("onednn", std::string("no oneDNN implementation: ") + e.what());
        pd.md = {resolve_any_plain(given.src, false), resolve_any_plain(given.weights, true),
                resolve_any_plain(given.bias, false), resolve_any_plain(given.dst, false)};
    }
}

// Neither sparse nor oneDNN took the problem: the reference, when it computes it exactly
// (2D, ungrouped, f32 (bias too), direct, and no attribute but a plain ReLU); anything else
// has no implementation at all and throws, naming the field.
void reference_or_throw(conv_pd_impl &pd) {
    const direction dir = pd.dir;
    const auto f32 = dnnl::memory::data_type::f32;
    std::string attr_why;
    bool relu_ok = false;
    const bool attr_ok = sparse_supports_attr(dir, pd.attr, relu_ok, attr_why);
    const bool ref_ok = pd.prob.ndims == 4 && pd.prob.g == 1 && pd.md.src.data_type() == f32
            && pd.md.weights.data_type() == f32 && pd.md.dst.data_type() == f32
            && (!pd.with_bias || pd.md.bias.data_type() == f32) && attr_ok
            && (pd.alg == dnnl::algorithm::convolution_direct || pd.alg == dnnl::algorithm::convolution_auto);
    if (!ref_ok && !attr_ok)
        throw error("attr: " + attr_why + ", and oneDNN has no implementation either (" + pd.declined.back().second
                        + ")",
                dnnl_unimplemented);
    if (!ref_ok) {
        const auto names = md_names(dir);
        const std::pair<const char *, const dnnl::memory::desc *> t[] = {{names.src, &pd.md.src},
                {names.weights, &pd.md.weights}, {names.bias, &pd.md.bias}, {names.dst, &pd.md.dst}};
        for (const auto &x : t)
            if (!is_zero_md(*x.second) && x.second->data_type() != f32)
                throw error(std::string(x.first) + ": data type " + dt_str(x.second->data_type())
                                + " is not supported here (sparse: f32 only; oneDNN: " + pd.declined.back().second
                                + ")",
                        dnnl_unimplemented);
        std::string msg = "no implementation for " + pd.prob.to_string() + " (" + to_string(dir) + "):";
        for (const auto &d : pd.declined) msg += " " + d.first + ": " + d.second + ";";
        throw error(msg, dnnl_unimplemented);
    }
    pd.chosen = impl_kind::reference;
}

} // namespace

void choose_implementation(conv_pd_impl &pd, const conv_mds &given, const fwd_hint &hint,
        const dnnl_pd_maker &make_dnnl, bool relu_mask, bool relu_mask_optional) {
    try_onednn(pd, given, hint, make_dnnl);

    std::string why_not;
    bool relu = false;
    if (sparse_supports_attr(pd.dir, pd.attr, relu, why_not)) pd.with_relu = relu;
    pd.sparse = try_sparse(pd, why_not, pd.sparse_weights_md);
    std::string why_not_mask;
    if (relu_mask) {
        pd.relu_mask = true;
        pd.relu_mask_optional = relu_mask_optional;
        pd.sparse_mask = try_sparse_mask(pd, why_not_mask, pd.mask_weights_md);
    }

    if (pd.sparse || pd.sparse_mask) {
        pd.chosen = impl_kind::sparse_jit;
        if (!pd.sparse) pd.declined.insert(pd.declined.begin(), {"sparse_jit", why_not});
    } else {
        pd.declined.insert(pd.declined.begin(), {"sparse_jit", why_not});
        if (pd.has_dnnl)
            pd.chosen = impl_kind::onednn;
        else
            reference_or_throw(pd);
    }
    if (relu_mask && !pd.sparse_mask) pd.declined.insert(pd.declined.begin(), {"sparse_jit_mask", why_not_mask});
}

} // namespace detail
} // namespace sparsetrain
