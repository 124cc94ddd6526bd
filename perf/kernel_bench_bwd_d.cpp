// kernel-bench-bwd-d: the sparse backward-data convolution against oneDNN dense on the
// same nChw16c (or --layout=nhwc) / OIhw16o16i (IOhw16o16i for 1x1, oneDNN's pick) buffers, in one process,
// interleaved run by run; prints medians and the same-run ratio. Developer tool.
//
//   kernel-bench-bwd-d [--mb=16] [--reps=9] [--sparsity=0,0.5,0.7,0.9] [--plan=icb=4,cb=2] [--plan2=HINTS] [--hint=auto|none|D]
//                      [--layout=nchw16c|nhwc]
//                      [problem ...]
// Without problems it runs the issue's four layers and the stride-2 layers of ResNet-50.
// Threads: OMP_NUM_THREADS. FLOP convention: 2*N*K*C*R*S*OH*OW (padding taps counted).
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/bwd_d_config.hpp"
#include "driver/bwd_d_conv.hpp"
#include "kernel_bench_util/kernel_bench.hpp"

using namespace sparsetrain;
using namespace sparsetrain::kbench;

int main(int argc, char **argv) {
    options opt;
    if (!parse_args(argc, argv, opt)) return 2;
    if (opt.problems.empty()) {
        opt.problems = issue_layers();
        for (const char *ps : {"ic128ih56oc128oh28kh3sh2ph1", "ic256ih56oc512oh28kh1sh2ph0"}) opt.problems.push_back(ps);
    }

    using namespace dnnl;
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    print_header(opt);

    for (const auto &ps : opt.problems) {
        const problem_t p = problem_t::parse(ps, opt.mb);
        const bool one_by_one = p.kh == 1 && p.kw == 1;
        const auto wtag = one_by_one ? memory::format_tag::IOhw16o16i : memory::format_tag::OIhw16o16i;
        sparse_conv_options o;
        o.wei_layout = one_by_one ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i;
        o.act = opt.layout;
        sparse_impls impls;
        if (!plan_impls<bwd_d_config, bwd_d_plan_hints>(p, o, opt, plan_bwd_d, make_sparse_bwd_d_from_config, impls))
            continue;

        auto md = [](const memory::dims &d, memory::format_tag t) { return memory::desc(d, memory::data_type::f32, t); };
        const auto act_tag = opt.layout == act_format::nhwc ? memory::format_tag::nhwc : memory::format_tag::nChw16c;
        auto src_md = md({p.mb, p.ic, p.ih, p.iw}, act_tag);
        auto dst_md = md({p.mb, p.oc, p.oh, p.ow}, act_tag);
        auto wei_md = md({p.oc, p.ic, p.kh, p.kw}, wtag);
        const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
        convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, wei_md,
                dst_md, strides, pl, pr);
        convolution_forward::primitive_desc fpd(fd, eng);
        convolution_backward_data::desc bd(algorithm::convolution_direct, src_md, wei_md, dst_md, strides, pl, pr);
        convolution_backward_data::primitive_desc pd(bd, eng, fpd);
        convolution_backward_data dense(pd);

        aligned_vec ddst(dst_md.get_size() / 4), wei(wei_md.get_size() / 4);
        aligned_vec dsrc_d(src_md.get_size() / 4), dsrc_s(src_md.get_size() / 4);
        std::mt19937_64 gen(1);
        std::uniform_real_distribution<float> uw(-0.1f, 0.1f), ud(-1.f, 1.f);
        for (size_t i = 0; i < wei.n; ++i) wei.p[i] = uw(gen);
        memory m_ddst(dst_md, eng, ddst.p), m_wei(wei_md, eng, wei.p), m_dsrc(src_md, eng, dsrc_d.p);
        conv_tensors t;
        t.diff_dst = ddst.p;
        t.weights = wei.p;
        t.diff_src = dsrc_s.p;

        problem_run r = make_run(p, pd.impl_info_str(), impls, t, dsrc_d, dsrc_s);
        r.fill = [&](double s) { fill_sparse(ddst, s, gen, ud); };
        r.run_dense = [&] {
            dense.execute(strm, {{DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_WEIGHTS, m_wei}, {DNNL_ARG_DIFF_SRC, m_dsrc}});
            strm.wait();
        };
        run_problem(opt, r);
    }
    return 0;
}
