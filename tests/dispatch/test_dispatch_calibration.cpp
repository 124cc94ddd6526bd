// The dispatcher's calibration and its model key: what a first execute measures, how single
// calibration runs are confirmed, and what the per-problem model is keyed on. Two dispatcher
// tests inject path times with sleeps, several milliseconds apart.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "api/conv_pd_impl.hpp"
#include "dispatch/static_crossover.hpp"
#include "dispatch/crossover_model.hpp"
#include "dispatch/exec_choice.hpp"
#include "util/test_data.hpp"
#include "util/fake_sparse.hpp"

using namespace sparsetrain;
using namespace sparsetrain::detail;

namespace {

} // namespace

TEST_CASE("crossover key: everything that changes a path's time is part of it", "[dispatch]") {
    using dnnl::memory;
    conv_pd_impl a;
    a.dir = direction::fwd;
    a.prob = problem_t::parse("mb2ic16ih8oc16oh8kh3ph1");
    a.alg = dnnl::algorithm::convolution_direct;
    a.flush_denormals = true;
    a.dnnl_impl = "jit:avx512_core";
    const auto f32 = memory::data_type::f32;
    a.md.src = memory::desc({2, 16, 8, 8}, f32, memory::format_tag::nChw16c);
    a.md.weights = memory::desc({16, 16, 3, 3}, f32, memory::format_tag::OIhw16i16o);
    a.md.dst = memory::desc({2, 16, 8, 8}, f32, memory::format_tag::nChw16c);
    const std::string k = crossover_key(a, 2);
    auto changed = [&](const std::function<void(conv_pd_impl &)> &change) {
        conv_pd_impl b = a;
        change(b);
        return crossover_key(b, 2) != k;
    };
    CHECK(crossover_key(a, 2) == k);
    CHECK(crossover_key(a, 3) != k); // threads
    CHECK(changed([](conv_pd_impl &b) { b.dir = direction::bwd_w; }));
    CHECK(changed([](conv_pd_impl &b) { b.prob.mb = 3; }));
    // Same shape, Winograd dense (convolution_auto) against direct: different dense times.
    CHECK(changed([](conv_pd_impl &b) { b.alg = dnnl::algorithm::convolution_auto; }));
    CHECK(changed([](conv_pd_impl &b) { b.dnnl_impl = "jit_wino_4x3:avx512_core"; }));
    // Denormals kept (IEEE) or flushed: different sparse times on denormal data.
    CHECK(changed([](conv_pd_impl &b) { b.flush_denormals = false; }));
    CHECK(changed([](conv_pd_impl &b) { b.with_bias = true; }));
    CHECK(changed([](conv_pd_impl &b) { b.with_relu = true; }));
    CHECK(changed([&](conv_pd_impl &b) { b.md.src = memory::desc({2, 16, 8, 8}, f32, memory::format_tag::nhwc); }));
    CHECK(changed([](conv_pd_impl &b) { b.prop = dnnl::prop_kind::forward_inference; }));
    // The name is not part of the shape (models are shared by layers of one shape).
    CHECK(!changed([](conv_pd_impl &b) { b.prob.name = "other"; }));
}

TEST_CASE("crossover model: a slow calibration run of the sparse kernel is confirmed before it counts", "[dispatch]") {
    // The kernel really takes 1 + 6 d ms against dense 6 ms, but the calibration's sparse run
    // (density 0.3) was slowed down to 10 ms by another process: on its own it would keep the
    // layer on dense for good. It is held until the next run confirms it.
    crossover_model m;
    m.calibrate(1.0, 0.3, 10.0, 6.0, true); // single runs, as the dispatcher calibrates
    CHECK(m.decide(0.3)); // the confirmation run
    m.observe_sparse(0.3, 2.8);
    CHECK(m.predict_sparse(0.3) == Approx(2.8));
    CHECK_FALSE(m.decide(0.3)); // sparse preferred now: the calibration's dense run is confirmed too
    m.observe_dense(6.0);
    for (int i = 0; i < 5; ++i) CHECK(m.decide(0.3));
    CHECK(m.decide(0.35)); // the slope was refitted too: 1 + 6 * 0.35 < 6
    // A calibration that is confirmed keeps the layer on dense (one confirmation run only).
    crossover_model slow;
    slow.calibrate(1.0, 0.3, 10.0, 6.0, true);
    CHECK(slow.decide(0.3));
    slow.observe_sparse(0.3, 9.8);
    for (int i = 0; i < 31; ++i) CHECK_FALSE(slow.decide(0.3));
    // The same for dense: a slow calibration run of oneDNN (cold first touch, or load) is run
    // once more before sparse is kept for good.
    crossover_model d;
    d.calibrate(1.0, 0.5, 4.0, 20.0, true); // dense really takes 5 ms
    CHECK_FALSE(d.decide(0.9));              // sparse preferred (6.4 ms): dense confirmed first
    d.observe_dense(5.0);
    CHECK(d.predict_dense() == Approx(5.0));
    CHECK(d.decide(0.9)); // dense preferred at 0.9 now: the sparse calibration point is confirmed
    d.observe_sparse(0.9, 6.4);
    CHECK_FALSE(d.decide(0.9)); // dense wins at density 0.9
    CHECK(d.decide(0.5));       // and sparse at 0.5 (4 ms)
}

namespace {

void sleep_ms(double ms) { std::this_thread::sleep_for(std::chrono::microseconds((int64_t)(ms * 1000))); }

} // namespace

TEST_CASE("dispatcher: a calibration run slowed down by the machine does not lock a layer on dense", "[dispatch]") {
    auto pd = test::fake_sparse_pd(direction::fwd, "mb3ic16ih5iw11oc16oh5ow11kh3ph1n\"slow-calibration\"",
            dispatch_mode::automatic);
    std::vector<float> data(2 * 16 * 8 * 8, 1.f); // density 1
    conv_memories m;
    m.src = test::nchw16c_memory(data, {2, 16, 8, 8});
    dispatcher d(pd);
    REQUIRE(d.model());
    REQUIRE_FALSE(d.model()->calibrated());
    // Injected times: sparse 3 ms, dense 12 ms; while the model calibrates, every sparse run
    // takes 60 ms (a moment of load on the machine).
    int sparse_runs = 0;
    exec_paths paths;
    paths.sparse = [&](double) {
        ++sparse_runs;
        sleep_ms(d.model()->calibrated() ? 3.0 : 60.0);
    };
    paths.dense = [&] { sleep_ms(12.0); };
    paths.reference = [] {};
    for (int i = 0; i < 2 && !d.model()->calibrated(); ++i) d.run(pd, m, paths);
    REQUIRE(d.model()->calibrated());
    sparse_runs = 0;
    for (int i = 0; i < 5; ++i) d.run(pd, m, paths);
    CHECK(sparse_runs >= 3); // one confirmation run of the sparse kernel, then it wins
    CHECK(d.model()->prefer_sparse(1.0));
}

TEST_CASE("calibration: the first two executes run one path each; t0 from the static cost shape", "[dispatch]") {
    // Before, the first execute ran six kernels, two of them on a read-only mapping of the
    // kernel's shared zero page (L1-resident: t0 too low, the slope too steep).
    auto pd = test::fake_sparse_pd(direction::bwd_d, "mb3ic32ih5iw13oc48oh5ow13kh3ph1n\"two-run-calibration\"",
            dispatch_mode::automatic);
    std::vector<float> data(3 * 48 * 5 * 13, 1.f);
    for (size_t i = 0; i < data.size(); ++i) data[i] = i % 10 < 8 ? 0.f : 1.f; // 80 % zeros
    conv_memories m;
    m.dst = test::nchw16c_memory(data, {3, 48, 5, 13});
    dispatcher d(pd);
    REQUIRE(d.model());
    REQUIRE(d.threshold() < 0.8); // the static model says sparse here
    std::vector<std::string> calls;
    exec_paths paths;
    paths.sparse = [&](double density) {
        calls.push_back("sparse");
        CHECK(density == Approx(0.2).margin(0.02)); // always the real operand's density
        sleep_ms(8.0);
    };
    paths.dense = [&] {
        calls.push_back("dense");
        sleep_ms(16.0);
    };
    paths.reference = [] {};
    auto c = d.run(pd, m, paths);
    CHECK(calls == std::vector<std::string> {"sparse"}); // one run, the static choice
    CHECK(c.path == impl_kind::sparse_jit);
    CHECK_FALSE(d.model()->calibrated());
    c = d.run(pd, m, paths);
    CHECK(calls == std::vector<std::string> {"sparse", "dense"}); // then the other path
    CHECK(d.model()->calibrated());
    // The model goes through the measured point with the static shape's slope:
    // t_sparse(d) = t_s * (a + b d) / (a + b d0).
    const auto s = static_relative_cost(pd.dir, pd.prob);
    CHECK(d.model()->predict_sparse(0.2) >= 8.0); // the sparse run's own time (sleeps only overshoot)
    CHECK(d.model()->predict_sparse(0.95) / d.model()->predict_sparse(0.7)
            == Approx((s.a + s.b * 0.95) / (s.a + s.b * 0.7)).epsilon(1e-6));
}
