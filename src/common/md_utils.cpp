#include "common/md_utils.hpp"

namespace sparsetrain {
namespace detail {

bool is_zero_md(const dnnl::memory::desc &md) { return md.data.ndims == 0; }

bool is_any(const dnnl::memory::desc &md) {
    return md.data.ndims > 0 && md.data.format_kind == dnnl_format_kind_any;
}

bool has_tag(const dnnl::memory::desc &md, tag t) {
    if (is_zero_md(md) || is_any(md) || md.data.format_kind != dnnl_blocked) return false;
    try {
        return md == dnnl::memory::desc(md.dims(), md.data_type(), t);
    } catch (const dnnl::error &) {
        return false; // tag of another rank
    }
}

const char *dt_str(dnnl::memory::data_type dt) {
    using dt_t = dnnl::memory::data_type;
    switch (dt) {
    case dt_t::f32: return "f32";
    case dt_t::f16: return "f16";
    case dt_t::bf16: return "bf16";
    case dt_t::s32: return "s32";
    case dt_t::s8: return "s8";
    case dt_t::u8: return "u8";
    default: return "undef";
    }
}

std::string md_str(const dnnl::memory::desc &md) {
    if (is_zero_md(md)) return "undef";
    std::string s = dt_str(md.data_type());
    if (is_any(md)) return s + ":any";
    static const std::pair<tag, const char *> known[] = {
            {tag::nchw, "nchw"}, {tag::nhwc, "nhwc"}, {tag::nChw16c, "nChw16c"},
            {tag::nChw8c, "nChw8c"}, {tag::OIhw16i16o, "OIhw16i16o"},
            {tag::OIhw16o16i, "OIhw16o16i"}, {tag::IOhw16o16i, "IOhw16o16i"},
            {tag::Ohwi16o, "Ohwi16o"}, {tag::Ohwi32o, "Ohwi32o"}, {tag::Ohwi48o, "Ohwi48o"},
            {tag::Ohwi64o, "Ohwi64o"}, {tag::hwio, "hwio"}, {tag::x, "x"},
            {tag::ncdhw, "ncdhw"}, {tag::nCdhw16c, "nCdhw16c"}, {tag::goihw, "goihw"},
    };
    for (const auto &k : known)
        if (has_tag(md, k.first)) {
            // Plain 4D tags are ambiguous by name between activations and weights.
            if (k.first == tag::nchw && md.dims().size() == 4) return s + ":abcd";
            return s + ":" + k.second;
        }
    return s + ":blocked";
}

dnnl::memory::desc resolve_any_plain(const dnnl::memory::desc &md, bool is_weights) {
    if (!is_any(md)) return md;
    const auto dims = md.dims();
    tag t = tag::undef;
    switch (dims.size()) {
    case 1: t = tag::x; break;
    case 4: t = is_weights ? tag::oihw : tag::nchw; break;
    case 5: t = is_weights ? tag::goihw : tag::ncdhw; break;
    default: t = tag::undef;
    }
    if (t == tag::undef) return md;
    return dnnl::memory::desc(dims, md.data_type(), t);
}

} // namespace detail
} // namespace sparsetrain
