// Which channel blocks each thread of the sparse backward-weights convolution owns.
//
// Each part (thread) owns a contiguous range of src channel blocks (a sequential src stream
// per image for the hardware prefetchers; see config/bwd_w_plan.hpp) and computes every
// diff_w element of those channels by itself, so the results never depend on how the
// channels are split. An even split of the blocks is unbalanced when the zeros are not spread
// evenly over the channels: a ReLU leaves whole channels dead, and where dead channels gather
// in one part's range the other part does most of the FMAs. So each execute samples the
// non-zero share of every block (a few cache lines per block, like the dispatcher's probe)
// and cuts the blocks where the estimated work, list building plus FMAs, is balanced.
#pragma once

#include <cstdint>
#include <vector>

#include "config/bwd_w_plan.hpp"

namespace sparsetrain {

// Boundaries b[0] = 0 < b[1] < ... < b[parts] = w.size() of contiguous ranges whose summed
// weights are as equal as the items allow; each range holds at least one item (parts <=
// w.size()).
std::vector<int64_t> split_by_weight(const std::vector<double> &w, int parts);

// Estimated work per src channel block of `plan` on this src (nChw16c): a list-building cost
// per pixel plus, per sampled non-zero, the FMAs it feeds.
std::vector<double> bwd_w_block_work(const bwd_w_plan &plan, const float *src);

// The channel-block boundaries of the plan's n_c_parts parts for this src.
std::vector<int64_t> bwd_w_channel_parts(const bwd_w_plan &plan, const float *src);

} // namespace sparsetrain
