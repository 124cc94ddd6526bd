// Memory for the extension's large buffers: the tensors it returns (outputs, gradients) and
// its workspaces.
//
// Why: a fresh large allocation is mmap'ed by malloc and page-faults on first touch, 4 KiB at
// a time. On the development VM that costs ~3.7 ms per MB (a 205 MB VGG16 activation: ~0.75 s,
// several times the convolution), against ~0.1 ms per MB with transparent huge pages. So large
// buffers are (1) advised MADV_HUGEPAGE, 2 MiB aligned, and (2) recycled: a returned tensor
// owns its block until PyTorch frees the tensor, then the block is idle and the next request
// of the same byte size gets it again (a caching allocator, like PyTorch's CUDA one). Idle
// blocks beyond a limit are returned to the system, least recently used first.
#pragma once

#include <cstddef>

#include <ATen/ATen.h>

namespace sparsetrain_torch {

// Memory of `bytes`, 2 MiB aligned and advised MADV_HUGEPAGE when large; free with huge_free.
void *huge_alloc(size_t bytes);
void huge_free(void *p, size_t bytes);

// An uninitialised float tensor of `sizes` in `format`, from the pool when it is at least
// pool_min_bytes, else from PyTorch's allocator.
at::Tensor pooled_empty(at::IntArrayRef sizes, at::MemoryFormat format);
// Same sizes and strides as `like` (which must be non-overlapping and dense).
at::Tensor pooled_empty_like(const at::Tensor &like);

constexpr size_t pool_min_bytes = size_t(1) << 20;

struct pool_stats {
    size_t blocks = 0, bytes = 0, idle_bytes = 0, limit_bytes = 0;
    unsigned long long hits = 0, misses = 0;
};
pool_stats buffer_pool_stats();
// Largest total of idle bytes kept (default: a quarter of physical memory).
void set_buffer_pool_limit(size_t bytes);
// Returns every idle block to the system (blocks in use are freed when their tensor is).
void release_idle_buffers();

} // namespace sparsetrain_torch
