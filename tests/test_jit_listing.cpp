// Annotated listings (capstone): the whole kernel decodes, markers and mix are shown.
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

