// The dispatcher's calibration and its model key: what a first execute measures and on what
// memory, how single calibration runs are confirmed, and what the per-problem model is keyed
// on. One dispatcher test injects path times with sleeps, tens of milliseconds apart.
#include <catch2/catch.hpp>

#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "api/conv_pd_impl.hpp"
#include "common/zero_buffer.hpp"
#include "dispatch/crossover_model.hpp"
#include "dispatch/exec_choice.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace sparsetrain::detail;

namespace {

// A stand-in sparse implementation: the dispatcher only needs a non-null one.
struct fake_sparse : sparse_conv {
    void execute(const conv_tensors &) const override {}
    std::string name() const override { return "fake"; }
    std::string config_str() const override { return ""; }
};

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

TEST_CASE("dispatcher: a first execute slowed down by the machine does not lock a layer on dense", "[dispatch]") {
    conv_pd_impl pd;
    pd.dir = direction::fwd;
    pd.prob = problem_t::parse("mb3ic16ih5iw11oc16oh5ow11kh3ph1n\"slow-calibration\"");
    pd.has_dnnl = true;
    pd.sparse = std::make_shared<fake_sparse>();
    pd.chosen = impl_kind::sparse_jit;
    pd.mode = dispatch_mode::automatic;
    std::vector<float> data(2 * 16 * 8 * 8, 1.f); // density 1
    const auto md = dnnl::memory::desc({2, 16, 8, 8}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nChw16c);
    conv_memories m;
    m.src = dnnl::memory(md, test::cpu_engine(), data.data());
    dispatcher d(pd);
    REQUIRE(d.model());
    REQUIRE_FALSE(d.model()->calibrated());
    // Injected times: sparse 3 ms (1 ms on zeros), dense 12 ms; every sparse run of the first
    // execute on the real operand takes 60 ms (a moment of load on the machine).
    bool first = true;
    int sparse_runs = 0;
    exec_paths paths;
    paths.sparse = [&](bool zeros, double) {
        if (!zeros) ++sparse_runs;
        sleep_ms(zeros ? 1.0 : first ? 60.0 : 3.0);
    };
    paths.dense = [&] { sleep_ms(12.0); };
    paths.reference = [] {};
    d.run(pd, m, paths);
    REQUIRE(d.model()->calibrated());
    first = false;
    sparse_runs = 0;
    for (int i = 0; i < 4; ++i) d.run(pd, m, paths);
    CHECK(sparse_runs >= 3);
    CHECK(d.model()->prefer_sparse(1.0));
}

namespace {

// kB of the mapping around `p` that are this process's own written pages (smaps
// Private_Dirty); -1 if the mapping is not found.
long private_dirty_kb(const void *p) {
    std::ifstream in("/proc/self/smaps");
    std::string line;
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    bool inside = false;
    while (std::getline(in, line)) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
            inside = a >= lo && a < hi;
            continue;
        }
        long kb = 0;
        if (inside && std::sscanf(line.c_str(), "Private_Dirty: %ld kB", &kb) == 1) return kb;
    }
    return -1;
}

} // namespace

TEST_CASE("calibration zero operand: owned, written pages, not the shared zero page", "[dispatch]") {
    const size_t bytes = 8 << 20;
    zero_buffer z(bytes);
    REQUIRE(z.bytes() >= bytes);
    bool all_zero = true;
    for (size_t i = 0; i < z.bytes() / sizeof(float); i += 97) all_zero = all_zero && z.data()[i] == 0.f;
    CHECK(all_zero);
    CHECK(private_dirty_kb(z.data()) >= (long)(bytes / 1024));
    // The check can fail: a read-only anonymous mapping that was only read (what calibration
    // used before) has no private dirty page (Linux maps the shared zero page).
    void *ro = mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(ro != MAP_FAILED);
    volatile const char *c = static_cast<const char *>(ro);
    for (size_t i = 0; i < bytes; i += 4096) (void)c[i];
    CHECK(private_dirty_kb(ro) < (long)(bytes / 1024));
    munmap(ro, bytes);
}
