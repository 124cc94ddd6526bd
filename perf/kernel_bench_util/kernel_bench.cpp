#include "kernel_bench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace sparsetrain {
namespace kbench {

aligned_vec::aligned_vec(size_t count) : n(count) {
    p = static_cast<float *>(std::aligned_alloc(4096, (count * 4 + 4095) / 4096 * 4096));
}

aligned_vec::~aligned_vec() { std::free(p); }

double ms_since(clk::time_point t0) { return std::chrono::duration<double, std::milli>(clk::now() - t0).count(); }

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

bool options::parse(const std::string &a) {
    if (a.rfind("--mb=", 0) == 0) mb = std::atoll(a.c_str() + 5);
    else if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
    else if (a.rfind("--sparsity=", 0) == 0) sparsities = parse_list(a.substr(11));
    else if (a.rfind("--plan=", 0) == 0) plan = a.substr(7);
    else if (a.rfind("--plan2=", 0) == 0) plan2 = a.substr(8);
    else if (a.rfind("--hint=", 0) == 0) hint = a.substr(7);
    else if (a.rfind("--layout=", 0) == 0) layout = act_format_from_string(a.substr(9));
    else if (a.rfind("--", 0) == 0) return false;
    else problems.push_back(a);
    return true;
}

double options::density_hint(double s) const {
    return hint == "auto" ? 1.0 - s : hint == "none" ? -1.0 : std::atof(hint.c_str());
}

bool parse_args(int argc, char **argv, options &o, const std::function<bool(const std::string &)> &extra) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (o.parse(a) || (extra && extra(a))) continue;
        std::fprintf(stderr, "unknown option %s\n", a.c_str());
        return false;
    }
    return true;
}

std::vector<std::string> issue_layers() {
    return {"ic256ih28oc256oh28kh3ph1", "ic128ih56oc128oh56kh3ph1", "ic256ih56oc64oh56kh1ph0", "ic1024ih14oc256oh14kh1ph0"};
}

void print_header(const options &o) {
    std::printf("threads %d, mb %lld, median of %d interleaved runs; GFLOP counts padding taps\n",
            omp_get_max_threads(), (long long)o.mb, o.reps);
    std::printf("%-34s %5s %9s %6s %9s %7s  %s\n", "problem", "spars", "dense_ms", "GF/s", "sparse_ms", "ratio",
            "impls / config");
}

problem_run make_run(const problem_t &p, const std::string &dnnl_impl, const sparse_impls &impls, conv_tensors &t,
        const aligned_vec &out_dense, const aligned_vec &out_sparse) {
    problem_run r;
    r.p = &p;
    r.dnnl_impl = dnnl_impl;
    r.sparse = impls.first.get();
    r.sparse2 = impls.second.get();
    r.t = &t;
    r.out_dense = &out_dense;
    r.out_sparse = &out_sparse;
    r.create_ms = impls.create_ms;
    return r;
}

void run_problem(const options &o, const problem_run &r) {
    const problem_t &p = *r.p;
    conv_tensors &t = *r.t;
    for (double s : o.sparsities) {
        r.fill(s);
        t.density_hint = o.density_hint(s);
        r.run_dense();
        // Sanity: the sparse results agree with oneDNN's (relative to the output scale).
        auto mismatch = [&](const sparse_conv &impl) {
            impl.execute(t);
            double max_err = 0, max_abs = 1e-30;
            for (size_t i = 0; i < r.out_dense->n; ++i) {
                max_err = std::max(max_err, (double)std::fabs(r.out_dense->p[i] - r.out_sparse->p[i]));
                max_abs = std::max(max_abs, (double)std::fabs(r.out_dense->p[i]));
            }
            return max_err > 1e-4 * max_abs;
        };
        const bool bad = mismatch(*r.sparse), bad2 = r.sparse2 && mismatch(*r.sparse2);
        std::vector<double> td, ts, ts2;
        for (int rep = 0; rep < o.reps; ++rep) {
            auto t0 = clk::now();
            r.run_dense();
            td.push_back(ms_since(t0));
            t0 = clk::now();
            r.sparse->execute(t);
            ts.push_back(ms_since(t0));
            if (r.sparse2) {
                t0 = clk::now();
                r.sparse2->execute(t);
                ts2.push_back(ms_since(t0));
            }
        }
        const double md = median(td), ms = median(ts);
        std::string second;
        if (r.sparse2) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "  plan2 %.3f ms %.2fx (%s)%s", median(ts2), md / median(ts2),
                    r.sparse2->config_str().c_str(), bad2 ? "  MISMATCH" : "");
            second = buf;
        }
        std::printf("%-34s %5.2f %9.3f %6.0f %9.3f %6.2fx  %s | %s %s%s%s\n", p.to_string().c_str(), s, md,
                p.flops() / md * 1e-6, ms, md / ms, r.dnnl_impl.c_str(), r.sparse->name().c_str(),
                r.sparse->config_str().c_str(), bad ? "  MISMATCH" : "", second.c_str());
    }
    std::printf("%-34s plan+create %.2f ms (kernel generation included)\n", "", r.create_ms);
}

} // namespace kbench
} // namespace sparsetrain
