#include "util/sparse_run.hpp"

#include <cstring>
#include <limits>
#include <random>

namespace sparsetrain {
namespace test {

namespace {
const int guard = 64; // floats before and after the output
const float canary = -12345.75f;
} // namespace

void force_pixels(std::vector<float> &v, int64_t mb, int64_t c, int64_t hw, uint64_t seed) {
    std::mt19937_64 gen(seed);
    for (int64_t n = 0; n < mb; ++n)
        for (int64_t k = 0; k < hw / 5 + 1; ++k) {
            const int64_t pix = (int64_t)(gen() % hw);
            const bool dense = gen() & 1;
            for (int64_t ch = 0; ch < c; ++ch) v[(n * c + ch) * hw + pix] = dense ? (float)(1 + (int)(gen() % 3)) : 0.f;
        }
}

std::vector<float> run_guarded(size_t n, const std::function<void(float *)> &run) {
    std::vector<float> buf(n + 2 * guard, canary);
    for (size_t i = 0; i < n; ++i) buf[guard + i] = std::numeric_limits<float>::quiet_NaN(); // must be overwritten
    run(buf.data() + guard);
    bool guards_ok = true;
    for (int i = 0; i < guard; ++i)
        guards_ok = guards_ok && std::memcmp(&buf[i], &canary, 4) == 0 && std::memcmp(&buf[guard + n + i], &canary, 4) == 0;
    CHECK(guards_ok);
    return std::vector<float>(buf.begin() + guard, buf.begin() + guard + n);
}

bool not_trivial(const std::vector<float> &v) {
    for (float x : v)
        if (x != 0.f) return true;
    return false;
}

} // namespace test
} // namespace sparsetrain
