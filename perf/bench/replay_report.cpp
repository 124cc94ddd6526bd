#include "bench/replay_report.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/report.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

namespace {

std::string check_str(const measurement &m) {
    return !m.checked ? "-" : m.check_ok ? "ok" : "MISMATCH(" + format("%.1e", m.max_err) + ")";
}

std::string ran_str(const measurement &m) { return m.ours.empty() || m.ours[0].ran.empty() ? "-" : m.ours[0].ran; }

std::string label(const replay_row &row) {
    std::string s = row.layer->name + "@" + std::to_string(row.layer->step);
    if (row.initial) s += " (first)";
    return s.size() <= 26 ? s : s.substr(0, 23) + "...";
}

struct total {
    double dense = 0, ours = 0, dense_shuf = 0, ours_shuf = 0;
    double speedup() const { return ours > 0 ? dense / ours : 0; }
    double speedup_shuf() const { return ours_shuf > 0 ? dense_shuf / ours_shuf : 0; }
};

// [fwd, bwd_d, bwd_w, step] over the non-initial rows.
std::vector<total> totals(const replay_result &r) {
    std::vector<total> t(4);
    for (const auto &row : r.rows) {
        if (row.initial) continue;
        for (int k : {(int)row.dir, 3}) {
            t[k].dense += row.real.dense_ms;
            t[k].ours += row.real.sparse_ms;
            t[k].dense_shuf += row.shuffled.dense_ms;
            t[k].ours_shuf += row.shuffled.sparse_ms;
        }
    }
    return t;
}

const char *total_name(int k) { return k == 3 ? "step" : to_string((direction)k); }

} // namespace

void print_replay_table(std::ostream &os, const replay_result &r) {
    const auto &t = r.timing;
    os << "\nreplay of " << r.set->dir << " (" << r.set->source << "), " << r.threads << " thread(s), "
       << to_string(t.layout) << " activations, baseline oneDNN "
       << to_string(t.base) << ", sparsetrain dispatch " << mode_name(t.dispatch) << ", median of " << t.reps << " after "
       << t.warmup << " warm-up\n"
       << "zeros / zvec / dead: zero fraction, all-zero 16-channel vectors, all-zero (image, channel) planes of the\n"
       << "operand the direction skips (fwd, bwd_w: src; bwd_d: diff_dst); 'shuffled' = the same values at random\n"
       << "positions. real/shuf = speedup on real zeros / speedup on shuffled zeros.\n";
    char b[512];
    std::snprintf(b, sizeof(b), "%-26s %-5s %-22s %6s %6s %6s %9s %9s %7s | %6s %9s %9s %7s | %8s %-12s %s", "layer",
            "dir", "problem", "zeros", "zvec", "dead", "dense ms", "ours ms", "x real", "zvec", "dense ms", "ours ms",
            "x shuf", "real/shuf", "ran", "check");
    os << b << "\n";
    for (const auto &row : r.rows) {
        const auto &a = row.real, &s = row.shuffled;
        std::string shape = row.layer->prob.shape_string();
        if (shape.size() > 22) shape = shape.substr(0, 19) + "...";
        const std::string check = a.check_ok && s.check_ok ? check_str(a) : "real " + check_str(a) + " shuf " + check_str(s);
        std::snprintf(b, sizeof(b), "%-26s %-5s %-22s %6.3f %6.3f %6.3f %9.3f %9.3f %6.2fx | %6.3f %9.3f %9.3f %6.2fx | %8.2f %-12s %s",
                label(row).c_str(), to_string(row.dir), shape.c_str(), row.real_zeros.zeros, row.real_zeros.zero_vectors,
                row.real_zeros.dead_planes, a.dense_ms, a.sparse_ms, a.speedup(), row.shuffled_zeros.zero_vectors,
                s.dense_ms, s.sparse_ms, s.speedup(), row.real_vs_shuffled(), ran_str(a).c_str(), check.c_str());
        os << b << "\n";
    }
}

void print_replay_totals(std::ostream &os, const replay_result &r) {
    os << "\ntotals over the non-initial layers (sum of medians):\n";
    char b[256];
    std::snprintf(b, sizeof(b), "%-6s %10s %10s %8s | %10s %10s %8s | %8s", "dir", "dense ms", "ours ms", "x real",
            "dense ms", "ours ms", "x shuf", "real/shuf");
    os << b << "\n";
    const auto t = totals(r);
    for (int k = 0; k < 4; ++k) {
        if (t[k].ours == 0) continue;
        std::snprintf(b, sizeof(b), "%-6s %10.3f %10.3f %7.2fx | %10.3f %10.3f %7.2fx | %8.2f", total_name(k),
                t[k].dense, t[k].ours, t[k].speedup(), t[k].dense_shuf, t[k].ours_shuf, t[k].speedup_shuf(),
                t[k].speedup_shuf() > 0 ? t[k].speedup() / t[k].speedup_shuf() : 0.0);
        os << b << "\n";
    }
}

std::string replay_csv_header() {
    return std::string(csv_header())
            + ",layer,step,initial,weights,zero_vectors,dead_planes,dead_channels,ran,check,shuffled_sparsity,"
              "shuffled_zero_vectors,shuffled_dense_ms,shuffled_sparse_ms,shuffled_speedup,shuffled_ran,shuffled_check,"
              "real_vs_shuffled";
}

void write_replay_csv(const std::string &path, const replay_result &r) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << replay_csv_header() << "\n";
    for (const auto &row : r.rows) {
        const auto &a = row.real, &s = row.shuffled;
        out << csv_row(a) << "," << csv_quote(row.layer->name) << "," << row.layer->step << "," << (row.initial ? 1 : 0)
            << "," << (row.random_weights ? "random" : "captured") << "," << format("%.4f", row.real_zeros.zero_vectors)
            << "," << format("%.4f", row.real_zeros.dead_planes) << "," << format("%.4f", row.real_zeros.dead_channels)
            << "," << ran_str(a) << "," << check_str(a) << "," << format("%.4f", s.sparsity_actual) << ","
            << format("%.4f", row.shuffled_zeros.zero_vectors) << "," << format("%.4f", s.dense_ms) << ","
            << format("%.4f", s.sparse_ms) << "," << format("%.3f", s.speedup()) << "," << ran_str(s) << ","
            << check_str(s) << "," << format("%.3f", row.real_vs_shuffled()) << "\n";
    }
}

void write_replay_json(const std::string &path, const replay_result &r) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    auto side = [](const measurement &m, const zero_structure &z) {
        std::ostringstream os;
        os << "{\"sparsity\": " << json_number(m.sparsity_actual) << ", \"zero_vectors\": " << json_number(z.zero_vectors)
           << ", \"dead_planes\": " << json_number(z.dead_planes) << ", \"dead_channels\": " << json_number(z.dead_channels)
           << ", \"dense_impl\": \"" << json_escape(m.dense_impl) << "\", \"sparse_impl\": \"" << json_escape(m.sparse_impl)
           << "\", \"dense_ms\": " << json_number(m.dense_ms, 6) << ", \"sparse_ms\": " << json_number(m.sparse_ms, 6)
           << ", \"speedup\": " << json_number(m.speedup()) << ", \"ran\": \""
           << json_escape(m.ours.empty() ? "" : m.ours[0].ran) << "\", \"check\": \""
           << (!m.checked ? "skipped" : m.check_ok ? "ok" : "mismatch") << "\"}";
        return os.str();
    };
    out << "{\"replay\": {\"dir\": \"" << json_escape(r.set->dir) << "\", \"source\": \"" << json_escape(r.set->source)
        << "\", \"threads\": " << r.threads << ", \"layout\": \"" << to_string(r.timing.layout) << "\", \"baseline\": \"" << to_string(r.timing.base) << "\", \"dispatch\": \""
        << mode_name(r.timing.dispatch) << "\", \"reps\": " << r.timing.reps << ", \"rows\": [\n";
    for (size_t i = 0; i < r.rows.size(); ++i) {
        const auto &row = r.rows[i];
        out << "  {\"layer\": \"" << json_escape(row.layer->name) << "\", \"step\": " << row.layer->step
            << ", \"problem\": \"" << json_escape(row.layer->prob.shape_string()) << "\", \"dir\": \"" << to_string(row.dir)
            << "\", \"initial\": " << (row.initial ? "true" : "false") << ", \"weights\": \""
            << (row.random_weights ? "random" : "captured") << "\", \"real\": " << side(row.real, row.real_zeros)
            << ", \"shuffled\": " << side(row.shuffled, row.shuffled_zeros)
            << ", \"real_vs_shuffled\": " << json_number(row.real_vs_shuffled()) << "}" << (i + 1 < r.rows.size() ? ",\n" : "\n");
    }
    out << "], \"totals\": [\n";
    const auto t = totals(r);
    bool first = true;
    for (int k = 0; k < 4; ++k) {
        if (t[k].ours == 0) continue;
        out << (first ? "" : ",\n") << "  {\"scope\": \"non_initial\", \"dir\": \"" << total_name(k) << "\", \"dense_ms\": "
            << json_number(t[k].dense, 6) << ", \"sparse_ms\": " << json_number(t[k].ours, 6) << ", \"speedup\": "
            << json_number(t[k].speedup()) << ", \"shuffled_dense_ms\": " << json_number(t[k].dense_shuf, 6)
            << ", \"shuffled_sparse_ms\": " << json_number(t[k].ours_shuf, 6) << ", \"shuffled_speedup\": "
            << json_number(t[k].speedup_shuf()) << "}";
        first = false;
    }
    out << "\n]}}\n";
}

} // namespace bench
} // namespace sparsetrain
