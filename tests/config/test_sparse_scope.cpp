// What the three sparse directions decline, and with which words: the shared scope
// (config/conv_scope.hpp) in one vocabulary, then each direction's own weights-layout limit.
// Planning only: no AVX-512 needed.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "driver/sparse_conv.hpp"

using namespace sparsetrain;

namespace {

using factory = std::function<std::unique_ptr<sparse_conv>(const problem_t &, const sparse_conv_options &, std::string &)>;

struct direction_case {
    const char *name;
    factory make;
    weights_layout good, bad; // a weights layout the direction reads, and one it declines
    const char *bad_reason;   // a word of the weights decline
    const char *ok_problem;
};

const direction_case directions[] = {
        {"fwd", make_sparse_fwd, weights_layout::OIhw16i16o, weights_layout::OIhw16o16i, "OIhw16i16o", "mb2ic16ih8oc16oh8kh3ph1"},
        {"bwd_d", make_sparse_bwd_d, weights_layout::IOhw16o16i, weights_layout::OIhw16i16o, "OIhw16o16i", "mb2ic16ih8oc16oh8kh1ph0"},
        {"bwd_w", make_sparse_bwd_w, weights_layout::OIhw16i16o, weights_layout::OIhw16o16i, "OIhw16i16o", "mb2ic16ih8oc16oh8kh3ph1"},
};

} // namespace

TEST_CASE("every sparse direction declines the shared scope with the same reason", "[fwd][bwd_d][bwd_w]") {
    const std::pair<const char *, const char *> outside[] = {
            {"mb2ic8ih8oc16oh8kh3ph1", "ic = 8 is not a multiple of 16"},
            {"mb2ic16ih8oc8oh8kh3ph1", "oc = 8 is not a multiple of 16"},
            {"mb2ic16ih8oc16oh8kh3ph1dh1", "dilated convolution"},
            {"g2mb2ic32ih8oc32oh8kh3ph1", "grouped convolution (g = 2)"},
            {"mb2ic16id4ih8oc16od4oh8kd3kh3pd1ph1", "3D convolution"},
    };
    for (const auto &d : directions)
        for (const auto &c : outside) {
            sparse_conv_options o;
            o.wei_layout = d.good;
            std::string why;
            INFO(d.name << " " << c.first);
            CHECK(!d.make(problem_t::parse(c.first), o, why));
            CHECK(why == c.second);
        }
}

TEST_CASE("every sparse direction declines a weights layout it does not read, and accepts its own", "[fwd][bwd_d][bwd_w]") {
    for (const auto &d : directions) {
        INFO(d.name);
        sparse_conv_options o;
        o.wei_layout = d.bad;
        std::string why;
        CHECK(!d.make(problem_t::parse(d.ok_problem), o, why));
        CHECK(why.find(d.bad_reason) != std::string::npos);
        o.wei_layout = d.good;
        why.clear();
        CHECK(d.make(problem_t::parse(d.ok_problem), o, why));
        CHECK(why.empty());
    }
}
