// kernel-bench-bwd-w: the sparse bwd_w path against oneDNN convolution_backward_weights (with
// diff_bias) on the same nChw16c (or --layout nhwc) / OIhw16i16o buffers, in one process, runs
// interleaved, medians reported. Developer tool; the user-facing benchmark is sparsetrain-bench.
//
//   kernel-bench-bwd-w [--reps N] [--sparsity 0,0.5,0.7,0.9] [--build-only] [--variants] [--layout nchw16c|nhwc]
//                      [--env2 VAR=VALUE,...] [problem ...]
// Threads: OMP_NUM_THREADS (both libraries). Tuning: SPARSETRAIN_BWD_W_* (see bwd_w_plan.hpp).
// --build-only also times the list building alone (every tile, each thread its channels).
// The sparse side gets the true density as its density hint (the variant the dispatcher would
// pick); --variants also times the single-list and the pair-list variant, interleaved.
// --env2 also times a second plan made with these SPARSETRAIN_BWD_W_* settings, interleaved.
// BENCH_BWD_W_HUGEPAGES=1 backs the tensors with transparent huge pages; BENCH_BWD_W_CODE_RANGES=1
// prints each JIT kernel's address range (to attribute `perf record -e cpu-clock` samples).
// GF/s use the padding-inclusive FLOP count (problem_t::flops()); "eq" = dense-equivalent.
#include <omp.h>
#include <sys/mman.h>

#include <cstdint>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/scratch.hpp"
#include "driver/bwd_w_conv.hpp"

using namespace sparsetrain;
using namespace dnnl;
using tag = memory::format_tag;

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Tensors of the benchmark; BENCH_BWD_W_HUGEPAGES=1 asks for transparent huge pages.
struct aligned_buf {
    scratch_buffer b;
    float *p = nullptr;
    explicit aligned_buf(size_t n) {
        const size_t bytes = ((n * sizeof(float) + (2u << 20) - 1) >> 21) << 21;
        p = static_cast<float *>(b.get(bytes + (2u << 20)));
        if (std::getenv("BENCH_BWD_W_HUGEPAGES")) {
            p = reinterpret_cast<float *>((reinterpret_cast<uintptr_t>(p) + (2u << 20) - 1) & ~uintptr_t((2u << 20) - 1));
            madvise(p, bytes, MADV_HUGEPAGE);
        }
    }
};

// List building alone: every tile's lists for each thread's channels, as the driver builds
// them (once per ocg block there; once here).
double time_build_only(const bwd_w_conv &conv, const float *src, int reps, bool pairs) {
    const auto &q = conv.plan();
    const auto &p = q.p;
    const bwd_w_variant v = pairs && q.pairs ? bwd_w_variant::pairs : bwd_w_variant::single;
    const jit::bwd_w_list_builder *builder = conv.builder(v);
    const int64_t n_cls = (int64_t)q.classes.size();
    std::vector<double> ts;
    for (int r = 0; r < reps; ++r) {
        const double t0 = now_ms();
#pragma omp parallel num_threads(q.nthr)
        {
            const int ithr = omp_get_thread_num();
            if (ithr < q.n_c_parts) {
                int64_t ib0, ib1;
                split_range(q.icb, q.n_c_parts, ithr, ib0, ib1);
                const int64_t my_icb = ib1 - ib0, my_c = my_icb * 16, slots = n_cls * my_c;
                const int64_t slot_floats = q.slot_floats(v);
                float *vals = thread_local_scratch(5).get_as<float>(2 * slots * slot_floats);
                int32_t *counts = thread_local_scratch(6).get_as<int32_t>(2 * slots);
                for (int64_t g = 0; g < q.n_tiles; ++g) {
                    const int64_t n = g / q.tiles_per_image, rem = g % q.tiles_per_image;
                    const int64_t r0 = (rem % q.n_row_tiles) * q.tile_h, j0 = (rem / q.n_row_tiles) * q.band_w;
                    const int64_t r1 = std::min(r0 + q.tile_h, q.gh), j1 = std::min(j0 + q.band_w, q.gw);
                    for (int64_t k = 0; k < n_cls; ++k) {
                        const auto &c = q.classes[k];
                        for (int64_t m = 0; m < my_icb; ++m) {
                            const int64_t icb = ib0 + m, slot = k * my_c + m * 16;
                            jit::bwd_w_build_args a;
                            a.src = src + q.src_l.at(n, icb, c.a + p.sh * r0, c.b + p.sw * j0);
                            a.vals = vals + slot * slot_floats;
                            a.offs = reinterpret_cast<int32_t *>(vals + slots * slot_floats) + slot * slot_floats;
                            a.cnt = counts + slot;
                            a.pcnt = counts + slots + slot;
                            a.rows = std::max<int64_t>(0, std::min(r1, c.h) - r0);
                            a.cols = std::max<int64_t>(0, std::min(j1, c.w) - j0);
                            (*builder)(&a);
                        }
                    }
                }
            }
        }
        ts.push_back(now_ms() - t0);
    }
    return median(ts);
}

// The tuning with the comma-separated VAR=VALUE settings applied (the environment restored after).
bwd_w_tuning tuning_with(const std::string &settings) {
    std::vector<std::pair<std::string, std::string>> saved;
    std::stringstream ss(settings);
    std::string kv;
    while (std::getline(ss, kv, ',')) {
        const size_t eq = kv.find('=');
        if (eq == std::string::npos) continue;
        const std::string k = kv.substr(0, eq);
        const char *old = std::getenv(k.c_str());
        saved.push_back({k, old ? old : std::string("\x01")});
        setenv(k.c_str(), kv.substr(eq + 1).c_str(), 1);
    }
    const bwd_w_tuning t = bwd_w_tuning::from_env();
    for (const auto &s : saved) {
        if (s.second == "\x01") unsetenv(s.first.c_str());
        else setenv(s.first.c_str(), s.second.c_str(), 1);
    }
    return t;
}

void bench(const problem_t &p, const std::vector<double> &sparsities, int reps, bool build_only, bool variants,
        act_format layout, const std::string &env2) {
    auto &eng = *new engine(engine::kind::cpu, 0);
    stream s(eng);
    auto md = [](const memory::dims &d, tag t) { return memory::desc(d, memory::data_type::f32, t); };
    const memory::dims src_d {p.mb, p.ic, p.ih, p.iw}, dd_d {p.mb, p.oc, p.oh, p.ow}, w_d {p.oc, p.ic, p.kh, p.kw};
    const tag act = layout == act_format::nhwc ? tag::nhwc : tag::nChw16c;
    const auto src_md = md(src_d, act), dd_md = md(dd_d, act), dw_md = md(w_d, tag::OIhw16i16o);
    const auto db_md = md({p.oc}, tag::x);
    const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, dw_md, db_md,
            dd_md, strides, pl, pr);
    convolution_forward::primitive_desc fpd(fd, eng);
    convolution_backward_weights::desc bd(algorithm::convolution_direct, src_md, dw_md, db_md, dd_md, strides, pl, pr);
    convolution_backward_weights::primitive_desc bpd(bd, eng, fpd);
    const std::string impl = bpd.impl_info_str();
    convolution_backward_weights dense(bpd);

    bwd_w_plan q;
    std::string why;
    if (!plan_bwd_w(p, bwd_w_options(true, layout), q, why, bwd_w_tuning::from_env(), omp_get_max_threads())) {
        std::printf("%s: declined: %s\n", p.to_string().c_str(), why.c_str());
        return;
    }
    bwd_w_conv conv(q);
    std::printf("# %s  oneDNN %s  threads %d\n# plan: %s\n", p.to_string().c_str(), impl.c_str(), q.nthr, q.str().c_str());
    std::unique_ptr<bwd_w_conv> conv2;
    if (!env2.empty()) {
        bwd_w_plan q2;
        if (!plan_bwd_w(p, bwd_w_options(true, layout), q2, why, tuning_with(env2), omp_get_max_threads())) {
            std::printf("%s: plan 2 declined: %s\n", p.to_string().c_str(), why.c_str());
            return;
        }
        conv2.reset(new bwd_w_conv(q2));
        std::printf("# plan 2 (%s): %s\n", env2.c_str(), q2.str().c_str());
    }
    if (std::getenv("BENCH_BWD_W_CODE_RANGES"))
        for (const auto &k : conv.kernels())
            std::printf("# code %p %zu %s\n", (const void *)k->code(), k->code_size(), k->kind().c_str());

    const size_t n_src = p.mb * p.ic * p.ih * p.iw, n_dd = p.mb * p.oc * p.oh * p.ow, n_w = p.oc * p.ic * p.kh * p.kw;
    aligned_buf src(n_src), dd(n_dd), w1(n_w), w2(n_w), b1(p.oc), b2(p.oc);
    std::mt19937 gen(42);
    std::uniform_real_distribution<float> u(0.f, 1.f), v(-1.f, 1.f);
    for (size_t i = 0; i < n_dd; ++i) dd.p[i] = v(gen);
    memory m_src(src_md, eng, src.p), m_dd(dd_md, eng, dd.p), m_dw(dw_md, eng, w1.p), m_db(db_md, eng, b1.p);

    const double gflop = p.flops() * 1e-9;
    for (double sp : sparsities) {
        for (size_t i = 0; i < n_src; ++i) src.p[i] = u(gen) < sp ? 0.f : u(gen) + 0.01f;
        conv_tensors ts;
        ts.src = src.p;
        ts.diff_dst = dd.p;
        ts.diff_weights = w2.p;
        ts.diff_bias = b2.p;
        ts.density_hint = 1.0 - sp;
        // The variants: density hints that force each (0: below any pair threshold, 1: above).
        conv_tensors t_single = ts, t_pairs = ts;
        t_single.density_hint = 0.0;
        t_pairs.density_hint = 1.0;
        auto time_ms = [](auto f) {
            const double t0 = now_ms();
            f();
            return now_ms() - t0;
        };
        auto run_dense = [&] {
            dense.execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_DIFF_DST, m_dd}, {DNNL_ARG_DIFF_WEIGHTS, m_dw},
                    {DNNL_ARG_DIFF_BIAS, m_db}});
            s.wait();
        };
        // warm-up, then interleave
        for (int w = 0; w < 2; ++w) {
            run_dense();
            conv.execute(ts);
            if (conv2) conv2->execute(ts);
            if (variants) {
                conv.execute(t_single);
                conv.execute(t_pairs);
            }
        }
        std::vector<double> td, tsp, t1, t2, tp2;
        for (int r = 0; r < reps; ++r) {
            td.push_back(time_ms(run_dense));
            tsp.push_back(time_ms([&] { conv.execute(ts); }));
            if (conv2) tp2.push_back(time_ms([&] { conv2->execute(ts); }));
            if (variants) {
                t1.push_back(time_ms([&] { conv.execute(t_single); }));
                t2.push_back(time_ms([&] { conv.execute(t_pairs); }));
            }
        }
        conv.execute(ts); // the checked result is the default variant's
        double max_rel = 0;
        for (size_t i = 0; i < n_w; ++i)
            max_rel = std::max(max_rel, (double)std::fabs(w1.p[i] - w2.p[i]) / std::max(1.0, (double)std::fabs(w1.p[i])));
        for (int64_t i = 0; i < p.oc; ++i)
            max_rel = std::max(max_rel, (double)std::fabs(b1.p[i] - b2.p[i]) / std::max(1.0, (double)std::fabs(b1.p[i])));
        const double md_ = median(td), ms_ = median(tsp);
        std::printf("%-34s %5.2f  dense %8.3f ms (%5.0f GF/s)  sparse %8.3f ms (%5.0f GF/s eq)  ratio %5.2fx  maxrel %.1e",
                p.shape_string().c_str(), sp, md_, gflop / md_ * 1e3, ms_, gflop / ms_ * 1e3, md_ / ms_, max_rel);
        if (variants) std::printf("  single %8.3f ms  pairs %8.3f ms (%5.3f)", median(t1), median(t2), median(t1) / median(t2));
        if (conv2) std::printf("  plan2 %8.3f ms (%5.3f of plan 1)", median(tp2), median(tp2) / ms_);
        if (build_only) {
            std::printf("  build %.3f ms", time_build_only(conv, src.p, reps, false));
            if (q.pairs) std::printf("  pair build %.3f ms", time_build_only(conv, src.p, reps, true));
        }
        std::printf("\n");
        std::fflush(stdout);
    }
}

std::vector<double> parse_list(const std::string &s) {
    std::vector<double> r;
    std::stringstream ss(s);
    std::string x;
    while (std::getline(ss, x, ',')) r.push_back(std::stod(x));
    return r;
}

} // namespace

int main(int argc, char **argv) {
    int reps = 7;
    bool build_only = false, variants = false;
    std::vector<double> sparsities {0.0, 0.5, 0.7, 0.9};
    std::vector<std::string> problems;
    act_format layout = act_format::nChw16c;
    std::string env2;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--reps" && i + 1 < argc) reps = std::stoi(argv[++i]);
        else if (a == "--layout" && i + 1 < argc) layout = act_format_from_string(argv[++i]);
        else if (a == "--env2" && i + 1 < argc) env2 = argv[++i];
        else if (a == "--sparsity" && i + 1 < argc) sparsities = parse_list(argv[++i]);
        else if (a == "--build-only") build_only = true;
        else if (a == "--variants") variants = true;
        else problems.push_back(a);
    }
    if (problems.empty())
        problems = {"mb16ic256ih28oc256oh28kh3ph1", "mb16ic128ih56oc128oh56kh3ph1", "mb16ic256ih56oc64oh56kh1ph0",
                "mb16ic1024ih14oc256oh14kh1ph0", "mb16ic128ih56oc128oh28kh3sh2ph1", "mb16ic256ih56oc512oh28kh1sh2ph0"};
    for (const auto &ps : problems) bench(problem_t::parse(ps, 16), sparsities, reps, build_only, variants, layout, env2);
    return 0;
}
