#include "util/sparse_run.hpp"

#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include <omp.h>

#include "util/test_data.hpp"

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

std::vector<float> run_sparse_plain(const sparse_conv &impl, conv_tensors t, float *conv_tensors::*out,
        const dnnl::memory::dims &dims, dnnl::memory::format_tag act) {
    size_t n = 1;
    for (const auto d : dims) n *= (size_t)d;
    const auto blocked = run_guarded(n, [&](float *o) {
        t.*out = o;
        impl.execute(t);
    });
    return from_layout(blocked, dims, act, dnnl::memory::format_tag::nchw);
}

std::vector<float> sparse_operand(int64_t mb, int64_t c, int64_t hw, double sparsity, uint64_t seed) {
    std::vector<float> v((size_t)(mb * c * hw));
    fill_int(v, seed, -3, 3);
    sparsify(v, seed, sparsity);
    if (sparsity > 0 && sparsity < 1) force_pixels(v, mb, c, hw, seed + 3);
    return v;
}

std::vector<float> small_int_weights(const problem_t &p, uint64_t seed) {
    std::vector<float> w((size_t)(p.oc * p.ic * p.kh * p.kw));
    fill_int(w, seed, -2, 2);
    return w;
}

void check_exact_threads(const sparse_conv &impl, const std::function<std::vector<float>()> &run,
        const std::vector<float> &ref, const std::vector<float> &dnn, bool expect_pairs, bool expect_nonzero,
        const std::string &what) {
    if (expect_pairs) {
        INFO(what << " config " << impl.config_str());
        CHECK(impl.config_str().find(":pairs") != std::string::npos);
    }
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        INFO(what << " threads " << threads << " config " << impl.config_str());
        const auto got = run();
        const auto r1 = compare(got, ref, 0), r2 = compare(got, dnn, 0);
        INFO("vs reference: " << r1.summary() << "; vs oneDNN: " << r2.summary());
        CHECK(r1.ok);
        CHECK(r2.ok);
        if (expect_nonzero) CHECK(not_trivial(got));
    }
    omp_set_num_threads(2);
}

void check_within(const std::vector<float> &got, const std::vector<float> &ref, const std::vector<float> &dnn,
        double tol, const std::string &what) {
    const auto r1 = compare(got, ref, tol), r2 = compare(got, dnn, tol);
    INFO(what << " tol " << tol << " vs reference: " << r1.summary() << "; vs oneDNN: " << r2.summary());
    CHECK(r1.ok);
    CHECK(r2.ok);
}

namespace {
const std::vector<double> full_sweep = {0.0, 0.5, 0.9, 1.0};
} // namespace

const shape_sweep &sweep_3x3_stride1() {
    static const shape_sweep s {{"mb2ic16ih9oc32oh9kh3ph1", "mb2ic32ih7oc48oh7kh3ph1", "mb1ic64ih10iw13oc64oh10ow13kh3ph1",
                                        "mb1ic128ih24oc64oh24kh3ph1", "mb1ic256ih14oc256oh14kh3ph1"},
            full_sweep};
    return s;
}

const shape_sweep &sweep_3x3_stride2() {
    static const shape_sweep s {
            {"mb2ic32ih12oc32oh6kh3sh2ph1", "mb2ic48ih13oc32oh7kh3sh2ph1", "mb1ic64ih15iw8oc32oh8ow4kh3sh2ph1"}, full_sweep};
    return s;
}

const shape_sweep &sweep_1x1() {
    static const shape_sweep s {{"mb2ic64ih8oc32oh8kh1ph0", "mb2ic32ih15oc64oh8kh1sh2ph0", "mb1ic512ih7oc128oh7kh1ph0",
                                        "mb1ic64ih14oc128oh7kh1sh2ph0"},
            full_sweep};
    return s;
}

const shape_sweep &sweep_other_kernels() {
    static const shape_sweep s {{"mb2ic16ih10oc16oh8kh3ph0", "mb2ic16ih11oc32oh11kh5ph2", "mb2ic32ih9iw12oc16oh9ow12kh1kw3ph0pw1",
                                        "mb2ic16ih9iw7oc32oh5ow7kh3kw1sh2sw1ph1pw0", "mb1ic16ih12oc16oh6kh2sh2ph0"},
            {0.0, 0.5, 1.0}};
    return s;
}

std::string swap_channels(const std::string &ps) {
    auto p = problem_t::parse(ps);
    std::swap(p.ic, p.oc);
    return p.to_string();
}

const std::vector<const char *> &planner_limit_shapes() {
    static const std::vector<const char *> shapes = {"mb2ic16ih9oc32oh8kh4ph1", "mb2ic32ih12oc16oh11kh6ph2",
            "mb1ic16ih14oc32oh14kh7ph3", "mb2ic16ih15oc16oh8kh7sh2ph3", "mb2ic16ih9iw11oc16oh9ow11kh5kw3ph2pw1",
            "mb2ic32ih8iw10oc16oh8ow10kh1kw7ph0pw3", "mb2ic16ih13oc32oh5kh3sh3ph1", "mb2ic32ih17oc16kh4sh4ph0",
            "mb2ic32ih10oc32kh1sh3ph0", "mb1ic16ih19oc16kh7sh4ph3", "mb2ic16ih12iw13oc16kh3sh3sw2ph1",
            // TensorFlow SAME: pad_r > pad_l (stride 2 on even sizes: 0 and 1)
            "mb2ic32ih14oc32oh7kh3sh2ph0", "mb2ic16ih14oc32oh7kh5sh2ph1", "mb2ic16ih9oc16oh9kh4ph1",
            "mb2ic32ih14iw9oc16oh7ow5kh3sh2ph0pw1",
            // one row or column
            "mb2ic32ih1iw17oc16oh1ow17kh1kw3ph0pw1", "mb2ic32ih9iw1oc32oh9ow1kh3kw1ph1pw0", "mb2ic16ih1iw12oc32oh1ow12kh3ph1",
            // 1x1 output
            "mb4ic64ih3oc32oh1kh3ph0", "mb8ic32ih1oc64oh1kh1ph0", "mb2ic16ih7oc16oh1kh7ph0", "mb3ic32ih2oc16oh1kh3sh2ph1"};
    return shapes;
}

bool not_trivial(const std::vector<float> &v) {
    for (float x : v)
        if (x != 0.f) return true;
    return false;
}

} // namespace test
} // namespace sparsetrain
