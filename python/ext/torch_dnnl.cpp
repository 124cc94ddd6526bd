#include "torch_dnnl.hpp"

#include <omp.h>

#include <ATen/Parallel.h>

namespace sparsetrain_torch {

const dnnl::engine &cpu_engine() {
    static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    return eng;
}

dnnl::stream &thread_stream() {
    thread_local dnnl::stream s(cpu_engine());
    return s;
}

int follow_torch_threads() {
    // at::get_num_threads() also runs PyTorch's per-thread lazy initialisation, which gives
    // a new thread (e.g. an autograd worker) the process-wide torch.set_num_threads value.
    const int n = std::max(1, at::get_num_threads());
    if (omp_get_max_threads() != n) omp_set_num_threads(n);
    return n;
}

dnnl::memory::desc strided_md(const at::Tensor &t) {
    dnnl::memory::dims dims(t.sizes().begin(), t.sizes().end());
    dnnl::memory::dims strides(t.strides().begin(), t.strides().end());
    return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

void cached_reorder::prepare(const dnnl::memory::desc &from, const dnnl::memory::desc &to) {
    if (prim_ && from == from_ && to == to_) return;
    const auto &eng = cpu_engine();
    prim_ = dnnl::reorder(dnnl::reorder::primitive_desc(eng, from, eng, to));
    from_ = from;
    to_ = to;
    src_ = dnnl::memory(from_, eng, DNNL_MEMORY_NONE);
    dst_ = dnnl::memory(to_, eng, DNNL_MEMORY_NONE);
    args_ = {{DNNL_ARG_FROM, src_}, {DNNL_ARG_TO, dst_}};
}

void cached_reorder::run(void *src, void *dst) {
    TORCH_CHECK(prim_, "sparsetrain.torch: internal error: reorder run before prepare");
    src_.set_data_handle(src);
    dst_.set_data_handle(dst);
    auto &s = thread_stream();
    prim_.execute(s, args_);
    s.wait();
}

} // namespace sparsetrain_torch
