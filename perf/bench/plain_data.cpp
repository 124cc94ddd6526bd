#include "bench/plain_data.hpp"

#include <algorithm>

namespace sparsetrain {
namespace bench {

using namespace dnnl;

engine &cpu_engine() {
    static engine e(engine::kind::cpu, 0);
    return e;
}

namespace {
// xorshift64*: fast enough to fill hundreds of MB of benchmark data.
struct rng {
    uint64_t s;
    explicit rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    uint64_t next() {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        return s * 0x2545F4914F6CDD1DULL;
    }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};
} // namespace

void fill_plain(std::vector<float> &v, uint64_t seed, double sparsity, double scale) {
    // Fixed-size chunks with their own streams: the data depend on the seed only, not on the
    // number of threads.
    const int64_t chunk = 1 << 16, n = (int64_t)v.size(), chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
        rng r(seed * 0x100000001B3ULL + (uint64_t)c);
        const int64_t end = std::min(n, (c + 1) * chunk);
        for (int64_t i = c * chunk; i < end; ++i) {
            if (sparsity > 0 && r.uniform() < sparsity) { v[i] = 0.f; continue; }
            const double mag = (0.125 + 0.875 * r.uniform()) * scale;
            v[i] = (float)((r.next() & 1) ? mag : -mag);
        }
    }
}

double zero_fraction(const std::vector<float> &v) {
    const int64_t n = (int64_t)v.size();
    int64_t z = 0;
#pragma omp parallel for reduction(+ : z) schedule(static)
    for (int64_t i = 0; i < n; ++i) z += (v[i] == 0.f);
    return n == 0 ? 0 : (double)z / n;
}

void load(memory &m, const std::vector<float> &plain, memory::format_tag plain_tag) {
    memory src(memory::desc(m.get_desc().dims(), memory::data_type::f32, plain_tag), cpu_engine(),
            const_cast<float *>(plain.data()));
    stream s(cpu_engine());
    reorder(src, m).execute(s, src, m);
    s.wait();
}

std::vector<float> store(const memory &m, memory::format_tag plain_tag) {
    const memory::desc plain(m.get_desc().dims(), memory::data_type::f32, plain_tag);
    std::vector<float> out(plain.get_size() / sizeof(float));
    memory dst(plain, cpu_engine(), out.data());
    stream s(cpu_engine());
    auto &src = const_cast<memory &>(m);
    reorder(src, dst).execute(s, src, dst);
    s.wait();
    return out;
}

} // namespace bench
} // namespace sparsetrain
