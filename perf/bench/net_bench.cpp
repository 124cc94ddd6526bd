#include "bench/net_bench.hpp"

#include <omp.h>

#include <algorithm>
#include <memory>

#include "bench/text_util.hpp"

namespace sparsetrain {
namespace bench {

net_result run_network(const net_plan &plan, const timing_options &t, progress &prog) {
    net_result r;
    r.plan = plan;
    r.timing = t;
    r.threads = omp_get_max_threads();
    std::unique_ptr<problem_bench> b;
    const problem_t *b_prob = nullptr;
    direction b_dir = direction::fwd;
    bwd_d_mask_kind b_mask = bwd_d_mask_kind::none;
    for (const auto &task : plan.tasks) {
        prog.begin(plan.net.name + " " + task.shape + " " + to_string(task.dir) + " s=" + format("%.2f", task.sparsity),
                task.prob.flops());
        if (!b || b_prob->shape_string() != task.prob.shape_string() || b_dir != task.dir || b_mask != task.mask) {
            b.reset(); // free the previous layer's buffers first
            mask_setup ms;
            ms.on = task.mask != bwd_d_mask_kind::none;
            ms.relu_bwd_scale = task.mask == bwd_d_mask_kind::relu ? 1 : task.mask == bwd_d_mask_kind::maxpool_relu ? 4 : 0;
            b.reset(new problem_bench(task.prob, task.dir, std::vector<dispatch_mode> {t.dispatch}, t.base, t.layout, ms));
            b_prob = &task.prob;
            b_dir = task.dir;
            b_mask = task.mask;
        }
        if (task.mask != bwd_d_mask_kind::none) b->set_mask_sparsity(task.mask_sparsity);
        b->fill(task.sparsity, t.seed, false, t.zeros);
        auto m = b->run(t.warmup, t.reps, t.check);
        m.prob = task.prob;
        r.results.push_back(m);
    }
    prog.finish();
    r.totals = compute_totals(plan.tasks, r.results);
    return r;
}

int task_of(const net_plan &plan, const conv_occurrence &c, direction d) {
    for (size_t i = 0; i < plan.tasks.size(); ++i) {
        const auto &t = plan.tasks[i];
        if (t.dir == d && t.shape == c.shape && std::find(t.layers.begin(), t.layers.end(), c.layer) != t.layers.end())
            return (int)i;
    }
    return -1;
}

} // namespace bench
} // namespace sparsetrain
