#include "bench/replay_mode.hpp"

#include <omp.h>

#include <iostream>

#include "bench/replay.hpp"
#include "bench/replay_report.hpp"

namespace sparsetrain {
namespace bench {

bool run_replay_mode(const options &o) {
    const std::string dir = o.replay_dir.empty() ? default_capture_dir() : o.replay_dir;
    const capture_set set = read_capture(dir);
    const auto t = timing_of(o);
    int rows = 0;
    double work = 0;
    for (const auto &l : set.layers)
        for (direction d : o.dirs)
            if (d != direction::bwd_d || l.input_grad) {
                ++rows;
                work += 2 * l.prob.flops();
            }
    std::cout << "sparsetrain-bench: replay of " << set.layers.size() << " captured layer(s) from " << dir << ", "
              << rows << " (layer, direction) rows, each on real and on shuffled zeros, " << omp_get_max_threads()
              << " thread(s)\n"
              << std::flush;
    progress prog(std::cerr, 2 * rows, work, o.progress);
    const auto r = run_replay(set, o.dirs, t, prog);
    prog.finish();
    print_replay_table(std::cout, r);
    print_replay_totals(std::cout, r);
    bool ok = true;
    for (const auto &row : r.rows) ok = ok && row.real.check_ok && row.shuffled.check_ok;
    if (!o.csv_path.empty()) write_replay_csv(o.csv_path, r);
    if (!o.json_path.empty()) write_replay_json(o.json_path, r);
    if (!o.out_dir.empty()) {
        const std::string base = o.out_dir + "/replay" + (o.layout == act_format::nhwc ? "_nhwc" : "");
        write_replay_csv(base + ".csv", r);
        write_replay_json(base + ".json", r);
        std::cout << "\nresults: " << base << ".csv, " << base << ".json\n";
    }
    return ok;
}

} // namespace bench
} // namespace sparsetrain
