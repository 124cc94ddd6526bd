// The automatic sparse/dense choice: cost model, per-problem cache, forced modes, probe.
// Decision logic only: no assertion depends on how fast anything runs.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "api/conv_pd_impl.hpp"
#include "dispatch/crossover_model.hpp"
#include "dispatch/exec_choice.hpp"
#include "dispatch/sparsity_probe.hpp"
#include "sparsetrain/convolution.hpp"
#include "util/env_guard.hpp"
#include "util/test_data.hpp"
#include "util/test_layouts.hpp"
#include "util/fake_sparse.hpp"

using namespace sparsetrain;
using namespace sparsetrain::detail;

TEST_CASE("crossover model: affine sparse time against constant dense time", "[dispatch]") {
    crossover_model m;
    CHECK_FALSE(m.calibrated());
    CHECK(m.prefer_sparse(1.0)); // uncalibrated: the sparse path runs (and calibrates)
    // t_sparse(d) = 1 + 10 d, t_dense = 6  ->  crossover at density 0.5
    m.calibrate(1.0, 0.3, 4.0, 6.0);
    CHECK(m.calibrated());
    CHECK(m.predict_sparse(0.3) == Approx(4.0));
    CHECK(m.crossover_density() == Approx(0.5));
    CHECK(m.prefer_sparse(0.3));
    CHECK(m.prefer_sparse(0.49));
    CHECK_FALSE(m.prefer_sparse(0.51));
    CHECK_FALSE(m.prefer_sparse(1.0));

    // Refinement moves the estimates toward what executes measure: averaged when close to
    // the prediction, replaced when more than 20 % off.
    m.observe_dense(5.4); // within 20 %: 0.7 * 6 + 0.3 * 5.4 = 5.82
    CHECK(m.predict_dense() == Approx(5.82));
    m.observe_dense(3.0); // 48 % off: replaced
    CHECK(m.predict_dense() == Approx(3.0));
    CHECK_FALSE(m.prefer_sparse(0.3)); // 1 + 3 > 3
    m.observe_sparse(0.5, 1.0 + 0.5 * 9.0); // slope 9, prediction 6 vs 5.5 observed: averaged
    CHECK(m.predict_sparse(0.6) == Approx(1.0 + 0.6 * (0.7 * 10 + 0.3 * 9))); // unmeasured bin: the fit
    CHECK(m.predict_sparse(0.5) == Approx(5.5));                             // measured bin
    m.observe_sparse(0.5, 1.0 + 0.5 * 2.0); // slope 2: far off, replaced
    CHECK(m.predict_sparse(0.5) == Approx(2.0));
    CHECK(m.predict_sparse(0.6) == Approx(1.0 + 0.6 * 2.0));
    CHECK(m.prefer_sparse(0.5)); // 1 + 2 * 0.5 < 3
    // Observations at (almost) zero density carry no slope information.
    m.observe_sparse(0.01, 100.0);
    CHECK(m.predict_sparse(0.5) == Approx(2.0));
}

TEST_CASE("crossover model: calibration at full sparsity and degenerate cases", "[dispatch]") {
    crossover_model m;
    m.calibrate(0.5, 0.0, 0.5, 4.0); // all zeros: slope assumed from dense time
    CHECK(m.prefer_sparse(0.0));
    CHECK_FALSE(m.prefer_sparse(1.0));
    crossover_model never;
    never.calibrate(5.0, 0.5, 7.0, 4.0); // even the zero-input run is slower than dense
    CHECK(never.crossover_density() == 0.0);
    CHECK_FALSE(never.prefer_sparse(0.0));
}

TEST_CASE("crossover model: one calibrating caller, exploration against a stuck decision", "[dispatch]") {
    crossover_model m;
    CHECK(m.try_begin_calibration());
    CHECK_FALSE(m.try_begin_calibration()); // a concurrent first execute does not calibrate too
    m.abort_calibration();
    CHECK(m.try_begin_calibration());
    m.calibrate(1.0, 0.5, 4.0, 3.0); // t_sparse(d) = 1 + 6 d; dense 3: sparse wins below d = 1/3
    CHECK_FALSE(m.try_begin_calibration());

    // The simulated kernel: sparse takes 1 + 6 d ms (the fit is right), dense 3 ms.
    auto run = [&](double d, int calls) {
        int sparse_runs = 0;
        for (int i = 0; i < calls; ++i)
            if (m.decide(d)) {
                ++sparse_runs;
                m.observe_sparse(d, 1 + 6 * d);
            } else {
                m.observe_dense(3.0);
            }
        return sparse_runs;
    };
    // Density 0.4: sparse predicted 3.4 ms, within 30 % of dense: measured twice in its bin
    // (the first run lost by less than 15 %), then re-checked every 32nd dense choice (calls
    // 1, 2 and 34 of 65).
    CHECK(run(0.4, 65) == 3);
    // Density 1: sparse predicted 7 ms, far slower: never explored.
    CHECK(run(1.0, 64) == 0);
    // Below the crossover: always sparse.
    CHECK(run(0.2, 8) == 8);
}

TEST_CASE("crossover model: measured density bins override a wrong affine fit", "[dispatch]") {
    // A variant switch makes the real curve kinked: at density 0.45 sparse really takes 2.5 ms
    // while the affine fit predicts 1 + 6 * 0.45 = 3.7 ms against dense 3 ms.
    crossover_model m;
    m.calibrate(1.0, 0.5, 4.0, 3.0);
    CHECK(m.decide(0.45)); // unmeasured bin near the crossover: explored
    m.observe_sparse(0.45, 2.5);
    CHECK(m.predict_sparse(0.45) == Approx(2.5));
    CHECK(m.decide(0.45)); // once more (faster than dense anyway)
    m.observe_sparse(0.45, 2.5);
    for (int i = 0; i < 10; ++i) CHECK(m.decide(0.45)); // the measurement wins over the fit
    // Other bins follow the refitted slope: (2.5 - 1) / 0.45 per unit density.
    CHECK(m.predict_sparse(0.3) == Approx(1 + 0.3 * 1.5 / 0.45));
}

TEST_CASE("crossover models are cached per problem", "[dispatch]") {
    auto a = crossover_model_for("fwd:mb16ic256ih28oc256oh28kh3ph1:t2");
    auto b = crossover_model_for("fwd:mb16ic256ih28oc256oh28kh3ph1:t2");
    auto c = crossover_model_for("bwd_d:mb16ic256ih28oc256oh28kh3ph1:t2");
    auto d = crossover_model_for("fwd:mb16ic256ih28oc256oh28kh3ph1:t1");
    CHECK(a == b);
    CHECK(a != c);
    CHECK(a != d);
}

TEST_CASE("sparsity probe: exact for small tensors, close for large ones", "[dispatch]") {
    std::vector<float> small(1000, 1.f);
    for (int i = 0; i < 250; ++i) small[i * 4] = 0.f;
    CHECK(probe_zeros(small.data(), small.size()).zero_fraction == Approx(0.25));
    CHECK(probe_zeros(small.data(), small.size()).sampled == small.size());

    std::vector<float> big(1 << 22);
    test::fill_int(big, 3, 1, 5);
    test::sparsify(big, 4, 0.7);
    const auto e = probe_zeros(big.data(), big.size());
    CHECK(e.sampled < big.size() / 100);
    CHECK(e.zero_fraction == Approx(0.7).margin(0.02));
    CHECK(probe_zeros(nullptr, 0).sampled == 0);
}

namespace {

struct recorder {
    std::vector<std::string> calls;
    exec_paths paths() {
        exec_paths p;
        p.sparse = [this](double) { calls.push_back("sparse"); };
        p.dense = [this] { calls.push_back("dense"); };
        p.reference = [this] { calls.push_back("reference"); };
        return p;
    }
};

} // namespace

TEST_CASE("dispatcher: forced modes, calibration order, decisions from the model", "[dispatch]") {
    auto pd = test::fake_sparse_pd(direction::fwd, "mb2ic16ih8oc16oh8kh3ph1n\"dispatch-test\"", dispatch_mode::automatic);

    std::vector<float> data(2 * 16 * 8 * 8, 1.f);
    conv_memories m;
    m.src = test::nchw16c_memory(data, {2, 16, 8, 8});

    SECTION("mode sparse: always sparse, probed only to pick the kernel variant") {
        pd.mode = dispatch_mode::sparse;
        dispatcher d(pd);
        recorder r;
        const auto c = d.run(pd, m, r.paths());
        CHECK(c.path == impl_kind::sparse_jit);
        CHECK(c.zero_fraction == Approx(0.0)); // all-ones operand
        CHECK(r.calls == std::vector<std::string> {"sparse"});
    }
    SECTION("oneDNN chosen (mode dense, or sparse declined): always dense") {
        pd.chosen = impl_kind::onednn;
        pd.mode = dispatch_mode::dense;
        dispatcher d(pd);
        recorder r;
        CHECK(d.run(pd, m, r.paths()).path == impl_kind::onednn);
        CHECK(r.calls == std::vector<std::string> {"dense"});
    }
    SECTION("automatic: calibrate on first use, then follow the model") {
        pd.mode = dispatch_mode::automatic;
        // A shape no other test uses, so that the process-wide model starts uncalibrated.
        pd.prob = problem_t::parse("mb3ic16ih5iw7oc16oh5ow7kh3ph1");
        dispatcher d(pd);
        REQUIRE(d.model());
        recorder r;
        // The first two executes run one path each (no run on an all-zero operand): the
        // static model's choice (dense for a dense operand), then the other one.
        auto c = d.run(pd, m, r.paths());
        CHECK(r.calls == std::vector<std::string> {"dense"});
        CHECK(c.path == impl_kind::onednn);
        CHECK(c.zero_fraction == Approx(0.0));
        CHECK_FALSE(d.model()->calibrated());
        c = d.run(pd, m, r.paths());
        CHECK(r.calls == std::vector<std::string> {"dense", "sparse"});
        CHECK(c.path == impl_kind::sparse_jit);
        CHECK(d.model()->calibrated());

        // Dense operand (density 1): a model where sparse loses at density > 0.5.
        d.model()->calibrate(1.0, 0.3, 4.0, 6.0);
        r.calls.clear();
        c = d.run(pd, m, r.paths());
        CHECK(r.calls == std::vector<std::string> {"dense"});
        CHECK(c.note.find("->dense") != std::string::npos);

        // 90 % zeros: sparse.
        for (size_t i = 0; i < data.size(); ++i)
            if (i % 10) data[i] = 0.f;
        d.model()->calibrate(1.0, 0.3, 4.0, 6.0);
        r.calls.clear();
        c = d.run(pd, m, r.paths());
        CHECK(r.calls == std::vector<std::string> {"sparse"});
        CHECK(c.zero_fraction == Approx(0.9).margin(0.001));
    }
}

TEST_CASE("SPARSETRAIN_DISPATCH=dense declines the sparse implementation", "[dispatch]") {
    using tag = dnnl::memory::format_tag;
    const auto fd = test::fwd_desc(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), tag::any, tag::any, tag::any);
    test::env_guard g("SPARSETRAIN_DISPATCH", "dense");
    sparsetrain::convolution_forward::primitive_desc pd(fd, test::cpu_engine());
    CHECK(pd.impl_info_str().rfind("onednn:", 0) == 0);
    CHECK(pd.declined()[0].second.find("dispatch mode is dense") != std::string::npos);
    // The per-primitive option overrides the environment.
    dispatch_options o;
    o.mode = dispatch_mode::sparse;
    sparsetrain::convolution_forward::primitive_desc pd2(fd, dnnl::primitive_attr(), test::cpu_engine(), o);
    CHECK((pd2.declined().empty() || pd2.declined()[0].second.find("dispatch mode is dense") == std::string::npos));
}

TEST_CASE("crossover model: one slowed-down measurement does not switch a bin off", "[dispatch]") {
    // t_sparse(d) = 1 + 6 d against dense 3: sparse really wins at density 0.3 (2.8 ms), but
    // its bin's first run was slowed down to 3.3 ms by another process.
    crossover_model m;
    m.calibrate(1.0, 0.9, 6.4, 3.0);
    m.observe_sparse(0.3, 3.3);
    CHECK(m.decide(0.3)); // one measurement only: measured again
    m.observe_sparse(0.3, 2.8);
    CHECK(m.predict_sparse(0.3) == Approx(2.8));
    for (int i = 0; i < 5; ++i) CHECK(m.decide(0.3));
    // A bin measured twice, or once and clearly slower than dense (by 15 % or more), stays
    // dense until the periodic re-check.
    crossover_model slow;
    slow.calibrate(1.0, 0.9, 6.4, 3.0);
    slow.observe_sparse(0.35, 3.3);
    slow.observe_sparse(0.35, 3.3);
    slow.observe_sparse(0.4, 3.6);
    for (int i = 0; i < 31; ++i) CHECK_FALSE(slow.decide(0.35));
    CHECK(slow.decide(0.35));
    for (int i = 0; i < 31; ++i) CHECK_FALSE(slow.decide(0.4));
    CHECK(slow.decide(0.4));
}

TEST_CASE("crossover model: a slow dense run needs confirmation; dense is re-timed on a sparse streak", "[dispatch]") {
    crossover_model m;
    m.calibrate(1.0, 0.5, 4.0, 5.0); // t_sparse(d) = 1 + 6 d against dense 5: crossover d = 2/3
    m.observe_dense(9.0);              // one slow run (another process): not taken
    CHECK(m.predict_dense() == Approx(5.0));
    m.observe_dense(5.1); // back to normal: averaged, the pending slow run forgotten
    CHECK(m.predict_dense() == Approx(0.7 * 5.0 + 0.3 * 5.1));
    m.observe_dense(8.0);
    m.observe_dense(7.5); // two slow runs in a row: the machine changed; the faster one counts
    CHECK(m.predict_dense() == Approx(7.5));
    m.observe_dense(2.0); // much faster: taken at once
    CHECK(m.predict_dense() == Approx(2.0));

    // Density 0.5: sparse predicted 4 ms against dense 4.5 ms (within 30 %): dense re-timed on
    // every 32nd consecutive sparse choice. Density 0.1 (1.6 ms): never.
    crossover_model s;
    s.calibrate(1.0, 0.5, 4.0, 4.5);
    int dense_runs = 0;
    for (int i = 0; i < 64; ++i) dense_runs += !s.decide(0.5);
    CHECK(dense_runs == 2);
    dense_runs = 0;
    for (int i = 0; i < 64; ++i) dense_runs += !s.decide(0.1);
    CHECK(dense_runs == 0);
}

TEST_CASE("crossover model: one sparse run much slower than predicted is held until confirmed", "[dispatch]") {
    crossover_model m;
    m.calibrate(1.0, 0.5, 4.0, 4.5); // t_sparse(d) = 1 + 6 d against dense 4.5
    m.observe_sparse(0.4, 6.0);      // predicted 3.4: one outlier, not learnt
    CHECK(m.predict_sparse(0.4) == Approx(3.4));
    CHECK(m.predict_sparse(0.2) == Approx(2.2));
    CHECK(m.decide(0.4));
    m.observe_sparse(0.4, 3.3); // normal again: the outlier is dropped
    CHECK(m.predict_sparse(0.4) == Approx(3.3));
    m.observe_sparse(0.6, 6.5); // predicted 4.6
    m.observe_sparse(0.6, 6.2); // confirmed: the faster of the two is learnt
    CHECK(m.predict_sparse(0.6) == Approx(6.2));
    CHECK_FALSE(m.prefer_sparse(0.6));
}
