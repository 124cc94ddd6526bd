#include "bench/plot.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

namespace {

void write_file(const std::string &path, const std::string &text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw error(path + ": cannot write");
}

plot_files render(const std::string &dir, const std::string &base, const std::string &data, const std::string &script) {
    plot_files f;
    f.data = dir + "/" + base + ".dat";
    f.script = dir + "/" + base + ".gp";
    f.png = dir + "/" + base + ".png";
    write_file(f.data, data);
    write_file(f.script, script);
    if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
        f.note = "gnuplot not found (apt-get install gnuplot-nox); run 'gnuplot " + base + ".gp' in " + dir;
        return f;
    }
    const std::string cmd = "cd " + shell_quote(dir) + " && gnuplot " + shell_quote(base + ".gp") + " 2> "
            + shell_quote(base + ".gnuplot.log");
    f.made = std::system(cmd.c_str()) == 0;
    if (!f.made) f.note = "gnuplot failed, see " + dir + "/" + base + ".gnuplot.log";
    else std::remove((dir + "/" + base + ".gnuplot.log").c_str());
    return f;
}

std::string quoted(const std::string &s) { // a gnuplot double-quoted string
    std::string r = "\"";
    for (char c : s) r += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return r + "\"";
}

// The occurrences with at least one timed direction, network order.
std::vector<conv_occurrence> plotted(const net_result &r) {
    std::vector<conv_occurrence> out;
    for (const auto &c : r.plan.occurrences)
        for (int d = 0; d < n_dirs; ++d)
            if (task_of(r.plan, c, (direction)d) >= 0) {
                out.push_back(c);
                break;
            }
    return out;
}

} // namespace

std::string network_plot_data(const net_result &r) {
    std::ostringstream os;
    os << "# index layer speedup_fwd speedup_bwd_d speedup_bwd_w (\"-\": not run)\n";
    int i = 0;
    for (const auto &c : plotted(r)) {
        os << i++ << " " << quoted(c.initial ? c.layer + " (first)" : c.layer);
        for (int d = 0; d < n_dirs; ++d) {
            const int k = task_of(r.plan, c, (direction)d);
            os << " " << (k < 0 ? std::string("-") : format("%.4f", r.results[k].speedup()));
        }
        os << "\n";
    }
    return os.str();
}

std::string network_plot_script(const std::string &base, const net_result &r) {
    const int n = (int)plotted(r).size();
    const int width = std::max(900, 120 + 24 * n);
    std::ostringstream title;
    title << r.plan.net.title << ", N=" << r.plan.mb << ", " << to_string(r.plan.profile)
          << "-epoch sparsity, " << to_string(r.timing.layout) << ": speedup over oneDNN " << to_string(r.timing.base)
          << " per layer (training step "
          << format("%.2f", r.totals.step(false).speedup()) << "x without the first layer, "
          << format("%.2f", r.totals.step(true).speedup()) << "x with it)";
    std::ostringstream os;
    os << "set terminal pngcairo noenhanced size " << width << ",720 font \"sans,10\"\n"
       << "set output " << quoted(base + ".png") << "\n"
       << "set title " << quoted(title.str()) << "\n"
       << "set style data histograms\nset style histogram clustered gap 1\n"
       << "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
       << "set datafile missing \"-\"\n"
       << "set ylabel \"speedup (oneDNN ms / sparsetrain ms)\"\n"
       << "set xtics rotate by -60 scale 0 font \",8\"\nset grid ytics\nset key top left\n"
       << "set yrange [0:*]\nset xrange [-0.6:" << n - 0.4 << "]\n"
       << "plot " << quoted(base + ".dat") << " using 3:xtic(2) title \"fwd\" lc rgb \"#1f77b4\", \\\n"
       << "     '' using 4 title \"bwd_d\" lc rgb \"#ff7f0e\", \\\n"
       << "     '' using 5 title \"bwd_w\" lc rgb \"#2ca02c\", \\\n"
       << "     1 with lines dt 2 lc rgb \"black\" notitle\n";
    return os.str();
}

plot_files plot_network(const std::string &dir, const std::string &base, const net_result &r) {
    return render(dir, base, network_plot_data(r), network_plot_script(base, r));
}

plot_files plot_sweep(const std::string &dir, const std::string &base, const std::vector<sweep_result> &rs) {
    if (rs.empty()) throw error("plot_sweep: nothing to plot");
    std::ostringstream data;
    for (size_t k = 0; k < rs.size(); ++k) {
        data << (k ? "\n\n" : "") << "# " << to_string(rs[k].dir)
             << ": sparsity bound speedup_forced_sparse speedup_automatic\n";
        for (const auto &pt : rs[k].points)
            data << format("%.4f", pt.m.sparsity) << " " << format("%.4f", pt.bound()) << " "
                 << format("%.4f", pt.m.dense_ms / pt.sparse_ms()) << " " << format("%.4f", pt.m.dense_ms / pt.auto_ms())
                 << "\n";
    }
    const auto &p = rs[0].prob;
    const char *colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
    std::ostringstream os;
    os << "set terminal pngcairo noenhanced size 960,640 font \"sans,10\"\n"
       << "set output " << quoted(base + ".png") << "\n"
       << "set title " << quoted((p.name.empty() ? "" : p.name + " ") + p.shape_string()
                      + " (" + to_string(rs[0].timing.layout) + "): speedup over oneDNN " + to_string(rs[0].timing.base)
                      + " against sparsity")
       << "\n"
       << "set xlabel \"sparsity of the exploited operand (fwd, bwd_w: src; bwd_d: diff_dst)\"\n"
       << "set ylabel \"speedup (oneDNN ms / sparsetrain ms)\"\n"
       << "set logscale y 2\nset grid xtics ytics\nset key top left\nset xrange [0:1]\n"
       << "plot " << quoted(base + ".dat") << " index 0 using 1:2 with lines dt 3 lw 2 lc rgb \"black\" title \"1/(1-s) bound\"";
    for (size_t k = 0; k < rs.size(); ++k) {
        const std::string d = to_string(rs[k].dir);
        const char *c = colors[(int)rs[k].dir];
        os << ", \\\n     '' index " << k << " using 1:3 with linespoints pt 7 lc rgb \"" << c << "\" title \"" << d
           << " forced sparse\"";
        os << ", \\\n     '' index " << k << " using 1:4 with linespoints pt 6 dt 2 lc rgb \"" << c << "\" title \"" << d
           << " automatic\"";
    }
    os << ", \\\n     1 with lines lc rgb \"gray\" notitle\n";
    return render(dir, base, data.str(), os.str());
}

} // namespace bench
} // namespace sparsetrain
