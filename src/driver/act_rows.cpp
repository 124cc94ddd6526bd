#include "driver/act_rows.hpp"

#include <cstring>

namespace sparsetrain {

void fill_act_row(float *img, const act_layout &l, int64_t cb0, int64_t ncb, int64_t y, const float *lanes) {
    if (!lanes && l.px == 16) { // nChw16c: each block's row is one run
        for (int64_t j = 0; j < ncb; ++j) std::memset(img + l.at(0, cb0 + j, y, 0), 0, (size_t)l.bytes(l.row));
        return;
    }
    if (!lanes && l.blocks_adjacent()) { // nhwc: each pixel's blocks are one run
        if (ncb == l.blocks()) std::memset(img + l.at(0, cb0, y, 0), 0, (size_t)l.bytes(l.row));
        else
            for (int64_t x = 0; x < l.w; ++x) std::memset(img + l.at(0, cb0, y, x), 0, (size_t)l.bytes(ncb * 16));
        return;
    }
    for (int64_t x = 0; x < l.w; ++x)
        for (int64_t j = 0; j < ncb; ++j) {
            float *d = img + l.at(0, cb0 + j, y, x);
            for (int k = 0; k < 16; ++k) d[k] = lanes ? lanes[j * 16 + k] : 0.f;
        }
}

void relu_act_row(float *img, const act_layout &l, int64_t cb0, int64_t ncb, int64_t y) {
    for (int64_t x = 0; x < l.w; ++x)
        for (int64_t j = 0; j < ncb; ++j) {
            float *d = img + l.at(0, cb0 + j, y, x);
            for (int k = 0; k < 16; ++k)
                if (!(d[k] > 0.f) && d[k] == d[k]) d[k] = 0.f;
        }
}

} // namespace sparsetrain
