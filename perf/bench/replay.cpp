#include "bench/replay.hpp"

#include <omp.h>

#include <algorithm>

#include "bench/plain_data.hpp"

namespace sparsetrain {
namespace bench {

zero_structure measure_zeros(const std::vector<float> &v, int64_t n, int64_t c, int64_t h, int64_t w) {
    zero_structure z;
    const int64_t hw = h * w, cblocks = (c + 15) / 16;
    int64_t zeros = 0, zero_vecs = 0, dead_planes = 0;
    std::vector<char> alive(c, 0);
    for (int64_t in = 0; in < n; ++in) {
        const float *img = v.data() + in * c * hw;
        for (int64_t ic = 0; ic < c; ++ic) {
            int64_t nz = 0;
            for (int64_t p = 0; p < hw; ++p) nz += img[ic * hw + p] != 0.f;
            zeros += hw - nz;
            dead_planes += nz == 0;
            if (nz) alive[ic] = 1;
        }
        for (int64_t cb = 0; cb < cblocks; ++cb)
            for (int64_t p = 0; p < hw; ++p) {
                bool all_zero = true;
                for (int64_t ic = cb * 16; ic < std::min(c, cb * 16 + 16) && all_zero; ++ic)
                    all_zero = img[ic * hw + p] == 0.f;
                zero_vecs += all_zero;
            }
    }
    const double total = (double)n * c * hw;
    z.zeros = total > 0 ? zeros / total : 0;
    z.zero_vectors = n * cblocks * hw > 0 ? (double)zero_vecs / (n * cblocks * hw) : 0;
    z.dead_planes = n * c > 0 ? (double)dead_planes / (n * c) : 0;
    z.dead_channels = c > 0 ? (double)std::count(alive.begin(), alive.end(), 0) / c : 0;
    return z;
}

std::vector<float> shuffled(const std::vector<float> &v, uint64_t seed) {
    std::vector<float> out = v;
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    auto next = [&s] { // splitmix64
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    for (size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[next() % i]);
    return out;
}

double replay_row::real_vs_shuffled() const {
    const double a = real.speedup(), b = shuffled.speedup();
    return b > 0 ? a / b : 0;
}

namespace {

zero_structure exploited_zeros(const problem_t &p, direction d, const std::vector<float> &src,
        const std::vector<float> &diff_dst) {
    return d == direction::bwd_d ? measure_zeros(diff_dst, p.mb, p.oc, p.oh, p.ow)
                                 : measure_zeros(src, p.mb, p.ic, p.ih, p.iw);
}

} // namespace

replay_result run_replay(const capture_set &set, const std::vector<direction> &dirs, const timing_options &t,
        progress &prog) {
    replay_result r;
    r.set = &set;
    r.timing = t;
    r.threads = omp_get_max_threads();
    uint64_t seed = t.seed;
    for (const auto &l : set.layers) {
        const problem_t &p = l.prob;
        std::vector<float> weights = l.weights, bias((size_t)p.oc);
        if (weights.empty()) {
            weights.resize((size_t)(p.oc * p.ic * p.kh * p.kw));
            fill_plain(weights, seed + 1, 0.0);
        }
        fill_plain(bias, seed + 2, 0.0);
        // Both activations shuffled, each within itself: i.i.d. zeros at each one's sparsity.
        const auto src_shuf = shuffled(l.src, seed + 3), dd_shuf = shuffled(l.diff_dst, seed + 4);
        seed += 16;
        for (direction d : dirs) {
            if (d == direction::bwd_d && !l.input_grad) continue;
            replay_row row;
            row.layer = &l;
            row.dir = d;
            row.initial = !l.input_grad;
            row.random_weights = l.weights.empty();
            row.real_zeros = exploited_zeros(p, d, l.src, l.diff_dst);
            row.shuffled_zeros = exploited_zeros(p, d, src_shuf, dd_shuf);
            const std::string what = l.name + " " + to_string(d);
            problem_bench b(p, d, t.dispatch, t.base, t.layout);
            prog.begin(what + " real", p.flops());
            b.load_plain(l.src, weights, bias, l.diff_dst);
            row.real = b.run(t.warmup, t.reps, t.check);
            prog.begin(what + " shuffled", p.flops());
            b.load_plain(src_shuf, weights, bias, dd_shuf);
            row.shuffled = b.run(t.warmup, t.reps, t.check);
            r.rows.push_back(row);
        }
    }
    return r;
}

} // namespace bench
} // namespace sparsetrain
