// --replay results: the per-row table with both speedups side by side, totals per direction,
// CSV and JSON.
#pragma once

#include <ostream>
#include <string>

#include "bench/replay.hpp"

namespace sparsetrain {
namespace bench {

void print_replay_table(std::ostream &os, const replay_result &r);
// Sums over the non-initial rows per direction and per training step, real and shuffled.
void print_replay_totals(std::ostream &os, const replay_result &r);

// The per-problem CSV columns (csv_header(), on the real tensors) followed by layer, step,
// initial, weights, zero_vectors, dead_planes, dead_channels, ran, check, then the shuffled
// run's shuffled_sparsity, shuffled_zero_vectors, shuffled_dense_ms, shuffled_sparse_ms,
// shuffled_speedup, shuffled_ran, shuffled_check, and real_vs_shuffled.
std::string replay_csv_header();
void write_replay_csv(const std::string &path, const replay_result &r);
// {"replay": {"dir", "source", "threads", ..., "rows": [...], "totals": [...]}}
void write_replay_json(const std::string &path, const replay_result &r);

} // namespace bench
} // namespace sparsetrain
