// Sorting of the items of a masked backward-data call into buckets by (tap class, entry count),
// so that each bucket's code variant runs as a loop without mispredicted dispatch, and writing
// each item's record, so that the masked kernel starts an item with independent loads instead
// of a chain of dependent ones (jit/bwd_d_mask_kernel.hpp).
//
// An item is one pixel of one 16-channel block. Its count n = the lanes of its src vector (at
// src + act_off) that are > 0 (vcmpps LT_OQ against 0, exactly as the masked kernel compares:
// -0, +0, negatives and NaN are not > 0), or 0 when no tap reaches the pixel. Its bucket is
// class * 17 + n, with the class from the pixel table (entry 3, bits 16..23).
//
// Pass 1 counts the items per bucket (and keeps each mask), then starts[b] = the first record
// of bucket b (buckets in order), and pass 2 writes the records:
//   +0  the pixel table entry (act_off, dd_off, tap_end, ntaps | class << 16), 16 bytes
//   +16 the mask (uint16)
//   +32 the byte offsets (lane * 64, uint16) of its n lanes > 0, in lane order
// Branch-free. Register use: see mask_bucket_kernel.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

constexpr int mask_counts = 17;       // entry counts 0..16
constexpr int mask_record_bytes = 64; // one item record
constexpr int mask_record_offsets = 32;

struct mask_bucket_args {
    const int32_t *pix;  // pixel table entry of the first pixel (4 int32 per pixel)
    int64_t n_pix;       // pixels (>= 1)
    const float *src;    // origin of act_off
    uint16_t *masks;     // n_pix scratch
    char *records;       // n_pix records of mask_record_bytes
    int32_t *starts;     // out: n_buckets first record indices
    int32_t *counts;     // out: n_buckets counts
    int32_t *cursor;     // n_buckets scratch
};

class mask_bucket_kernel : public jit_generator {
public:
    explicit mask_bucket_kernel(int n_classes);
    void operator()(const mask_bucket_args *a) const { entry<void (*)(const mask_bucket_args *)>()(a); }
    int n_buckets() const { return n_classes_ * mask_counts; }
    static std::shared_ptr<const mask_bucket_kernel> get(int n_classes);

protected:
    void generate() override;

private:
    int n_classes_;
};

} // namespace jit
} // namespace sparsetrain
