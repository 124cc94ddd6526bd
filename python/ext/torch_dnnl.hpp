// The seam between PyTorch tensors and oneDNN memory: the engine and per-thread stream the
// extension runs on, memory descs that describe a tensor's own storage, the OpenMP thread
// count that follows torch.get_num_threads(), and a reorder primitive cached by its two descs.
#pragma once

#include <ATen/ATen.h>

#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

namespace sparsetrain_torch {

// One CPU engine for the whole process (every primitive and reorder of the extension).
const dnnl::engine &cpu_engine();
// The calling thread's stream on cpu_engine() (streams are not thread-safe).
dnnl::stream &thread_stream();

// Sets the calling thread's OpenMP thread count to torch's intra-op thread count (the
// thread that runs backward may differ from the one that ran forward) and returns it.
int follow_torch_threads();

// The desc of `t`'s own storage: dims and strides as they are (any dense strided layout,
// e.g. NCHW-contiguous or channels_last), f32.
dnnl::memory::desc strided_md(const at::Tensor &t);

// A float tensor as the data handle of a dnnl::memory (oneDNN takes non-const handles even
// for operands it only reads).
inline void *handle(const at::Tensor &t) { return const_cast<float *>(t.data_ptr<float>()); }

// A reorder primitive between two fixed descs, created once; run() binds the two buffers
// to cached memory objects (no allocation per call).
class cached_reorder {
public:
    // Re-creates the primitive only when `from` or `to` changed since the last call.
    void prepare(const dnnl::memory::desc &from, const dnnl::memory::desc &to);
    void run(void *src, void *dst);
    bool ready() const { return (bool)prim_; }

private:
    dnnl::memory::desc from_, to_;
    dnnl::reorder prim_;
    dnnl::memory src_, dst_;
    std::unordered_map<int, dnnl::memory> args_;
};

} // namespace sparsetrain_torch
