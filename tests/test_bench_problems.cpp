// The benchmark's problem mode on problems off the sparse kernels' path: dilation (benchdnn's
// convention, dh1 = one gap between taps) runs on sparsetrain's dense fallback, and a bad or
// unsupported problem in a list becomes an error row while the others still run.
#include <catch2/catch.hpp>

#include <sstream>

#include "bench/bench_options.hpp"
#include "bench/problem_bench.hpp"
#include "bench/problem_list.hpp"
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
