// Masked backward data test cases: diff_src * [src > 0] with src a ReLU output. Data, the
// naive reference (reference backward data, then the mask) and oneDNN's pipeline (backward
// data, then eltwise_backward ReLU) on the blocked buffers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/problem.hpp"

namespace sparsetrain {
namespace test {

struct mask_case {
    problem_t p;
    std::vector<float> src, diff_dst, wei; // plain nchw / nchw / oihw
};

// Small-integer data: src >= 0 with zeros at src_sparsity (some pixels forced all zero or all
// positive), diff_dst with zeros at dd_sparsity, weights in [-2, 2] without zeros.
mask_case make_mask_case(const std::string &problem, double src_sparsity, double dd_sparsity, uint64_t seed);

// Reference: conv_bwd_d in double, then diff_src = src > 0 ? diff_src : 0 (plain nchw).
std::vector<float> mask_reference(const mask_case &c);
// oneDNN convolution_backward_data (nChw16c, OIhw16o16i) then eltwise_backward(eltwise_relu)
// with src; returns plain nchw.
std::vector<float> mask_onednn(const mask_case &c);

} // namespace test
} // namespace sparsetrain
