// A stand-in sparse implementation for dispatcher tests: the dispatcher only needs a non-null
// one; executing it does nothing. With it, the primitive_desc and the memories those tests
// hand the dispatcher.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/conv_pd_impl.hpp"
#include "driver/sparse_conv.hpp"
#include "util/test_data.hpp"

namespace sparsetrain {
namespace test {

struct fake_sparse : sparse_conv {
    void execute(const conv_tensors &) const override {}
    std::string name() const override { return "fake"; }
    std::string config_str() const override { return ""; }
};

// A primitive_desc of `problem` in direction `d` with oneDNN available and the sparse
// implementation (a fake_sparse) chosen, dispatched in `mode`.
inline detail::conv_pd_impl fake_sparse_pd(direction d, const std::string &problem, dispatch_mode mode) {
    detail::conv_pd_impl pd;
    pd.dir = d;
    pd.prob = problem_t::parse(problem);
    pd.has_dnnl = true;
    pd.sparse = std::make_shared<fake_sparse>();
    pd.chosen = detail::impl_kind::sparse_jit;
    pd.mode = mode;
    return pd;
}

// An nChw16c f32 memory of `dims` over `data` (which must outlive it).
inline dnnl::memory nchw16c_memory(std::vector<float> &data, const dnnl::memory::dims &dims) {
    return dnnl::memory(dnnl::memory::desc(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nChw16c),
            cpu_engine(), data.data());
}

} // namespace test
} // namespace sparsetrain
