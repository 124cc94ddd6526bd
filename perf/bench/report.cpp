#include "bench/report.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

const char *csv_header() {
    return "problem,name,dir,sparsity,dense_impl,sparse_impl,dense_ms,sparse_ms,speedup,layout";
}


std::string csv_row(const measurement &m) {
    std::ostringstream os;
    os << csv_quote(m.prob.shape_string()) << "," << csv_quote(m.prob.name) << "," << to_string(m.dir) << ","
       << format("%.3f", m.sparsity_actual) << "," << csv_quote(m.dense_impl) << "," << csv_quote(m.sparse_impl) << ","
       << format("%.4f", m.dense_ms) << "," << format("%.4f", m.sparse_ms) << "," << format("%.3f", m.speedup()) << ","
       << to_string(m.layout);
    return os.str();
}

void print_table_header(std::ostream &os) {
    char b[256];
    std::snprintf(b, sizeof(b), "%-44s %-5s %-7s %6s %-26s %-28s %10s %10s %8s %7s %9s %s", "problem", "dir", "layout",
            "zeros", "dense impl", "sparsetrain impl", "dense ms", "sparse ms", "speedup", "GF/s", "1st ms", "check");
    os << b << "\n";
}

void print_error_row(std::ostream &os, const std::string &problem, const std::string &dir, const std::string &why) {
    char b[256];
    std::snprintf(b, sizeof(b), "%-44s %-5s ", problem.c_str(), dir.c_str());
    os << b << "ERROR: " << why << "\n";
}

void print_table_row(std::ostream &os, const measurement &m) {
    const double gflops = m.prob.flops() / (m.dense_ms * 1e6);
    std::string name = m.prob.shape_string();
    if (!m.prob.name.empty()) name = m.prob.name + " " + name;
    if (name.size() > 44) name = name.substr(0, 41) + "...";
    const std::string check = !m.checked ? "-" : m.check_ok ? "ok" : "MISMATCH(" + format("%.1e", m.max_err) + ")";
    // The first execute of sparsetrain's primitive (with automatic dispatch: the calibration).
    const double first = m.ours.empty() ? -1 : m.ours[0].first_ms;
    const std::string first_s = first < 0 ? "-" : format("%.3f", first);
    char b[512];
    std::snprintf(b, sizeof(b), "%-44s %-5s %-7s %6.3f %-26s %-28s %10.3f %10.3f %7.2fx %7.1f %9s %s", name.c_str(),
            to_string(m.dir), to_string(m.layout), m.sparsity_actual, m.dense_impl.c_str(), m.sparse_impl.c_str(),
            m.dense_ms, m.sparse_ms, m.speedup(), gflops, first_s.c_str(), check.c_str());
    os << b << "\n";
}

void write_csv(const std::string &path, const std::vector<measurement> &ms) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << csv_header() << "\n";
    for (const auto &m : ms) out << csv_row(m) << "\n";
}

void write_json(const std::string &path, const std::vector<measurement> &ms) {
    std::ofstream out(path);
    if (!out) throw error(path + ": cannot write");
    out << "{\"results\": [\n";
    for (size_t i = 0; i < ms.size(); ++i) {
        const auto &m = ms[i];
        out << "  {\"problem\": \"" << json_escape(m.prob.shape_string()) << "\", \"name\": \""
            << json_escape(m.prob.name) << "\", \"dir\": \"" << to_string(m.dir) << "\", \"layout\": \""
            << to_string(m.layout) << "\", \"sparsity\": "
            << json_number(m.sparsity_actual) << ", \"dense_impl\": \"" << json_escape(m.dense_impl)
            << "\", \"sparse_impl\": \"" << json_escape(m.sparse_impl) << "\", \"dense_ms\": " << json_number(m.dense_ms, 6)
            << ", \"sparse_ms\": " << json_number(m.sparse_ms, 6) << ", \"speedup\": " << json_number(m.speedup())
            << ", \"check\": \"" << (!m.checked ? "skipped" : m.check_ok ? "ok" : "mismatch") << "\"}"
            << (i + 1 < ms.size() ? ",\n" : "\n");
    }
    out << "]}\n";
}

} // namespace bench
} // namespace sparsetrain
