#include "bench/net_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/report.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

namespace {

std::string join(const std::vector<std::string> &v, const char *sep) {
    std::string r;
    for (const auto &s : v) r += (r.empty() ? "" : sep) + s;
    return r;
}

// "conv3_3" for one occurrence, "layer3_3x3 x11" for several.
std::string task_label(const bench_task &t) {
    std::string s = t.layers.size() == 1 ? t.layers[0] : t.shape + " x" + std::to_string(t.weight);
    if (t.initial) s += " (first)";
    return s;
}

std::string check_str(const measurement &m) {
    return !m.checked ? "-" : m.check_ok ? "ok" : "MISMATCH(" + format("%.1e", m.max_err) + ")";
}

std::string ran_str(const measurement &m) { return m.ours.empty() || m.ours[0].ran.empty() ? "-" : m.ours[0].ran; }

std::string fit(std::string s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

struct total_row {
    const char *scope;
    std::string dir;
    time_pair t;
};
std::vector<total_row> total_rows(const net_totals &t) {
    std::vector<total_row> rows;
    for (int with_initial = 0; with_initial < 2; ++with_initial) {
        const char *scope = with_initial ? "all_layers" : "non_initial";
        for (int d = 0; d < n_dirs; ++d) rows.push_back({scope, to_string((direction)d), t.dir((direction)d, with_initial)});
        rows.push_back({scope, "step", t.step(with_initial)});
    }
    return rows;
}

std::string heading(const net_result &r) {
    std::ostringstream os;
    os << r.plan.net.title << ", N=" << r.plan.mb << ", " << to_string(r.plan.profile) << "-epoch sparsity profile, "
       << r.threads << " thread(s), " << to_string(r.timing.layout) << " activations, baseline oneDNN "
       << to_string(r.timing.base) << ", median of " << r.timing.reps
       << " after " << r.timing.warmup << " warm-up";
    if (r.plan.subset) os << " [subset of the network]";
    return os.str();
}

// The sparsity sources, and for masked BWD-data the mask's src sparsity and the baseline.
std::string source_str(const bench_task &t, const measurement &m) {
    std::string s = join(t.sources, "; ");
    if (t.mask == bwd_d_mask_kind::none) return s;
    const char *base = t.mask == bwd_d_mask_kind::relu ? "oneDNN bwd_d + ReLU bwd"
            : t.mask == bwd_d_mask_kind::maxpool_relu  ? "oneDNN bwd_d + ReLU bwd (4x, pre-pool)"
                                                        : "oneDNN bwd_d alone (shared ReLU output)";
    return "diff_dst " + s + " | mask " + to_string(t.mask) + ": src zeros " + format("%.3f", m.mask_sparsity) + " (target "
            + format("%.3f", t.mask_sparsity) + "), baseline " + base;
}

} // namespace

void print_net_table(std::ostream &os, const net_result &r) {
    os << "\n" << heading(r) << "\n";
    char b[768];
    std::snprintf(b, sizeof(b), "%-24s %-5s %6s %6s %10s %10s %8s  %-30s %-28s %-12s %-5s %s", "layer", "dir", "target",
            "zeros", "dense ms", "sparse ms", "speedup", "oneDNN impl", "sparsetrain impl", "ran", "check",
            "sparsity source");
    os << b << "\n";
    for (size_t i = 0; i < r.plan.tasks.size(); ++i) {
        const auto &t = r.plan.tasks[i];
        const auto &m = r.results[i];
        std::snprintf(b, sizeof(b), "%-24s %-5s %6.3f %6.3f %10.3f %10.3f %7.2fx  %-30s %-28s %-12s %-5s %s",
                fit(task_label(t), 24).c_str(), to_string(t.dir), t.sparsity, m.sparsity_actual, m.dense_ms,
                m.sparse_ms, m.speedup(), fit(m.dense_impl, 30).c_str(), fit(m.sparse_impl, 28).c_str(),
                ran_str(m).c_str(), check_str(m).c_str(), source_str(t, m).c_str());
        os << b << "\n";
    }
}

void print_net_totals(std::ostream &os, const net_result &r) {
    // Occurrences with at least one timed direction (all of them unless --layers).
    int non_initial = 0, all = 0;
    for (const auto &c : r.plan.occurrences) {
        bool timed = false;
        for (int d = 0; d < n_dirs; ++d) timed = timed || task_of(r.plan, c, (direction)d) >= 0;
        all += timed;
        non_initial += timed && !c.initial;
    }
    os << "\n" << r.plan.net.title << " totals, ms per training step (each shape weighted by its occurrences):\n";
    char b[256];
    const std::string h1 = "non-initial layers (" + std::to_string(non_initial) + ")";
    const std::string h2 = "all layers (" + std::to_string(all) + ")";
    std::snprintf(b, sizeof(b), "%-22s %-31s   %-31s", "", h1.c_str(), h2.c_str());
    os << b << "\n";
    std::snprintf(b, sizeof(b), "%-22s %10s %10s %9s   %10s %10s %9s", "direction", "dense ms", "sparse ms", "speedup",
            "dense ms", "sparse ms", "speedup");
    os << b << "\n";
    for (int d = 0; d <= n_dirs; ++d) {
        const bool step = d == n_dirs;
        const time_pair a = step ? r.totals.step(false) : r.totals.dir((direction)d, false);
        const time_pair c = step ? r.totals.step(true) : r.totals.dir((direction)d, true);
        std::snprintf(b, sizeof(b), "%-22s %10.2f %10.2f %8.2fx   %10.2f %10.2f %8.2fx",
                step ? "step (fwd+bwd_d+bwd_w)" : to_string((direction)d), a.dense_ms, a.sparse_ms, a.speedup(),
                c.dense_ms, c.sparse_ms, c.speedup());
        os << b << "\n";
    }
    // Each distinct layer problem's first executes (with automatic dispatch: its calibration
    // and confirmation; every mode: first-touch costs) are paid once per process, in the first
    // training steps: their time beyond three steady executes.
    double first1 = 0, first3 = 0;
    for (const auto &m : r.results)
        if (!m.ours.empty() && m.ours[0].first_ms >= 0) {
            first1 += std::max(0.0, m.ours[0].first_ms - m.ours[0].ms);
            first3 += std::max(0.0, m.ours[0].first3_ms - 3 * m.ours[0].ms);
        }
    const double step_ms = r.totals.step(true).sparse_ms;
    std::snprintf(b, sizeof(b),
            "first executes of each layer problem, beyond steady time (%s dispatch): first +%.1f ms, first three "
            "+%.1f ms = %.2f steps, once per process",
            mode_name(r.timing.dispatch), first1, first3, step_ms > 0 ? first3 / step_ms : 0.0);
    os << b << "\n";
    for (const auto &c : r.plan.occurrences)
        if (c.initial && !c.runs[(int)direction::bwd_d] && task_of(r.plan, c, direction::fwd) >= 0)
            os << "(" << c.layer << ", the first layer, runs fwd and bwd_w through sparsetrain (its dense fallback); "
               << "its bwd_d is not run: the input image needs no gradient)\n";
    if (r.timing.base == baseline::fastest) {
        // Which oneDNN variant was the baseline, counted per timed problem.
        std::vector<std::pair<std::string, int>> wins;
        for (const auto &m : r.results) {
            const std::string v = m.dense_impl.substr(0, m.dense_impl.find(':'));
            auto w = std::find_if(wins.begin(), wins.end(), [&](const auto &x) { return x.first == v; });
            if (w == wins.end()) wins.push_back({v, 1});
            else ++w->second;
        }
        os << "fastest oneDNN variant per timed problem:";
        for (const auto &w : wins) os << " " << w.first << " " << w.second;
        os << "\n";
    }
    bool mismatch = false;
    for (const auto &m : r.results) mismatch = mismatch || !m.check_ok;
    if (mismatch) os << "WARNING: some sparsetrain outputs differ from oneDNN's (check column)\n";
}

std::string net_csv_header() {
    return std::string(csv_header())
            + ",network,profile,mb,initial,occurrences,layers,sparsity_target,sparsity_source,ran,check,bwd_d_mask,"
              "mask_src_sparsity";
}

void write_net_csv(const std::string &path, const std::vector<net_result> &rs) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << net_csv_header() << "\n";
    for (const auto &r : rs)
        for (size_t i = 0; i < r.plan.tasks.size(); ++i) {
            const auto &t = r.plan.tasks[i];
            const auto &m = r.results[i];
            out << csv_row(m) << "," << r.plan.net.name << "," << to_string(r.plan.profile) << "," << r.plan.mb << ","
                << (t.initial ? 1 : 0) << "," << t.weight << "," << csv_quote(join(t.layers, ";")) << ","
                << format("%.3f", t.sparsity) << "," << csv_quote(join(t.sources, "; ")) << "," << ran_str(m) << ","
                << csv_quote(check_str(m)) << "," << to_string(t.mask) << ","
                << (m.mask_sparsity >= 0 ? format("%.3f", m.mask_sparsity) : std::string()) << "\n";
        }
    if (!out) throw error(path + ": write failed");
}

std::string net_totals_csv_header() { return "network,profile,mb,baseline,scope,dir,dense_ms,sparse_ms,speedup,layout"; }

void write_net_totals_csv(const std::string &path, const std::vector<net_result> &rs) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << net_totals_csv_header() << "\n";
    for (const auto &r : rs)
        for (const auto &row : total_rows(r.totals))
            out << r.plan.net.name << "," << to_string(r.plan.profile) << "," << r.plan.mb << ","
                << to_string(r.timing.base) << "," << row.scope << "," << row.dir << ","
                << format("%.4f", row.t.dense_ms) << "," << format("%.4f", row.t.sparse_ms) << ","
                << format("%.4f", row.t.speedup()) << "," << to_string(r.timing.layout) << "\n";
    if (!out) throw error(path + ": write failed");
}

void write_net_json(const std::string &path, const std::vector<net_result> &rs) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    auto str = [](const std::string &s) { return "\"" + json_escape(s) + "\""; };
    auto num = [](double v) { return json_number(v, 6); };
    out << "{\"networks\": [";
    for (size_t n = 0; n < rs.size(); ++n) {
        const auto &r = rs[n];
        out << (n ? ",\n" : "\n") << " {\"network\": " << str(r.plan.net.name) << ", \"title\": " << str(r.plan.net.title)
            << ", \"profile\": " << str(to_string(r.plan.profile)) << ", \"mb\": " << r.plan.mb
            << ", \"threads\": " << r.threads << ", \"layout\": " << str(to_string(r.timing.layout))
            << ", \"baseline\": " << str(to_string(r.timing.base))
            << ", \"reps\": " << r.timing.reps << ", \"warmup\": " << r.timing.warmup
            << ", \"subset\": " << (r.plan.subset ? "true" : "false") << ",\n  \"tasks\": [";
        for (size_t i = 0; i < r.plan.tasks.size(); ++i) {
            const auto &t = r.plan.tasks[i];
            const auto &m = r.results[i];
            std::vector<std::string> layers;
            for (const auto &l : t.layers) layers.push_back(str(l));
            std::vector<std::string> sources;
            for (const auto &s : t.sources) sources.push_back(str(s));
            out << (i ? ",\n" : "\n") << "   {\"shape\": " << str(t.shape) << ", \"problem\": " << str(t.prob.shape_string())
                << ", \"dir\": " << str(to_string(t.dir)) << ", \"initial\": " << (t.initial ? "true" : "false")
                << ", \"occurrences\": " << t.weight << ", \"layers\": [" << join(layers, ", ")
                << "], \"sparsity_target\": " << num(t.sparsity) << ", \"sparsity\": " << num(m.sparsity_actual)
                << ", \"sparsity_sources\": [" << join(sources, ", ") << "], \"dense_impl\": " << str(m.dense_impl)
                << ", \"sparse_impl\": " << str(m.sparse_impl) << ", \"ran\": " << str(ran_str(m))
                << ", \"dense_ms\": " << num(m.dense_ms) << ", \"sparse_ms\": " << num(m.sparse_ms)
                << ", \"speedup\": " << num(m.speedup()) << ", \"check\": "
                << str(!m.checked ? "skipped" : m.check_ok ? "ok" : "mismatch") << "}";
        }
        out << "],\n  \"occurrences\": [";
        for (size_t i = 0; i < r.plan.occurrences.size(); ++i) {
            const auto &c = r.plan.occurrences[i];
            out << (i ? ",\n" : "\n") << "   {\"layer\": " << str(c.layer) << ", \"shape\": " << str(c.shape)
                << ", \"occurrence\": " << c.occurrence << ", \"initial\": " << (c.initial ? "true" : "false");
            for (int d = 0; d < n_dirs; ++d) {
                const int k = task_of(r.plan, c, (direction)d);
                out << ", " << str(to_string((direction)d)) << ": ";
                if (k < 0) {
                    out << "{\"run\": false, \"why\": " << str(c.runs[d] ? "left out" : c.source[d]) << "}";
                    continue;
                }
                const auto &m = r.results[k];
                out << "{\"run\": true, \"task\": " << k << ", \"sparsity\": " << num(c.sparsity[d])
                    << ", \"source\": " << str(c.source[d]) << ", \"dense_ms\": " << num(m.dense_ms)
                    << ", \"sparse_ms\": " << num(m.sparse_ms) << ", \"speedup\": " << num(m.speedup()) << "}";
            }
            out << "}";
        }
        out << "],\n  \"totals\": [";
        const auto rows = total_rows(r.totals);
        for (size_t i = 0; i < rows.size(); ++i)
            out << (i ? ",\n" : "\n") << "   {\"scope\": " << str(rows[i].scope) << ", \"dir\": " << str(rows[i].dir)
                << ", \"dense_ms\": " << num(rows[i].t.dense_ms) << ", \"sparse_ms\": " << num(rows[i].t.sparse_ms)
                << ", \"speedup\": " << num(rows[i].t.speedup()) << "}";
        out << "]}";
    }
    out << "\n]}\n";
    if (!out) throw error(path + ": write failed");
}

} // namespace bench
} // namespace sparsetrain
