// What the three sparse directions decline, and with which words: the shared scope
// (config/conv_scope.hpp) in one vocabulary, then each direction's own weights-layout limit.
// Planning only: no AVX-512 needed.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "driver/bwd_d_mask_conv.hpp"
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

using decline_case = std::pair<const char *, const char *>; // problem, the exact reason

const decline_case outside[] = {
        {"mb2ic8ih8oc16oh8kh3ph1", "ic = 8 is not a multiple of 16"},
        {"mb2ic16ih8oc8oh8kh3ph1", "oc = 8 is not a multiple of 16"},
        {"mb2ic16ih8oc16oh8kh3ph1dh1", "dilated convolution"},
        {"g2mb2ic32ih8oc32oh8kh3ph1", "grouped convolution (g = 2)"},
        {"mb2ic16id4ih8oc16od4oh8kd3kh3pd1ph1", "3D convolution"},
};

// The tap geometry the row-pass kernels (fwd, bwd_d) and the masked bwd_d kernel generate for.
const decline_case beyond_taps[] = {
        {"mb2ic16ih16oc16oh8kh9ph0", "kernels larger than 7x7 are not supported"},
        {"mb2ic16ih20oc16oh4kh3sh5ph0", "strides larger than 4 are not supported"},
        {"mb2ic16ih8oc16oh12kh3ph3", "padding must be smaller than the kernel"},
};

// Every problem of `cases` is declined by `make` with exactly its reason.
template <size_t N>
void check_declines(const char *what, const std::function<bool(const problem_t &, std::string &)> &make,
        const decline_case (&cases)[N]) {
    for (const auto &c : cases) {
        std::string why;
        INFO(what << " " << c.first);
        CHECK(!make(problem_t::parse(c.first), why));
        CHECK(why == c.second);
    }
}

bool make_with(const direction_case &d, const problem_t &p, std::string &why) {
    sparse_conv_options o;
    o.wei_layout = d.good;
    return d.make(p, o, why) != nullptr;
}

} // namespace

TEST_CASE("every sparse direction declines the shared scope with the same reason", "[fwd][bwd_d][bwd_w]") {
    for (const auto &d : directions)
        check_declines(d.name, [&](const problem_t &p, std::string &why) { return make_with(d, p, why); }, outside);
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

TEST_CASE("the masked backward data declines the shared scope and the tap limits in the same words", "[bwd_d][mask]") {
    for (bool nhwc : {false, true}) {
        const auto make = [&](const problem_t &p, std::string &why) { return make_sparse_bwd_d_mask(p, why, nhwc) != nullptr; };
        check_declines(nhwc ? "mask nhwc" : "mask", make, outside);
        check_declines(nhwc ? "mask nhwc" : "mask", make, beyond_taps);
        std::string why;
        CHECK(make(problem_t::parse("mb2ic16ih8oc16oh8kh3ph1"), why));
        CHECK(why.empty());
    }
}

TEST_CASE("the row-pass directions decline the tap limits in the same words", "[fwd][bwd_d]") {
    for (const auto &d : directions)
        if (std::string(d.name) != "bwd_w") // bwd_w has its own limits (bwd_w_plan)
            check_declines(d.name, [&](const problem_t &p, std::string &why) { return make_with(d, p, why); }, beyond_taps);
}
