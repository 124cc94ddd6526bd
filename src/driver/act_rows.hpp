// Whole-row fix-ups of an activation tensor (either layout, common/layout.hpp) that the
// row-pass drivers do outside the kernels: rows no pass initialises (bias or zero) and rows
// the last pass does not finish (ReLU).
#pragma once

#include <cstdint>

#include "common/layout.hpp"

namespace sparsetrain {

// Row y of channel blocks [cb0, cb0 + ncb) of the image at `img`: lane l of block j set to
// lanes[j * 16 + l], or 0 when lanes is null.
void fill_act_row(float *img, const act_layout &l, int64_t cb0, int64_t ncb, int64_t y, const float *lanes);

// The same row range: x = max(x, 0), NaN stays NaN.
void relu_act_row(float *img, const act_layout &l, int64_t cb0, int64_t ncb, int64_t y);

} // namespace sparsetrain
