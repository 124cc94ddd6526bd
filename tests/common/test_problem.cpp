// The problem descriptor: benchdnn string grammar, defaults, round trip, errors.
#include <catch2/catch.hpp>

#include "common/problem.hpp"
#include "sparsetrain/error.hpp"

using sparsetrain::problem_t;

TEST_CASE("problem string: fields, defaults and derived values", "[problem]") {
    const auto p = problem_t::parse("mb16ic256ih28oc256oh28kh3ph1n\"vgg16:conv4_2\"");
    CHECK(p.mb == 16);
    CHECK(p.ic == 256);
    CHECK(p.ih == 28);
    CHECK(p.iw == 28);
    CHECK(p.oc == 256);
    CHECK(p.oh == 28);
    CHECK(p.ow == 28);
    CHECK(p.kh == 3);
    CHECK(p.kw == 3);
    CHECK(p.sh == 1);
    CHECK(p.sw == 1);
    CHECK(p.ph == 1);
    CHECK(p.pw == 1);
    CHECK(p.ph_r == 1);
    CHECK(p.pw_r == 1);
    CHECK(p.dh == 0);
    CHECK(p.g == 1);
    CHECK(p.name == "vgg16:conv4_2");
    CHECK(p.ndims == 4);

    SECTION("mb defaults to 2, or to the caller's default") {
        CHECK(problem_t::parse("ic16ih7oc16oh7kh1ph0").mb == 2);
        CHECK(problem_t::parse("ic16ih7oc16oh7kh1ph0", 32).mb == 32);
    }
    SECTION("missing output follows from padding (0 when missing)") {
        const auto q = problem_t::parse("ic64ih56oc128kh3sh2ph1");
        CHECK(q.oh == 28);
        const auto r = problem_t::parse("ic64ih56oc64kh3");
        CHECK(r.oh == 54);
        CHECK(r.ph == 0);
    }
    SECTION("missing padding follows from output") {
        const auto q = problem_t::parse("ic64ih56oc64oh56kh3");
        CHECK(q.ph == 1);
        CHECK(q.ph_r == 1);
    }
    SECTION("right padding is derived, may be negative for 1x1 stride 2") {
        const auto q = problem_t::parse("mb16ic256ih56oc512oh28kh1sh2ph0");
        CHECK(q.ph_r == -1);
        CHECK(q.oh == 28);
    }
    SECTION("underscores and rectangular shapes") {
        const auto q = problem_t::parse("g1_mb4_ic32ih10iw12_oc48oh10ow12_kh3kw3_sh1sw1_ph1pw1");
        CHECK(q.iw == 12);
        CHECK(q.ow == 12);
        CHECK(q.ih == 10);
        CHECK(q.mb == 4);
    }
    SECTION("name without quotes takes the rest of the string") {
        CHECK(problem_t::parse("ic16ih8oc16oh8kh1ph0nres2a*3").name == "res2a*3");
    }
    SECTION("3D") {
        const auto q = problem_t::parse("ic16id8ih8oc16od8oh8kd3kh3pd1ph1");
        CHECK(q.ndims == 5);
        CHECK(q.od == 8);
        CHECK(q.kd == 3);
    }
}

TEST_CASE("problem string round trip", "[problem]") {
    const char *strings[] = {
            "mb16ic256ih28oc256oh28kh3ph1n\"vgg16:conv4_2\"",
            "ic3ih224oc64oh112kh7sh2ph3",
            "mb16ic256ih56oc512oh28kh1sh2ph0",
            "mb1ic16ih7iw9oc32oh7ow9kh3kw3ph1",
            "g2mb8ic32ih14oc64oh14kh3ph1",
            "mb4ic16ih20oc16oh16kh3ph0dh1",
            "mb4ic16ih20iw10oc16oh10ow5kh3kw1sh2sw2ph1pw0",
            "ic16id8ih8oc16od8oh8kd3kh3pd1ph1",
            "mb3ic48ih33oc80oh17kh3sh2ph1n\"odd:stride2\"",
    };
    for (const char *s : strings) {
        INFO(s);
        const auto p = problem_t::parse(s);
        const auto q = problem_t::parse(p.to_string());
        CHECK(p == q);
        CHECK(q.to_string() == p.to_string());
    }
    CHECK(problem_t::parse("mb16ic256ih28oc256oh28kh3ph1n\"x\"").to_string()
            == "mb16ic256ih28oc256oh28kh3ph1n\"x\"");
    CHECK(problem_t::parse("mb2_ic3oc64_ih224oh112kh7sh2ph3").to_string() == "ic3ih224oc64oh112kh7sh2ph3");
}

TEST_CASE("problem string errors name the position", "[problem][bad_input]") {
    auto fails_with = [](const std::string &s, const std::string &what) {
        INFO(s);
        try {
            (void)problem_t::parse(s);
            FAIL("no exception for " << s);
        } catch (const sparsetrain::error &e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(what) != std::string::npos);
        }
    };
    fails_with("mb16ic256ih28qc256oh28kh3ph1", "position 13");
    fails_with("mb16ic256ih28qc256oh28kh3ph1", "unexpected character 'q'");
    fails_with("mb16ic-256ih28oc256kh3", "negative value for 'ic'");
    fails_with("mb16icih28oc256kh3", "missing value for 'ic'");
    fails_with("ic0ih28oc256kh3", "ic must be positive");
    fails_with("ic16ih28oc0kh3", "oc must be positive");
    fails_with("ic16ih28oc16kh3sh0", "stride sh must be positive");
    fails_with("ic16oc16kh3", "ih/iw missing");
    fails_with("ic16ih8oc16", "kh/kw missing");
    fails_with("ic16ih8ic16oc16kh1", "given twice");
    fails_with("ic16ih2oc16kh5", "is not positive");
    fails_with("ic16ih8oc16kh1n\"unterminated", "unbalanced quotes");
}

TEST_CASE("problem validate: output sizes must add up", "[problem][bad_input]") {
    auto p = problem_t::parse("mb2ic16ih8oc16oh8kh3ph1");
    p.ow = 9;
    CHECK_THROWS_WITH(p.validate(), Catch::Contains("ow = 9 does not follow"));
    p.ow = 8;
    p.mb = 0;
    CHECK_THROWS_WITH(p.validate(), Catch::Contains("mb = 0 must be positive"));
}

TEST_CASE("problem flops conventions", "[problem]") {
    const auto p = problem_t::parse("mb16ic256ih28oc256oh28kh3ph1");
    CHECK(p.flops() == Approx(2.0 * 16 * 256 * 256 * 9 * 28 * 28));
    // benchdnn excludes the padding taps: (26*3 + 2*2)^2 / (28*3)^2 = 0.953 for 28x28 3x3 p1.
    CHECK(p.flops_benchdnn() / p.flops() == Approx(0.953).epsilon(0.001));
}
