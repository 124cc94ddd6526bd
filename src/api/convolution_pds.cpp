// Public primitive_desc constructors and queries.
#include "sparsetrain/convolution.hpp"

#include "api/conv_pd_impl.hpp"
#include "sparsetrain/version.hpp"

namespace sparsetrain {

using detail::conv_pd_impl;
using detail::fwd_hint;

const detail::conv_pd_impl &conv_primitive_desc_base::checked() const {
    if (!impl_) throw error("primitive_desc: empty (default-constructed)");
    return *impl_;
}

std::string conv_primitive_desc_base::impl_info_str() const { return checked().impl_name(); }
std::vector<std::pair<std::string, std::string>> conv_primitive_desc_base::declined() const {
    return checked().declined;
}
std::string conv_primitive_desc_base::problem_str() const { return checked().prob.to_string(); }
dnnl::engine conv_primitive_desc_base::get_engine() const { return checked().engine; }
dnnl::memory::desc conv_primitive_desc_base::workspace_desc() const {
    (void)checked();
    return dnnl::memory::desc();
}
dnnl::primitive_attr conv_primitive_desc_base::get_primitive_attr() const {
    dnnl_primitive_attr_t copy = nullptr;
    if (dnnl_primitive_attr_clone(&copy, checked().attr.get()) != dnnl_success)
        throw error("primitive_desc: cannot copy the primitive_attr");
    return dnnl::primitive_attr(copy);
}
dnnl::memory::desc conv_primitive_desc_base::query_md(dnnl::query what, int idx) const {
    const auto &pd = checked();
    if (idx != 0 && what != dnnl::query::weights_md && what != dnnl::query::diff_weights_md) return {};
    using q = dnnl::query;
    const bool fwd = pd.dir == direction::fwd, bwd_d = pd.dir == direction::bwd_d;
    switch (what) {
    case q::src_md: return bwd_d ? (pd.relu_mask ? pd.md.src : dnnl::memory::desc()) : pd.md.src;
    case q::diff_src_md: return bwd_d ? pd.md.src : dnnl::memory::desc();
    case q::weights_md:
        if (pd.dir == direction::bwd_w) return {};
        return idx == 0 ? pd.md.weights : (idx == 1 && fwd && pd.with_bias ? pd.md.bias : dnnl::memory::desc());
    case q::diff_weights_md:
        if (pd.dir != direction::bwd_w) return {};
        return idx == 0 ? pd.md.weights : (idx == 1 && pd.with_bias ? pd.md.bias : dnnl::memory::desc());
    case q::dst_md: return fwd ? pd.md.dst : dnnl::memory::desc();
    case q::diff_dst_md: return fwd ? dnnl::memory::desc() : pd.md.dst;
    case q::scratchpad_md: return scratchpad_desc();
    default: return {};
    }
}
dnnl::memory::desc conv_primitive_desc_base::scratchpad_desc() const {
    const auto &pd = checked();
    return pd.has_dnnl ? pd.dnnl_pd().scratchpad_desc() : dnnl::memory::desc();
}
bool conv_primitive_desc_base::is_sparse() const {
    return checked().chosen == detail::impl_kind::sparse_jit;
}

namespace {

fwd_hint hint_from(const convolution_forward::primitive_desc &h) {
    fwd_hint r;
    if (!h) return r;
    r.present = true;
    r.prob = h.impl()->prob;
    r.has_dnnl_pd = h.impl()->has_dnnl;
    if (r.has_dnnl_pd) r.dnnl_pd = h.impl()->dnnl_fwd;
    return r;
}

fwd_hint hint_from(const dnnl::convolution_forward::primitive_desc &h) {
    fwd_hint r;
    if (!h.get(true)) return r;
    r.present = true;
    // Rebuild the forward problem from oneDNN's own op descriptor.
    const dnnl_convolution_desc_t *cd = nullptr;
    if (dnnl_primitive_desc_query(h.get(), dnnl_query_convolution_d, 0, &cd) != dnnl_success || !cd)
        throw error("hint_fwd_pd: not a convolution forward primitive_desc");
    r.prob = detail::problem_from_desc(direction::fwd, *cd);
    r.has_dnnl_pd = true;
    r.dnnl_pd = h;
    return r;
}

// oneDNN needs a oneDNN forward hint; when ours has none, make one from the hint's problem.
dnnl::convolution_forward::primitive_desc dnnl_hint(const fwd_hint &h) {
    if (!h.has_dnnl_pd) throw dnnl::error(dnnl_unimplemented, "the forward hint has no oneDNN primitive_desc");
    return h.dnnl_pd;
}

} // namespace

namespace {

// oneDNN's allow_empty: "no implementation" leaves the pd empty; bad input still throws.
template <typename F>
std::shared_ptr<const conv_pd_impl> create(bool allow_empty, F &&make) {
    try {
        return make();
    } catch (const error &e) {
        if (allow_empty && e.status == dnnl_unimplemented) return nullptr;
        throw;
    }
}

std::shared_ptr<const conv_pd_impl> make_fwd(const dnnl::convolution_forward::desc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const dispatch_options &dispatch, bool allow_empty) {
    return create(allow_empty, [&] {
        return detail::make_conv_pd(direction::fwd, d.data, attr, e, fwd_hint(), dispatch,
                [&](conv_pd_impl &pd, const fwd_hint &, const dnnl::primitive_attr &a) {
                    pd.dnnl_fwd = dnnl::convolution_forward::primitive_desc(d, a, e);
                });
    });
}

template <typename Hint>
std::shared_ptr<const conv_pd_impl> make_bwd(const dnnl::convolution_backward_data::desc &d,
        const dnnl::primitive_attr &attr, const dnnl::engine &e, const Hint &hint, const dispatch_options &dispatch,
        bool allow_empty, const backward_data_options &options = backward_data_options()) {
    return create(allow_empty, [&] {
        return detail::make_conv_pd(
                direction::bwd_d, d.data, attr, e, hint_from(hint), dispatch,
                [&](conv_pd_impl &pd, const fwd_hint &h, const dnnl::primitive_attr &a) {
                    pd.dnnl_bwd_d = dnnl::convolution_backward_data::primitive_desc(d, a, e, dnnl_hint(h));
                },
                options.relu_mask, options.relu_mask_optional);
    });
}

template <typename Hint>
std::shared_ptr<const conv_pd_impl> make_bwd(const dnnl::convolution_backward_weights::desc &d,
        const dnnl::primitive_attr &attr, const dnnl::engine &e, const Hint &hint, const dispatch_options &dispatch,
        bool allow_empty) {
    return create(allow_empty, [&] {
        return detail::make_conv_pd(direction::bwd_w, d.data, attr, e, hint_from(hint), dispatch,
                [&](conv_pd_impl &pd, const fwd_hint &h, const dnnl::primitive_attr &a) {
                    pd.dnnl_bwd_w = dnnl::convolution_backward_weights::primitive_desc(d, a, e, dnnl_hint(h));
                });
    });
}

} // namespace

// ---- forward ----
using fwd_pd = convolution_forward::primitive_desc;
fwd_pd::primitive_desc(const dnnl::convolution_forward::desc &d, const dnnl::engine &e, bool allow_empty)
    : primitive_desc(d, dnnl::primitive_attr(), e, dispatch_options(), allow_empty) {}
fwd_pd::primitive_desc(const dnnl::convolution_forward::desc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, bool allow_empty)
    : primitive_desc(d, attr, e, dispatch_options(), allow_empty) {}
fwd_pd::primitive_desc(const dnnl::convolution_forward::desc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const dispatch_options &dispatch, bool allow_empty)
    : conv_primitive_desc_base(make_fwd(d, attr, e, dispatch, allow_empty)) {}

dnnl::memory::desc fwd_pd::src_desc() const { return checked().md.src; }
dnnl::memory::desc fwd_pd::weights_desc() const { return checked().md.weights; }
dnnl::memory::desc fwd_pd::bias_desc() const { return checked().with_bias ? checked().md.bias : dnnl::memory::desc(); }
dnnl::memory::desc fwd_pd::dst_desc() const { return checked().md.dst; }
const dnnl::convolution_forward::primitive_desc &fwd_pd::dnnl_pd() const {
    if (!checked().has_dnnl) throw error("primitive_desc: oneDNN has no dense implementation of this problem");
    return checked().dnnl_fwd;
}

// ---- backward data and weights: the constructors they share ----
// Without attributes or dispatch options: the defaults; every form ends in the one taking the
// hint (ours or oneDNN's), which creates the pd.
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::engine &e,
        const fwd_pd &hint, bool allow_empty)
    : conv_backward_primitive_desc(d, dnnl::primitive_attr(), e, hint, dispatch_options(), allow_empty) {}
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const fwd_pd &hint, bool allow_empty)
    : conv_backward_primitive_desc(d, attr, e, hint, dispatch_options(), allow_empty) {}
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const fwd_pd &hint, const dispatch_options &dispatch, bool allow_empty)
    : conv_primitive_desc_base(make_bwd(d, attr, e, hint, dispatch, allow_empty)) {}
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::engine &e,
        const dnnl::convolution_forward::primitive_desc &hint, bool allow_empty)
    : conv_backward_primitive_desc(d, dnnl::primitive_attr(), e, hint, dispatch_options(), allow_empty) {}
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const dnnl::convolution_forward::primitive_desc &hint, bool allow_empty)
    : conv_backward_primitive_desc(d, attr, e, hint, dispatch_options(), allow_empty) {}
template <typename OpDesc>
conv_backward_primitive_desc<OpDesc>::conv_backward_primitive_desc(const OpDesc &d, const dnnl::primitive_attr &attr,
        const dnnl::engine &e, const dnnl::convolution_forward::primitive_desc &hint, const dispatch_options &dispatch,
        bool allow_empty)
    : conv_primitive_desc_base(make_bwd(d, attr, e, hint, dispatch, allow_empty)) {}

template class conv_backward_primitive_desc<dnnl::convolution_backward_data::desc>;
template class conv_backward_primitive_desc<dnnl::convolution_backward_weights::desc>;

// ---- backward data ----
using bwd_d_pd = convolution_backward_data::primitive_desc;
using bwd_d_desc = dnnl::convolution_backward_data::desc;
bwd_d_pd::primitive_desc(const bwd_d_desc &d, const dnnl::primitive_attr &attr, const dnnl::engine &e,
        const fwd_pd &hint, const dispatch_options &dispatch, const backward_data_options &options, bool allow_empty)
    : conv_backward_primitive_desc(make_bwd(d, attr, e, hint, dispatch, allow_empty, options)) {}
bwd_d_pd::primitive_desc(const bwd_d_desc &d, const dnnl::primitive_attr &attr, const dnnl::engine &e,
        const dnnl::convolution_forward::primitive_desc &hint, const dispatch_options &dispatch,
        const backward_data_options &options, bool allow_empty)
    : conv_backward_primitive_desc(make_bwd(d, attr, e, hint, dispatch, allow_empty, options)) {}

dnnl::memory::desc bwd_d_pd::diff_src_desc() const { return checked().md.src; }
dnnl::memory::desc bwd_d_pd::src_desc() const { return checked().relu_mask ? checked().md.src : dnnl::memory::desc(); }
bool bwd_d_pd::relu_mask() const { return checked().relu_mask; }
dnnl::memory::desc bwd_d_pd::weights_desc() const { return checked().md.weights; }
dnnl::memory::desc bwd_d_pd::diff_dst_desc() const { return checked().md.dst; }

// ---- backward weights ----
using bwd_w_pd = convolution_backward_weights::primitive_desc;

dnnl::memory::desc bwd_w_pd::src_desc() const { return checked().md.src; }
dnnl::memory::desc bwd_w_pd::diff_weights_desc() const { return checked().md.weights; }
dnnl::memory::desc bwd_w_pd::diff_bias_desc() const {
    return checked().with_bias ? checked().md.bias : dnnl::memory::desc();
}
dnnl::memory::desc bwd_w_pd::diff_dst_desc() const { return checked().md.dst; }

version_t version() { return {SPARSETRAIN_VERSION_MAJOR, SPARSETRAIN_VERSION_MINOR, SPARSETRAIN_VERSION_PATCH}; }

} // namespace sparsetrain
