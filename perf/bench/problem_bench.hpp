// One problem in one direction, set up once: oneDNN dense primitive(s) and one sparsetrain
// primitive per dispatch mode, each with its own buffers in its own layouts, filled from the
// same plain data. Fill again with another sparsity and time again without re-creating anything.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/zero_pattern.hpp"
#include "common/layout.hpp"
#include "common/problem.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace bench {

// direct: oneDNN's convolution_direct on the run's activation layout (nChw16c: format_tag::any,
// oneDNN's own pick; nhwc: nhwc buffers), weights format_tag::any.
// fastest: also oneDNN's Winograd (convolution_auto, where it picks Winograd) and, on nChw16c,
// the nhwc (brgemm) path; the baseline is the fastest of them per problem.
enum class baseline { direct, fastest };
const char *to_string(baseline b);
baseline baseline_from_string(const std::string &s); // throws sparsetrain::error

// "auto", "sparse", "dense" or "env" (SPARSETRAIN_DISPATCH decides).
const char *mode_name(dispatch_mode m);

// Masked backward data (bwd_d only; bench/mask_side.hpp): sparsetrain runs relu_mask with a
// ReLU output src (zeros at the sparsity given to set_mask_sparsity); oneDNN's side is its
// backward data plus, for relu_bwd_scale 1 or 4, its ReLU backward on src (1) or on the 4x
// larger pre-pool tensor of a 2x2/2 max-pool (4); 0: backward data alone (the ReLU output has
// other consumers: its ReLU backward runs after the sum on both sides). Outputs are checked
// against oneDNN's backward data masked with src.
// relu_bwd_scale 0 (the ReLU backward runs after the sum anyway) gives sparsetrain
// relu_mask_optional: its dense path skips the mask pass.
struct mask_setup {
    bool on = false;
    int relu_bwd_scale = 1;
};

struct mode_result {
    dispatch_mode mode = dispatch_mode::from_env;
    std::string impl; // sparsetrain's pick, e.g. "sparse_jit:avx512_core" or "onednn:jit:avx512_core"
    double ms = 0;
    std::string ran; // paths the timed runs took: "sparse", "dense", "sparse+dense", ...
    // When this run() was the side's first: its first execute (ms), and its first three
    // together (with automatic dispatch: the two calibration executes and at most one
    // confirmation; also the first-touch costs of the outputs); -1 when the side had run before.
    double first_ms = -1, first3_ms = -1;
};

struct measurement {
    problem_t prob;
    direction dir = direction::fwd;
    act_format layout = act_format::nChw16c; // activations of both sides
    double sparsity = 0;        // requested
    double sparsity_actual = 0; // measured zero fraction of the exploited operand
    double mask_sparsity = -1;  // masked bwd_d: measured zero fraction of src; -1 without mask
    int relu_bwd_scale = -1;    // masked bwd_d: mask_setup::relu_bwd_scale of the baseline
    std::string dense_impl, sparse_impl;
    double dense_ms = 0, sparse_ms = 0;
    double speedup() const { return sparse_ms > 0 ? dense_ms / sparse_ms : 0; }
    std::vector<mode_result> ours; // one per dispatch mode; sparse_impl / sparse_ms = ours[0]
    bool checked = false, check_ok = true;
    double max_err = 0;
};

// How each problem is timed.
struct timing_options {
    int warmup = 2, reps = 10;
    bool check = true;
    baseline base = baseline::direct;
    dispatch_mode dispatch = dispatch_mode::from_env;
    act_format layout = act_format::nChw16c; // activations of both sides (--layout)
    zero_pattern zeros = zero_pattern::iid; // --zeros
    uint64_t seed = 1234;
};

class problem_bench {
public:
    problem_bench(const problem_t &p, direction dir, dispatch_mode mode, baseline base = baseline::direct,
            act_format layout = act_format::nChw16c);
    problem_bench(const problem_t &p, direction dir, const std::vector<dispatch_mode> &modes,
            baseline base = baseline::direct, act_format layout = act_format::nChw16c, const mask_setup &mask = {});
    ~problem_bench();
    problem_bench(const problem_bench &) = delete;
    problem_bench &operator=(const problem_bench &) = delete;

    // Random non-zero values everywhere; the exploited operand (fwd / bwd_w: src, bwd_d:
    // diff_dst) gets zeros at `sparsity`, placed by `zeros` (bench/zero_pattern.hpp).
    // denormal: that operand's non-zeros are all denormal (so are their products with the
    // weights), the worst case for FP units.
    void fill(double sparsity, uint64_t seed, bool denormal = false, zero_pattern zeros = zero_pattern::iid);
    // Masked bwd_d: the zeros of src (i.i.d.) in later fills (default 0.5).
    void set_mask_sparsity(double s);
    // Given plain data instead (src nchw, weights oihw, bias, dst nchw; dst = diff_dst for the
    // backward directions), e.g. tensors captured in real training (--replay). Each must have
    // the problem's size; the ones a direction does not read may be empty.
    void load_plain(const std::vector<float> &src, const std::vector<float> &weights, const std::vector<float> &bias,
            const std::vector<float> &dst);
    // Interleaved timing, median of `reps` after `warmup` runs of each side; optionally
    // compares every sparsetrain side's output with oneDNN direct's. The first run() of a
    // bench times each sparsetrain side's first three executes on their own first
    // (mode_result::first_ms, first3_ms).
    measurement run(int warmup, int reps, bool check);
    // The same for several benches at once (e.g. one problem in two layouts): every side of
    // every bench in one interleaved sequence per repetition, so that their ratios share the
    // machine's state; one measurement per bench, in order.
    static std::vector<measurement> run_together(const std::vector<problem_bench *> &benches, int warmup, int reps,
            bool check);

private:
    void check_outputs(measurement &m) const;
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace bench
} // namespace sparsetrain
