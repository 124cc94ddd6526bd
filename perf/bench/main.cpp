// sparsetrain-bench: sparsetrain against oneDNN dense, same process, same data.
#include <omp.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "bench/bench_options.hpp"
#include "bench/net_bench.hpp"
#include "bench/net_report.hpp"
#include "bench/plot.hpp"
#include "bench/problem_bench.hpp"
#include "bench/problem_list.hpp"
#include "bench/replay_mode.hpp"
#include "bench/report.hpp"
#include "bench/sweep.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

namespace {

std::string out_file(const options &o, const std::string &name) { return o.out_dir + "/" + name; }

void report_plot(const plot_files &f) {
    if (f.made) std::cout << "  plot:   " << f.png << "\n";
    else std::cout << "  plot:   not made: " << f.note << "\n";
}

// Exit status of the problem mode: 0, 1 when some problem could not be run (error rows), 2
// when some output differs from oneDNN's.
int run_problems(const options &o) {
    const auto entries = collect_problem_entries(o);
    const auto t = timing_of(o);
    std::string zeros;
    for (zero_pattern z : o.zeros) zeros += (zeros.empty() ? "" : ",") + std::string(to_string(z));
    std::cout << "sparsetrain-bench: " << entries.size() << " problem(s), sparsity " << o.sparsity << " (" << zeros
              << " zeros), " << omp_get_max_threads() << " thread(s), "
              << (o.both_layouts ? "nchw16c and nhwc" : to_string(t.layout)) << " activations, median of " << t.reps
              << " runs" << (o.denormals ? ", non-zeros of the exploited operand denormal" : "") << "\n";
    double work = 0;
    int steps = 0;
    for (const auto &e : entries)
        if (e.error.empty()) {
            work += e.prob.flops() * o.dirs.size();
            steps += (int)o.dirs.size();
        }
    progress prog(std::cerr, steps, work, o.progress);
    print_table_header(std::cout);
    const auto r = run_problem_list(entries, o, prog, std::cout);
    const auto &all = r.measured;
    prog.finish();
    if (!o.csv_path.empty()) write_csv(o.csv_path, all);
    if (!o.json_path.empty()) write_json(o.json_path, all);
    if (!o.out_dir.empty()) {
        const std::string suffix = o.both_layouts ? "_both" : o.layout == act_format::nhwc ? "_nhwc" : "";
        write_csv(out_file(o, "bench" + suffix + ".csv"), all);
        write_json(out_file(o, "bench" + suffix + ".json"), all);
        std::cout << "results: " << out_file(o, "bench" + suffix + ".csv") << ", " << out_file(o, "bench" + suffix + ".json")
                  << "\n";
    }
    if (!r.all_ok) {
        std::cerr << "sparsetrain-bench: some outputs differ from oneDNN's (see the check column)\n";
        return 2;
    }
    if (r.errors) {
        std::cerr << "sparsetrain-bench: " << r.errors << " problem(s) could not be run (ERROR rows above)\n";
        return 1;
    }
    return 0;
}

bool run_networks(const options &o) {
    const auto t = timing_of(o);
    const data_source data {o.data_dir};
    plan_options po;
    po.dirs = o.dirs;
    po.only_layers = o.layers;
    po.relu_mask = o.net_mask;
    std::vector<net_result> results;
    bool ok = true;
    for (const auto &name : o.nets) {
        const auto plan = make_net_plan(find_network(name), o.profile, o.mb, data, po);
        double work = 0;
        for (const auto &task : plan.tasks) work += task.prob.flops();
        std::cout << "sparsetrain-bench: " << plan.net.title << ", " << plan.occurrences.size()
                  << " conv layer occurrences, " << plan.tasks.size()
                  << " distinct (shape, direction, sparsity) problems to time, N=" << plan.mb << ", "
                  << omp_get_max_threads() << " thread(s)\n"
                  << std::flush;
        progress prog(std::cerr, (int)plan.tasks.size(), work, o.progress);
        results.push_back(run_network(plan, t, prog));
        const auto &r = results.back();
        print_net_table(std::cout, r);
        print_net_totals(std::cout, r);
        for (const auto &m : r.results) ok = ok && m.check_ok;
        if (!o.out_dir.empty()) {
            const std::string base = file_safe(name + "_" + to_string(o.profile) + "_mb" + std::to_string(o.mb)
                    + (o.layout == act_format::nhwc ? "_nhwc" : ""));
            write_net_csv(out_file(o, base + ".csv"), {r});
            write_net_totals_csv(out_file(o, base + "_totals.csv"), {r});
            write_net_json(out_file(o, base + ".json"), {r});
            std::cout << "\nresults (" << plan.net.title << "):\n  table:  stdout and " << out_file(o, base + ".csv")
                      << "\n  totals: " << out_file(o, base + "_totals.csv") << "\n  json:   "
                      << out_file(o, base + ".json") << "\n";
            report_plot(plot_network(o.out_dir, base + "_speedup", r));
        }
        std::cout << std::flush;
    }
    if (!o.csv_path.empty()) write_net_csv(o.csv_path, results);
    if (!o.json_path.empty()) write_net_json(o.json_path, results);
    return ok;
}

bool run_sweeps(const options &o) {
    const auto problems = collect_problems(o);
    const auto t = timing_of(o);
    const auto points = sweep_sparsities();
    double work = 0;
    for (const auto &p : problems) work += p.flops() * o.dirs.size() * points.size();
    progress prog(std::cerr, (int)(problems.size() * o.dirs.size() * points.size()), work, o.progress);
    std::vector<sweep_result> all;
    bool ok = true;
    for (const auto &p : problems) {
        std::vector<sweep_result> mine;
        for (direction d : o.dirs) {
            mine.push_back(run_sweep(p, d, t, prog));
            prog.clear();
            print_sweep(std::cout, mine.back());
            for (const auto &pt : mine.back().points) ok = ok && pt.m.check_ok;
        }
        if (!o.out_dir.empty()) {
            std::cout << "\n";
            report_plot(plot_sweep(o.out_dir,
                    "sweep_" + file_safe(p.name.empty() ? p.shape_string() : p.name)
                            + (o.layout == act_format::nhwc ? "_nhwc" : ""),
                    mine));
        }
        all.insert(all.end(), mine.begin(), mine.end());
    }
    prog.finish();
    if (!o.csv_path.empty()) write_sweep_csv(o.csv_path, all);
    if (!o.json_path.empty()) write_sweep_json(o.json_path, all);
    if (!o.out_dir.empty()) {
        const std::string suffix = o.layout == act_format::nhwc ? "_nhwc" : "";
        write_sweep_csv(out_file(o, "sweep" + suffix + ".csv"), all);
        write_sweep_json(out_file(o, "sweep" + suffix + ".json"), all);
        std::cout << "  table:  stdout and " << out_file(o, "sweep" + suffix + ".csv") << "\n  json:   "
                  << out_file(o, "sweep" + suffix + ".json") << "\n";
    }
    return ok;
}

} // namespace

int main(int argc, char **argv) {
    try {
        const options o = parse_options(argc, argv);
        if (o.help) {
            std::cout << usage();
            return 0;
        }
        if (o.threads > 0) omp_set_num_threads(o.threads);
        if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
        bool ok = true;
        switch (o.mode()) {
        case run_mode::problems: return run_problems(o);
        case run_mode::network: ok = run_networks(o); break;
        case run_mode::sweep: ok = run_sweeps(o); break;
        case run_mode::replay: ok = run_replay_mode(o); break;
        }
        if (!ok) {
            std::cerr << "sparsetrain-bench: some outputs differ from oneDNN's (see the check column)\n";
            return 2;
        }
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "sparsetrain-bench: " << e.what() << "\n";
        return 1;
    }
}
