// sparsetrain-bench: sparsetrain against oneDNN dense, same process, same data.
#include <omp.h>

#include <iostream>

#include "bench/bench_options.hpp"
#include "bench/problem_bench.hpp"
#include "bench/report.hpp"
#include "sparsetrain/error.hpp"

using namespace sparsetrain;

int main(int argc, char **argv) {
    try {
        const bench::options o = bench::parse_options(argc, argv);
        if (o.help) {
            std::cout << bench::usage();
            return 0;
        }
        if (o.threads > 0) omp_set_num_threads(o.threads);
        const auto problems = bench::collect_problems(o);
        std::cout << "sparsetrain-bench: " << problems.size() << " problem(s), sparsity " << o.sparsity << ", "
                  << omp_get_max_threads() << " thread(s), median of " << o.reps << " runs\n";
        bench::print_table_header(std::cout);
        std::vector<bench::measurement> all;
        bool all_ok = true;
        for (const auto &p : problems)
            for (direction d : o.dirs) {
                bench::problem_bench b(p, d, o.dispatch);
                b.fill(o.sparsity, 1234);
                auto m = b.run(o.warmup, o.reps, o.check);
                m.sparsity = o.sparsity;
                bench::print_table_row(std::cout, m);
                all_ok = all_ok && m.check_ok;
                all.push_back(m);
            }
        if (!o.csv_path.empty()) bench::write_csv(o.csv_path, all);
        if (!o.json_path.empty()) bench::write_json(o.json_path, all);
        if (!all_ok) {
            std::cerr << "sparsetrain-bench: some outputs differ from oneDNN's (see the check column)\n";
            return 2;
        }
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "sparsetrain-bench: " << e.what() << "\n";
        return 1;
    }
}
