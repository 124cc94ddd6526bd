#include "common/desc_validate.hpp"

#include <string>

#include "common/md_utils.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

conv_md_names md_names(direction dir) {
    switch (dir) {
    case direction::fwd: return {"src_desc", "weights_desc", "bias_desc", "dst_desc"};
    case direction::bwd_d: return {"diff_src_desc", "weights_desc", "bias_desc", "diff_dst_desc"};
    case direction::bwd_w: return {"src_desc", "diff_weights_desc", "diff_bias_desc", "diff_dst_desc"};
    }
    return {"src_desc", "weights_desc", "bias_desc", "dst_desc"};
}

conv_mds mds_of(direction dir, const dnnl_convolution_desc_t &d) {
    conv_mds m;
    switch (dir) {
    case direction::fwd:
        m = {dnnl::memory::desc(d.src_desc), dnnl::memory::desc(d.weights_desc),
                dnnl::memory::desc(d.bias_desc), dnnl::memory::desc(d.dst_desc)};
        break;
    case direction::bwd_d:
        m = {dnnl::memory::desc(d.diff_src_desc), dnnl::memory::desc(d.weights_desc),
                dnnl::memory::desc(), dnnl::memory::desc(d.diff_dst_desc)};
        break;
    case direction::bwd_w:
        m = {dnnl::memory::desc(d.src_desc), dnnl::memory::desc(d.diff_weights_desc),
                dnnl::memory::desc(d.diff_bias_desc), dnnl::memory::desc(d.diff_dst_desc)};
        break;
    }
    return m;
}

namespace {

[[noreturn]] void fail(const std::string &msg) { throw error(msg); }

std::string dim_name(int ndims, int i, bool weights, bool grouped) {
    static const char *act4[] = {"mb", "channels", "h", "w"};
    static const char *act5[] = {"mb", "channels", "d", "h", "w"};
    static const char *wei4[] = {"oc", "ic", "kh", "kw"};
    static const char *wei5g[] = {"g", "oc/g", "ic/g", "kh", "kw"};
    static const char *wei5[] = {"oc", "ic", "kd", "kh", "kw"};
    if (!weights) return ndims == 5 ? act5[i] : act4[i];
    if (ndims == 5) return grouped ? wei5g[i] : wei5[i];
    if (ndims == 6) {
        static const char *wei6[] = {"g", "oc/g", "ic/g", "kd", "kh", "kw"};
        return wei6[i];
    }
    return wei4[i];
}

void check_dims(const dnnl::memory::desc &md, const char *name, bool weights, bool grouped) {
    const auto dims = md.dims();
    for (size_t i = 0; i < dims.size(); ++i)
        if (dims[i] <= 0)
            fail(std::string(name) + ": dims[" + std::to_string(i) + "] ("
                    + dim_name((int)dims.size(), (int)i, weights, grouped) + ") = "
                    + std::to_string(dims[i]) + " must be positive");
}

void check_dtype(const dnnl::memory::desc &md, const char *name) {
    const auto dt = md.data_type();
    using dt_t = dnnl::memory::data_type;
    if (dt == dt_t::f32 || dt == dt_t::bf16 || dt == dt_t::f16 || dt == dt_t::s8 || dt == dt_t::u8
            || dt == dt_t::s32)
        return;
    fail(std::string(name) + ": data type " + dt_str(dt) + " is not supported");
}

// The pairs oneDNN can compute (its accumulation type is defined): both f32, both bf16,
// both f16, or int8 forward (u8/s8 src with s8 weights).
void check_dtype_combination(direction dir, const conv_mds &m, const conv_md_names &names) {
    using dt_t = dnnl::memory::data_type;
    const dnnl::memory::desc *a = &m.src, *b = &m.weights;
    const char *na = names.src, *nb = names.weights;
    if (dir == direction::bwd_d) { a = &m.dst; na = names.dst; }
    if (dir == direction::bwd_w) { b = &m.dst; nb = names.dst; }
    const dt_t ta = a->data_type(), tb = b->data_type();
    // Bias: f32 for f32 convolutions; f32 or the data type itself for bf16 / f16; int8 any.
    auto check_bias = [&] {
        if (is_zero_md(m.bias)) return;
        const dt_t tbias = m.bias.data_type();
        const bool int8 = ta == dt_t::u8 || ta == dt_t::s8;
        if (int8 || tbias == dt_t::f32 || (tbias == ta && ta != dt_t::f32)) return;
        fail(std::string(names.bias) + ": data type " + dt_str(tbias) + " does not combine with " + na
                + " data type " + dt_str(ta) + " (an f32 convolution needs an f32 bias)");
    };
    if (ta == tb && (ta == dt_t::f32 || ta == dt_t::bf16 || ta == dt_t::f16)) return check_bias();
    if (dir == direction::fwd && (ta == dt_t::u8 || ta == dt_t::s8) && tb == dt_t::s8) return check_bias();
    fail(std::string(nb) + ": data type " + dt_str(tb) + " does not combine with " + na + " data type "
            + dt_str(ta) + " (supported: f32, bf16 or f16 throughout; u8/s8 src with s8 weights forward)");
}

} // namespace

conv_geometry geometry_of(const dnnl_convolution_desc_t &d) {
    conv_geometry g;
    const int sp = d.src_desc.ndims > 0 ? d.src_desc.ndims - 2 : d.diff_src_desc.ndims - 2;
    for (int i = 0; i < sp; ++i) {
        g.strides.push_back(d.strides[i]);
        g.dilates.push_back(d.dilates[i]);
        g.padding_l.push_back(d.padding[0][i]);
        g.padding_r.push_back(d.padding[1][i]);
    }
    return g;
}

problem_t problem_from_desc(direction dir, const dnnl_convolution_desc_t &d) {
    return problem_from_parts(dir, mds_of(dir, d), geometry_of(d));
}

problem_t problem_from_parts(direction dir, const conv_mds &m, const conv_geometry &geo) {
    const auto names = md_names(dir);
    if (is_zero_md(m.src)) fail(std::string(names.src) + ": missing (zero memory desc)");
    if (is_zero_md(m.weights)) fail(std::string(names.weights) + ": missing (zero memory desc)");
    if (is_zero_md(m.dst)) fail(std::string(names.dst) + ": missing (zero memory desc)");

    const int nd = m.src.data.ndims;
    if (nd != 4 && nd != 5)
        fail(std::string(names.src) + ": " + std::to_string(nd)
                + " dimensions; convolutions need 4 (2D: n, c, h, w) or 5 (3D)");
    if (m.dst.data.ndims != nd)
        fail(std::string(names.dst) + ": " + std::to_string(m.dst.data.ndims) + " dimensions, but "
                + names.src + " has " + std::to_string(nd));
    const int wnd = m.weights.data.ndims;
    if (wnd != nd && wnd != nd + 1)
        fail(std::string(names.weights) + ": " + std::to_string(wnd) + " dimensions, expected "
                + std::to_string(nd) + " (or " + std::to_string(nd + 1) + " with groups)");
    const bool grouped = wnd == nd + 1;

    check_dims(m.src, names.src, false, false);
    check_dims(m.dst, names.dst, false, false);
    check_dims(m.weights, names.weights, true, grouped);
    check_dtype(m.src, names.src);
    check_dtype(m.weights, names.weights);
    check_dtype(m.dst, names.dst);

    check_dtype_combination(dir, m, names);

    const auto s = m.src.dims(), w = m.weights.dims(), o = m.dst.dims();
    const int off = grouped ? 1 : 0; // weights dims start at g when grouped
    problem_t p;
    p.ndims = nd;
    p.g = grouped ? w[0] : 1;
    p.mb = s[0];
    p.ic = s[1];
    p.oc = o[1];
    if (o[0] != s[0])
        fail(std::string(names.dst) + ": minibatch dims[0] = " + std::to_string(o[0]) + " differs from "
                + names.src + " minibatch " + std::to_string(s[0]));
    if (w[off + 1] * p.g != p.ic)
        fail(std::string(names.weights) + ": input channels (dims[" + std::to_string(off + 1) + "] = "
                + std::to_string(w[off + 1]) + (grouped ? " x g" : "") + ") do not match " + names.src
                + " channels " + std::to_string(p.ic));
    if (w[off + 0] * p.g != p.oc)
        fail(std::string(names.weights) + ": output channels (dims[" + std::to_string(off) + "] = "
                + std::to_string(w[off + 0]) + (grouped ? " x g" : "") + ") do not match " + names.dst
                + " channels " + std::to_string(p.oc));
    if (!is_zero_md(m.bias)) {
        if (m.bias.data.ndims != 1 || m.bias.dims()[0] != p.oc)
            fail(std::string(names.bias) + ": expected 1 dimension of " + std::to_string(p.oc)
                    + " (output channels)");
        check_dtype(m.bias, names.bias);
    }

    const int sp = nd - 2; // spatial dims
    auto check_len = [&](const dnnl::memory::dims &v, const char *what, bool may_be_empty) {
        if (v.empty() && may_be_empty) return;
        if ((int)v.size() != sp)
            fail(std::string(what) + ": " + std::to_string(v.size()) + " values given, the "
                    + std::to_string(sp) + "D convolution needs " + std::to_string(sp));
    };
    check_len(geo.strides, "strides", false);
    check_len(geo.dilates, "dilates", true);
    check_len(geo.padding_l, "padding_l", false);
    check_len(geo.padding_r, "padding_r", false);
    const dnnl::memory::dims dil = geo.dilates.empty() ? dnnl::memory::dims(sp, 0) : geo.dilates;
    for (int i = 0; i < sp; ++i) {
        if (geo.strides[i] <= 0)
            fail("strides[" + std::to_string(i) + "] = " + std::to_string(geo.strides[i]) + " must be positive");
        if (dil[i] < 0)
            fail("dilates[" + std::to_string(i) + "] = " + std::to_string(dil[i]) + " must not be negative");
        if (geo.padding_l[i] < 0)
            fail("padding_l[" + std::to_string(i) + "] = " + std::to_string(geo.padding_l[i]) + " must not be negative");
        // oneDNN's own rule: the right padding may be negative, but by less than one stride.
        if (geo.padding_r[i] + geo.strides[i] <= 0)
            fail("padding_r[" + std::to_string(i) + "] = " + std::to_string(geo.padding_r[i])
                    + " must be greater than -strides[" + std::to_string(i) + "]");
        // Bounds that keep every size computation far from 64-bit overflow.
        constexpr int64_t big = int64_t(1) << 24;
        if (geo.strides[i] > big || dil[i] > big || geo.padding_l[i] > big || geo.padding_r[i] > big)
            fail("strides/dilates/padding[" + std::to_string(i) + "]: values above 2^24 are not supported");
    }
    for (const auto *t : {&m.src, &m.weights, &m.dst})
        for (auto v : t->dims())
            if (v > (int64_t(1) << 31))
                fail(std::string(t == &m.src ? names.src : t == &m.dst ? names.dst : names.weights)
                        + ": a dimension above 2^31 is not supported");
    auto sp_at = [&](const dnnl::memory::dims &v, int i) { return v[v.size() - sp + i]; };
    int64_t *in[3] = {&p.id, &p.ih, &p.iw}, *out[3] = {&p.od, &p.oh, &p.ow}, *k[3] = {&p.kd, &p.kh, &p.kw};
    int64_t *st[3] = {&p.sd, &p.sh, &p.sw}, *pl[3] = {&p.pd, &p.ph, &p.pw}, *pr[3] = {&p.pd_r, &p.ph_r, &p.pw_r};
    int64_t *dl[3] = {&p.dd, &p.dh, &p.dw};
    const int first = 3 - sp; // 2D fills h, w only
    for (int i = 0; i < sp; ++i) {
        *in[first + i] = sp_at(s, i);
        *out[first + i] = sp_at(o, i);
        *k[first + i] = sp_at(w, i);
        *st[first + i] = geo.strides[i];
        *pl[first + i] = geo.padding_l[i];
        *pr[first + i] = geo.padding_r[i];
        *dl[first + i] = dil[i];
    }
    static const char *axis[3] = {"d", "h", "w"};
    for (int i = first; i < 3; ++i) {
        const int64_t expect = conv_out_size(*in[i], *k[i], *st[i], *pl[i], *pr[i], *dl[i]);
        if (*out[i] != expect)
            fail(std::string(names.dst) + ": o" + axis[i] + " = " + std::to_string(*out[i])
                    + " does not follow from i" + axis[i] + " = " + std::to_string(*in[i]) + ", k"
                    + axis[i] + " = " + std::to_string(*k[i]) + ", stride " + std::to_string(*st[i])
                    + ", padding " + std::to_string(*pl[i]) + "/" + std::to_string(*pr[i])
                    + ", dilation " + std::to_string(*dl[i]) + " (expected " + std::to_string(expect) + ")");
    }
    p.validate();
    return p;
}

} // namespace detail
} // namespace sparsetrain
