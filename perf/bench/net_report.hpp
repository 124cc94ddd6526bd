// Whole-network results: the per-layer table and the totals on stdout, CSV and JSON files.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench/net_bench.hpp"

namespace sparsetrain {
namespace bench {

// One row per timed (shape, direction, sparsity), in plan order.
void print_net_table(std::ostream &os, const net_result &r);
// Per direction and for the training step: non-initial layers, and all layers.
void print_net_totals(std::ostream &os, const net_result &r);

// The per-problem CSV columns (csv_header()) followed by network, profile, mb, initial,
// occurrences, layers, sparsity_target, sparsity_source, ran, check.
std::string net_csv_header();
void write_net_csv(const std::string &path, const std::vector<net_result> &rs);
// network, profile, mb, baseline, scope (non_initial | all_layers), dir (fwd | bwd_d | bwd_w | step),
// dense_ms, sparse_ms, speedup.
std::string net_totals_csv_header();
void write_net_totals_csv(const std::string &path, const std::vector<net_result> &rs);
// {"networks": [{..., "tasks": [...], "occurrences": [...], "totals": [...]}]}
void write_net_json(const std::string &path, const std::vector<net_result> &rs);

} // namespace bench
} // namespace sparsetrain
