// The sparse backward-weights convolution against the naive reference and oneDNN dense
// convolution_backward_weights on the same buffers (diff_weights and diff_bias), over shapes,
// sparsities, thread counts and both activation layouts (nChw16c, nhwc), with guard regions
// around both outputs.
#include <catch2/catch.hpp>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/cpu.hpp"
#include "driver/bwd_w_conv.hpp"
#include "reference/ref_conv.hpp"
#include "util/test_data.hpp"
#include "util/test_layouts.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

constexpr int64_t guard = 256;     // floats of guard before and after each output
constexpr float guard_value = -77777.f;
// What the outputs hold before execute: NaN, so an element the kernels leave unwritten fails.
constexpr float stale_value = std::numeric_limits<float>::quiet_NaN();

struct bwd_w_inputs {
    std::vector<float> src, diff_dst;         // plain nchw
    std::vector<float> src_b, diff_dst_b;     // in `act`
    act_format act = act_format::nChw16c;
};

bwd_w_inputs make_inputs(const problem_t &p, uint64_t seed, double sparsity, bool floats,
        act_format act = act_format::nChw16c) {
    bwd_w_inputs in;
    in.act = act;
    in.src.resize(p.mb * p.ic * p.ih * p.iw);
    in.diff_dst.resize(p.mb * p.oc * p.oh * p.ow);
    if (floats) {
        // Post-ReLU-like src and one-signed diff_dst: no cancellation, so a relative
        // summation tolerance is meaningful for every element.
        std::mt19937_64 gen(seed);
        std::uniform_real_distribution<float> u(0.f, 1.f), v(0.25f, 1.f);
        for (auto &x : in.src) x = u(gen);
        for (auto &x : in.diff_dst) x = v(gen);
    } else {
        // |src * diff_dst| <= 6 and at most mb * oh * ow terms per sum: exact below 2^24.
        test::fill_int(in.src, seed, -3, 3);
        test::fill_int(in.diff_dst, seed + 1, -2, 2);
    }
    test::sparsify(in.src, seed + 2, sparsity);
    in.src_b = test::to_layout(in.src, test::src_dims(p), tag::nchw, test::act_tag(act));
    in.diff_dst_b = test::to_layout(in.diff_dst, test::dst_dims(p), tag::nchw, test::act_tag(act));
    return in;
}

struct outputs {
    std::vector<float> dw, db; // plain oihw / x
};

// diff_weights (OIhw16i16o) and diff_bias with guards; checks the guards after `run`.
template <typename F>
outputs run_guarded(const problem_t &p, F run) {
    const int64_t nw = p.oc * p.ic * p.kh * p.kw;
    std::vector<float> dw(nw + 2 * guard, guard_value), db(p.oc + 2 * guard, guard_value);
    std::fill(dw.begin() + guard, dw.end() - guard, stale_value);
    std::fill(db.begin() + guard, db.end() - guard, stale_value);
    run(dw.data() + guard, db.data() + guard);
    for (int64_t i = 0; i < guard; ++i) {
        REQUIRE(dw[i] == guard_value);
        REQUIRE(dw[guard + nw + i] == guard_value);
        REQUIRE(db[i] == guard_value);
        REQUIRE(db[guard + p.oc + i] == guard_value);
    }
    outputs o;
    o.dw = test::from_layout(std::vector<float>(dw.begin() + guard, dw.end() - guard), test::wei_dims(p),
            tag::OIhw16i16o, tag::oihw);
    o.db.assign(db.begin() + guard, db.end() - guard);
    return o;
}

outputs run_conv(const bwd_w_conv &conv, const bwd_w_inputs &in, double density_hint = -1) {
    return run_guarded(conv.plan().p, [&](float *dw, float *db) {
        conv_tensors ts;
        ts.src = in.src_b.data();
        ts.diff_dst = in.diff_dst_b.data();
        ts.diff_weights = dw;
        ts.diff_bias = conv.plan().with_bias ? db : nullptr;
        ts.density_hint = density_hint;
        conv.execute(ts);
    });
}

outputs run_sparse(const problem_t &p, const bwd_w_inputs &in, int nthr, const bwd_w_tuning &t, bool with_bias = true) {
    bwd_w_plan q;
    std::string why;
    REQUIRE(plan_bwd_w(p, bwd_w_options(with_bias, in.act), q, why, t, nthr));
    INFO("plan: " << q.str());
    bwd_w_conv conv(q);
    return run_conv(conv, in);
}

outputs run_onednn(const problem_t &p, const bwd_w_inputs &in) {
    using namespace dnnl;
    auto &eng = test::cpu_engine();
    auto md = [](const memory::dims &d, tag t) { return memory::desc(d, memory::data_type::f32, t); };
    const auto src_md = md(test::src_dims(p), test::act_tag(in.act)), dd_md = md(test::dst_dims(p), test::act_tag(in.act));
    const auto dw_md = md(test::wei_dims(p), tag::OIhw16i16o), db_md = md({p.oc}, tag::x);
    const memory::dims strides {p.sh, p.sw}, pl {p.ph, p.pw}, pr {p.ph_r, p.pw_r};
    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src_md, dw_md,
            db_md, dd_md, strides, pl, pr);
    convolution_forward::primitive_desc fpd(fd, eng);
    convolution_backward_weights::desc bd(algorithm::convolution_direct, src_md, dw_md, db_md, dd_md, strides, pl, pr);
    convolution_backward_weights::primitive_desc bpd(bd, eng, fpd);
    convolution_backward_weights prim(bpd);
    stream s(eng);
    return run_guarded(p, [&](float *dw, float *db) {
        memory m_src(src_md, eng, const_cast<float *>(in.src_b.data()));
        memory m_dd(dd_md, eng, const_cast<float *>(in.diff_dst_b.data()));
        memory m_dw(dw_md, eng, dw), m_db(db_md, eng, db);
        prim.execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_DIFF_DST, m_dd}, {DNNL_ARG_DIFF_WEIGHTS, m_dw},
                {DNNL_ARG_DIFF_BIAS, m_db}});
        s.wait();
    });
}

outputs run_reference(const problem_t &p, const bwd_w_inputs &in) {
    outputs o;
    o.dw.resize(p.oc * p.ic * p.kh * p.kw);
    o.db.resize(p.oc);
    reference::conv_bwd_w(p, in.src.data(), o.dw.data(), o.db.data(), in.diff_dst.data());
    return o;
}

bool nonzero(const std::vector<float> &v) {
    return std::any_of(v.begin(), v.end(), [](float x) { return x != 0.f; });
}

void check_problem(const char *ps, const bwd_w_tuning &t = {}, const std::vector<double> &sparsities = {0.0, 0.5, 0.9, 1.0},
        const std::vector<int> &threads = {1, 2}) {
    const auto p = problem_t::parse(ps);
    for (double sp : sparsities)
        for (act_format act : test::both_layouts()) {
            const auto in = make_inputs(p, 1234 + (uint64_t)(sp * 100), sp, false, act);
            const auto ref = run_reference(p, in);
            const auto dnn = run_onednn(p, in);
            REQUIRE(test::compare(dnn.dw, ref.dw, 0).ok); // the exact-data premise holds
            REQUIRE(test::compare(dnn.db, ref.db, 0).ok);
            if (sp < 1.0) REQUIRE(nonzero(ref.dw));
            REQUIRE(nonzero(ref.db));
            for (int nthr : threads) {
                INFO(p.to_string() << " " << to_string(act) << " sparsity " << sp << " threads " << nthr);
                const auto ours = run_sparse(p, in, nthr, t);
                const auto cw = test::compare(ours.dw, ref.dw, 0), cb = test::compare(ours.db, ref.db, 0);
                INFO("diff_weights: " << cw.summary() << "; diff_bias: " << cb.summary());
                CHECK(cw.ok);
                CHECK(cb.ok);
            }
        }
}

} // namespace

TEST_CASE("sparse bwd_w: 3x3 stride 1 equals reference and oneDNN", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic16ih9oc32oh9kh3ph1", "mb2ic32ih7oc16oh7kh3ph1",
                 "mb2ic48ih10iw13oc64oh10ow13kh3ph1", "mb2ic16ih56oc32oh56kh3ph1",
                 "mb2ic16ih12oc16oh10kh3ph0", "mb1ic512ih7oc256oh7kh3ph1", "mb2ic16ih8iw11oc16oh8ow11kh1kw3ph0pw1",
                 "mb2ic64ih56oc64oh56kh3ph1"})
        check_problem(ps);
}

TEST_CASE("sparse bwd_w: 3x3 stride 2 equals reference and oneDNN", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih14oc48oh7kh3sh2ph1", "mb2ic16ih15oc32oh8kh3sh2ph1",
                 "mb2ic16ih8oc16oh4kh3sh2ph1", "mb2ic64ih28iw21oc128oh14ow11kh3sh2ph1",
                 "mb2ic128ih28oc256oh14kh3sh2ph1"})
        check_problem(ps);
}

TEST_CASE("sparse bwd_w: 1x1 equals reference and oneDNN", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb2ic32ih17oc64oh17kh1ph0", "mb2ic64ih13oc64oh7kh1sh2ph0",
                 "mb2ic32ih28oc64oh14kh1sh2ph0", "mb2ic256ih14oc512oh14kh1ph0", "mb3ic16ih7oc16oh7kh1ph0"})
        check_problem(ps);
}

TEST_CASE("sparse bwd_w: 1x1 value lists, in-place and copied diff_dst", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // The default for 1x1 stride 1 is offsets-only lists; here also the value-list path, and
    // both diff_dst modes under each (the copy makes the indirect offsets scaled).
    for (bool indirect : {false, true})
        for (int dd_mode : {1, 2}) {
            bwd_w_tuning t;
            t.indirect = indirect;
            t.dd_mode = dd_mode;
            for (const char *ps : {"mb2ic32ih17oc64oh17kh1ph0", "mb2ic48ih9iw30oc32oh9ow30kh1ph0",
                         "mb2ic128ih9oc16oh9kh1ph0", "mb2ic256ih7oc16oh7kh1ph0"})
                check_problem(ps, t, {0.0, 0.7});
        }
}

TEST_CASE("sparse bwd_w: nhwc offsets-only lists scale the src and diff_dst pixel strides", "[bwd_w][nhwc]") {
    // One stored offset per pixel serves src (ic * 4 bytes a pixel) and diff_dst (oc * 4 in
    // place, o * 64 copied) when both strides are 1, 2, 4 or 8 times a common unit; otherwise
    // value lists. (Exactness of each case: the test above.)
    struct expect {
        const char *ps;
        int dd_mode;
        bool indirect, copy;
        int src_scale, dd_scale;
    };
    for (const auto &e : {expect {"mb2ic32ih17oc64oh17kh1ph0", 2, true, false, 1, 2},
                 expect {"mb2ic256ih14oc64oh14kh1ph0", 0, true, false, 4, 1}, // default: in place (oc 64)
                 expect {"mb2ic64ih14oc256oh14kh1ph0", 0, true, true, 1, 1},  // copy, o = 4: 256 bytes both
                 expect {"mb2ic128ih9oc16oh9kh1ph0", 2, true, false, 8, 1},
                 expect {"mb2ic256ih7oc16oh7kh1ph0", 2, false, false, 1, 1},  // 16x: value lists
                 expect {"mb2ic48ih9iw30oc32oh9ow30kh1ph0", 1, false, true, 1, 1}}) { // 3x: value lists
        bwd_w_tuning t;
        t.dd_mode = e.dd_mode;
        bwd_w_plan q;
        std::string why;
        REQUIRE(plan_bwd_w(problem_t::parse(e.ps), bwd_w_options(true, act_format::nhwc), q, why, t, 2));
        INFO(e.ps << " plan " << q.str());
        CHECK(q.indirect == e.indirect);
        CHECK(q.dd_copy == e.copy);
        CHECK(q.src_scale == e.src_scale);
        CHECK(q.dd_scale == e.dd_scale);
    }
}

TEST_CASE("sparse bwd_w: ocg blocks, oc-block splitting and thread parts", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // Tiny budgets: one-row tiles, diff_w blocks of one ocg (lists rebuilt per ocg block),
    // groups split over oc blocks (few accumulators).
    bwd_w_tuning t;
    t.l1_tile_bytes = 1;
    t.p_block_bytes = 1;
    t.ocb_per_group = 4;
    t.max_acc = 10;
    for (const char *ps : {"mb3ic32ih20oc64oh20kh3ph1", "mb2ic32ih20oc64oh10kh3sh2ph1", "mb2ic32ih35oc64oh35kh1ph0"})
        check_problem(ps, t, {0.0, 0.6});
}

TEST_CASE("sparse bwd_w: thread parts over oc groups and uneven channel parts", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // One channel block, two ocgs: the threads split oc groups, each owns its diff_bias share.
    check_problem("mb2ic16ih10oc64oh10kh3ph1", {}, {0.0, 0.5});
    // Three threads over four channel blocks, and two threads over three.
    check_problem("mb2ic64ih9oc32oh9kh3ph1", {}, {0.5}, {3});
    check_problem("mb2ic48ih11oc32oh11kh1ph0", {}, {0.5}, {2, 3});
}

TEST_CASE("sparse bwd_w: without diff_bias the bias buffer is not touched", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    const auto p = problem_t::parse("mb2ic32ih9oc32oh9kh3ph1");
    const auto in = make_inputs(p, 5, 0.5, false);
    const auto ref = run_reference(p, in);
    for (int nthr : {1, 2}) {
        const auto ours = run_sparse(p, in, nthr, {}, false);
        CHECK(test::compare(ours.dw, ref.dw, 0).ok);
        CHECK(std::all_of(ours.db.begin(), ours.db.end(), [](float x) { return std::isnan(x); }));
    }
}

TEST_CASE("sparse bwd_w: random floats within summation tolerance", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    for (const char *ps : {"mb4ic32ih28oc32oh28kh3ph1", "mb4ic64ih14oc32oh14kh1ph0"}) {
        const auto p = problem_t::parse(ps);
        const auto in = make_inputs(p, 99, 0.5, true);
        const auto ref = run_reference(p, in);
        const double tol = test::sum_tolerance(p.mb * p.oh * p.ow);
        const auto dnn = run_onednn(p, in); // the tolerance holds for oneDNN's own summation
        REQUIRE(test::compare(dnn.dw, ref.dw, tol).ok);
        REQUIRE(test::compare(dnn.db, ref.db, tol).ok);
        for (int nthr : {1, 2}) {
            INFO(p.to_string() << " threads " << nthr);
            const auto ours = run_sparse(p, in, nthr, {});
            const auto cw = test::compare(ours.dw, ref.dw, tol), cb = test::compare(ours.db, ref.db, tol);
            INFO("diff_weights: " << cw.summary() << "; diff_bias: " << cb.summary());
            CHECK(cw.ok);
            CHECK(cb.ok);
        }
    }
}

TEST_CASE("sparse bwd_w: the factory plans with the OpenMP thread count", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    const int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    std::string why;
    auto impl = make_sparse_bwd_w(problem_t::parse("mb2ic32ih8oc32oh8kh3ph1"), sparse_conv_options {}, why);
    omp_set_num_threads(saved);
    REQUIRE(impl);
    CHECK(impl->name().find("sparse_jit") == 0);
    CHECK(!impl->config_str().empty());
    CHECK(dynamic_cast<const bwd_w_conv &>(*impl).plan().nthr == 2);
}

TEST_CASE("sparse bwd_w: pair and single-list variants, chosen per execute, both exact", "[bwd_w][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // 3x3 / 1x3 stride 1: odd widths, several column bands (band ends inside a 16-pixel block),
    // no padding, non-square, many channels; runs of every parity at every sparsity.
    for (const char *ps : {"mb2ic32ih9iw13oc32oh9ow13kh3ph1", "mb2ic16ih20iw37oc32oh20ow37kh3ph1",
                 "mb2ic16ih8iw11oc16oh8ow11kh1kw3ph0pw1", "mb1ic48ih30oc64oh30kh3ph1", "mb2ic16ih12oc16oh10kh3ph0"}) {
        const auto p = problem_t::parse(ps);
        for (int nthr : {1, 2, 3}) {
            bwd_w_plan q;
            std::string why;
            REQUIRE(plan_bwd_w(p, bwd_w_options(true), q, why, bwd_w_tuning {}, nthr));
            REQUIRE(q.pairs); // the test is about both variants
            CHECK(q.use_pairs(0.9));
            CHECK_FALSE(q.use_pairs(0.1));
            bwd_w_conv conv(q);
            for (double sp : {0.0, 0.3, 0.5, 0.9, 1.0}) {
                const auto in = make_inputs(p, 77 + (uint64_t)(sp * 10), sp, false);
                const auto ref = run_reference(p, in);
                for (double hint : {-1.0, 0.1, 0.9}) {
                    INFO(ps << " threads " << nthr << " sparsity " << sp << " hint " << hint << " plan " << q.str());
                    const auto ours = run_conv(conv, in, hint);
                    CHECK(test::compare(ours.dw, ref.dw, 0).ok);
                    CHECK(test::compare(ours.db, ref.db, 0).ok);
                }
            }
            // The same plan on nhwc activations.
            REQUIRE(plan_bwd_w(p, bwd_w_options(true, act_format::nhwc), q, why, bwd_w_tuning {}, nthr));
            REQUIRE(q.pairs);
            bwd_w_conv conv_nhwc(q);
            for (double sp : {0.0, 0.5, 0.9}) {
                const auto in = make_inputs(p, 78 + (uint64_t)(sp * 10), sp, false, act_format::nhwc);
                const auto ref = run_reference(p, in);
                for (double hint : {0.1, 0.9}) {
                    INFO(ps << " nhwc threads " << nthr << " sparsity " << sp << " hint " << hint << " plan " << q.str());
                    const auto ours = run_conv(conv_nhwc, in, hint);
                    CHECK(test::compare(ours.dw, ref.dw, 0).ok);
                    CHECK(test::compare(ours.db, ref.db, 0).ok);
                }
            }
        }
    }
}

TEST_CASE("sparse bwd_w: pair variant with one-row tiles, split tap groups and oc groups", "[bwd_w][pairs]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // max_acc 4: the nine taps split over groups of 4 + 4 + 1 (pair kernels whose rows share
    // no load, or only some); tiny tiles: one row, lists rebuilt per ocg.
    for (double min_density : {0.0, 2.0}) { // pairs always / never
        bwd_w_tuning t;
        t.l1_tile_bytes = 1;
        t.p_block_bytes = 1;
        t.max_acc = 4;
        t.pair_min_density = min_density;
        check_problem("mb2ic32ih11iw19oc64oh11ow19kh3ph1", t, {0.0, 0.4, 0.8});
        t.max_acc = 28;
        t.ocb_per_group = 1;
        check_problem("mb2ic32ih11iw19oc64oh11ow19kh3ph1", t, {0.4});
    }
    // Stride 2: no class has three consecutive column taps, so no pair variant.
    bwd_w_plan q;
    std::string why;
    REQUIRE(plan_bwd_w(problem_t::parse("mb2ic32ih14oc48oh7kh3sh2ph1"), bwd_w_options(true), q, why, bwd_w_tuning {}, 1));
    CHECK_FALSE(q.pairs);
}

TEST_CASE("sparse bwd_w: src prefetch by the kernels, by the builder, or none", "[bwd_w]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // The prefetch has no visible effect, but its table walks the next tile's footprint (all
    // classes of a strided layer, ocg-block wrap-around): every mode must stay exact.
    for (int mode : {0, 1, 2}) {
        bwd_w_tuning t;
        t.kernel_prefetch = mode == 2;
        t.prefetch_tiles = mode == 0 ? 0 : 1;
        t.p_block_bytes = 1; // several ocg blocks: the last tile prefetches the next pass's first
        for (const char *ps : {"mb2ic32ih15oc48oh8kh3sh2ph1", "mb2ic32ih17oc64oh17kh1ph0", "mb2ic32ih14oc64oh7kh1sh2ph0",
                     "mb2ic16ih13oc32oh13kh3ph1"})
            check_problem(ps, t, {0.5}, {1, 2});
    }
}

TEST_CASE("sparse bwd_w shapes at the planner's limits: SAME padding, one row, 1x1 output; larger kernels and strides decline", "[bwd_w][shapes]") {
    for (const char *ps : {"mb2ic32ih14oc32oh7kh3sh2ph0", "mb2ic32ih14iw9oc16oh7ow5kh3sh2ph0pw1", "mb2ic16ih10oc16oh5kh2sh2ph0",
                 "mb2ic32ih1iw17oc16oh1ow17kh1kw3ph0pw1", "mb2ic32ih9iw1oc32oh9ow1kh3kw1ph1pw0",
                 "mb2ic16ih1iw12oc32oh1ow12kh3ph1", "mb4ic64ih3oc32oh1kh3ph0", "mb2ic32ih1oc64oh1kh1ph0",
                 "mb3ic32ih2oc16oh1kh3sh2ph1", "mb2ic16ih9iw8oc16oh9ow8kh3kw2ph1pw0"}) {
        bwd_w_plan q;
        std::string why;
        INFO(ps);
        REQUIRE(plan_bwd_w(problem_t::parse(ps), bwd_w_options(true), q, why, {}, 2));
        if (max_isa() >= cpu_isa::avx512_core) check_problem(ps, {}, {0.0, 0.5});
    }
    // Beyond 3x3 or stride 2: declined with a reason (the dense fallback runs them).
    for (const char *ps : {"mb2ic16ih9oc32oh8kh4ph1", "mb1ic16ih14oc32oh14kh7ph3", "mb2ic16ih13oc32oh5kh3sh3ph1",
                 "mb2ic32ih17oc16kh4sh4ph0"}) {
        bwd_w_plan q;
        std::string why;
        INFO(ps);
        CHECK_FALSE(plan_bwd_w(problem_t::parse(ps), bwd_w_options(true), q, why, {}, 2));
        CHECK(!why.empty());
    }
    SPARSETRAIN_SKIP_WITHOUT_AVX512(); // the shapes above were planned, not run
}
