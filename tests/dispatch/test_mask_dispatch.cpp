// masked_dispatcher (dispatch/mask_dispatch.hpp) with stand-in kernels: forced modes, the
// candidate kernel by the static shapes, and automatic mode calibrating both kernels' models.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <omp.h>

#include "dispatch/mask_dispatch.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace sparsetrain::detail;

namespace {

struct stand_in : sparse_conv {
    std::string n;
    explicit stand_in(std::string name) : n(std::move(name)) {}
    void execute(const conv_tensors &) const override {}
    std::string name() const override { return n; }
    std::string config_str() const override { return n; }
};

struct calls {
    std::vector<std::string> v;
    masked_paths paths() {
        masked_paths p;
        p.mask = [this](double) { v.push_back("mask"); };
        p.row = [this](double) { v.push_back("row"); };
        p.dense = [this] { v.push_back("dense"); };
        p.reference = [this] { v.push_back("reference"); };
        return p;
    }
};

conv_pd_impl masked_pd(const char *problem, dispatch_mode mode) {
    conv_pd_impl pd;
    pd.dir = direction::bwd_d;
    pd.prob = problem_t::parse(problem);
    pd.has_dnnl = true;
    pd.relu_mask = true;
    pd.sparse = std::make_shared<stand_in>("row");
    pd.sparse_mask = std::make_shared<stand_in>("mask");
    pd.chosen = impl_kind::sparse_jit;
    pd.mode = mode;
    return pd;
}

} // namespace

TEST_CASE("masked dispatcher: forced modes, candidate kernel, both models calibrated in automatic mode", "[dispatch][mask]") {
    std::vector<float> src(4096, 1.f), dd(4096, 1.f);
    for (size_t i = 0; i < src.size(); ++i) src[i] = i % 10 ? 0.f : 1.f; // 90 % zeros in src, diff_dst dense
    SECTION("sparse: the kernel the static shapes prefer (src 90 % zeros, 256 output channels: mask)") {
        const auto pd = masked_pd("mb2ic32ih8oc256oh8kh3ph1", dispatch_mode::sparse);
        masked_dispatcher d(pd);
        calls c;
        const auto ch = d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v == std::vector<std::string> {"mask"});
        CHECK(ch.src_zeros == Approx(0.9).margin(0.01));
        CHECK(ch.dd_zeros == Approx(0.0));
        // diff_dst nearly all zeros, src dense: the diff_dst kernel.
        for (size_t i = 0; i < src.size(); ++i) {
            dd[i] = i % 50 ? 0.f : 1.f;
            src[i] = 1.f;
        }
        c.v.clear();
        d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v == std::vector<std::string> {"row"});
    }
    SECTION("dense and deterministic") {
        auto pd = masked_pd("mb2ic32ih8oc256oh8kh3ph1", dispatch_mode::dense);
        pd.chosen = impl_kind::onednn;
        masked_dispatcher d(pd);
        calls c;
        d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v == std::vector<std::string> {"dense"});
        const auto pdd = masked_pd("mb2ic32ih8oc256oh8kh3ph1", dispatch_mode::deterministic);
        masked_dispatcher dd2(pdd);
        c.v.clear();
        const auto ch = dd2.run(pdd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v == std::vector<std::string> {"mask"}); // 0.9 >= the static threshold (~0.3)
        CHECK(ch.note.find("deterministic") != std::string::npos);
    }
    SECTION("automatic: each kernel's model is calibrated (two executes each), then models decide") {
        // A shape no other test uses: the process-wide models start uncalibrated.
        const auto pd = masked_pd("mb3ic32ih7iw9oc256oh7ow9kh3ph1", dispatch_mode::automatic);
        masked_dispatcher d(pd);
        calls c;
        for (int i = 0; i < 4; ++i) d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        INFO(c.v[0] << " " << c.v[1] << " " << c.v[2] << " " << c.v[3]);
        REQUIRE(c.v.size() == 4);
        // First the masked kernel's calibration (static choice: mask, then dense), then the
        // diff_dst kernel's (static choice at diff_dst density 1: dense, then row).
        CHECK(c.v == std::vector<std::string> {"mask", "dense", "dense", "row"});
        CHECK(crossover_model_for(masked_model_key(pd, masked_path::mask, omp_get_max_threads()))->calibrated());
        CHECK(crossover_model_for(masked_model_key(pd, masked_path::row, omp_get_max_threads()))->calibrated());
        // Then each kernel once more (confirming its calibration time), then the models decide.
        c.v.clear();
        for (int i = 0; i < 2; ++i) d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v == std::vector<std::string> {"mask", "row"});
        c.v.clear();
        const auto ch = d.run(pd, src.data(), src.size(), dd.data(), dd.size(), c.paths());
        CHECK(c.v.size() == 1);
        CHECK(ch.note.find("predicted") != std::string::npos);
    }
}
