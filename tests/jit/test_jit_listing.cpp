// Annotated listings (Zydis): the whole kernel decodes, markers and mix are shown.
#include <catch2/catch.hpp>

#include "tools/jit_listing.hpp"
#include "util/test_kernel.hpp"

using namespace sparsetrain;
using namespace sparsetrain::jit;
using sparsetrain::test::test_kernel;

TEST_CASE("annotated listing decodes the whole kernel and shows the markers", "[jit]") {
    test_kernel k;
    k.create();
    const auto d = disassemble(k.code(), k.code_size());
    CHECK(d.decoded_bytes == k.code_size());
    const auto mix = instruction_mix(d);
    CHECK(mix.count("undecoded") == 0);
    CHECK(mix.at("fma") == 2);
    CHECK(mix.at("compress") == 2);
    CHECK(mix.at("broadcast") >= 1);
    const std::string l = annotated_listing(k);
    CHECK(l.find("---- zero check + compaction") != std::string::npos);
    CHECK(l.find("---- list loop") != std::string::npos);
    CHECK(l.find("vfmadd231ps") != std::string::npos);
    CHECK(l.find("vcompressps") != std::string::npos);
}


#include "driver/sparse_conv.hpp"
#include "util/network_layers.hpp"

TEST_CASE("listings of every network layer's kernels decode completely", "[jit][generation]") {
    size_t n = 0;
    for (const auto &p : test::network_layers())
        for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
            sparse_conv_options o;
            o.wei_layout = dir == direction::bwd_d
                    ? (p.kh == 1 ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i)
                    : weights_layout::OIhw16i16o;
            std::string why;
            const auto impl = dir == direction::fwd ? make_sparse_fwd(p, o, why)
                    : dir == direction::bwd_d       ? make_sparse_bwd_d(p, o, why)
                                                    : make_sparse_bwd_w(p, o, why);
            INFO(p.to_string() << " " << to_string(dir) << ": " << why);
            REQUIRE(impl);
            for (const auto &k : impl->kernels()) {
                const auto d = disassemble(k->code(), k->instruction_bytes());
                CHECK(d.decoded_bytes == k->instruction_bytes());
                CHECK(k->code_size() - k->instruction_bytes() < 256); // only small constant tables
                CHECK(instruction_mix(d).count("undecoded") == 0);
                ++n;
            }
        }
    CHECK(n > 0);
}
