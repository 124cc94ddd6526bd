#include "util/test_data.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>

namespace sparsetrain {
namespace test {

void fill_int(std::vector<float> &v, uint64_t seed, int lo, int hi) {
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    for (auto &x : v) {
        int r = d(gen);
        if (r == 0 && !(lo == 0 && hi == 0)) r = (hi > 0) ? 1 : -1;
        x = (float)r;
    }
}

void sparsify(std::vector<float> &v, uint64_t seed, double sparsity) {
    std::mt19937_64 gen(seed ^ 0x5eedf00dULL);
    std::uniform_real_distribution<double> d(0.0, 1.0);
    for (auto &x : v)
        if (sparsity >= 1.0 || d(gen) < sparsity) x = 0.f;
}

void realistic_floats(std::vector<float> &act, float lo, float hi, std::vector<float> &wei) {
    std::mt19937_64 gen(99);
    std::uniform_real_distribution<float> ua(lo, hi), uw(-0.1f, 0.1f);
    for (auto &x : act) x = ua(gen);
    for (auto &x : wei) x = uw(gen);
    sparsify(act, 3, 0.6);
}

void zero_channel(std::vector<float> &v, int64_t mb, int64_t c, int64_t hw, int64_t ch) {
    for (int64_t n = 0; n < mb; ++n)
        for (int64_t pix = 0; pix < hw; ++pix) v[(n * c + ch) * hw + pix] = 0.f;
}

std::vector<float> poison_channel_weights(const problem_t &p, direction dir, int64_t ch, std::vector<float> &wei,
        const std::function<float(int64_t)> &value) {
    auto clean = wei;
    const bool fwd = dir == direction::fwd;
    for (int64_t other = 0; other < (fwd ? p.oc : p.ic); ++other)
        for (int64_t k = 0; k < p.kh * p.kw; ++k) {
            const int64_t at = ((fwd ? other * p.ic + ch : ch * p.ic + other) * p.kh * p.kw) + k;
            wei[at] = value(other);
            clean[at] = 0.f;
        }
    return clean;
}

float inf_or_nan(int64_t k) {
    return (k % 2) ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
}

double zero_fraction(const std::vector<float> &v) {
    int64_t z = 0;
    for (float x : v) z += (x == 0.f);
    return v.empty() ? 0.0 : (double)z / (double)v.size();
}

dnnl::memory::dims src_dims(const problem_t &p) { return {p.mb, p.ic, p.ih, p.iw}; }
dnnl::memory::dims dst_dims(const problem_t &p) { return {p.mb, p.oc, p.oh, p.ow}; }
dnnl::memory::dims wei_dims(const problem_t &p) { return {p.oc, p.ic, p.kh, p.kw}; }

void report_skip(const std::string &why) {
    std::printf("%s: %s\n", SPARSETRAIN_SKIP_MARKER, why.c_str());
    std::fflush(stdout);
}

dnnl::engine &cpu_engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

namespace {
std::vector<float> reorder(const std::vector<float> &in, const dnnl::memory::dims &dims,
        dnnl::memory::format_tag from, dnnl::memory::format_tag to) {
    using namespace dnnl;
    memory::desc md_in(dims, memory::data_type::f32, from), md_out(dims, memory::data_type::f32, to);
    std::vector<float> out(md_out.get_size() / sizeof(float), 0.f);
    memory m_in(md_in, cpu_engine(), const_cast<float *>(in.data()));
    memory m_out(md_out, cpu_engine(), out.data());
    stream s(cpu_engine());
    dnnl::reorder(m_in, m_out).execute(s, m_in, m_out);
    s.wait();
    return out;
}
} // namespace

std::vector<float> to_layout(const std::vector<float> &plain, const dnnl::memory::dims &dims,
        dnnl::memory::format_tag plain_tag, dnnl::memory::format_tag tag) {
    return reorder(plain, dims, plain_tag, tag);
}

std::vector<float> from_layout(const std::vector<float> &blocked, const dnnl::memory::dims &dims,
        dnnl::memory::format_tag tag, dnnl::memory::format_tag plain_tag) {
    return reorder(blocked, dims, tag, plain_tag);
}

std::string compare_result::summary() const {
    std::ostringstream os;
    if (ok) os << "ok (max rel err " << max_rel << ")";
    else os << n_errors << " mismatches; first at " << first_bad << ": got " << got << " expected " << expected;
    return os.str();
}

compare_result compare(const std::vector<float> &got, const std::vector<float> &expected, double tol) {
    compare_result r;
    if (got.size() != expected.size()) {
        r.ok = false;
        r.n_errors = -1;
        return r;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        const float g = got[i], e = expected[i];
        bool good;
        if (std::isnan(e) || std::isnan(g)) good = std::isnan(e) && std::isnan(g);
        else if (std::isinf(e) || std::isinf(g)) good = g == e;
        else {
            const double rel = std::fabs((double)g - e) / std::max(1.0, std::fabs((double)e));
            r.max_rel = std::max(r.max_rel, rel);
            good = rel <= tol;
        }
        if (!good) {
            if (r.ok) { r.first_bad = (int64_t)i; r.got = g; r.expected = e; }
            r.ok = false;
            ++r.n_errors;
        }
    }
    return r;
}

double sum_tolerance(int64_t reduction_len) {
    // fp32 epsilon times a log2-scaled factor, like benchdnn's per-problem thresholds.
    const double eps = 1.19e-7;
    return eps * 4.0 * std::max(1.0, std::log2((double)std::max<int64_t>(reduction_len, 2)));
}

} // namespace test
} // namespace sparsetrain
