// Channels-last (nhwc) activations through the public API: the sparse kernels run directly on
// the nhwc buffers (forced sparse, outputs pre-filled with NaN), results equal oneDNN dense on
// its own nhwc primitive and the naive reference exactly; the primitive_descs report nhwc and
// oneDNN's weight pick; mixed activation layouts go to oneDNN dense with a clear reason.
#include <catch2/catch.hpp>

#include "api/conv_pd_impl.hpp"
#include "common/cpu.hpp"
#include "util/conv_runner.hpp"
#include "util/reference_runner.hpp"
#include "util/test_data.hpp"
#include "util/test_layouts.hpp"

using namespace sparsetrain;
using tag = dnnl::memory::format_tag;

namespace {

bool sparsetrain_has_avx512() { return sparsetrain::max_isa() >= sparsetrain::cpu_isa::avx512_core; }

dispatch_options forced_sparse() {
    dispatch_options o;
    o.mode = dispatch_mode::sparse;
    return o;
}

// Problems covering the kernels' nhwc cases: 3x3 stride 1 / 2, odd widths, 1x1 stride 1 / 2
// (inline compaction, offsets-only bwd_w lists), brgconv's weight blocks Ohwi16o (oc 16),
// Ohwi32o, Ohwi48o (1x1, oc 512: groups of 64 channels meet the 48-channel blocks in three
// patterns) and Ohwi64o.
const char *const shapes[] = {
        "mb2ic16ih9oc16oh9kh3ph1",          // Ohwi16o
        "mb2ic32ih9iw13oc48oh9ow13kh3ph1",  // odd widths, Ohwi32o with a padded last block
        "mb3ic64ih12oc64oh6kh3sh2ph1",      // stride 2, Ohwi64o
        "mb2ic256ih7oc256oh7kh3ph1",        // Ohwi32o, several output groups
        "mb2ic64ih14oc256oh14kh1ph0",       // 1x1, Ohwi64o
        "mb2ic256ih14oc64oh14kh1ph0",       // 1x1 reduce (inline compaction, in-place bwd_w)
        "mb2ic128ih14oc512oh14kh1ph0",      // 1x1, Ohwi48o
        "mb2ic64ih15oc128oh8kh1sh2ph0",     // 1x1 stride 2, odd size
};

} // namespace

TEST_CASE("nhwc: sparse kernels equal oneDNN on nhwc and the reference", "[nhwc][api]") {
    if (!sparsetrain_has_avx512()) {
        WARN("skipped: " << isa_limit_reason());
        return;
    }
    for (const char *ps : shapes) {
        const auto p = problem_t::parse(ps);
        for (double sparsity : {0.0, 0.5, 0.9, 1.0}) {
            const auto d = test::make_conv_data(p, 17, sparsity);
            for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
                const bool bias = dir != direction::bwd_d;
                INFO(p.to_string() << " " << to_string(dir) << " sparsity " << sparsity);
                const auto r = test::run_both(p, dir, d, bias, forced_sparse(), tag::nhwc);
                INFO("ours: " << r.ours_impl << " oneDNN: " << r.onednn_impl);
                CHECK(r.ours_impl.rfind("sparse_jit", 0) == 0);
                const auto c = test::compare(r.ours, r.onednn, 0);
                INFO(c.summary());
                CHECK(c.ok);
                if (bias && dir == direction::bwd_w) CHECK(test::compare(r.ours_bias, r.onednn_bias, 0).ok);
                const auto ref = test::run_against_reference(p, dir, d, bias, forced_sparse(), tag::nhwc);
                const auto cr = test::compare(ref.ours, ref.ref, 0);
                INFO("vs reference: " << cr.summary());
                CHECK(cr.ok);
                if (bias && dir == direction::bwd_w) CHECK(test::compare(ref.ours_bias, ref.ref_bias, 0).ok);
            }
        }
    }
}

TEST_CASE("nhwc: primitive_descs report nhwc activations and oneDNN's weight layouts", "[nhwc][api]") {
    using namespace dnnl;
    auto &eng = test::cpu_engine();
    const auto p = problem_t::parse("mb2ic64ih14oc128oh14kh3ph1");
    const auto fd = test::fwd_desc(p, tag::nhwc, tag::any, tag::nhwc);
    const memory::desc src(fd.data.src_desc), wei(fd.data.weights_desc), dst(fd.data.dst_desc);
    sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
    dnnl::convolution_forward::primitive_desc theirs(fd, eng);
    // Every memory desc is oneDNN's own (the dense fallback runs on the same buffers).
    CHECK(pd.src_desc() == theirs.src_desc());
    CHECK(pd.dst_desc() == theirs.dst_desc());
    CHECK(pd.weights_desc() == theirs.weights_desc());
    const std::string formats = pd.impl()->formats_str(); // what the verbose lines print
    INFO(formats);
    CHECK(formats.find("src:f32:nhwc") != std::string::npos);
    CHECK(formats.find("dst:f32:nhwc") != std::string::npos);
    if (sparsetrain_has_avx512()) {
        CHECK(pd.is_sparse());
        CHECK(pd.impl()->sparse->config_str().find("nhwc") != std::string::npos);
    }

    const dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, src, wei, dst, {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_data::primitive_desc bpd(bd, eng, pd);
    dnnl::convolution_backward_data::primitive_desc bth(bd, eng, theirs);
    CHECK(bpd.diff_src_desc() == bth.diff_src_desc());
    CHECK(bpd.weights_desc() == bth.weights_desc());
    const dnnl::convolution_backward_weights::desc wd(algorithm::convolution_direct, src, wei, dst, {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_weights::primitive_desc wpd(wd, eng, pd);
    dnnl::convolution_backward_weights::primitive_desc wth(wd, eng, theirs);
    CHECK(wpd.diff_weights_desc() == wth.diff_weights_desc());
    if (sparsetrain_has_avx512()) {
        CHECK(bpd.is_sparse());
        CHECK(wpd.is_sparse());
    }
}

TEST_CASE("nhwc: mixed activation layouts run oneDNN dense with a reason", "[nhwc][api]") {
    using namespace dnnl;
    auto &eng = test::cpu_engine();
    const auto p = problem_t::parse("mb2ic32ih10oc32oh10kh3ph1");
    const auto f32 = memory::data_type::f32;
    const auto fd = test::fwd_desc(p, tag::nhwc, tag::any, tag::nChw16c);
    const memory::desc src(fd.data.src_desc), wei(fd.data.weights_desc), dst(fd.data.dst_desc);
    sparsetrain::convolution_forward::primitive_desc pd(fd, primitive_attr(), eng, forced_sparse());
    CHECK(pd.impl_info_str().rfind("onednn:", 0) == 0);
    REQUIRE(!pd.declined().empty());
    CHECK(pd.declined()[0].first == "sparse_jit");
    if (sparsetrain_has_avx512()) {
        INFO(pd.declined()[0].second);
        CHECK(pd.declined()[0].second.find("mixed activation layouts") != std::string::npos);
        CHECK(pd.declined()[0].second.find("nhwc") != std::string::npos);
    }
    // It still computes the right result (oneDNN dense on the given buffers).
    const auto d = test::make_conv_data(p, 5, 0.5);
    auto to_mem = [&](const memory::desc &md, const std::vector<float> &plain, tag pt) {
        memory m(md, eng);
        memory in(memory::desc(md.dims(), f32, pt), eng, const_cast<float *>(plain.data()));
        stream s(eng);
        reorder(in, m).execute(s, in, m);
        s.wait();
        return m;
    };
    auto m_src = to_mem(pd.src_desc(), d.src, tag::nchw), m_wei = to_mem(pd.weights_desc(), d.weights, tag::oihw);
    memory m_dst(pd.dst_desc(), eng);
    stream s(eng);
    sparsetrain::convolution_forward(pd).execute(s, {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_wei}, {DNNL_ARG_DST, m_dst}});
    s.wait();
    std::vector<float> got(d.diff_dst.size());
    memory out(memory::desc(test::dst_dims(p), f32, tag::nchw), eng, got.data());
    reorder(m_dst, out).execute(s, m_dst, out);
    s.wait();
    const auto ref = test::run_against_reference(p, direction::fwd, d, false, dispatch_options(), tag::any);
    CHECK(test::compare(got, ref.ref, 0).ok);

    // The backward directions refuse the mix the same way.
    const dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, src, wei, dst, {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_data::primitive_desc bpd(bd, primitive_attr(), eng, pd, forced_sparse());
    CHECK(bpd.impl_info_str().rfind("onednn:", 0) == 0);
    const dnnl::convolution_backward_weights::desc wd(algorithm::convolution_direct, src, wei, dst, {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_weights::primitive_desc wpd(wd, primitive_attr(), eng, pd, forced_sparse());
    CHECK(wpd.impl_info_str().rfind("onednn:", 0) == 0);
    if (sparsetrain_has_avx512()) {
        CHECK(bpd.declined()[0].second.find("mixed activation layouts") != std::string::npos);
        CHECK(wpd.declined()[0].second.find("mixed activation layouts") != std::string::npos);
    }
}
