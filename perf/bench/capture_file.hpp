// Captured conv tensors from a real training run (examples/train_fashion_mnist.py --capture):
// the reader of the versioned capture format described in perf/CAPTURE.md. A folder holds
// manifest.txt and one raw little-endian float32 file per tensor (plain or bitmap-encoded).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/problem.hpp"

namespace sparsetrain {
namespace bench {

constexpr int capture_format_version = 1;

struct captured_layer {
    std::string name;  // the module's name in the model
    problem_t prob;    // from the benchdnn string, mb included
    int64_t step = -1; // the training step it was captured at
    bool bias = false;
    bool input_grad = true; // false: the first layer (nobody needs the gradient of the image)
    // Plain order: src and diff_dst nchw, weights oihw; weights empty when not captured.
    std::vector<float> src, diff_dst, weights;
};

struct capture_set {
    std::string dir, source;
    std::vector<captured_layer> layers;
};

// Reads and checks everything: the magic line and version, every record's fields, tensor dims
// against the problem, file sizes against the encoding, non-zero counts against the manifest.
// Throws sparsetrain::error naming the file, line and field on any mismatch.
capture_set read_capture(const std::string &dir);

// Decodes one tensor file's bytes ("f32" or "bitmap_f32" encoding) into n floats; throws
// sparsetrain::error (with `what` in the message) when the size does not fit the encoding.
std::vector<float> decode_tensor(const std::string &bytes, const std::string &encoding, int64_t n,
        const std::string &what);

// The folder of the capture set shipped with sparsetrain: installed beside the executable
// (<prefix>/share/sparsetrain/captures/NAME), else in the source tree it was built from.
// Throws sparsetrain::error listing the places it looked.
std::string default_capture_dir();

} // namespace bench
} // namespace sparsetrain
