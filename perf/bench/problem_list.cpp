#include "bench/problem_list.hpp"

#include <exception>

#include "bench/report.hpp"

namespace sparsetrain {
namespace bench {

problem_list_result run_problem_list(const std::vector<problem_entry> &entries, const options &o, progress &prog,
        std::ostream &table) {
    const auto t = timing_of(o);
    problem_list_result r;
    for (const auto &e : entries) {
        if (!e.error.empty()) {
            prog.clear();
            print_error_row(table, e.text, "-", e.error);
            ++r.errors;
            continue;
        }
        const problem_t &p = e.prob;
        const std::string name = p.name.empty() ? p.shape_string() : p.name;
        for (direction d : o.dirs) {
            prog.begin(name + " " + to_string(d), p.flops());
            try {
                problem_bench b(p, d, t.dispatch, t.base);
                for (zero_pattern z : o.zeros) {
                    b.fill(o.sparsity, t.seed, o.denormals, z);
                    auto m = b.run(t.warmup, t.reps, t.check);
                    if (o.zeros.size() > 1) m.prob.name = (p.name.empty() ? "" : p.name + " ") + "zeros=" + to_string(z);
                    prog.clear();
                    print_table_row(table, m);
                    r.all_ok = r.all_ok && m.check_ok;
                    r.measured.push_back(m);
                }
            } catch (const std::exception &x) {
                prog.clear();
                print_error_row(table, p.name.empty() ? p.shape_string() : p.name + " " + p.shape_string(), to_string(d),
                        x.what());
                ++r.errors;
            }
        }
    }
    return r;
}

} // namespace bench
} // namespace sparsetrain
