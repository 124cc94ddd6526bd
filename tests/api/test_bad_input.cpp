// Bad input gets a sparsetrain::error whose message names the offending field.
#include <catch2/catch.hpp>

#include "api/conv_pd_impl.hpp"
#include "sparsetrain/convolution.hpp"
#include "util/env_guard.hpp"
#include "util/test_data.hpp"

using namespace dnnl;
using tag = memory::format_tag;
namespace st = sparsetrain;

namespace {

memory::desc md(memory::dims d, tag t = tag::any, memory::data_type dt = memory::data_type::f32) {
    return memory::desc(d, dt, t);
}

#define CHECK_ERROR(expr, text)                                                                    \
    do {                                                                                           \
        try {                                                                                      \
            expr;                                                                                  \
            FAIL("no sparsetrain::error for " #expr);                                              \
        } catch (const st::error &e) {                                                             \
            INFO("message: " << e.what());                                                         \
            CHECK(std::string(e.what()).find(text) != std::string::npos);                          \
        }                                                                                          \
    } while (0)

const auto fwd = prop_kind::forward_training;
const auto direct = algorithm::convolution_direct;

// A forward training descriptor (f32, direct) with one wrong field, and the text its error
// must contain; without bias where `bias` is empty.
struct bad_fwd_desc {
    memory::dims src, wei, bias, dst, strides, pad_l, pad_r;
    const char *error;
};
const bad_fwd_desc bad_fwd_descs[] = {
        {{2, 32, 8, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {1, 1}, {1, 1}, {1, 1}, "weights_desc: input channels"},
        {{2, 16, 8, 8}, {32, 16, 3, 3}, {}, {2, 16, 8, 8}, {1, 1}, {1, 1}, {1, 1}, "weights_desc: output channels"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {16}, {2, 16, 7, 8}, {1, 1}, {1, 1}, {1, 1}, "dst_desc: oh = 7 does not follow"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {32}, {2, 16, 8, 8}, {1, 1}, {1, 1}, {1, 1}, "bias_desc"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {}, {3, 16, 8, 8}, {1, 1}, {1, 1}, {1, 1}, "dst_desc: minibatch"},
        {{2, 16, 0, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {1, 1}, {1, 1}, {1, 1},
                "src_desc: dims[2] (h) = 0 must be positive"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {0, 1}, {1, 1}, {1, 1}, "strides[0] = 0 must be positive"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {1, 1}, {-1, 1}, {3, 1},
                "padding_l[0] = -1 must not be negative"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {1}, {1, 1}, {1, 1}, "strides: 1 values given"},
        {{2, 16, 8, 8}, {16, 16, 3, 3}, {}, {2, 16, 8, 8}, {1, 1}, {1, 1}, {-1, 1},
                "padding_r[0] = -1 must be greater than -strides[0]"},
};
st::convolution_forward::desc make_fwd_desc(const bad_fwd_desc &c) {
    if (c.bias.empty())
        return st::convolution_forward::desc(fwd, direct, md(c.src), md(c.wei), md(c.dst), c.strides, c.pad_l, c.pad_r);
    return st::convolution_forward::desc(
            fwd, direct, md(c.src), md(c.wei), md(c.bias), md(c.dst), c.strides, c.pad_l, c.pad_r);
}

} // namespace

TEST_CASE("bad descriptors: channels, output sizes, dims, geometry, data types", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    for (const auto &c : bad_fwd_descs) {
        INFO("expected: " << c.error);
        CHECK_ERROR(make_fwd_desc(c), c.error);
    }
    CHECK_ERROR(st::convolution_backward_data::desc(direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}),
                        md({2, 16, 9, 8}), {1, 1}, {1, 1}, {1, 1}),
            "diff_dst_desc: oh = 9");
    CHECK_ERROR(st::convolution_backward_weights::desc(direct, md({2, 16, 8, 8}), md({16, 8, 3, 3}),
                        md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "diff_weights_desc: input channels");
    CHECK_ERROR(st::convolution_forward::desc(prop_kind::backward_data, direct, md({2, 16, 8, 8}),
                        md({16, 16, 3, 3}), md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "prop_kind");
    CHECK_ERROR(st::convolution_forward::desc(fwd, algorithm::eltwise_relu, md({2, 16, 8, 8}), md({16, 16, 3, 3}),
                        md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "algorithm: not a convolution algorithm");
    CHECK_ERROR(st::convolution_backward_weights::desc(algorithm::eltwise_relu, md({2, 16, 8, 8}),
                        md({16, 16, 3, 3}), md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "algorithm: not a convolution algorithm");
    CHECK_ERROR(st::convolution_forward::desc(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}),
                        md({16}, tag::x, memory::data_type::s32), md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "bias_desc: data type s32 does not combine");
    CHECK_ERROR(st::convolution_forward::desc(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}),
                        md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}, {1, 1}),
            "dst_desc: oh = 8 does not follow"); // dilation 1 makes the kernel extent 5: output 6

    // Unsupported data type mix: no implementation, the error names the field.
    auto s8 = memory::data_type::s8;
    CHECK_ERROR(st::convolution_forward::desc(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}, tag::any, s8),
                        md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1}),
            "weights_desc: data type s8 does not combine");
    // f16 throughout: a valid descriptor, but oneDNN 2.6 has no f16 CPU convolution and the
    // sparse kernels are f32 only, so creating the primitive_desc names the field.
    auto f16 = memory::data_type::f16;
    st::convolution_forward::desc d_f16(fwd, direct, md({2, 16, 8, 8}, tag::any, f16),
            md({16, 16, 3, 3}, tag::any, f16), md({2, 16, 8, 8}, tag::any, f16), {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_forward::primitive_desc(d_f16, eng), "src_desc: data type f16 is not supported");
}

TEST_CASE("bad engines, hints and primitive_descs", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_forward::desc fd(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({2, 16, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_forward::primitive_desc(fd, engine()), "engine: empty");
    CHECK_ERROR(st::detail::check_engine_kind(engine::kind::gpu, "engine"), "engine: engine kind gpu");

    st::convolution_backward_data::desc bd(direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({2, 16, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_backward_data::primitive_desc(bd, eng, st::convolution_forward::primitive_desc()),
            "hint_fwd_pd: empty");
    CHECK_ERROR(st::convolution_backward_data::primitive_desc(bd, eng, convolution_forward::primitive_desc()),
            "hint_fwd_pd: empty");
    st::convolution_forward::desc other(fwd, direct, md({2, 16, 8, 8}), md({32, 16, 3, 3}), md({2, 32, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    st::convolution_forward::primitive_desc other_pd(other, eng);
    CHECK_ERROR(st::convolution_backward_data::primitive_desc(bd, eng, other_pd), "hint_fwd_pd: forward problem");
    st::convolution_backward_weights::desc wd(direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({2, 16, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_backward_weights::primitive_desc(wd, eng, other_pd.dnnl_pd()),
            "hint_fwd_pd: forward problem");

    CHECK_ERROR(st::convolution_forward(st::convolution_forward::primitive_desc()), "primitive_desc: empty");
    CHECK_ERROR(st::convolution_forward::primitive_desc().impl_info_str(), "primitive_desc: empty");
    stream s(eng);
    CHECK_ERROR(st::convolution_forward().execute(s, {}), "primitive: empty");
}

TEST_CASE("attributes no implementation supports are refused, not ignored", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_forward::desc fd(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({2, 16, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    primitive_attr scales;
    scales.set_output_scales(0, {2.f});
    CHECK_ERROR(st::convolution_forward::primitive_desc(fd, scales, eng), "attr: output scales");
    primitive_attr zp;
    zp.set_zero_points(DNNL_ARG_SRC, 0, {1});
    CHECK_ERROR(st::convolution_forward::primitive_desc(fd, zp, eng), "attr: zero points");
    // allow_empty: "no implementation" leaves the primitive_desc empty instead of throwing.
    st::convolution_forward::primitive_desc empty(fd, scales, eng, true);
    CHECK_FALSE(empty);
    // Grouped Winograd: neither oneDNN nor the reference runs it.
    st::convolution_forward::desc gw(fwd, algorithm::convolution_winograd, md({2, 32, 8, 8}),
            md({2, 16, 16, 3, 3}), md({2, 32, 8, 8}), {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_forward::primitive_desc(gw, eng), "no implementation");
}

TEST_CASE("bad execute arguments", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_forward::desc fd(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({16}),
            md({2, 16, 8, 8}), {1, 1}, {1, 1}, {1, 1});
    st::convolution_forward::primitive_desc pd(fd, eng);
    st::convolution_forward conv(pd);
    memory src(pd.src_desc(), eng), wei(pd.weights_desc(), eng), bias(pd.bias_desc(), eng), dst(pd.dst_desc(), eng);
    stream s(eng);
    std::unordered_map<int, memory> good {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, bias},
            {DNNL_ARG_DST, dst}};

    auto without = [&](int key) {
        auto a = good;
        a.erase(key);
        return a;
    };
    CHECK_ERROR(conv.execute(s, without(DNNL_ARG_WEIGHTS)), "DNNL_ARG_WEIGHTS: missing");
    CHECK_ERROR(conv.execute(s, without(DNNL_ARG_BIAS)), "DNNL_ARG_BIAS: missing");
    auto a = good;
    a[DNNL_ARG_SRC] = memory();
    CHECK_ERROR(conv.execute(s, a), "DNNL_ARG_SRC: null");
    a = good;
    a[DNNL_ARG_DST] = memory(pd.dst_desc(), eng, nullptr);
    CHECK_ERROR(conv.execute(s, a), "DNNL_ARG_DST: memory has a null data handle");
    a = good;
    a[DNNL_ARG_SRC] = memory(md({2, 16, 8, 8}, tag::nhwc), eng);
    CHECK_ERROR(conv.execute(s, a), "DNNL_ARG_SRC: memory desc f32:nhwc");
    a = good;
    a[DNNL_ARG_WEIGHTS] = memory(md({16, 16, 3, 3}, tag::oihw), eng);
    CHECK_ERROR(conv.execute(s, a), "differs from the primitive's");
    CHECK_ERROR(conv.execute(stream(), good), "stream: empty");
    engine other(engine::kind::cpu, 0);
    stream s_other(other);
    CHECK_ERROR(conv.execute(s_other, good), "stream: belongs to another engine");
    CHECK_NOTHROW(conv.execute(s, good));
}

TEST_CASE("a user-mode scratchpad must be passed", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_backward_weights::desc wd(direct, md({16, 64, 28, 28}), md({64, 64, 3, 3}), md({64}),
            md({16, 64, 28, 28}), {1, 1}, {1, 1}, {1, 1});
    st::convolution_forward::desc fd(fwd, direct, md({16, 64, 28, 28}), md({64, 64, 3, 3}), md({64}),
            md({16, 64, 28, 28}), {1, 1}, {1, 1}, {1, 1});
    st::convolution_forward::primitive_desc fpd(fd, eng);
    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);
    st::dispatch_options dense;
    dense.mode = st::dispatch_mode::dense;
    st::convolution_backward_weights::primitive_desc pd(wd, attr, eng, fpd, dense);
    REQUIRE(pd.scratchpad_desc().get_size() > 0); // oneDNN's bwd_w needs one here
    st::convolution_backward_weights conv(pd);
    memory src(pd.src_desc(), eng), ddst(pd.diff_dst_desc(), eng), dw(pd.diff_weights_desc(), eng),
            db(pd.diff_bias_desc(), eng), sp(pd.scratchpad_desc(), eng);
    stream s(eng);
    std::unordered_map<int, memory> args {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst},
            {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_BIAS, db}};
    CHECK_ERROR(conv.execute(s, args), "DNNL_ARG_SCRATCHPAD: missing");
    args[DNNL_ARG_SCRATCHPAD] = sp;
    CHECK_NOTHROW(conv.execute(s, args));
}

TEST_CASE("SPARSETRAIN_DISPATCH must be auto, sparse or dense", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_forward::desc fd(fwd, direct, md({2, 16, 8, 8}), md({16, 16, 3, 3}), md({2, 16, 8, 8}),
            {1, 1}, {1, 1}, {1, 1});
    {
        st::test::env_guard g("SPARSETRAIN_DISPATCH", "fastest");
        CHECK_ERROR(st::convolution_forward::primitive_desc(fd, eng), "SPARSETRAIN_DISPATCH=fastest");
    }
    CHECK_NOTHROW(st::convolution_forward::primitive_desc(fd, eng));
}

TEST_CASE("problems too large for this machine fail at creation with a clear error", "[bad_input]") {
    auto &eng = st::test::cpu_engine();
    st::convolution_forward::desc fd(fwd, direct, md({1 << 16, 1024, 256, 256}), md({1024, 1024, 3, 3}),
            md({1 << 16, 1024, 256, 256}), {1, 1}, {1, 1}, {1, 1});
    CHECK_ERROR(st::convolution_forward::primitive_desc(fd, eng), "more than this machine's");
}
