// Sorting of the items of a masked backward-data call by their entry count, so that each
// count's code variant runs as a loop without mispredicted dispatch (bwd_d_mask_kernel.hpp).
//
// For pixels p0 .. p0 + n_pix - 1 of the pixel table: n = the number of lanes of the item's
// src vector (at src + act_off) that are > 0 (vcmpps LT_OQ against 0, as the masked kernel
// does: -0, +0, negatives and NaN are not > 0), or 0 when the pixel has no tap; the pixel
// index is appended to bucket n: items[n * cap + counts[n]++]. Branch-free; counts is
// read and written (the caller zeroes it once per sort).
//
// Registers: rdi args, rsi pixel table, rdx pixel index, r8 pixels left, r9 src, r10 items,
// r11 cap (bytes), r12 counts, rax n, rcx / rbx scratch, zmm0 0.0f, k1 the mask.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

struct mask_bucket_args {
    const int32_t *pix; // pixel table entry of p0 (4 int32 per pixel: act_off, ., ., ntaps)
    int64_t p0, n_pix;  // first pixel index, pixels
    const float *src;   // origin of act_off
    int32_t *items;     // 17 buckets of cap entries
    int64_t cap;
    int32_t *counts;    // 17
};

class mask_bucket_kernel : public jit_generator {
public:
    explicit mask_bucket_kernel(const std::string &problem = "");
    void operator()(const mask_bucket_args *a) const { entry<void (*)(const mask_bucket_args *)>()(a); }
    static std::shared_ptr<const mask_bucket_kernel> get();

protected:
    void generate() override;
};

} // namespace jit
} // namespace sparsetrain
