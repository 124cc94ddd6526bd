// What a whole-network benchmark measures: every conv occurrence of the network with the
// sparsity of its exploited operand in each direction (from the profile and the mapping), and
// the distinct (shape, direction, sparsity) tasks to time, each weighted by the occurrences it
// stands for. Totals add the tasks' times times their weights.
#pragma once

#include <string>
#include <vector>

#include "bench/bench_data.hpp"
#include "bench/layer_file.hpp"
#include "bench/net_catalog.hpp"
#include "bench/problem_bench.hpp"
#include "bench/sparsity_map.hpp"
#include "bench/sparsity_profile.hpp"

namespace sparsetrain {
namespace bench {

constexpr int n_dirs = 3; // indexed by (int)direction

struct conv_occurrence {
    std::string layer; // its own name ("conv3_3")
    std::string shape; // its layer-file entry ("conv3_2")
    int occurrence = 1;
    bool initial = false;
    problem_t prob;
    bool runs[n_dirs] = {false, false, false}; // per direction: timed (and in the totals)
    double sparsity[n_dirs] = {0, 0, 0};
    std::string source[n_dirs]; // where the sparsity came from, or why the direction is not run
    bwd_d_mask_kind mask = bwd_d_mask_kind::none; // masked BWD-data (mapping column bwd_d_mask)
    std::string note;
};

struct bench_task {
    problem_t prob; // named after the layer-file entry
    std::string shape;
    direction dir = direction::fwd;
    double sparsity = 0;
    bool initial = false;
    // BWD-data with the ReLU mask (none: plain); the mask's src sparsity is the occurrence's
    // FWD sparsity (its input).
    bwd_d_mask_kind mask = bwd_d_mask_kind::none;
    double mask_sparsity = 0;
    int weight = 0;                  // occurrences it stands for
    std::vector<std::string> layers; // their names
    std::vector<std::string> sources;
};

struct plan_options {
    std::vector<direction> dirs {direction::fwd, direction::bwd_d, direction::bwd_w};
    std::vector<std::string> only_layers; // layer-file entries to keep (shape names); empty: all
    bool relu_mask = true; // BWD-data with the mask where the mapping says so (--mask=off: never)
};

struct net_plan {
    network_info net;
    profile_kind profile = profile_kind::final_epoch;
    int64_t mb = 16;
    std::vector<layer_entry> layers;
    std::vector<conv_occurrence> occurrences; // network order
    std::vector<bench_task> tasks;            // layer-file order; same (shape, dir) adjacent
    bool subset = false;                      // some layers or directions left out
};

// Reads the network's files from `data` and checks that the mapping covers every occurrence of
// every layer exactly once. Throws sparsetrain::error naming the file and the problem.
net_plan make_net_plan(const network_info &net, profile_kind profile, int64_t mb, const data_source &data,
        const plan_options &o = plan_options());

struct time_pair {
    double dense_ms = 0, sparse_ms = 0;
    double speedup() const { return sparse_ms > 0 ? dense_ms / sparse_ms : 0; }
    time_pair &operator+=(const time_pair &o) {
        dense_ms += o.dense_ms;
        sparse_ms += o.sparse_ms;
        return *this;
    }
};

struct net_totals {
    time_pair non_initial[n_dirs], initial[n_dirs];
    time_pair dir(direction d, bool with_initial) const;
    time_pair step(bool with_initial) const; // FWD + BWD-data + BWD-weights
};

// results[i] is the measurement of tasks[i]; each counts `weight` times.
net_totals compute_totals(const std::vector<bench_task> &tasks, const std::vector<measurement> &results);

} // namespace bench
} // namespace sparsetrain
