// kernel-bench-bwd-d: the sparse backward-data convolution against oneDNN dense on the
// same nChw16c (or --layout=nhwc) / OIhw16o16i (IOhw16o16i for 1x1, oneDNN's pick) buffers, in one process,
// interleaved run by run; prints medians and the same-run ratio. Developer tool.
//
//   kernel-bench-bwd-d [--mb=16] [--reps=9] [--sparsity=0,0.5,0.7,0.9] [--plan=icb=4,cb=2] [--plan2=HINTS] [--hint=auto|none|D]
//                      [--layout=nchw16c|nhwc]
//                      [problem ...]
// Without problems it runs the four layers and the stride-2 layers of ResNet-50.
// Threads: OMP_NUM_THREADS. FLOP convention: 2*N*K*C*R*S*OH*OW (padding taps counted).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "config/bwd_d_config.hpp"
#include "driver/bwd_d_conv.hpp"

using namespace sparsetrain;
using clk = std::chrono::steady_clock;

namespace {

struct aligned_vec {
    float *p = nullptr;
    size_t n = 0;
    explicit aligned_vec(size_t count) : n(count) {
        p = static_cast<float *>(std::aligned_alloc(4096, (count * 4 + 4095) / 4096 * 4096));
    }
    ~aligned_vec() { std::free(p); }
};

double ms_since(clk::time_point t0) {
    return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<double> parse_list(const std::string &s) {
    std::vector<double> r;
    std::istringstream is(s);
    std::string t;
    while (std::getline(is, t, ',')) r.push_back(std::atof(t.c_str()));
    return r;
}

} // namespace

int main(int argc, char **argv) {
    int64_t mb = 16;
    int reps = 9;
    std::vector<double> sparsities = {0.0, 0.5, 0.7, 0.9};
    std::string plan, plan2, hint = "auto";
    act_format layout = act_format::nChw16c;
    std::vector<std::string> problems;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--mb=", 0) == 0) mb = std::atoll(a.c_str() + 5);
        else if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
        else if (a.rfind("--sparsity=", 0) == 0) sparsities = parse_list(a.substr(11));
        else if (a.rfind("--plan=", 0) == 0) plan = a.substr(7);
        else if (a.rfind("--plan2=", 0) == 0) plan2 = a.substr(8);
        else if (a.rfind("--hint=", 0) == 0) hint = a.substr(7);
        else if (a.rfind("--layout=", 0) == 0) layout = act_format_from_string(a.substr(9));
        else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        } else problems.push_back(a);
    }
    if (problems.empty())
        problems = {"ic256ih28oc256oh28kh3ph1", "ic128ih56oc128oh56kh3ph1", "ic256ih56oc64oh56kh1ph0",
                "ic1024ih14oc256oh14kh1ph0", "ic128ih56oc128oh28kh3sh2ph1", "ic256ih56oc512oh28kh1sh2ph0"};

    using namespace dnnl;
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    std::printf("threads %d, mb %lld, median of %d interleaved runs; GFLOP counts padding taps\n",
            omp_get_max_threads(), (long long)mb, reps);
    std::printf("%-34s %5s %9s %6s %9s %7s  %s\n", "problem", "spars", "dense_ms", "GF/s", "sparse_ms", "ratio",
            "impls / config");

    for (const auto &ps : problems) {
        const problem_t p = problem_t::parse(ps, mb);
        const bool one_by_one = p.kh == 1 && p.kw == 1;
        const auto wtag = one_by_one ? memory::format_tag::IOhw16o16i : memory::format_tag::OIhw16o16i;
        sparse_conv_options o;
        o.wei_layout = one_by_one ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i;
        o.act = layout;
        bwd_d_config cfg;
        std::string why;
        const auto t_plan = clk::now();
        bwd_d_plan_hints hints = bwd_d_plan_hints::parse(plan);
        hints.threads = omp_get_max_threads();
        if (!plan_bwd_d(p, o, cfg, why, hints)) {
            std::printf("%-34s declined: %s\n", p.to_string().c_str(), why.c_str());
            continue;
        }
        const auto sparse = make_sparse_bwd_d_from_config(cfg);
        std::unique_ptr<sparse_conv> sparse2;
        if (!plan2.empty()) {
            bwd_d_config cfg2;
            bwd_d_plan_hints hints2 = bwd_d_plan_hints::parse(plan2);
            hints2.threads = omp_get_max_threads();
            if (!plan_bwd_d(p, o, cfg2, why, hints2)) {
                std::printf("%-34s plan2 declined: %s\n", p.to_string().c_str(), why.c_str());
                continue;
            }
            sparse2 = make_sparse_bwd_d_from_config(cfg2);
        }
        const double create_ms = ms_since(t_plan);

        auto md = [](const memory::dims &d, memory::format_tag t) { return memory::desc(d, memory::data_type::f32, t); };
        const auto act_tag = layout == act_format::nhwc ? memory::format_tag::nhwc : memory::format_tag::nChw16c;
        auto src_md = md({p.mb, p.ic, p.ih, p.iw}, act_tag);
        auto dst_md = md({p.mb, p.oc, p.oh, p.ow}, act_tag);
        auto wei_md = md({p.oc, p.ic, p.kh, p.kw}, wtag);
        const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
        convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, wei_md,
                dst_md, strides, pl, pr);
        convolution_forward::primitive_desc fpd(fd, eng);
        convolution_backward_data::desc bd(algorithm::convolution_direct, src_md, wei_md, dst_md, strides, pl, pr);
        convolution_backward_data::primitive_desc pd(bd, eng, fpd);
        const std::string dnnl_impl = pd.impl_info_str();
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

        for (double s : sparsities) {
            std::uniform_real_distribution<double> u01(0.0, 1.0);
            for (size_t i = 0; i < ddst.n; ++i) ddst.p[i] = u01(gen) < s ? 0.f : ud(gen);
            auto run_dense = [&] {
                dense.execute(strm, {{DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_WEIGHTS, m_wei}, {DNNL_ARG_DIFF_SRC, m_dsrc}});
                strm.wait();
            };
            t.density_hint = hint == "auto" ? 1.0 - s : hint == "none" ? -1.0 : std::atof(hint.c_str());
            run_dense();
            // Sanity: the sparse results agree with oneDNN's (relative to the output scale).
            auto mismatch = [&](const sparse_conv &impl) {
                impl.execute(t);
                double max_err = 0, max_abs = 1e-30;
                for (size_t i = 0; i < dsrc_d.n; ++i) {
                    max_err = std::max(max_err, (double)std::fabs(dsrc_d.p[i] - dsrc_s.p[i]));
                    max_abs = std::max(max_abs, (double)std::fabs(dsrc_d.p[i]));
                }
                return max_err > 1e-4 * max_abs;
            };
            const bool bad = mismatch(*sparse), bad2 = sparse2 && mismatch(*sparse2);
            std::vector<double> td, ts, ts2;
            for (int r = 0; r < reps; ++r) {
                auto t0 = clk::now();
                run_dense();
                td.push_back(ms_since(t0));
                t0 = clk::now();
                sparse->execute(t);
                ts.push_back(ms_since(t0));
                if (sparse2) {
                    t0 = clk::now();
                    sparse2->execute(t);
                    ts2.push_back(ms_since(t0));
                }
            }
            const double md_ = median(td), ms_ = median(ts);
            std::string second;
            if (sparse2) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "  plan2 %.3f ms %.2fx (%s)%s", median(ts2), md_ / median(ts2),
                        sparse2->config_str().c_str(), bad2 ? "  MISMATCH" : "");
                second = buf;
            }
            std::printf("%-34s %5.2f %9.3f %6.0f %9.3f %6.2fx  %s | %s %s%s%s\n", p.to_string().c_str(), s,
                    md_, p.flops() / md_ * 1e-6, ms_, md_ / ms_, dnnl_impl.c_str(), sparse->name().c_str(), sparse->config_str().c_str(),
                    bad ? "  MISMATCH" : "", second.c_str());
        }
        std::printf("%-34s plan+create %.2f ms (kernel generation included)\n", "", create_ms);
    }
    return 0;
}
