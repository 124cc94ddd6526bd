// Builds against the installed package only: creates a forward primitive and runs it.
#include <cstdio>
#include <string>

#include <sparsetrain/sparsetrain.hpp>

int main() {
    using namespace dnnl;
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    const memory::dims src_dims {2, 16, 8, 8}, wei_dims {16, 16, 3, 3}, dst_dims {2, 16, 8, 8};
    auto any = [](const memory::dims &d) { return memory::desc(d, memory::data_type::f32, memory::format_tag::any); };
    sparsetrain::convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct,
            any(src_dims), any(wei_dims), any(dst_dims), {1, 1}, {1, 1}, {1, 1});
    sparsetrain::convolution_forward::primitive_desc pd(d, eng);
    memory src(pd.src_desc(), eng), wei(pd.weights_desc(), eng), dst(pd.dst_desc(), eng);
    sparsetrain::convolution_forward(pd).execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    const auto v = sparsetrain::version();
    char reported[64];
    std::snprintf(reported, sizeof reported, "%d.%d.%d", v.major, v.minor, v.patch);
    std::printf("consumer: sparsetrain %s (package %s), %s\n", reported, PACKAGE_VERSION, pd.impl_info_str().c_str());
    return std::string(reported) == PACKAGE_VERSION ? 0 : 1;
}
