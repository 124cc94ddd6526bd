#include "util/reference_runner.hpp"

#include <cstring>
#include <limits>

#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"

#include <limits>

namespace sparsetrain {
namespace test {

using namespace dnnl;
using tag = memory::format_tag;

namespace {

memory to_mem(const memory::desc &md, const std::vector<float> &plain, tag plain_tag) {
    memory m(md, cpu_engine());
    float *p = static_cast<float *>(m.get_data_handle());
    if (plain.empty()) {
        // Outputs start as NaN: an element a kernel does not write fails the comparison.
        std::fill_n(p, md.get_size() / sizeof(float), std::numeric_limits<float>::quiet_NaN());
        return m;
    }
    memory src(memory::desc(md.dims(), memory::data_type::f32, plain_tag), cpu_engine(), const_cast<float *>(plain.data()));
    stream s(cpu_engine());
    reorder(src, m).execute(s, src, m);
    s.wait();
    return m;
}

std::vector<float> from_mem(const memory &m, tag plain_tag) {
    std::vector<float> out(m.get_desc().get_size() / sizeof(float));
    memory dst(memory::desc(m.get_desc().dims(), memory::data_type::f32, plain_tag), cpu_engine(), out.data());
    stream s(cpu_engine());
    reorder(const_cast<memory &>(m), dst).execute(s, const_cast<memory &>(m), dst);
    s.wait();
    return out;
}

// An output buffer in layout `md`: NaN inside, canaries in `guard` floats on either side.
struct guarded_output {
    static constexpr size_t guard = 64;
    static constexpr float canary = -12345.75f;
    std::vector<float> buf;
    memory mem;
    explicit guarded_output(const memory::desc &md) {
        const size_t n = md.get_size() / sizeof(float);
        buf.assign(n + 2 * guard, canary);
        std::fill_n(buf.begin() + guard, n, std::numeric_limits<float>::quiet_NaN());
        mem = memory(md, cpu_engine(), buf.data() + guard);
    }
    bool guards_intact() const {
        const size_t n = buf.size() - 2 * guard;
        for (size_t i = 0; i < guard; ++i)
            if (std::memcmp(&buf[i], &canary, 4) || std::memcmp(&buf[guard + n + i], &canary, 4)) return false;
        return true;
    }
};

} // namespace

ref_results run_against_reference(const problem_t &p, direction dir, const conv_data &d, bool with_bias,
        const dispatch_options &dispatch, tag act) {
    auto any = [](const memory::dims &dims) { return memory::desc(dims, memory::data_type::f32, tag::any); };
    auto act_md = [&](const memory::dims &dims) { return memory::desc(dims, memory::data_type::f32, act); };
    auto &eng = cpu_engine();
    stream s(eng);
    const memory::dims st {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    const auto bias_md = with_bias ? memory::desc({p.oc}, memory::data_type::f32, tag::x) : memory::desc();
    sparsetrain::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
            act_md(src_dims(p)), any(wei_dims(p)), bias_md, act_md(dst_dims(p)), st, pl, pr);
    sparsetrain::convolution_forward::primitive_desc fpd(fd, primitive_attr(), eng, dispatch);
    ref_results r;
    switch (dir) {
    case direction::fwd: {
        auto src = to_mem(fpd.src_desc(), d.src, tag::nchw), wei = to_mem(fpd.weights_desc(), d.weights, tag::oihw);
        guarded_output dst(fpd.dst_desc());
        std::unordered_map<int, memory> args {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst.mem}};
        if (with_bias) args[DNNL_ARG_BIAS] = to_mem(fpd.bias_desc(), d.bias, tag::x);
        const sparsetrain::convolution_forward prim(fpd);
        prim.execute(s, args);
        r.stats = prim.stats();
        r.guards_ok = dst.guards_intact();
        r.ours = from_mem(dst.mem, tag::nchw);
        r.ref.resize(r.ours.size());
        reference::conv_fwd(p, d.src.data(), d.weights.data(), with_bias ? d.bias.data() : nullptr, r.ref.data());
        r.impl = fpd.impl_info_str();
        break;
    }
    case direction::bwd_d: {
        sparsetrain::convolution_backward_data::desc bd(algorithm::convolution_direct, act_md(src_dims(p)),
                any(wei_dims(p)), act_md(dst_dims(p)), st, pl, pr);
        sparsetrain::convolution_backward_data::primitive_desc bpd(bd, primitive_attr(), eng, fpd, dispatch);
        auto wei = to_mem(bpd.weights_desc(), d.weights, tag::oihw);
        auto ddst = to_mem(bpd.diff_dst_desc(), d.diff_dst, tag::nchw);
        guarded_output dsrc(bpd.diff_src_desc());
        const sparsetrain::convolution_backward_data prim(bpd);
        prim.execute(s, {{DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_SRC, dsrc.mem}});
        r.stats = prim.stats();
        r.guards_ok = dsrc.guards_intact();
        r.ours = from_mem(dsrc.mem, tag::nchw);
        r.ref.resize(r.ours.size());
        reference::conv_bwd_d(p, r.ref.data(), d.weights.data(), d.diff_dst.data());
        r.impl = bpd.impl_info_str();
        break;
    }
    case direction::bwd_w: {
        sparsetrain::convolution_backward_weights::desc wd(algorithm::convolution_direct, act_md(src_dims(p)),
                any(wei_dims(p)), bias_md, act_md(dst_dims(p)), st, pl, pr);
        sparsetrain::convolution_backward_weights::primitive_desc wpd(wd, primitive_attr(), eng, fpd, dispatch);
        auto src = to_mem(wpd.src_desc(), d.src, tag::nchw);
        auto ddst = to_mem(wpd.diff_dst_desc(), d.diff_dst, tag::nchw);
        guarded_output dw(wpd.diff_weights_desc());
        std::unordered_map<int, memory> args {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, dw.mem}};
        guarded_output db(with_bias ? wpd.diff_bias_desc() : memory::desc({1}, memory::data_type::f32, tag::x));
        if (with_bias) args[DNNL_ARG_DIFF_BIAS] = db.mem;
        const sparsetrain::convolution_backward_weights prim(wpd);
        prim.execute(s, args);
        r.stats = prim.stats();
        r.guards_ok = dw.guards_intact() && db.guards_intact();
        r.ours = from_mem(dw.mem, tag::oihw);
        r.ref.resize(r.ours.size());
        r.ref_bias.resize(p.oc);
        reference::conv_bwd_w(p, d.src.data(), r.ref.data(), with_bias ? r.ref_bias.data() : nullptr, d.diff_dst.data());
        if (with_bias) r.ours_bias = from_mem(db.mem, tag::x);
        r.impl = wpd.impl_info_str();
        break;
    }
    }
    return r;
}

} // namespace test
} // namespace sparsetrain
