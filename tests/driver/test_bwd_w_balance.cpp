// The channel split of the sparse backward-weights convolution: contiguous channel-block
// ranges per thread, cut where the sampled work (list building + FMAs of the non-zeros) is
// balanced, so that dead channels gathered in one range do not leave one thread with most of
// the work; the results stay exact and independent of the split.
#include <catch2/catch.hpp>

#include <omp.h>

#include <numeric>

#include "config/bwd_w_plan.hpp"
#include "driver/bwd_w_channel_split.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

double range_sum(const std::vector<double> &w, int64_t b, int64_t e) {
    return std::accumulate(w.begin() + b, w.begin() + e, 0.0);
}

// nChw16c src of `p` with 70 % i.i.d. zeros in the live channels; channels [dead0, dead1) zero.
std::vector<float> src_with_dead_channels(const problem_t &p, int64_t dead0, int64_t dead1) {
    std::vector<float> plain(p.mb * p.ic * p.ih * p.iw);
    test::fill_int(plain, 3, -3, 3);
    test::sparsify(plain, 4, 0.7);
    for (int64_t n = 0; n < p.mb; ++n)
        for (int64_t c = dead0; c < dead1; ++c)
            std::fill_n(plain.begin() + (n * p.ic + c) * p.ih * p.iw, p.ih * p.iw, 0.f);
    return test::to_layout(plain, test::src_dims(p), dnnl::memory::format_tag::nchw, dnnl::memory::format_tag::nChw16c);
}

} // namespace

TEST_CASE("split_by_weight: contiguous ranges of balanced weight, at least one item each", "[bwd_w][balance]") {
    CHECK(split_by_weight({1, 1, 1, 1}, 2) == std::vector<int64_t> {0, 2, 4});
    CHECK(split_by_weight({1, 1, 1, 1, 1, 1}, 3) == std::vector<int64_t> {0, 2, 4, 6});
    // Dead (cheap) items first: the cut moves right.
    CHECK(split_by_weight({0.1, 0.1, 0.1, 0.1, 1, 1, 1, 1}, 2) == std::vector<int64_t> {0, 6, 8});
    CHECK(split_by_weight({1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1}, 2) == std::vector<int64_t> {0, 2, 8});
    // All the weight in one item: that item alone, every other part still non-empty.
    CHECK(split_by_weight({0, 0, 0, 5}, 3) == std::vector<int64_t> {0, 2, 3, 4});
    CHECK(split_by_weight({5, 0, 0, 0}, 3) == std::vector<int64_t> {0, 1, 2, 4});
    CHECK(split_by_weight({1, 2}, 4) == std::vector<int64_t> {0, 1, 2}); // fewer items than parts
    CHECK(split_by_weight({3}, 1) == std::vector<int64_t> {0, 1});
}

TEST_CASE("bwd_w channel parts: dead channels gathered in one range are balanced by the sampled work", "[bwd_w][balance]") {
    // 256 channels, 2 threads; the first 112 channels (7 of 16 blocks) are dead.
    const auto p = problem_t::parse("mb4ic256ih14oc64oh14kh3ph1");
    bwd_w_plan q;
    std::string why;
    REQUIRE(plan_bwd_w(p, bwd_w_options(false), q, why, {}, 2));
    REQUIRE(q.n_c_parts == 2);
    const auto src = src_with_dead_channels(p, 0, 112);
    const auto w = bwd_w_block_work(q, src.data());
    REQUIRE(w.size() == 16);
    CHECK(w[0] * 5 < w[15]); // the sampled work sees the dead blocks
    const auto b = bwd_w_channel_parts(q, src.data());
    REQUIRE(b.size() == 3);
    CHECK(b[0] == 0);
    CHECK(b[2] == 16);
    const double a = range_sum(w, b[0], b[1]), c = range_sum(w, b[1], b[2]);
    INFO("cut at block " << b[1] << ": work " << a << " / " << c);
    CHECK(std::max(a, c) < 1.2 * std::min(a, c));
    // (An even split, blocks 0..7 and 8..15, would give the second thread ~1.8x the first's work.)
    CHECK(range_sum(w, 8, 16) > 1.5 * range_sum(w, 0, 8));
    // i.i.d. zeros: the even split.
    const auto iid = src_with_dead_channels(p, 0, 0);
    CHECK(bwd_w_channel_parts(q, iid.data()) == std::vector<int64_t> {0, 8, 16});
    // SPARSETRAIN_BWD_W_BALANCE=0 (tuning): equal block counts whatever the data.
    bwd_w_tuning even;
    even.balance_channels = false;
    REQUIRE(plan_bwd_w(p, bwd_w_options(false), q, why, even, 2));
    CHECK(bwd_w_channel_parts(q, src.data()) == std::vector<int64_t> {0, 8, 16});
}

TEST_CASE("bwd_w with dead channels: exact at 1, 2 and 3 threads whatever the split", "[bwd_w][balance]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    dispatch_options sparse;
    sparse.mode = dispatch_mode::sparse;
    const int saved = omp_get_max_threads();
    for (const char *ps : {"mb3ic128ih9oc32oh9kh3ph1", "mb2ic96ih8oc48oh8kh1ph0", "mb2ic64ih12oc32oh6kh3sh2ph1"}) {
        const auto p = problem_t::parse(ps);
        auto d = test::make_conv_data(p, 11, 0.6);
        for (int64_t n = 0; n < p.mb; ++n) // the first half of the channels dead
            std::fill_n(d.src.begin() + n * p.ic * p.ih * p.iw, p.ic / 2 * p.ih * p.iw, 0.f);
        for (int threads : {1, 2, 3}) {
            omp_set_num_threads(threads);
            const auto r = test::run_against_reference(p, direction::bwd_w, d, true, sparse);
            INFO(ps << " threads " << threads);
            REQUIRE(r.stats.sparse_runs == 1);
            CHECK(test::compare(r.ours, r.ref, 0).ok);
            CHECK(test::compare(r.ours_bias, r.ref_bias, 0).ok);
            CHECK(r.guards_ok);
        }
    }
    omp_set_num_threads(saved);
}
