// sparsetrain-bench on channels-last buffers (--layout=nhwc) and both layouts timed together
// (--layout=both): the sides, their checks and the layout in the results.
#include <catch2/catch.hpp>

#include "bench/problem_bench.hpp"
#include "bench/report.hpp"
#include "common/cpu.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

TEST_CASE("problem_bench on nhwc and on both layouts", "[bench]") {
    const auto p = problem_t::parse("mb2ic16ih6oc32oh6kh3ph1n\"tiny\"");
    SECTION("nhwc: both sides on nhwc buffers, oneDNN's own nhwc pick as the baseline") {
        for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
            INFO(to_string(d));
            problem_bench b(p, d, {dispatch_mode::sparse, dispatch_mode::automatic}, baseline::direct, act_format::nhwc);
            b.fill(0.6, 5);
            const auto m = b.run(0, 1, true);
            CHECK(m.layout == act_format::nhwc);
            CHECK(m.check_ok);
            CHECK(m.dense_impl.rfind("ref", 0) != 0);
            CHECK(csv_row(m).substr(csv_row(m).rfind(',') + 1) == "nhwc");
            if (d == direction::fwd && max_isa() >= cpu_isa::avx512_core) {
                CHECK(m.dense_impl.find("brg") != std::string::npos);
                CHECK(m.ours[0].impl.rfind("sparse_jit", 0) == 0);
            }
        }
    }
    SECTION("both layouts timed together: one measurement per bench, in order") {
        problem_bench a(p, direction::bwd_d, dispatch_mode::sparse, baseline::direct, act_format::nChw16c);
        problem_bench b(p, direction::bwd_d, dispatch_mode::sparse, baseline::direct, act_format::nhwc);
        a.fill(0.5, 2);
        b.fill(0.5, 2);
        const auto ms = problem_bench::run_together({&a, &b}, 0, 2, true);
        REQUIRE(ms.size() == 2);
        CHECK(ms[0].layout == act_format::nChw16c);
        CHECK(ms[1].layout == act_format::nhwc);
        for (const auto &m : ms) {
            CHECK(m.check_ok);
            CHECK(m.dense_ms > 0);
            CHECK(m.sparse_ms > 0);
        }
    }
}
