// Plain (nchw / oihw) benchmark data: a fast seeded generator with a chosen zero fraction, and
// copies between plain buffers and oneDNN memories in any layout (through dnnl::reorder).
#pragma once

#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace sparsetrain {
namespace bench {

dnnl::engine &cpu_engine();

// Non-zero values in [-1, -1/8] U [1/8, 1], times `scale`; each element is zero with
// probability `sparsity`. scale = denormal_scale puts every non-zero in the denormal range.
void fill_plain(std::vector<float> &v, uint64_t seed, double sparsity, double scale = 1.0);
// 2^-130: [1/8, 1] x 2^-130 lies within [2^-133, 2^-130], below FLT_MIN (2^-126).
constexpr double denormal_scale = 7.346839692639297e-40;
double zero_fraction(const std::vector<float> &v);

void load(dnnl::memory &m, const std::vector<float> &plain, dnnl::memory::format_tag plain_tag);
std::vector<float> store(const dnnl::memory &m, dnnl::memory::format_tag plain_tag);

} // namespace bench
} // namespace sparsetrain
