#include "conv_entry.hpp"

namespace sparsetrain_torch {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using md = dnnl::memory::desc;

const char *dir_name(conv_dir d) {
    switch (d) {
    case conv_dir::fwd: return "forward";
    case conv_dir::bwd_d: return "backward_data";
    case conv_dir::bwd_w: return "backward_weights";
    case conv_dir::bwd_d_mask: return "backward_data_mask";
    }
    return "?";
}

namespace {

// oneDNN's right padding for PyTorch's symmetric padding and floor output size (may be
// negative by less than a stride, which oneDNN allows).
int64_t pad_r(int64_t in, int64_t out, int64_t k, int64_t s, int64_t pl) { return (out - 1) * s + k - in - pl; }

at::Tensor aligned_floats(size_t bytes) {
    return at::empty({(int64_t)((bytes + sizeof(float) - 1) / sizeof(float))}, at::kFloat);
}

template <typename Pd>
void take_facts(dir_state &st, const Pd &pd, const md &act) {
    st.impl = pd.impl_info_str();
    st.declined = pd.declined();
    st.problem = pd.problem_str();
    st.layout = "other";
    for (auto t : {tag::nhwc, tag::nChw16c, tag::nchw, tag::nChw8c})
        if (act == md(act.dims(), dt::f32, t)) {
            st.layout = t == tag::nhwc ? "nhwc" : t == tag::nChw16c ? "nChw16c" : t == tag::nchw ? "nchw" : "nChw8c";
            break;
        }
}

dnnl::memory unbound(const md &m) { return dnnl::memory(m, cpu_engine(), DNNL_MEMORY_NONE); }

} // namespace

conv_entry::conv_entry(const conv_geometry &g, const entry_key &k) : g_(g), key_(k) {
    oh_ = (k.ih + 2 * g.ph - g.kh) / g.sh + 1;
    ow_ = (k.iw + 2 * g.pw - g.kw) / g.sw + 1;
    strides_ = {g.sh, g.sw};
    pad_l_ = {g.ph, g.pw};
    pad_r_ = {pad_r(k.ih, oh_, g.kh, g.sh, g.ph), pad_r(k.iw, ow_, g.kw, g.sw, g.pw)};
    create_fwd_pd();
}

// The layouts asked of a primitive_desc, tried in order: the first that gets the sparse
// kernel wins, else the first that gets a oneDNN implementation other than its reference.
// channels_last: nhwc activations (the tensors' own storage). NCHW tensors: nhwc copies when
// asked for (inner_nhwc), else nChw16c, the
// sparse kernels' blocked layout, where the channel counts allow it (with `any` oneDNN
// sometimes picks nChw8c, which the sparse kernels decline); weights `any`, then the sparse
// kernels' own layout (where oneDNN has only its reference it resolves `any` to plain);
// `any` everywhere last (e.g. below AVX-512, where oneDNN's kernels want nChw8c).
std::vector<conv_entry::layout_try> conv_entry::layout_tries(conv_dir d) const {
    const bool k1 = g_.kh == 1 && g_.kw == 1;
    const tag sparse_wei = d == conv_dir::bwd_d ? (k1 ? tag::IOhw16o16i : tag::OIhw16o16i) : tag::OIhw16i16o;
    if (key_.nhwc) return {{tag::nhwc, tag::any}, {tag::nhwc, sparse_wei}};
    if (key_.inner_nhwc) return {{tag::nhwc, tag::any}, {tag::nhwc, sparse_wei}, {tag::any, tag::any}};
    if (g_.ic % 16 == 0 && g_.oc % 16 == 0) return {{tag::nChw16c, tag::any}, {tag::nChw16c, sparse_wei}, {tag::any, tag::any}};
    return {{tag::any, tag::any}};
}

namespace {

bool reference_only(const std::string &impl) { return impl == "reference" || impl.rfind("onednn:ref", 0) == 0; }

template <typename Pd, typename Make>
Pd pick_pd(const std::vector<conv_entry::layout_try> &tries, bool dense_mode, Make make) {
    Pd first, first_usable;
    for (const auto &t : tries) {
        Pd pd = make(t);
        if (pd.is_sparse()) return pd;
        if (!first) first = pd;
        if (!first_usable && !reference_only(pd.impl_info_str())) {
            first_usable = pd;
            if (dense_mode) break; // the sparse kernel is not an option
        }
    }
    return first_usable ? first_usable : first;
}

} // namespace

// The descs of one direction's operands for one layout try: activations in `t.act`, weights
// in `t.wei`.
struct conv_mds {
    md src, wei, dst;
};

conv_mds conv_entry::mds(const layout_try &t) const {
    return {md({key_.n, g_.ic, key_.ih, key_.iw}, dt::f32, t.act), md({g_.oc, g_.ic, g_.kh, g_.kw}, dt::f32, t.wei),
            md({key_.n, g_.oc, oh_, ow_}, dt::f32, t.act)};
}

void conv_entry::create_fwd_pd() {
    fwd_pd_ = pick_pd<sparsetrain::convolution_forward::primitive_desc>(layout_tries(conv_dir::fwd),
            key_.mode == sparsetrain::dispatch_mode::dense, [&](const layout_try &t) {
                const conv_mds m = mds(t);
                const md bias = g_.with_bias ? md({g_.oc}, dt::f32, tag::x) : md();
                const sparsetrain::convolution_forward::desc d(dnnl::prop_kind::forward_training,
                        dnnl::algorithm::convolution_direct, m.src, m.wei, bias, m.dst, strides_, pad_l_, pad_r_);
                return sparsetrain::convolution_forward::primitive_desc(d, dnnl::primitive_attr(), cpu_engine(),
                        sparsetrain::dispatch_options {key_.mode, key_.denormals});
            });
    dir_state &st = dirs_[0];
    take_facts(st, fwd_pd_, fwd_pd_.src_desc());
    st.args = {{DNNL_ARG_SRC, unbound(fwd_pd_.src_desc())}, {DNNL_ARG_WEIGHTS, unbound(fwd_pd_.weights_desc())},
            {DNNL_ARG_DST, unbound(fwd_pd_.dst_desc())}};
    if (g_.with_bias) st.args.emplace(DNNL_ARG_BIAS, unbound(fwd_pd_.bias_desc()));
    pd_made_[0] = true;
}

// relu_mask: the primitive returns diff_src * [src > 0] and reads the forward src at execute.
void conv_entry::create_bwd_d_pd(bool relu_mask) {
    sparsetrain::backward_data_options opt;
    opt.relu_mask = relu_mask;
    auto &pd = relu_mask ? bwd_d_mask_pd_ : bwd_d_pd_;
    pd = pick_pd<sparsetrain::convolution_backward_data::primitive_desc>(layout_tries(conv_dir::bwd_d),
            key_.mode == sparsetrain::dispatch_mode::dense, [&](const layout_try &t) {
                const conv_mds m = mds(t);
                const sparsetrain::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, m.src,
                        m.wei, m.dst, strides_, pad_l_, pad_r_);
                return sparsetrain::convolution_backward_data::primitive_desc(d, dnnl::primitive_attr(),
                        cpu_engine(), fwd_pd_, sparsetrain::dispatch_options {key_.mode, key_.denormals}, opt);
            });
    const int i = static_cast<int>(relu_mask ? conv_dir::bwd_d_mask : conv_dir::bwd_d);
    dir_state &st = dirs_[i];
    take_facts(st, pd, pd.diff_src_desc());
    st.args = {{DNNL_ARG_DIFF_SRC, unbound(pd.diff_src_desc())}, {DNNL_ARG_WEIGHTS, unbound(pd.weights_desc())},
            {DNNL_ARG_DIFF_DST, unbound(pd.diff_dst_desc())}};
    if (relu_mask) st.args.emplace(DNNL_ARG_SRC, unbound(pd.src_desc()));
    pd_made_[i] = true;
}

void conv_entry::create_bwd_w_pd() {
    bwd_w_pd_ = pick_pd<sparsetrain::convolution_backward_weights::primitive_desc>(layout_tries(conv_dir::bwd_w),
            key_.mode == sparsetrain::dispatch_mode::dense, [&](const layout_try &t) {
                const conv_mds m = mds(t);
                const md diff_bias = g_.with_bias ? md({g_.oc}, dt::f32, tag::x) : md();
                const sparsetrain::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, m.src,
                        m.wei, diff_bias, m.dst, strides_, pad_l_, pad_r_);
                return sparsetrain::convolution_backward_weights::primitive_desc(d, dnnl::primitive_attr(),
                        cpu_engine(), fwd_pd_, sparsetrain::dispatch_options {key_.mode, key_.denormals});
            });
    dir_state &st = dirs_[2];
    take_facts(st, bwd_w_pd_, bwd_w_pd_.src_desc());
    st.args = {{DNNL_ARG_SRC, unbound(bwd_w_pd_.src_desc())},
            {DNNL_ARG_DIFF_WEIGHTS, unbound(bwd_w_pd_.diff_weights_desc())},
            {DNNL_ARG_DIFF_DST, unbound(bwd_w_pd_.diff_dst_desc())}};
    if (g_.with_bias) st.args.emplace(DNNL_ARG_DIFF_BIAS, unbound(bwd_w_pd_.diff_bias_desc()));
    pd_made_[2] = true;
}

namespace {

// Creates the primitive of `pd` and points the direction's execute / stats at it (the entry
// owns both and never moves: it lives behind a unique_ptr).
template <typename Prim, typename Pd>
void wire(dir_state &st, Prim &prim, const Pd &pd) {
    prim = Prim(pd);
    st.execute = [&prim, &st] { prim.execute(thread_stream(), st.args); };
    st.stats = [&prim] { return prim.stats(); };
}

} // namespace

dir_state &conv_entry::dir(conv_dir d, bool need_primitive) {
    const int i = static_cast<int>(d);
    dir_state &st = dirs_[i];
    if (!pd_made_[i]) {
        if (d == conv_dir::bwd_d || d == conv_dir::bwd_d_mask) create_bwd_d_pd(d == conv_dir::bwd_d_mask);
        else if (d == conv_dir::bwd_w) create_bwd_w_pd();
    }
    if (need_primitive && !st.created) {
        switch (d) {
        case conv_dir::fwd: wire(st, fwd_, fwd_pd_); break;
        case conv_dir::bwd_d: wire(st, bwd_d_, bwd_d_pd_); break;
        case conv_dir::bwd_d_mask: wire(st, bwd_d_mask_, bwd_d_mask_pd_); break;
        case conv_dir::bwd_w: wire(st, bwd_w_, bwd_w_pd_); break;
        }
        st.created = true;
    }
    return st;
}

float *conv_entry::wei_fwd_buf() {
    if (!wei_fwd_.defined()) wei_fwd_ = aligned_floats(fwd_pd_.weights_desc().get_size());
    return wei_fwd_.data_ptr<float>();
}

float *conv_entry::wei_bwd_d_buf(size_t bytes) {
    if (!wei_bwd_d_.defined() || (size_t)wei_bwd_d_.numel() * sizeof(float) < bytes) wei_bwd_d_ = aligned_floats(bytes);
    return wei_bwd_d_.data_ptr<float>();
}

float *conv_entry::diff_wei_buf() {
    if (!diff_wei_.defined()) diff_wei_ = aligned_floats(bwd_w_pd_.diff_weights_desc().get_size());
    return diff_wei_.data_ptr<float>();
}

float *conv_entry::diff_bias_sink() {
    if (!diff_bias_.defined()) diff_bias_ = aligned_floats(sizeof(float) * g_.oc);
    return diff_bias_.data_ptr<float>();
}

} // namespace sparsetrain_torch
