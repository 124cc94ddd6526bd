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
// Pair mode (pair_stride != 0) compacts two sources pair_stride bytes apart (two images) at
// once into three lists per pixel (zero_skip.hpp emit_compact_pair): AB, A and B, list l in
// the region at values + l * region_disp (offsets at + offs_disp; AB's second values at
// + vb_disp). The starts are triples: starts[3*i + l] = the first entry of list l of pixel i,
// so list l of pixel i is [starts[3*i + l], starts[3*i + 3 + l]); the final triple follows
// the last pixel.
//
// Register allocation: r8 src row, r9 src pixel, r10 values, r11 offsets (= values +
// offs_disp), r12 count (pairs: of AB; rbx of A, rbp of B), r13 starts, r14 rows left, r15
// pixels left, rax scratch; zmm31 0.0f, zmm30 compressed scratch, zmm29 the loaded vector
// (pairs: zmm28 the second one), zmm0.. the offsets table (kept in registers when n_vec <=
// 24, else loaded into zmm27 per vector); pairs: k1..k3.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jit/jit_kernel.hpp"

namespace sparsetrain {
namespace jit {

struct row_compact_desc {
    int n_vec = 1;          // 16-channel vectors per pixel (the chunk)
    int cols = 1;           // pixels per row
    int64_t vec_stride = 0; // bytes between the vectors of one pixel in the source
    int64_t col_stride = 64;// bytes between compacted pixels in the source
    int64_t row_stride = 0; // bytes between compacted rows in the source
    int64_t offs_disp = 0;  // bytes from values[i] to offsets[i]
    int64_t pair_stride = 0;// pair mode: bytes from the first source to the second (0: off)
    int64_t region_disp = 0;// pair mode: bytes between the lists AB, A and B
    int64_t vb_disp = 0;    // pair mode: bytes from AB's first values to its second ones

    std::string problem;             // benchdnn string of the layer, for dumps (not in key())

    std::string key() const;
};

struct row_compact_args {
    const float *src;          // row 0, pixel 0, vector 0
    float *vals;               // list values (offsets at + offs_disp); 64 bytes slack needed
    int32_t *starts;           // n_rows * cols + 1 entries (pairs: triples)
    const int32_t *offs_table; // n_vec x 16, 64-byte aligned
    int64_t n_rows;            // >= 1
    int64_t count[3];          // in: first free list index; out: index after the last entry
                               // (pairs: of lists AB, A, B; single: count[0])
};

class row_compact_kernel : public jit_kernel<row_compact_kernel, row_compact_desc, row_compact_args> {
public:
    explicit row_compact_kernel(const row_compact_desc &d);

protected:
    void generate() override;
};

} // namespace jit
} // namespace sparsetrain
