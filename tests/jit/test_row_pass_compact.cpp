// The row-pass compaction kernel on its own: single lists and image-pair lists (AB / A / B)
// against lists built in C++ from the same data.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "driver/row_pass_lists.hpp"
#include "jit/row_pass_compact.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

struct freer {
    void operator()(void *p) const { std::free(p); }
};
template <typename T>
std::unique_ptr<T, freer> aligned(size_t count) {
    return std::unique_ptr<T, freer>(static_cast<T *>(std::aligned_alloc(4096, (count * sizeof(T) + 4095) / 4096 * 4096)));
}

struct entry {
    float a, b;
    int32_t off;
    bool operator==(const entry &o) const { return a == o.a && b == o.b && off == o.off; }
};

// Two "images" of n_vec 16-channel planes of rows x cols pixels (nChw16c-like), with
// all-zero, all-dense and mixed vectors.
struct source {
    int n_vec, rows, cols;
    int64_t plane, image; // floats
    std::vector<float> data;
    source(int nv, int r, int c, uint64_t seed, double sparsity) : n_vec(nv), rows(r), cols(c) {
        plane = (int64_t)rows * cols * 16 + 16; // a gap between planes
        image = n_vec * plane + 32;
        data.assign((size_t)(2 * image), 0.f);
        std::mt19937_64 gen(seed);
        for (auto &x : data) {
            const double u = (double)(gen() % 1000) / 1000.0;
            x = u < sparsity ? 0.f : (float)(1 + (int)(gen() % 7)) * ((gen() & 1) ? 1.f : -1.f);
        }
        for (int img = 0; img < 2; ++img)
            for (int v = 0; v < n_vec; ++v) {
                float *p = &data[(size_t)(img * image + v * plane)];
                for (int l = 0; l < 16; ++l) p[l] = 0.f;                                      // pixel 0: zero
                for (int l = 0; l < 16; ++l) p[16 * (cols - 1) + l] = (float)(l + 1 + img);   // last: dense
            }
    }
    float at(int img, int v, int r, int c, int lane) const {
        return data[(size_t)(img * image + v * plane + ((int64_t)r * cols + c) * 16 + lane)];
    }
};

} // namespace

TEST_CASE("row-pass compaction: single and image-pair lists", "[row_pass][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (double sparsity : {0.0, 0.5, 0.8, 1.0}) {
        const int n_vec = 3, rows = 2, cols = 7;
        const source src(n_vec, rows, cols, 7 + (uint64_t)(sparsity * 10), sparsity);
        auto table = aligned<int32_t>((size_t)n_vec * 16);
        for (int i = 0; i < n_vec * 16; ++i) table.get()[i] = 1000 + 64 * i;
        const int64_t cap = 2 * rows * cols * n_vec * 16 + 16;
        const row_pass_list_layout l(cap, cap);
        INFO("sparsity " << sparsity);

        for (int pair = 0; pair < 2; ++pair) {
            jit::row_compact_desc d;
            d.n_vec = n_vec;
            d.cols = cols;
            d.vec_stride = src.plane * 4;
            d.col_stride = 64;
            d.row_stride = cols * 64;
            d.offs_disp = pair ? l.pair_offs_disp : l.offs_disp;
            if (pair) {
                d.pair_stride = src.image * 4;
                d.region_disp = l.pair_region_disp;
                d.vb_disp = l.pair_vb_disp;
            }
            jit::row_compact_kernel k(d);
            k.create();
            auto vals = aligned<float>((size_t)(pair ? l.pair_bytes : l.bytes) / 4);
            const int n_lists = pair ? 3 : 1, n_starts = n_lists * (rows * cols + 1);
            std::vector<int32_t> starts((size_t)n_starts + 3, -7);
            jit::row_compact_args a {};
            a.src = src.data.data();
            a.vals = vals.get();
            a.starts = starts.data();
            a.offs_table = table.get();
            a.n_rows = rows;
            a.count[0] = pair ? 0 : 5; // lists may start anywhere
            k(&a);
            CHECK(starts[(size_t)n_starts] == -7); // nothing past the final starts

            const char *base = reinterpret_cast<const char *>(vals.get());
            auto list = [&](int li, int32_t i) {
                const char *r = base + (pair ? li * l.pair_region_disp : 0) + 4 * (int64_t)i;
                entry e;
                e.a = *reinterpret_cast<const float *>(r);
                e.b = pair && li == 0 ? *reinterpret_cast<const float *>(base + l.pair_vb_disp + 4 * (int64_t)i) : 0.f;
                e.off = *reinterpret_cast<const int32_t *>(r + (pair ? l.pair_offs_disp : l.offs_disp));
                return e;
            };
            for (int li = 0; li < n_lists; ++li) {
                int64_t total = 0;
                for (int px = 0; px < rows * cols; ++px) {
                    const int r = px / cols, c = px % cols;
                    std::vector<entry> want, got;
                    for (int v = 0; v < n_vec; ++v)
                        for (int lane = 0; lane < 16; ++lane) {
                            const float x = src.at(0, v, r, c, lane), y = src.at(1, v, r, c, lane);
                            const int32_t off = 1000 + 64 * (v * 16 + lane);
                            if (!pair) {
                                if (x != 0.f) want.push_back({x, 0.f, off});
                            } else if (li == 0 && x != 0.f && y != 0.f) want.push_back({x, y, off});
                            else if (li == 1 && x != 0.f && y == 0.f) want.push_back({x, 0.f, off});
                            else if (li == 2 && x == 0.f && y != 0.f) want.push_back({y, 0.f, off});
                        }
                    const int32_t s0 = starts[(size_t)(px * n_lists + li)], s1 = starts[(size_t)((px + 1) * n_lists + li)];
                    for (int32_t i = s0; i < s1; ++i) got.push_back(list(li, i));
                    INFO("pair " << pair << " list " << li << " pixel " << px);
                    CHECK(got == want);
                    total += (int64_t)want.size();
                }
                const int32_t first = starts[(size_t)li], last = starts[(size_t)(rows * cols * n_lists + li)];
                CHECK(first == (pair ? 0 : 5));
                CHECK(last - first == total);
                CHECK(a.count[li] == last);
            }
        }
    }
}
