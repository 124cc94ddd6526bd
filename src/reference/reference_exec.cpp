#include "reference/reference_exec.hpp"

#include <vector>

#include "common/md_utils.hpp"
#include "reference/ref_conv.hpp"

namespace sparsetrain {
namespace detail {

namespace {

dnnl::memory::desc plain_of(const dnnl::memory::desc &md, bool weights) {
    const auto dims = md.dims();
    if (dims.size() == 1) return dnnl::memory::desc(dims, md.data_type(), tag::x);
    return dnnl::memory::desc(dims, md.data_type(), weights ? tag::oihw : tag::nchw);
}

std::vector<float> to_plain(dnnl::stream &s, const dnnl::memory &m, bool weights) {
    const auto pmd = plain_of(m.get_desc(), weights);
    std::vector<float> buf(pmd.get_size() / sizeof(float));
    dnnl::memory out(pmd, m.get_engine(), buf.data());
    dnnl::reorder(m, out).execute(s, const_cast<dnnl::memory &>(m), out);
    s.wait();
    return buf;
}

void from_plain(dnnl::stream &s, std::vector<float> &buf, const dnnl::memory &m, bool weights) {
    const auto pmd = plain_of(m.get_desc(), weights);
    dnnl::memory in(pmd, m.get_engine(), buf.data());
    dnnl::memory dst = m;
    dnnl::reorder(in, dst).execute(s, in, dst);
    s.wait();
}

} // namespace

void reference_execute(direction dir, const problem_t &p, bool with_bias, bool with_relu, dnnl::stream &s,
        const conv_memories &m) {
    switch (dir) {
    case direction::fwd: {
        auto src = to_plain(s, m.src, false), wei = to_plain(s, m.weights, true);
        std::vector<float> bias;
        if (with_bias) bias = to_plain(s, m.bias, false);
        std::vector<float> dst(p.mb * p.oc * p.oh * p.ow);
        reference::conv_fwd(p, src.data(), wei.data(), with_bias ? bias.data() : nullptr, dst.data(),
                with_relu);
        from_plain(s, dst, m.dst, false);
        break;
    }
    case direction::bwd_d: {
        auto wei = to_plain(s, m.weights, true), ddst = to_plain(s, m.dst, false);
        std::vector<float> dsrc(p.mb * p.ic * p.ih * p.iw);
        reference::conv_bwd_d(p, dsrc.data(), wei.data(), ddst.data());
        from_plain(s, dsrc, m.src, false);
        break;
    }
    case direction::bwd_w: {
        auto src = to_plain(s, m.src, false), ddst = to_plain(s, m.dst, false);
        std::vector<float> dw(p.oc * p.ic * p.kh * p.kw), db(p.oc);
        reference::conv_bwd_w(p, src.data(), dw.data(), with_bias ? db.data() : nullptr, ddst.data());
        from_plain(s, dw, m.weights, true);
        if (with_bias) from_plain(s, db, m.bias, false);
        break;
    }
    }
}

} // namespace detail
} // namespace sparsetrain
