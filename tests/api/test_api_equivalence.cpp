// sparsetrain's primitives (whatever implementation they pick) against oneDNN dense on a
// matrix of shapes, in all three directions. Small-integer data makes every sum exact, so
// results must be identical.
#include <catch2/catch.hpp>

#include "common/cpu.hpp"
#include "reference/ref_conv.hpp"
#include "util/conv_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;

namespace {

const char *const shapes[] = {
        "mb2ic16ih7oc16oh7kh3ph1",         // tiny 3x3
        "mb2ic32ih14oc48oh14kh3ph1",       // 3x3, oc not a power of 2
        "mb2ic64ih28oc64oh14kh3sh2ph1",    // 3x3 stride 2
        "mb2ic32ih9iw13oc32oh9ow13kh3ph1", // rectangular, odd widths
        "mb2ic16ih15oc16oh8kh3sh2ph1",     // odd width, stride 2
        "mb2ic64ih56oc16oh56kh1ph0",       // 1x1, wide
        "mb2ic128ih14oc64oh7kh1sh2ph0",    // 1x1 stride 2
        "mb2ic512ih7oc32oh7kh1ph0",        // many input channels
        "mb1ic32ih12oc32oh10kh3ph0",       // no padding
        "mb2ic3ih32oc16oh32kh3ph1",        // first layer: dense input
};

} // namespace

TEST_CASE("API equals oneDNN dense in all directions", "[api]") {
    for (const char *ps : shapes) {
        const auto p = problem_t::parse(ps);
        for (double sparsity : {0.0, 0.6}) {
            const auto d = test::make_conv_data(p, 11, sparsity);
            for (direction dir : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
                for (bool bias : {false, true}) {
                    if (dir == direction::bwd_d && bias) continue;
                    INFO(p.to_string() << " " << to_string(dir) << " sparsity " << sparsity << " bias " << bias);
                    const auto r = test::run_both(p, dir, d, bias);
                    INFO("ours: " << r.ours_impl << " oneDNN: " << r.onednn_impl);
                    const auto c = test::compare(r.ours, r.onednn, 0);
                    INFO(c.summary());
                    CHECK(c.ok);
                    if (dir == direction::bwd_w && bias) CHECK(test::compare(r.ours_bias, r.onednn_bias, 0).ok);
                }
            }
        }
    }
}

TEST_CASE("format_tag::any resolves to standard oneDNN layouts", "[api]") {
    using namespace dnnl;
    using tag = memory::format_tag;
    auto &eng = test::cpu_engine();
    const auto p = problem_t::parse("mb2ic32ih14oc64oh14kh3ph1");
    auto any = [](memory::dims d) { return memory::desc(d, memory::data_type::f32, tag::any); };
    dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
            any(test::src_dims(p)), any(test::wei_dims(p)), any(test::dst_dims(p)), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
    auto is = [](const memory::desc &md, tag t) { return md == memory::desc(md.dims(), md.data_type(), t); };
    CHECK(is(pd.src_desc(), tag::nChw16c));
    CHECK(is(pd.dst_desc(), tag::nChw16c));
    CHECK(is(pd.weights_desc(), tag::OIhw16i16o));

    dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, any(test::src_dims(p)),
            any(test::wei_dims(p)), any(test::dst_dims(p)), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_data::primitive_desc bpd(bd, eng, pd);
    CHECK(is(bpd.diff_src_desc(), tag::nChw16c));
    CHECK(is(bpd.weights_desc(), tag::OIhw16o16i));
    // A oneDNN forward pd works as the hint too.
    sparsetrain::convolution_backward_data::primitive_desc bpd2(bd, eng, pd.dnnl_pd());
    CHECK(bpd2.weights_desc() == bpd.weights_desc());

    // Explicit standard layouts are accepted as given.
    dnnl::convolution_forward::desc fd_plain(prop_kind::forward_training, algorithm::convolution_direct,
            memory::desc(test::src_dims(p), memory::data_type::f32, tag::nchw),
            memory::desc(test::wei_dims(p), memory::data_type::f32, tag::oihw),
            memory::desc(test::dst_dims(p), memory::data_type::f32, tag::nchw), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_forward::primitive_desc pd_plain(fd_plain, eng);
    CHECK(is(pd_plain.src_desc(), tag::nchw));
    CHECK(is(pd_plain.weights_desc(), tag::oihw));
}

TEST_CASE("implementation list: the first layer and unsupported cases go to oneDNN dense with a reason", "[api]") {
    using namespace dnnl;
    using tag = memory::format_tag;
    auto &eng = test::cpu_engine();
    auto any = [](memory::dims d) { return memory::desc(d, memory::data_type::f32, tag::any); };
    // With AVX-512 unavailable (or capped) that is the first reason, whatever the problem.
    const std::string isa = isa_limit_reason();
    auto reason_has = [&](const sparsetrain::convolution_forward::primitive_desc &pd, const char *what) {
        REQUIRE(!pd.declined().empty());
        CHECK(pd.declined()[0].first == "sparse_jit");
        return pd.declined()[0].second.find(isa.empty() ? what : isa.c_str()) != std::string::npos;
    };
    {
        dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                any({2, 3, 32, 32}), any({16, 3, 3, 3}), any({2, 16, 32, 32}), {1, 1}, {1, 1}, {1, 1});
        sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
        CHECK(pd.impl_info_str().rfind("onednn:", 0) == 0);
        CHECK(reason_has(pd, "ic = 3"));
    }
    {   // dilation
        dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                any({2, 16, 16, 16}), any({16, 16, 3, 3}), any({2, 16, 12, 12}), {1, 1}, {1, 1}, {0, 0}, {0, 0});
        sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
        CHECK(pd.impl_info_str().rfind("onednn:", 0) == 0);
        CHECK(reason_has(pd, "dilated"));
    }
    {   // groups
        dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                any({2, 32, 8, 8}), any({2, 16, 16, 3, 3}), any({2, 32, 8, 8}), {1, 1}, {1, 1}, {1, 1});
        sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
        CHECK(pd.impl_info_str().rfind("onednn:", 0) == 0);
        CHECK(reason_has(pd, "grouped"));
    }
    {   // bf16 goes to oneDNN dense
        auto bf = [](memory::dims d) { return memory::desc(d, memory::data_type::bf16, tag::any); };
        dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                bf({2, 16, 8, 8}), bf({16, 16, 3, 3}), bf({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1});
        try {
            sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
            CHECK(reason_has(pd, "f32"));
        } catch (const sparsetrain::error &e) {
            // oneDNN without bf16 support on this CPU: the error names the field.
            CHECK(std::string(e.what()).find("data type bf16") != std::string::npos);
        }
    }
}

TEST_CASE("convolution_auto: sparse kernels beside oneDNN's Winograd, backward-data weights reordered", "[api]") {
    SPARSETRAIN_SKIP_WITHOUT_AVX512();
    using namespace dnnl;
    using tag = memory::format_tag;
    auto &eng = test::cpu_engine();
    stream s(eng);
    const auto p = problem_t::parse("mb4ic32ih14oc48oh14kh3ph1");
    const auto d = test::make_conv_data(p, 21, 0.6);
    auto any = [](memory::dims dd) { return memory::desc(dd, memory::data_type::f32, tag::any); };
    auto to = [&](const memory::desc &md, const std::vector<float> &v, tag t) {
        memory m(md, eng);
        memory src(memory::desc(md.dims(), memory::data_type::f32, t), eng, const_cast<float *>(v.data()));
        reorder(src, m).execute(s, src, m);
        s.wait();
        return m;
    };
    dispatch_options sparse;
    sparse.mode = dispatch_mode::sparse;
    sparsetrain::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_auto,
            any(test::src_dims(p)), any(test::wei_dims(p)), any(test::dst_dims(p)), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_forward::primitive_desc fpd(fd, primitive_attr(), eng, sparse);
    sparsetrain::convolution_backward_data::desc bd(algorithm::convolution_auto, any(test::src_dims(p)),
            any(test::wei_dims(p)), any(test::dst_dims(p)), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_backward_data::primitive_desc bpd(bd, primitive_attr(), eng, fpd, sparse);
    INFO(bpd.impl_info_str());
    CHECK(bpd.is_sparse());
    auto w = to(bpd.weights_desc(), d.weights, tag::oihw);
    auto dd = to(bpd.diff_dst_desc(), d.diff_dst, tag::nchw);
    memory ds(bpd.diff_src_desc(), eng);
    sparsetrain::convolution_backward_data(bpd).execute(s, {{DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_DIFF_SRC, ds}});
    std::vector<float> got(d.src.size()), ref(d.src.size());
    memory out(memory::desc(test::src_dims(p), memory::data_type::f32, tag::nchw), eng, got.data());
    reorder(ds, out).execute(s, ds, out);
    s.wait();
    reference::conv_bwd_d(p, ref.data(), d.weights.data(), d.diff_dst.data());
    CHECK(test::compare(got, ref, 0).ok);
}
