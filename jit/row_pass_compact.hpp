// Compaction of the sparse operand of a row pass (forward: src; backward data: diff_dst),
// done once per execute and reused by every kernel tap and output-block group.
//
// One call compacts n_rows rows x `cols` pixels x n_vec 16-channel vectors (one channel
// chunk) of a blocked activation tensor: for each pixel, starts[pixel] = the list index of
// its first entry, then each vector's non-zero lanes are appended with the dense byte offsets
// from the offsets table (n_vec x 16 int32, relative to the chunk). After the last pixel,
// starts[n_rows * cols] = the final count (the end of the last pixel's list), so the list of
// pixel i is always [starts[i], starts[i + 1]).
//
// Register allocation: r8 src row, r9 src pixel, r10 values, r11 offsets (= values +
// offs_disp), r12 count, r13 starts, r14 rows left, r15 pixels left, rax scratch; zmm31 0.0f,
// zmm30 compressed scratch, zmm29 the loaded vector, zmm0.. the offsets table (kept in
// registers when n_vec <= 24, else loaded into zmm28 per vector).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

struct row_compact_desc {
    int n_vec = 1;          // 16-channel vectors per pixel (the chunk)
    int cols = 1;           // pixels per row
    int64_t vec_stride = 0; // bytes between the vectors of one pixel in the source
    int64_t col_stride = 64;// bytes between compacted pixels in the source
    int64_t row_stride = 0; // bytes between compacted rows in the source
    int64_t offs_disp = 0;  // bytes from values[i] to offsets[i]

    std::string problem;             // benchdnn string of the layer, for dumps (not in key())

    std::string key() const;
};

struct row_compact_args {
    const float *src;          // row 0, pixel 0, vector 0
    float *vals;               // list values (offsets at + offs_disp); 64 bytes slack needed
    int32_t *starts;           // n_rows * cols + 1 entries
    const int32_t *offs_table; // n_vec x 16, 64-byte aligned
    int64_t n_rows;            // >= 1
    int64_t count;             // in: first free list index; out: index after the last entry
};

class row_compact_kernel : public jit_generator {
public:
    explicit row_compact_kernel(const row_compact_desc &d);
    void operator()(row_compact_args *a) const { entry<void (*)(row_compact_args *)>()(a); }
    static std::shared_ptr<const row_compact_kernel> get(const row_compact_desc &d);

protected:
    void generate() override;

private:
    row_compact_desc d_;
};

} // namespace jit
} // namespace sparsetrain
