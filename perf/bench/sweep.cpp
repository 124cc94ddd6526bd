#include "bench/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "bench/report.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

std::vector<double> sweep_sparsities() {
    std::vector<double> s;
    for (int i = 0; i < 20; ++i) s.push_back(i / 20.0);
    return s;
}

double sweep_point::auto_vs_best() const {
    const double best = std::min(m.dense_ms, sparse_ms());
    return best > 0 ? auto_ms() / best : 0;
}

sweep_result run_sweep(const problem_t &p, direction dir, const timing_options &t, progress &prog) {
    sweep_result r;
    r.prob = p;
    r.dir = dir;
    r.timing = t;
    problem_bench b(p, dir, {dispatch_mode::sparse, dispatch_mode::automatic}, t.base, t.layout);
    for (double s : sweep_sparsities()) {
        prog.begin("sweep " + (p.name.empty() ? p.shape_string() : p.name) + " " + to_string(dir) + " s="
                        + format("%.2f", s),
                p.flops());
        b.fill(s, t.seed, false, t.zeros);
        r.points.push_back({b.run(t.warmup, t.reps, t.check)});
    }
    return r;
}

void print_sweep(std::ostream &os, const sweep_result &r) {
    const auto &p0 = r.points.front().m;
    os << "\nsweep " << (r.prob.name.empty() ? "" : r.prob.name + " ") << r.prob.shape_string() << " "
       << to_string(r.dir) << ": oneDNN " << p0.dense_impl << " vs sparsetrain " << p0.ours[0].impl
       << " (forced sparse) and automatic dispatch, " << to_string(r.timing.layout) << " activations; median of "
       << r.timing.reps << "\n";
    char b[256];
    std::snprintf(b, sizeof(b), "%6s %6s %8s %10s %10s %10s %8s %8s %9s %-12s %s", "target", "zeros", "1/(1-s)",
            "dense ms", "sparse ms", "auto ms", "sparse x", "auto x", "auto/best", "auto ran", "check");
    os << b << "\n";
    for (const auto &pt : r.points) {
        const auto &m = pt.m;
        const std::string check = !m.checked ? "-" : m.check_ok ? "ok" : "MISMATCH(" + format("%.1e", m.max_err) + ")";
        std::snprintf(b, sizeof(b), "%6.2f %6.3f %7.2fx %10.3f %10.3f %10.3f %7.2fx %7.2fx %9.2f %-12s %s", m.sparsity,
                m.sparsity_actual, pt.bound(), m.dense_ms, pt.sparse_ms(), pt.auto_ms(), m.dense_ms / pt.sparse_ms(),
                m.dense_ms / pt.auto_ms(), pt.auto_vs_best(), m.ours[1].ran.empty() ? "-" : m.ours[1].ran.c_str(),
                check.c_str());
        os << b << "\n";
    }
}

std::string sweep_csv_header() {
    return std::string(csv_header()) + ",auto_ms,auto_speedup,bound,auto_vs_best,auto_ran,check";
}

void write_sweep_csv(const std::string &path, const std::vector<sweep_result> &rs) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << sweep_csv_header() << "\n";
    for (const auto &r : rs)
        for (const auto &pt : r.points) {
            const auto &m = pt.m;
            out << csv_row(m) << "," << format("%.4f", pt.auto_ms()) << "," << format("%.3f", m.dense_ms / pt.auto_ms())
                << "," << format("%.3f", pt.bound()) << "," << format("%.3f", pt.auto_vs_best()) << ","
                << (m.ours[1].ran.empty() ? "-" : m.ours[1].ran) << ","
                << (!m.checked ? "skipped" : m.check_ok ? "ok" : "mismatch") << "\n";
        }
    if (!out) throw error(path + ": write failed");
}

void write_sweep_json(const std::string &path, const std::vector<sweep_result> &rs) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    auto str = [](const std::string &s) { return "\"" + json_escape(s) + "\""; };
    out << "{\"sweeps\": [";
    for (size_t k = 0; k < rs.size(); ++k) {
        const auto &r = rs[k];
        const auto &m0 = r.points.front().m;
        out << (k ? ",\n" : "\n") << " {\"problem\": " << str(r.prob.shape_string()) << ", \"name\": " << str(r.prob.name)
            << ", \"dir\": " << str(to_string(r.dir)) << ", \"layout\": " << str(to_string(r.timing.layout))
            << ", \"baseline\": " << str(to_string(r.timing.base))
            << ", \"reps\": " << r.timing.reps << ", \"dense_impl\": " << str(m0.dense_impl)
            << ", \"sparse_impl\": " << str(m0.ours[0].impl) << ", \"points\": [";
        for (size_t i = 0; i < r.points.size(); ++i) {
            const auto &pt = r.points[i];
            const auto &m = pt.m;
            out << (i ? ",\n" : "\n") << "   {\"sparsity_target\": " << json_number(m.sparsity)
                << ", \"sparsity\": " << json_number(m.sparsity_actual) << ", \"bound\": " << json_number(pt.bound())
                << ", \"dense_ms\": " << json_number(m.dense_ms, 6) << ", \"sparse_ms\": " << json_number(pt.sparse_ms(), 6)
                << ", \"auto_ms\": " << json_number(pt.auto_ms(), 6) << ", \"sparse_speedup\": "
                << json_number(m.dense_ms / pt.sparse_ms()) << ", \"auto_speedup\": "
                << json_number(m.dense_ms / pt.auto_ms()) << ", \"auto_vs_best\": " << json_number(pt.auto_vs_best())
                << ", \"dense_impl\": " << str(m.dense_impl) << ", \"auto_ran\": " << str(m.ours[1].ran)
                << ", \"check\": " << str(!m.checked ? "skipped" : m.check_ok ? "ok" : "mismatch") << "}";
        }
        out << "]}";
    }
    out << "\n]}\n";
    if (!out) throw error(path + ": write failed");
}

} // namespace bench
} // namespace sparsetrain
