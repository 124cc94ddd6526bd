#include "bench/zero_pattern.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "common/enum_names.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

constexpr enum_names<zero_pattern::spatial> zero_pattern_names({"iid", "channels", "spatial"});

const char *to_string(zero_pattern z) { return zero_pattern_names(z); }

zero_pattern zero_pattern_from_string(const std::string &s) {
    return zero_pattern_names.parse(s, "zero pattern", "iid, channels or spatial");
}

namespace {

void zero_channels(std::vector<float> &v, int64_t n, int64_t c, int64_t hw, double sparsity, uint64_t seed) {
    std::vector<int64_t> order(c);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    const int64_t dead = std::llround(sparsity * (double)c);
    for (int64_t k = 0; k < dead; ++k)
        for (int64_t i = 0; i < n; ++i) std::fill_n(v.begin() + (i * c + order[k]) * hw, hw, 0.f);
}

void zero_patches(std::vector<float> &v, int64_t n, int64_t c, int64_t h, int64_t w, double sparsity, uint64_t seed) {
    const int64_t side = std::max<int64_t>(1, std::llround(std::min(h, w) / 4.0));
    const int64_t rows = (h + side - 1) / side, cols = (w + side - 1) / side;
    const int64_t want = std::llround(sparsity * (double)(h * w));
    std::mt19937_64 g(seed);
    std::vector<int64_t> cells(rows * cols), pixels;
    for (int64_t i = 0; i < n; ++i) {
        std::iota(cells.begin(), cells.end(), 0);
        std::shuffle(cells.begin(), cells.end(), g);
        pixels.clear();
        for (int64_t cell : cells) {
            const int64_t y0 = cell / cols * side, x0 = cell % cols * side;
            for (int64_t y = y0; y < std::min(h, y0 + side); ++y)
                for (int64_t x = x0; x < std::min(w, x0 + side); ++x)
                    if ((int64_t)pixels.size() < want) pixels.push_back(y * w + x);
        }
        for (int64_t ch = 0; ch < c; ++ch) {
            float *plane = v.data() + (i * c + ch) * h * w;
            for (int64_t p : pixels) plane[p] = 0.f;
        }
    }
}

} // namespace

void apply_zero_pattern(std::vector<float> &v, int64_t n, int64_t c, int64_t h, int64_t w, zero_pattern z,
        double sparsity, uint64_t seed) {
    if ((int64_t)v.size() != n * c * h * w) throw error("apply_zero_pattern: size does not match the dims");
    switch (z) {
    case zero_pattern::iid: return;
    case zero_pattern::channels: zero_channels(v, n, c, h * w, sparsity, seed); return;
    case zero_pattern::spatial: zero_patches(v, n, c, h, w, sparsity, seed); return;
    }
}

} // namespace bench
} // namespace sparsetrain
