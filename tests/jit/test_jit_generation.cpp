// Generation only, on any x86-64 CPU (AVX-512 or not): every non-initial conv layer of VGG16,
// ResNet-34 and ResNet-50 v1.5 is planned and its kernels generated in all three directions.
#include <catch2/catch.hpp>

#include "driver/sparse_conv.hpp"
#include "util/network_layers.hpp"

using namespace sparsetrain;

namespace {

std::unique_ptr<sparse_conv> make(const problem_t &p, direction dir, std::string &why) {
    sparse_conv_options o;
    o.wei_layout = dir == direction::bwd_d
            ? (p.kh == 1 && p.kw == 1 ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i)
            : weights_layout::OIhw16i16o;
    o.with_bias = dir != direction::bwd_d;
    return dir == direction::fwd ? make_sparse_fwd(p, o, why)
            : dir == direction::bwd_d ? make_sparse_bwd_d(p, o, why)
                                      : make_sparse_bwd_w(p, o, why);
}

} // namespace

TEST_CASE("every non-initial layer of VGG16, ResNet-34, ResNet-50 gets sparse kernels in all directions", "[jit][generation]") {
    const auto layers = test::network_layers();
    REQUIRE(layers.size() >= 40);
    size_t kernels = 0;
    for (const auto &p : layers)
        for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
            INFO(p.to_string() << " " << to_string(dir));
            std::string why;
            const auto impl = make(p, dir, why);
            INFO(why);
            REQUIRE(impl);
            const auto ks = impl->kernels();
            CHECK(!ks.empty());
            for (const auto &k : ks) {
                CHECK(k->created());
                CHECK(k->code_size() > 0);
                // Kernels are shared by every layer with the same configuration: the one that
                // generated a kernel names it.
                CHECK(!k->problem().empty());
            }
            kernels += ks.size();
        }
    CHECK(kernels >= layers.size() * 3);
}
