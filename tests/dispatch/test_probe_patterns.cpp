// The dispatcher's sampled sparsity under correlated zeros: dead image patches (every channel
// of a pixel zero) and dead channels must not bias the estimate, on the representative layers'
// tensor geometries (where strided sampling aliased with the image planes).
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "dispatch/sparsity_probe.hpp"

using namespace sparsetrain::detail;

namespace {

// nChw16c tensor of ones; per image, square patches of side ~min(h, w)/4 in random order are
// zero in every channel until `share` of the pixels are.
std::vector<float> patched(int64_t n, int64_t c, int64_t h, int64_t w, double share, uint64_t seed) {
    std::vector<float> v((size_t)(n * c * h * w), 1.f);
    const int64_t side = std::max<int64_t>(1, (std::min(h, w) + 2) / 4), rows = (h + side - 1) / side,
                  cols = (w + side - 1) / side, want = (int64_t)(share * (double)(h * w) + 0.5);
    std::mt19937_64 g(seed);
    std::vector<int64_t> cells(rows * cols);
    for (int64_t i = 0; i < n; ++i) {
        std::iota(cells.begin(), cells.end(), 0);
        std::shuffle(cells.begin(), cells.end(), g);
        int64_t done = 0;
        for (int64_t cell : cells)
            for (int64_t y = cell / cols * side; y < std::min(h, cell / cols * side + side); ++y)
                for (int64_t x = cell % cols * side; x < std::min(w, cell % cols * side + side); ++x)
                    if (done < want) {
                        ++done;
                        for (int64_t cb = 0; cb < c / 16; ++cb)
                            std::fill_n(v.begin() + (((i * (c / 16) + cb) * h + y) * w + x) * 16, 16, 0.f);
                    }
    }
    return v;
}

} // namespace

TEST_CASE("sparsity probe: unbiased on zeros in spatial patches and dead channels", "[dispatch]") {
    struct shape {
        int64_t n, c, h, w;
    };
    for (const shape s : {shape {16, 256, 28, 28}, shape {16, 128, 56, 56}, shape {16, 256, 56, 56},
                 shape {16, 64, 56, 56}, shape {16, 1024, 14, 14}, shape {16, 512, 7, 7}}) {
        INFO(s.n << "x" << s.c << "x" << s.h << "x" << s.w);
        for (double share : {0.3, 0.7}) {
            const auto v = patched(s.n, s.c, s.h, s.w, share, 5);
            const double truth = (double)std::count(v.begin(), v.end(), 0.f) / (double)v.size();
            const auto e = probe_zeros(v.data(), v.size());
            INFO("patches: true " << truth << " sampled " << e.zero_fraction);
            CHECK(e.zero_fraction == Approx(truth).margin(0.04));
        }
        // Dead channels: whole 16-float lines hold the same lanes zero.
        std::vector<float> dead((size_t)(s.n * s.c * s.h * s.w), 1.f);
        for (size_t i = 0; i < dead.size(); i += 16)
            for (int l = 0; l < 11; ++l) dead[i + (size_t)l] = 0.f;
        CHECK(probe_zeros(dead.data(), dead.size()).zero_fraction == Approx(11.0 / 16.0).margin(1e-9));
    }
}
