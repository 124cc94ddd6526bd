// The shared JIT machinery: the zero-skip emitters (compaction + list loop) run against a
// scalar model, W^X code pages, the kernel cache, dumps, perf map and annotated listings.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/cpu.hpp"
#include "jit/kernel_cache.hpp"
#include "jit/kernel_publish.hpp"
#include "jit/zero_skip.hpp"
#include "util/env_guard.hpp"
#include "util/test_data.hpp"
#include "util/test_kernel.hpp"

using namespace sparsetrain;
using namespace sparsetrain::jit;
using namespace Xbyak;


TEST_CASE("zero-skip emitters: compaction and list loop match a scalar model", "[jit]") {
    test::test_kernel k;
    k.create();
    SPARSETRAIN_SKIP_WITHOUT_AVX512(); // generated above, not run
    const int nvec = 4; // 64 sparse lanes, 64 + 16 dense rows
    for (double sparsity : {0.0, 0.5, 0.9, 1.0}) {
        std::vector<float> sparse(nvec * 16), dense((nvec * 16 + 16) * 16);
        test::fill_int(sparse, 5, -3, 3);
        test::sparsify(sparse, 6, sparsity);
        sparse[3] = -0.0f; // negative zero is skipped like zero
        test::fill_int(dense, 7, -4, 4);
        std::vector<float> vals(nvec * 16 + 16), out(32);
        std::vector<int32_t> offs(nvec * 16 + 16);
        const int64_t n = k.entry<test::test_fn>()(sparse.data(), dense.data(), vals.data(), offs.data(), out.data(), nvec);

        std::vector<float> expect(32, 0.f);
        int64_t nnz = 0;
        for (int l = 0; l < nvec * 16; ++l) {
            if (sparse[l] == 0.f) continue;
            INFO("lane " << l);
            REQUIRE(nnz < n);
            CHECK(vals[nnz] == sparse[l]);
            CHECK(offs[nnz] == l * 64);
            ++nnz;
            for (int j = 0; j < 16; ++j) {
                expect[j] += sparse[l] * dense[l * 16 + j];
                expect[16 + j] += sparse[l] * dense[(l + 16) * 16 + j];
            }
        }
        CHECK(n == nnz);
        CHECK(test::compare(out, expect, 0).ok);
    }
}

TEST_CASE("generated code is never writable and executable at once", "[jit]") {
    test::test_kernel k;
    k.create();
    const uintptr_t addr = reinterpret_cast<uintptr_t>(k.code());
    std::ifstream maps("/proc/self/maps");
    std::string line;
    bool found = false;
    while (std::getline(maps, line)) {
        unsigned long lo = 0, hi = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) != 3) continue;
        if (addr >= lo && addr < hi) {
            found = true;
            INFO(line);
            CHECK(perms[0] == 'r');
            CHECK(perms[1] == '-');
            CHECK(perms[2] == 'x');
        }
    }
    CHECK(found);
}

TEST_CASE("kernel cache: one generation per key, LRU bound", "[jit]") {
    auto &cache = kernel_cache::instance();
    const size_t cap = cache.capacity();
    int made = 0;
    auto make = [&] {
        ++made;
        auto k = std::make_shared<test::test_kernel>();
        k->create();
        return k;
    };
    auto a = cache.get<test::test_kernel>("test:key-a", make);
    auto b = cache.get<test::test_kernel>("test:key-a", make);
    CHECK(a == b);
    CHECK(made == 1);
    cache.set_capacity(1);
    auto c = cache.get<test::test_kernel>("test:key-c", make);
    CHECK(made == 2);
    CHECK(cache.size() == 1);
    auto a2 = cache.get<test::test_kernel>("test:key-a", make); // evicted: generated again
    CHECK(made == 3);
    CHECK(a->code_size() == a2->code_size()); // the evicted kernel still works for its holders
    cache.set_capacity(cap);
}

TEST_CASE("SPARSETRAIN_JIT_DUMP writes named code and description files", "[jit]") {
    char tmpl[] = "/tmp/sparsetrain-dump-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    test::test_kernel k;
    {
        test::env_guard g("SPARSETRAIN_JIT_DUMP", dir.c_str());
        k.create();
    }
    const std::string base = dir + "/" + dump_basename(k);
    CHECK(base.find("sparsetrain_test_zero_skip.unit-test.") != std::string::npos);
    std::ifstream bin(base + ".bin", std::ios::binary | std::ios::ate);
    REQUIRE(bin.good());
    CHECK((size_t)bin.tellg() == k.code_size());
    std::ifstream txt(base + ".txt");
    std::stringstream ss;
    ss << txt.rdbuf();
    CHECK(ss.str().find("config: acc=2") != std::string::npos);
    CHECK(ss.str().find("list loop") != std::string::npos);
    std::remove((base + ".bin").c_str());
    std::remove((base + ".txt").c_str());
    rmdir(dir.c_str());
}

TEST_CASE("SPARSETRAIN_JIT_PROFILE writes perf map symbols", "[jit]") {
    test::test_kernel k;
    {
        test::env_guard g("SPARSETRAIN_JIT_PROFILE", "1");
        k.create();
    }
    std::ifstream map("/tmp/perf-" + std::to_string(getpid()) + ".map");
    REQUIRE(map.good());
    std::string line, last;
    char addr[32];
    std::snprintf(addr, sizeof(addr), "%lx ", (unsigned long)(uintptr_t)k.code());
    bool found = false;
    while (std::getline(map, line))
        if (line.rfind(addr, 0) == 0 && line.find("sparsetrain::test_zero_skip::unit-test") != std::string::npos)
            found = true;
    CHECK(found);
}
