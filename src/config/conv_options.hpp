// The options a sparse implementation is created with beyond the problem: layouts and fused
// work. A plain type in the planners' room, so that planning needs nothing from the drivers.
#pragma once

#include "common/layout.hpp"

namespace sparsetrain {

struct sparse_conv_options {
    weights_layout wei_layout = weights_layout::OIhw16i16o;
    act_format act = act_format::nChw16c; // every activation tensor of the primitive
    bool with_bias = false;      // fwd: add bias; bwd_w: compute diff_bias
    bool with_relu = false;      // fwd only: fused ReLU post-op (max(x, 0))
};

} // namespace sparsetrain
