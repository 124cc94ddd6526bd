// The one description of a convolution problem used everywhere in sparsetrain:
// planners, kernel cache keys, verbose lines, JIT dump names, tests and the benchmark.
// It reads and writes oneDNN benchdnn problem strings ("mb16ic256ih28oc256oh28kh3ph1n\"x\"").
#pragma once

#include <cstdint>
#include <string>

namespace sparsetrain {

enum class direction { fwd, bwd_d, bwd_w };
const char *to_string(direction d);
direction direction_from_string(const std::string &s); // "fwd", "bwd_d", "bwd_w"

struct problem_t {
    int64_t g = 1, mb = 2;
    int64_t ic = 0, oc = 0;
    int ndims = 4; // 4: 2D convolution (n, c, h, w); 5: 3D (n, c, d, h, w)
    int64_t id = 1, ih = 0, iw = 0;
    int64_t od = 1, oh = 0, ow = 0;
    int64_t kd = 1, kh = 0, kw = 0;
    int64_t sd = 1, sh = 1, sw = 1;
    int64_t pd = 0, ph = 0, pw = 0;       // front / top / left padding
    int64_t pd_r = 0, ph_r = 0, pw_r = 0; // back / bottom / right padding (derived)
    int64_t dd = 0, dh = 0, dw = 0;       // dilation, oneDNN convention: 0 = dense
    std::string name;

    // Parse a benchdnn problem string. `default_mb` is used when the string has no `mb`
    // (benchdnn's --mb). Throws sparsetrain::error naming the position of a malformed token.
    static problem_t parse(const std::string &s, int64_t default_mb = 2);
    // benchdnn's canonical form: parse(to_string()) reproduces every field.
    std::string to_string() const;
    // The same, without the name (what a kernel depends on).
    std::string shape_string() const;

    // Checks every dimension and that output sizes follow from input, kernel, stride,
    // dilation and padding. Throws sparsetrain::error naming the offending field.
    void validate() const;

    // 2 * mb * oc * ic/g * kh * kw * oh * ow (padding taps counted, the oneDNN convention).
    double flops() const;
    // Number of multiply-adds that touch the input (benchdnn's convention, padding excluded).
    double flops_benchdnn() const;

    bool operator==(const problem_t &o) const;
    bool operator!=(const problem_t &o) const { return !(*this == o); }
};

// Output size that follows from the other dimensions along one spatial axis.
int64_t conv_out_size(int64_t i, int64_t k, int64_t s, int64_t p_l, int64_t p_r, int64_t d);

} // namespace sparsetrain
