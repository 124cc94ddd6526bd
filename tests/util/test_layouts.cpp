#include "util/test_layouts.hpp"

#include <utility>

#include "util/test_data.hpp"

namespace sparsetrain {
namespace test {

using tag = dnnl::memory::format_tag;

tag act_tag(act_format f) { return f == act_format::nhwc ? tag::nhwc : tag::nChw16c; }

tag wei_tag(weights_layout l) {
    switch (l) {
    case weights_layout::OIhw16i16o: return tag::OIhw16i16o;
    case weights_layout::OIhw16o16i: return tag::OIhw16o16i;
    case weights_layout::IOhw16o16i: return tag::IOhw16o16i;
    case weights_layout::Ohwi16o: return tag::Ohwi16o;
    case weights_layout::Ohwi32o: return tag::Ohwi32o;
    case weights_layout::Ohwi48o: return tag::Ohwi48o;
    case weights_layout::Ohwi64o: return tag::Ohwi64o;
    }
    return tag::undef;
}

weights_layout onednn_fwd_weights(const problem_t &p, act_format f) {
    using namespace dnnl;
    const auto f32 = memory::data_type::f32;
    const memory::desc src(src_dims(p), f32, act_tag(f)), dst(dst_dims(p), f32, act_tag(f)),
            wei(wei_dims(p), f32, tag::any);
    const convolution_forward::primitive_desc pd({prop_kind::forward_training, algorithm::convolution_direct, src, wei,
                                                         dst, {p.sh, p.sw}, {p.ph, p.pw}, {p.ph_r, p.pw_r}},
            cpu_engine());
    for (auto l : {weights_layout::OIhw16i16o, weights_layout::Ohwi16o, weights_layout::Ohwi32o, weights_layout::Ohwi48o,
                 weights_layout::Ohwi64o})
        if (pd.weights_desc() == memory::desc(wei.dims(), f32, wei_tag(l))) return l;
    return weights_layout::OIhw16i16o;
}

const std::vector<act_format> &both_layouts() {
    static const std::vector<act_format> v {act_format::nChw16c, act_format::nhwc};
    return v;
}

dnnl::convolution_forward::desc fwd_desc(const problem_t &p, tag src, tag wei, tag dst) {
    using namespace dnnl;
    auto md = [](const memory::dims &d, tag t) { return memory::desc(d, memory::data_type::f32, t); };
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, md(src_dims(p), src),
            md(wei_dims(p), wei), md(dst_dims(p), dst), {p.sh, p.sw}, {p.ph, p.pw}, {p.ph_r, p.pw_r});
}

} // namespace test
} // namespace sparsetrain
