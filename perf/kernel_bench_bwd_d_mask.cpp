// kernel-bench-bwd-d-mask: masked backward data (diff_src * [src > 0]) against oneDNN
// backward data + oneDNN eltwise_backward ReLU (and backward data alone), on nChw16c buffers,
// interleaved run by run; prints medians, the same-run ratios and the masked kernel's rate in
// useful FMAs (16 lanes) per cycle. Developer tool.
//
//   kernel-bench-bwd-d-mask [--mb=16] [--reps=9] [--sparsity=0.5,0.7,0.9] [--dd-sparsity=0]
//                           [--plan=HINTS] [--ghz=3.47] [problem ...]
// HINTS: config/bwd_d_mask_plan.hpp (occ=, rb=, ib=, g=, full=, l1=). Threads: OMP_NUM_THREADS.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "common/problem.hpp"
#include "config/bwd_d_mask_plan.hpp"
#include "driver/bwd_d_mask_conv.hpp"
#include "kernel_bench_util/kernel_bench.hpp"

using namespace sparsetrain;
using namespace dnnl;
using tag = memory::format_tag;
using clk = std::chrono::steady_clock;
using kbench::median;
using kbench::parse_list;

namespace {

void fill(memory &m, double sparsity, bool non_negative, uint64_t seed) {
    auto *p = static_cast<float *>(m.get_data_handle());
    const size_t n = m.get_desc().get_size() / 4;
    std::mt19937_64 g(seed);
    std::uniform_real_distribution<float> u(0.125f, 1.f);
    std::uniform_real_distribution<double> z(0, 1);
    for (size_t i = 0; i < n; ++i) {
        const float v = u(g) * (non_negative || (g() & 1) ? 1.f : -1.f);
        p[i] = z(g) < sparsity ? 0.f : v;
    }
}

} // namespace

int main(int argc, char **argv) {
    int64_t mb = 16;
    int reps = 9;
    double ghz = 3.47;
    std::vector<double> sparsities = {0.5, 0.7, 0.9};
    double dd_sparsity = 0.0;
    std::string plan;
    std::vector<std::string> problems;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--mb=", 0) == 0) mb = std::atoll(a.c_str() + 5);
        else if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
        else if (a.rfind("--sparsity=", 0) == 0) sparsities = parse_list(a.substr(11));
        else if (a.rfind("--dd-sparsity=", 0) == 0) dd_sparsity = std::atof(a.c_str() + 14);
        else if (a.rfind("--plan=", 0) == 0) plan = a.substr(7);
        else if (a.rfind("--ghz=", 0) == 0) ghz = std::atof(a.c_str() + 6);
        else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        } else problems.push_back(a);
    }
    if (problems.empty()) problems = {"ic256ih28oc256oh28kh3ph1", "ic1024ih14oc256oh14kh1ph0"};

    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    std::printf("%-34s %5s %9s %9s %9s %8s %8s %7s  %s\n", "problem", "zeros", "bwd_d", "+relu", "mask", "vs+relu",
            "vs bwd_d", "fma/c", "config");
    for (const auto &ps : problems) {
        const problem_t p = problem_t::parse(ps, mb);
        const auto f32 = memory::data_type::f32;
        const memory::desc src_md({p.mb, p.ic, p.ih, p.iw}, f32, tag::nChw16c),
                dst_md({p.mb, p.oc, p.oh, p.ow}, f32, tag::nChw16c), wei_any({p.oc, p.ic, p.kh, p.kw}, f32, tag::any),
                wei_fwd({p.oc, p.ic, p.kh, p.kw}, f32, tag::IOhw16i16o);
        const memory::dims st {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
        convolution_forward::primitive_desc fpd(
                {prop_kind::forward_training, algorithm::convolution_direct, src_md, wei_any, dst_md, st, pl, pr}, eng);
        convolution_backward_data::primitive_desc bpd({algorithm::convolution_direct, src_md, wei_any, dst_md, st, pl, pr},
                eng, fpd);
        eltwise_forward::primitive_desc efpd({prop_kind::forward_training, algorithm::eltwise_relu, src_md, 0.f}, eng);
        eltwise_backward::primitive_desc ebpd({algorithm::eltwise_relu, src_md, src_md, 0.f}, eng, efpd);
        convolution_backward_data bwd(bpd);
        eltwise_backward relu_bwd(ebpd);

        memory src(src_md, eng), ddst(dst_md, eng), dsrc_d(src_md, eng), dsrc_m(src_md, eng), wei_d(bpd.weights_desc(), eng),
                wei_m(wei_fwd, eng);
        fill(wei_m, 0.0, false, 3);
        reorder(wei_m, wei_d).execute(s, wei_m, wei_d);
        fill(ddst, dd_sparsity, false, 2);

        bwd_d_mask_config cfg;
        std::string why;
        auto h = bwd_d_mask_hints::parse(plan);
        h.threads = omp_get_max_threads();
        if (!plan_bwd_d_mask(p, h, cfg, why)) {
            std::printf("%-34s declined: %s\n", ps.c_str(), why.c_str());
            continue;
        }
        const auto impl = make_sparse_bwd_d_mask_from_config(cfg);
        for (double sp : sparsities) {
            fill(src, sp, true, 1);
            conv_tensors t;
            t.diff_dst = static_cast<const float *>(ddst.get_data_handle());
            t.weights = static_cast<const float *>(wei_m.get_data_handle());
            t.diff_src = static_cast<float *>(dsrc_m.get_data_handle());
            t.mask_src = static_cast<const float *>(src.get_data_handle());
            t.flush_denormals = true;
            std::function<void()> run[3] = {
                    [&] { bwd.execute(s, {{DNNL_ARG_DIFF_SRC, dsrc_d}, {DNNL_ARG_WEIGHTS, wei_d}, {DNNL_ARG_DIFF_DST, ddst}}); },
                    [&] {
                        bwd.execute(s, {{DNNL_ARG_DIFF_SRC, dsrc_d}, {DNNL_ARG_WEIGHTS, wei_d}, {DNNL_ARG_DIFF_DST, ddst}});
                        relu_bwd.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dsrc_d}, {DNNL_ARG_DIFF_SRC, dsrc_d}});
                    },
                    [&] { impl->execute(t); }};
            std::vector<double> tm[3];
            for (int r = 0; r < reps + 1; ++r)
                for (int k = 0; k < 3; ++k) {
                    const int kk = r % 2 ? 2 - k : k;
                    const auto t0 = clk::now();
                    run[kk]();
                    s.wait();
                    const double ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
                    if (r > 0) tm[kk].push_back(ms);
                }
            const double a = median(tm[0]), b = median(tm[1]), m = median(tm[2]);
            // Useful FMAs: per non-zero src element, one per (valid tap, diff_dst block).
            const double fmas = (1.0 - sp) * p.flops_benchdnn() / 2 / 16;
            const double rate = fmas / (m * 1e-3) / (ghz * 1e9) / omp_get_max_threads();
            std::printf("%-34s %5.2f %9.3f %9.3f %9.3f %7.2fx %7.2fx %7.2f  %s\n", ps.c_str(), sp, a, b, m, b / m, a / m,
                    rate, cfg.str().c_str());
        }
    }
    return 0;
}
