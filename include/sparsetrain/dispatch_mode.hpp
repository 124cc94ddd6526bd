// How a primitive chooses between its sparse kernel and oneDNN dense at each execute.
#pragma once

namespace sparsetrain {

enum class dispatch_mode {
    from_env, // SPARSETRAIN_DISPATCH=auto|sparse|dense|deterministic (default auto)
    automatic, // measure the sparse operand's zeros, pick the faster path per call (timed)
    sparse,    // always the sparse kernel when one accepted the problem
    dense,     // always oneDNN dense
    deterministic, // sparse iff the sampled sparsity reaches a threshold fixed at creation by a
                   // static cost model: no timing, so every run of a program takes the same
                   // paths and gives the same bits (README, "Reproducibility")
};

// What the sparse kernels do with denormal (subnormal) floats. Any FP operation on a
// denormal costs a microcode assist, ~60x slower (oneDNN dense alike).
enum class denormal_mode {
    from_env, // SPARSETRAIN_DENORMALS=flush|keep (default flush)
    flush,    // FTZ + DAZ inside the sparse kernels only: denormal inputs read as zero (and are
              // skipped like zeros), denormal results become zero; the caller's MXCSR is restored
    keep,     // IEEE: denormals are non-zero and computed (slow when they occur)
};

struct dispatch_options {
    dispatch_mode mode = dispatch_mode::from_env;
    denormal_mode denormals = denormal_mode::from_env;
};

// What a primitive has run so far (for logs and benchmarks).
struct dispatch_stats {
    unsigned long long sparse_runs = 0, dense_runs = 0, reference_runs = 0;
    // Backward data with relu_mask: of sparse_runs, those of the masked kernel (which skips the
    // elements where src <= 0; the others ran the diff_dst-sparse kernel, then the mask).
    unsigned long long sparse_mask_runs = 0;
    double last_zero_fraction = -1; // sampled sparsity of the exploited operand, -1 if not measured
};

} // namespace sparsetrain
