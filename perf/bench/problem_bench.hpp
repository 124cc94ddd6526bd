// One problem in one direction, set up once: oneDNN dense primitive(s) and sparsetrain's,
// each with its own buffers in its own layouts, filled from the same plain data. Fill again
// with another sparsity and time again without re-creating anything.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/problem.hpp"
#include "sparsetrain/convolution.hpp"

namespace sparsetrain {
namespace bench {

enum class baseline { direct, fastest };

struct measurement {
    problem_t prob;
    direction dir = direction::fwd;
    double sparsity = 0;        // requested
    double sparsity_actual = 0; // measured zero fraction of the exploited operand
    std::string dense_impl, sparse_impl;
    double dense_ms = 0, sparse_ms = 0;
    double speedup() const { return sparse_ms > 0 ? dense_ms / sparse_ms : 0; }
    bool checked = false, check_ok = true;
    double max_err = 0;
};

class problem_bench {
public:
    problem_bench(const problem_t &p, direction dir, dispatch_mode mode, baseline base = baseline::direct);
    ~problem_bench();
    problem_bench(const problem_bench &) = delete;
    problem_bench &operator=(const problem_bench &) = delete;

    // Random non-zero values everywhere; the exploited operand gets i.i.d. zeros at `sparsity`.
    void fill(double sparsity, uint64_t seed);
    // Interleaved timing, median of `reps` after `warmup` runs of each; optionally compares outputs.
    measurement run(int warmup, int reps, bool check);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace bench
} // namespace sparsetrain
