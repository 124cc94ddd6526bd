// --replay=DIR: every captured layer (capture_file.hpp) in each direction, timed against oneDNN
// twice: on the real tensors, and on the same values with their positions shuffled (i.i.d.
// zeros at the same sparsity), so that what real zero patterns do to the kernels shows as the
// ratio of the two speedups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/capture_file.hpp"
#include "bench/problem_bench.hpp"
#include "bench/progress.hpp"

namespace sparsetrain {
namespace bench {

// How the zeros of one plain nchw tensor are arranged.
struct zero_structure {
    double zeros = 0;        // zero fraction
    double zero_vectors = 0; // share of 16-channel vectors at one pixel (oneDNN's nChw16c / nhwc blocks) all zero
    double dead_planes = 0;  // share of (image, channel) planes all zero
    double dead_channels = 0; // share of channels zero in every image of the batch
};
zero_structure measure_zeros(const std::vector<float> &v, int64_t n, int64_t c, int64_t h, int64_t w);

// The same values with their positions permuted uniformly at random (Fisher-Yates, seeded).
std::vector<float> shuffled(const std::vector<float> &v, uint64_t seed);

struct replay_row {
    const captured_layer *layer = nullptr;
    direction dir = direction::fwd;
    bool initial = false;      // the layer's input needs no gradient (left out of the totals)
    bool random_weights = false;
    zero_structure real_zeros, shuffled_zeros; // of the exploited operand
    measurement real, shuffled;
    // speedup on real zeros / speedup on shuffled ones (below 1: real zeros cost more)
    double real_vs_shuffled() const;
};

struct replay_result {
    const capture_set *set = nullptr;
    timing_options timing;
    int threads = 0;
    std::vector<replay_row> rows;
};

// Times every layer of `set` in each of `dirs` (bwd_d only where the layer's input needs a
// gradient). The progress line counts two steps per row (real, shuffled).
replay_result run_replay(const capture_set &set, const std::vector<direction> &dirs, const timing_options &t,
        progress &prog);

} // namespace bench
} // namespace sparsetrain
