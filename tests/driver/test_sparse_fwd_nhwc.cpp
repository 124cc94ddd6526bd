// The sparse forward convolution on nhwc activations with every weights layout it reads in
// place (brgconv's Ohwi<B>o and OIhw16i16o), against the reference and oneDNN on the same
// buffers (harness: util/fwd_harness); the other test_sparse_fwd cases run nhwc too.
#include <catch2/catch.hpp>

#include "config/fwd_config.hpp"
#include "util/fwd_harness.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace sparsetrain::test::fwd;

TEST_CASE("sparse fwd on nhwc reads every weights layout in place", "[fwd][nhwc]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    // brgconv's Ohwi<B>o picks and OIhw16i16o; output groups of 16, 32 and 64 channels meet
    // the 48-channel blocks of Ohwi48o in three displacement patterns (and 32-channel groups
    // straddle nothing): one pass kernel per pattern. 3x3 and 1x1 (single, pair and inline
    // variants), bias and ReLU.
    for (weights_layout wl : {weights_layout::OIhw16i16o, weights_layout::Ohwi16o, weights_layout::Ohwi32o,
                 weights_layout::Ohwi48o, weights_layout::Ohwi64o})
        for (const char *hints : {"ocb=1", "ocb=2", "ocb=4,pairs=1", "ocb=4,sets=2"})
            for (const char *ps : {"mb2ic32ih9oc192oh9kh3ph1", "mb3ic48ih7oc192oh7kh1ph0"}) {
                auto c = make_case(ps, 0.5, 31, true, true);
                c.act = act_format::nhwc;
                c.wl = wl;
                check_case(c, 0.5, hints, false, -1);
            }
    fwd_config cfg;
    std::string why;
    sparse_conv_options o;
    o.act = act_format::nhwc;
    o.wei_layout = weights_layout::Ohwi48o;
    REQUIRE(plan_fwd(problem_t::parse("mb2ic32ih9oc192oh9kh3ph1"), o, cfg, why, fwd_plan_hints::parse("ocb=4")));
    CHECK(cfg.wei_patterns == 3);
    REQUIRE(plan_fwd(problem_t::parse("mb2ic32ih9oc192oh9kh3ph1"), o, cfg, why, fwd_plan_hints::parse("ocb=3")));
    CHECK(cfg.wei_patterns == 1);
}
