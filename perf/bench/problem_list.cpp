#include "bench/problem_list.hpp"

#include <exception>
#include <memory>

#include "bench/report.hpp"
#include "bench/text_util.hpp"

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
                // --layout=both: the problem in both layouts, all sides interleaved in one run.
                const auto layouts = o.both_layouts ? std::vector<act_format> {act_format::nChw16c, act_format::nhwc}
                                                    : std::vector<act_format> {t.layout};
                std::vector<std::unique_ptr<problem_bench>> benches;
                std::vector<problem_bench *> group;
                for (act_format l : layouts) {
                    mask_setup ms;
                    ms.on = o.relu_mask >= 0;
                    benches.emplace_back(new problem_bench(p, d, std::vector<dispatch_mode> {t.dispatch}, t.base, l, ms));
                    if (ms.on) benches.back()->set_mask_sparsity(o.relu_mask);
                    group.push_back(benches.back().get());
                }
                for (zero_pattern z : o.zeros) {
                    for (problem_bench *b : group) b->fill(o.sparsity, t.seed, o.denormals, z);
                    auto ms = problem_bench::run_together(group, t.warmup, t.reps, t.check);
                    prog.clear();
                    for (auto &m : ms) {
                        if (o.zeros.size() > 1) m.prob.name = (p.name.empty() ? "" : p.name + " ") + "zeros=" + to_string(z);
                        if (m.mask_sparsity >= 0) // masked bwd_d: the src zeros beside diff_dst's
                            m.prob.name = (m.prob.name.empty() ? "" : m.prob.name + " ") + "mask src zeros="
                                    + format("%.2f", m.mask_sparsity);
                        print_table_row(table, m);
                        r.all_ok = r.all_ok && m.check_ok;
                        r.measured.push_back(m);
                    }
                    if (ms.size() == 2)
                        table << "    nhwc speedup / nchw16c speedup: " << format("%.3f", ms[1].speedup() / ms[0].speedup())
                              << "\n";
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
