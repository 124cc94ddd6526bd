// The benchmark's problem mode on problems off the sparse kernels' path: dilation (benchdnn's
// convention, dh1 = one gap between taps) runs on sparsetrain's dense fallback, and a bad or
// unsupported problem in a list becomes an error row while the others still run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "bench/bench_options.hpp"
#include "bench/problem_bench.hpp"
#include "bench/problem_list.hpp"
#include "bench/zero_pattern.hpp"
#include "sparsetrain/error.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

TEST_CASE("problem_bench: a dilated problem runs on the dense fallback and matches oneDNN", "[bench]") {
    // oh = (14 + 2*2 - ((3 - 1) * 2 + 1)) / 1 + 1 = 14: valid only with the dilation applied.
    const auto p = problem_t::parse("mb2ic32ih14oc32oh14kh3ph2dh1");
    for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(d));
        problem_bench b(p, d, dispatch_mode::automatic);
        b.fill(0.5, 3);
        const auto m = b.run(0, 1, true);
        CHECK(m.check_ok);
        CHECK(m.sparse_impl.rfind("onednn:", 0) == 0); // the sparse kernels decline dilation
        REQUIRE(m.ours.size() == 1);
        CHECK(m.ours[0].ran == "dense");
    }
}

TEST_CASE("problem list: a bad or unsupported problem is an error row, the others still run", "[bench]") {
    const char *argv[] = {"sparsetrain-bench", "--dir=fwd", "--reps=1", "--warmup=0", "mb2ic16ih6oc16oh6kh3ph1",
            "mb2ic16ihXoc16", "g2mb2ic32ih8oc32oh8kh3ph1", "mb2ic32ih14oc32oh14kh3ph2dh1"};
    const auto o = parse_options((int)(sizeof(argv) / sizeof(argv[0])), const_cast<char **>(argv));
    const auto entries = collect_problem_entries(o);
    REQUIRE(entries.size() == 4);
    CHECK(entries[1].error.find("mb2ic16ihXoc16") != std::string::npos); // names the string
    CHECK_THROWS_AS(collect_problems(o), error);                       // the strict form still throws
    std::ostringstream table, log;
    progress prog(log, 3, 1.0, false);
    const auto r = run_problem_list(entries, o, prog, table);
    INFO(table.str());
    CHECK(r.errors == 2);
    CHECK(r.all_ok);
    REQUIRE(r.measured.size() == 2); // the plain and the dilated problem
    CHECK(r.measured[1].prob.dh == 1);
    // Each error row names its problem and says why.
    const std::string t = table.str();
    CHECK(t.find("mb2ic16ihXoc16") != std::string::npos);
    CHECK(t.find("g2ic32ih8oc32oh8kh3ph1") != std::string::npos); // (mb2, the default, is left out)
    CHECK(t.find("ERROR: sparsetrain-bench: only 2D ungrouped problems") != std::string::npos);
}

TEST_CASE("zero patterns: exact shares, whole channels, patches shared by every channel", "[bench]") {
    const int64_t n = 3, c = 20, h = 14, w = 11;
    for (double s : {0.0, 0.35, 0.7, 1.0}) {
        INFO("sparsity " << s);
        std::vector<float> v(n * c * h * w, 1.f);
        apply_zero_pattern(v, n, c, h, w, zero_pattern::channels, s, 9);
        int64_t dead = 0;
        for (int64_t ch = 0; ch < c; ++ch) {
            const auto plane = [&](int64_t i) { return v.begin() + (i * c + ch) * h * w; };
            const bool zero = std::all_of(plane(0), plane(0) + h * w, [](float x) { return x == 0.f; });
            const bool one = std::all_of(plane(0), plane(0) + h * w, [](float x) { return x == 1.f; });
            CHECK((zero || one));
            for (int64_t i = 1; i < n; ++i) CHECK(std::equal(plane(0), plane(0) + h * w, plane(i))); // the same in every image
            dead += zero;
        }
        CHECK(dead == std::llround(s * c));

        std::vector<float> u(n * c * h * w, 1.f);
        apply_zero_pattern(u, n, c, h, w, zero_pattern::spatial, s, 9);
        for (int64_t i = 0; i < n; ++i) {
            const auto img = u.begin() + i * c * h * w;
            CHECK(std::count(img, img + h * w, 0.f) == std::llround(s * h * w));
            for (int64_t ch = 1; ch < c; ++ch) CHECK(std::equal(img, img + h * w, img + ch * h * w));
            // Patches: few zero / non-zero changes along the rows (i.i.d. would give ~2 s (1 - s) per pixel).
            int64_t changes = 0;
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 1; x < w; ++x) changes += (img[y * w + x] == 0.f) != (img[y * w + x - 1] == 0.f);
            CHECK(changes <= 4 * h);
        }
    }
    std::vector<float> iid(10, 1.f);
    apply_zero_pattern(iid, 1, 1, 2, 5, zero_pattern::iid, 0.5, 1); // i.i.d. zeros come from fill_plain
    CHECK(std::count(iid.begin(), iid.end(), 1.f) == 10);
    CHECK_THROWS_AS(apply_zero_pattern(iid, 1, 1, 3, 5, zero_pattern::spatial, 0.5, 1), error);
}

TEST_CASE("bench options: --zeros takes one pattern (a list in the problem mode)", "[bench]") {
    auto parse = [](std::vector<const char *> a) {
        a.insert(a.begin(), "sparsetrain-bench");
        return parse_options((int)a.size(), const_cast<char **>(a.data()));
    };
    CHECK(parse({}).zeros == std::vector<zero_pattern> {zero_pattern::iid});
    CHECK(parse({"--zeros=spatial"}).zeros == std::vector<zero_pattern> {zero_pattern::spatial});
    CHECK(timing_of(parse({"--zeros=channels", "--sweep"})).zeros == zero_pattern::channels);
    CHECK(parse({"--zeros=iid,channels,spatial"}).zeros.size() == 3);
    CHECK_THROWS_WITH(parse({"--zeros=blobs"}), Catch::Contains("--zeros=blobs"));
    CHECK_THROWS_WITH(parse({"--zeros=iid,spatial", "--net=vgg16"}), Catch::Contains("--zeros"));
    CHECK(parse({"--dispatch=deterministic"}).dispatch == dispatch_mode::deterministic);
}
