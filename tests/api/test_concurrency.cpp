// Concurrency: one primitive executed from several threads at once on different buffers,
// and many primitives created at once (kernel cache and model registry under contention).
// Results must equal a serial run bit for bit.
#include <catch2/catch.hpp>

#include <omp.h>

#include <atomic>
#include <thread>
#include <vector>

#include "util/conv_runner.hpp"
#include "util/test_data.hpp"

using namespace sparsetrain;
using namespace dnnl;
using tag = memory::format_tag;

namespace {

memory::desc any(const memory::dims &d) { return memory::desc(d, memory::data_type::f32, tag::any); }

memory filled(const memory::desc &md, const std::vector<float> &plain, tag t) {
    memory m(md, test::cpu_engine());
    memory src(memory::desc(md.dims(), memory::data_type::f32, t), test::cpu_engine(), const_cast<float *>(plain.data()));
    stream s(test::cpu_engine());
    reorder(src, m).execute(s, src, m);
    s.wait();
    return m;
}

std::vector<float> plain_of(const memory &m, tag t) {
    std::vector<float> out(m.get_desc().get_size() / sizeof(float));
    memory dst(memory::desc(m.get_desc().dims(), memory::data_type::f32, t), test::cpu_engine(), out.data());
    stream s(test::cpu_engine());
    reorder(const_cast<memory &>(m), dst).execute(s, const_cast<memory &>(m), dst);
    s.wait();
    return out;
}

} // namespace

TEST_CASE("one primitive executed from several threads at once", "[concurrency]") {
    const auto p = problem_t::parse("mb4ic64ih14oc64oh14kh3ph1");
    auto &eng = test::cpu_engine();
    sparsetrain::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
            any(test::src_dims(p)), any(test::wei_dims(p)), any(test::dst_dims(p)), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_forward::primitive_desc pd(fd, eng);
    const sparsetrain::convolution_forward conv(pd);

    constexpr int n_threads = 4, n_iters = 6;
    std::vector<test::conv_data> data;
    std::vector<std::vector<float>> serial;
    for (int t = 0; t < n_threads; ++t) {
        data.push_back(test::make_conv_data(p, 100 + t, 0.3 + 0.15 * t));
        auto src = filled(pd.src_desc(), data[t].src, tag::nchw), wei = filled(pd.weights_desc(), data[t].weights, tag::oihw);
        memory dst(pd.dst_desc(), eng);
        stream s(eng);
        conv.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
        serial.push_back(plain_of(dst, tag::nchw));
    }
    std::atomic<int> mismatches {0};
    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t)
        threads.emplace_back([&, t] {
            omp_set_num_threads(1 + t % 2);
            auto src = filled(pd.src_desc(), data[t].src, tag::nchw);
            auto wei = filled(pd.weights_desc(), data[t].weights, tag::oihw);
            memory dst(pd.dst_desc(), eng);
            stream s(eng);
            for (int i = 0; i < n_iters; ++i) {
                conv.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
                if (plain_of(dst, tag::nchw) != serial[t]) ++mismatches;
            }
        });
    for (auto &th : threads) th.join();
    CHECK(mismatches == 0);
}

TEST_CASE("many primitives created concurrently give the serial results", "[concurrency]") {
    const char *shapes[] = {"mb2ic32ih14oc32oh14kh3ph1", "mb2ic64ih7oc32oh7kh1ph0", "mb2ic32ih14oc64oh7kh3sh2ph1",
            "mb2ic48ih9oc16oh9kh3ph1"};
    std::vector<std::vector<float>> serial;
    std::vector<test::conv_data> data;
    for (const char *s : shapes) {
        const auto p = problem_t::parse(s);
        data.push_back(test::make_conv_data(p, 7, 0.6));
        for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w})
            serial.push_back(test::run_both(p, d, data.back(), d != direction::bwd_d).ours);
    }
    std::atomic<int> mismatches {0}, errors {0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            omp_set_num_threads(1);
            try {
                for (int k = 0; k < 4; ++k) {
                    const int i = (t + k) % 4;
                    const auto p = problem_t::parse(shapes[i]);
                    for (int dj = 0; dj < 3; ++dj) {
                        const auto r = test::run_both(p, (direction)dj, data[i], dj != 1);
                        if (r.ours != serial[i * 3 + dj]) ++mismatches;
                    }
                }
            } catch (...) {
                ++errors;
            }
        });
    for (auto &th : threads) th.join();
    CHECK(errors == 0);
    CHECK(mismatches == 0);
}
