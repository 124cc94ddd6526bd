#include "fallback/onednn_dense.hpp"

#include <string>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

dnnl::primitive make_dense_primitive(const conv_pd_impl &pd) {
    try {
        switch (pd.dir) {
        case direction::fwd: return dnnl::convolution_forward(pd.dnnl_fwd);
        case direction::bwd_d: return dnnl::convolution_backward_data(pd.dnnl_bwd_d);
        case direction::bwd_w: return dnnl::convolution_backward_weights(pd.dnnl_bwd_w);
        }
    } catch (const dnnl::error &e) {
        throw error(std::string("primitive: oneDNN could not create its dense primitive: ") + e.what());
    }
    return dnnl::primitive();
}

void dense_execute(const dnnl::primitive &dense, dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args) {
    dense.execute(s, args);
    s.wait();
}

} // namespace detail
} // namespace sparsetrain
