// kernel-bench-fwd: the sparse forward convolution against oneDNN dense on the same
// buffers (nChw16c / OIhw16i16o, or --layout=nhwc with --wei=TAG, default oneDNN's nhwc
// pick), in one process, interleaved run by run; prints medians and the same-run ratio.
// Developer tool (uses internal headers).
//
//   kernel-bench-fwd [--mb=16] [--reps=9] [--sparsity=0,0.5,0.7,0.9] [--plan=ocb=4,cb=2] [--plan2=HINTS] [--hint=auto|none|D]
//                    [--relu] [--bias] [--layout=nchw16c|nhwc] [--wei=OIhw16i16o|Ohwi16o|32o|48o|64o] [problem ...]
// Without problems it runs the issue's four layers. Threads: OMP_NUM_THREADS.
// --plan2 runs a second sparse configuration interleaved with the first (its ratio printed
// after the first's); --hint sets conv_tensors::density_hint: auto (default) the fill's
// density 1 - s, as the dispatcher would sample it; none -1; or a fixed value.
// FLOP convention: 2*N*K*C*R*S*OH*OW (padding taps counted).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/fwd_config.hpp"
#include "driver/fwd_conv.hpp"
#include "kernel_bench_util/kernel_bench.hpp"

using namespace sparsetrain;
using namespace sparsetrain::kbench;

namespace {

// The weights layout to benchmark: --wei, else oneDNN's own pick (nhwc) or OIhw16i16o.
std::pair<weights_layout, dnnl::memory::format_tag> choose_weights(const problem_t &p, const std::string &wei_name,
        act_format layout, dnnl::memory::format_tag act_tag, const dnnl::engine &eng) {
    using namespace dnnl;
    const std::pair<const char *, std::pair<weights_layout, memory::format_tag>> tags[] = {
            {"OIhw16i16o", {weights_layout::OIhw16i16o, memory::format_tag::OIhw16i16o}},
            {"Ohwi16o", {weights_layout::Ohwi16o, memory::format_tag::Ohwi16o}},
            {"Ohwi32o", {weights_layout::Ohwi32o, memory::format_tag::Ohwi32o}},
            {"Ohwi48o", {weights_layout::Ohwi48o, memory::format_tag::Ohwi48o}},
            {"Ohwi64o", {weights_layout::Ohwi64o, memory::format_tag::Ohwi64o}}};
    std::string want = wei_name;
    if (want.empty() && layout == act_format::nhwc) { // oneDNN's own pick for nhwc
        auto md = [&](const memory::dims &d, memory::format_tag t) { return memory::desc(d, memory::data_type::f32, t); };
        const convolution_forward::primitive_desc q({prop_kind::forward_training, algorithm::convolution_direct,
                md({p.mb, p.ic, p.ih, p.iw}, act_tag), md({p.oc, p.ic, p.kh, p.kw}, memory::format_tag::any),
                md({p.mb, p.oc, p.oh, p.ow}, act_tag), {p.sh, p.sw}, {p.ph, p.pw}, {p.ph_r, p.pw_r}}, eng);
        for (const auto &t : tags)
            if (q.weights_desc() == md({p.oc, p.ic, p.kh, p.kw}, t.second.second)) want = t.first;
    }
    for (const auto &t : tags)
        if (want == t.first) return t.second;
    return {weights_layout::OIhw16i16o, memory::format_tag::OIhw16i16o};
}

} // namespace

int main(int argc, char **argv) {
    using namespace dnnl;
    options opt;
    bool relu = false, bias = false;
    std::string wei_name;
    const bool args_ok = parse_args(argc, argv, opt, [&](const std::string &a) {
        if (a == "--relu") relu = true;
        else if (a.rfind("--wei=", 0) == 0) wei_name = a.substr(6);
        else if (a == "--bias") bias = true;
        else return false;
        return true;
    });
    if (!args_ok) return 2;
    if (opt.problems.empty()) opt.problems = issue_layers();

    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    print_header(opt);

    for (const auto &ps : opt.problems) {
        const problem_t p = problem_t::parse(ps, opt.mb);
        sparse_conv_options o;
        o.with_bias = bias;
        o.with_relu = relu;
        o.act = opt.layout;
        const memory::format_tag act_tag = opt.layout == act_format::nhwc ? memory::format_tag::nhwc : memory::format_tag::nChw16c;
        const auto wei_choice = choose_weights(p, wei_name, opt.layout, act_tag, eng);
        o.wei_layout = wei_choice.first;
        const memory::format_tag wei_tag = wei_choice.second;
        sparse_impls impls;
        if (!plan_impls<fwd_config, fwd_plan_hints>(p, o, opt, plan_fwd, make_sparse_fwd_from_config, impls)) continue;

        auto md = [](const memory::dims &d, memory::format_tag t) { return memory::desc(d, memory::data_type::f32, t); };
        auto src_md = md({p.mb, p.ic, p.ih, p.iw}, act_tag);
        auto dst_md = md({p.mb, p.oc, p.oh, p.ow}, act_tag);
        auto wei_md = md({p.oc, p.ic, p.kh, p.kw}, wei_tag);
        auto bia_md = md({p.oc}, memory::format_tag::x);
        const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
        auto fd = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src_md,
                wei_md, bia_md, dst_md, strides, pl, pr);
        primitive_attr attr;
        if (relu) {
            post_ops po;
            po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
            attr.set_post_ops(po);
        }
        convolution_forward::primitive_desc pd(fd, attr, eng);
        convolution_forward dense(pd);

        aligned_vec src(src_md.get_size() / 4), wei(wei_md.get_size() / 4), b(p.oc);
        aligned_vec dst_d(dst_md.get_size() / 4), dst_s(dst_md.get_size() / 4);
        std::mt19937_64 gen(1);
        std::uniform_real_distribution<float> uw(-0.1f, 0.1f), us(0.f, 2.f);
        for (size_t i = 0; i < wei.n; ++i) wei.p[i] = uw(gen);
        for (size_t i = 0; i < b.n; ++i) b.p[i] = uw(gen);
        memory m_src(src_md, eng, src.p), m_wei(wei_md, eng, wei.p), m_bia(bia_md, eng, b.p), m_dst(dst_md, eng, dst_d.p);
        conv_tensors t;
        t.src = src.p;
        t.weights = wei.p;
        t.bias = bias ? b.p : nullptr;
        t.dst = dst_s.p;

        problem_run r = make_run(p, pd.impl_info_str(), impls, t, dst_d, dst_s);
        r.fill = [&](double s) {
            fill_sparse(src, s, gen, us);
            if (!bias) std::fill(b.p, b.p + b.n, 0.f);
            else for (size_t i = 0; i < b.n; ++i) b.p[i] = uw(gen);
        };
        r.run_dense = [&] {
            dense.execute(strm, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_wei}, {DNNL_ARG_BIAS, m_bia}, {DNNL_ARG_DST, m_dst}});
            strm.wait();
        };
        run_problem(opt, r);
    }
    return 0;
}
