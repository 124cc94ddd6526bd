#include "bench/net_plan.hpp"

#include <algorithm>
#include <map>

#include "bench/sparsity_map.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

namespace {

const char *dir_label(int d) { return to_string((direction)d); }

// The occurrences of the network in mapping order (which is network order), checked against the
// layer file: every mapped shape exists, and each entry's occurrences are exactly 1..N.
std::vector<conv_occurrence> occurrences_of(const network_info &net, const std::vector<layer_entry> &layers,
        const std::vector<layer_occurrence> &map, const sparsity_profiles &profiles, profile_kind kind) {
    std::map<std::string, std::vector<int>> seen;
    std::vector<conv_occurrence> out;
    for (const auto &m : map) {
        const auto e = std::find_if(layers.begin(), layers.end(), [&](const layer_entry &l) { return l.shape == m.shape; });
        if (e == layers.end())
            throw error(net.mapping_file + ": layer '" + m.shape + "' is not in " + net.shapes_file);
        if (m.occurrence > e->count)
            throw error(net.mapping_file + ": " + m.shape + " occurrence " + std::to_string(m.occurrence) + " but "
                    + net.shapes_file + " says *" + std::to_string(e->count));
        seen[m.shape].push_back(m.occurrence);
        conv_occurrence c;
        c.layer = m.layer;
        c.shape = m.shape;
        c.occurrence = m.occurrence;
        c.initial = e->initial;
        c.prob = e->prob;
        c.note = m.note;
        c.mask = m.mask;
        for (int d = 0; d < n_dirs; ++d) {
            const sparsity_rule &r = (direction)d == direction::bwd_d ? m.diff_dst : m.src;
            if (r.kind == sparsity_rule::not_needed) {
                c.source[d] = c.initial ? "not needed (first layer)" : "not needed";
                continue;
            }
            c.runs[d] = true;
            try {
                c.sparsity[d] = resolve(r, profiles, net.profile_network, kind, &c.source[d]);
            } catch (const error &x) {
                throw error(net.mapping_file + ": " + m.layer + " " + dir_label(d) + ": " + x.what());
            }
        }
        out.push_back(c);
    }
    for (const auto &l : layers)
        if ((int)seen[l.shape].size() != l.count)
            throw error(net.mapping_file + ": " + l.shape + " has " + std::to_string(seen[l.shape].size())
                    + " mapped occurrence(s), " + net.shapes_file + " says *" + std::to_string(l.count));
    return out;
}

} // namespace

net_plan make_net_plan(const network_info &net, profile_kind profile, int64_t mb, const data_source &data,
        const plan_options &o) {
    net_plan plan;
    plan.net = net;
    plan.profile = profile;
    plan.mb = mb;
    plan.layers = parse_layer_file(data.read(net.shapes_file), mb, net.shapes_file);
    const auto profiles = sparsity_profiles::parse(data.read("relu-sparsity-profiles.csv"));
    const auto map = parse_sparsity_map(data.read(net.mapping_file), net.mapping_file);
    plan.occurrences = occurrences_of(net, plan.layers, map, profiles, profile);
    for (auto &l : plan.layers) l.prob.mb = mb;
    for (auto &c : plan.occurrences) c.prob.mb = mb;

    for (const auto &name : o.only_layers)
        if (std::none_of(plan.layers.begin(), plan.layers.end(), [&](const layer_entry &l) { return l.shape == name; }))
            throw error("--layers: " + net.shapes_file + " has no layer '" + name + "'");
    plan.subset = !o.only_layers.empty() || o.dirs.size() < (size_t)n_dirs;

    // Layer-file order, then direction, then occurrence: the tasks of one (shape, direction)
    // come together, so that one problem_bench serves all their sparsities.
    for (const auto &l : plan.layers) {
        if (!o.only_layers.empty() && std::find(o.only_layers.begin(), o.only_layers.end(), l.shape) == o.only_layers.end())
            continue;
        for (direction dir : o.dirs) {
            const int d = (int)dir;
            for (const auto &c : plan.occurrences) {
                if (c.shape != l.shape || !c.runs[d]) continue;
                const bwd_d_mask_kind mk = dir == direction::bwd_d && o.relu_mask ? c.mask : bwd_d_mask_kind::none;
                const double ms = mk == bwd_d_mask_kind::none ? 0.0 : c.sparsity[(int)direction::fwd];
                auto t = std::find_if(plan.tasks.begin(), plan.tasks.end(), [&](const bench_task &x) {
                    return x.prob.shape_string() == c.prob.shape_string() && x.dir == dir && x.sparsity == c.sparsity[d]
                            && x.initial == c.initial && x.mask == mk && x.mask_sparsity == ms;
                });
                if (t == plan.tasks.end()) {
                    bench_task nt;
                    nt.prob = l.prob;
                    nt.shape = l.shape;
                    nt.dir = dir;
                    nt.sparsity = c.sparsity[d];
                    nt.initial = c.initial;
                    nt.mask = mk;
                    nt.mask_sparsity = ms;
                    plan.tasks.push_back(nt);
                    t = plan.tasks.end() - 1;
                }
                t->weight += 1;
                t->layers.push_back(c.layer);
                if (std::find(t->sources.begin(), t->sources.end(), c.source[d]) == t->sources.end())
                    t->sources.push_back(c.source[d]);
            }
        }
    }
    return plan;
}

time_pair net_totals::dir(direction d, bool with_initial) const {
    time_pair t = non_initial[(int)d];
    if (with_initial) t += initial[(int)d];
    return t;
}

time_pair net_totals::step(bool with_initial) const {
    time_pair t;
    for (int d = 0; d < n_dirs; ++d) t += dir((direction)d, with_initial);
    return t;
}

net_totals compute_totals(const std::vector<bench_task> &tasks, const std::vector<measurement> &results) {
    if (tasks.size() != results.size()) throw error("compute_totals: one measurement per task expected");
    net_totals t;
    for (size_t i = 0; i < tasks.size(); ++i) {
        time_pair w;
        w.dense_ms = tasks[i].weight * results[i].dense_ms;
        w.sparse_ms = tasks[i].weight * results[i].sparse_ms;
        (tasks[i].initial ? t.initial : t.non_initial)[(int)tasks[i].dir] += w;
    }
    return t;
}

} // namespace bench
} // namespace sparsetrain
