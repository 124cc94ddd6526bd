// Where the zeros of the exploited operand go (--zeros). ReLU zeros are not i.i.d. in real
// networks: some channels are dead for every input, and activations vanish over whole image
// regions. The patterns keep the requested share exactly and put the correlation where it
// can unbalance the kernels' work split.
//   iid:      each element zero with probability s (fill_plain)
//   channels: round(s * C) channels, a seeded random choice, zero in every image and pixel
//   spatial:  per image, square patches (side ~ min(H, W) / 4) in a seeded random order are
//             zero in every channel until round(s * H * W) pixels are (the last one partly)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sparsetrain {
namespace bench {

enum class zero_pattern { iid, channels, spatial };
const char *to_string(zero_pattern z);
zero_pattern zero_pattern_from_string(const std::string &s); // throws sparsetrain::error

// Zeroes elements of the plain nchw tensor `v` (dims n x c x h x w) by `z` at share `sparsity`
// (iid: nothing here, fill_plain already drew them).
void apply_zero_pattern(std::vector<float> &v, int64_t n, int64_t c, int64_t h, int64_t w, zero_pattern z,
        double sparsity, uint64_t seed);

} // namespace bench
} // namespace sparsetrain
