#include "common/scratch.hpp"

#include <cstdlib>
#include <new>
#include <utility>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

scratch_buffer::~scratch_buffer() { std::free(ptr_); }

scratch_buffer::scratch_buffer(scratch_buffer &&o) noexcept : ptr_(o.ptr_), size_(o.size_) {
    o.ptr_ = nullptr;
    o.size_ = 0;
}

scratch_buffer &scratch_buffer::operator=(scratch_buffer &&o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    return *this;
}

void *scratch_buffer::get(size_t bytes) {
    if (bytes <= size_) return ptr_;
    // Grow geometrically so that slowly growing demands do not reallocate every call.
    size_t n = size_ ? size_ : 4096;
    while (n < bytes) n *= 2;
    n = (n + 4095) & ~size_t(4095);
    void *p = nullptr;
    if (posix_memalign(&p, 4096, n) != 0 || !p)
        throw error("scratch: cannot allocate " + std::to_string(n) + " bytes");
    std::free(ptr_);
    ptr_ = p;
    size_ = n;
    return ptr_;
}

scratch_buffer &thread_local_scratch(int slot) {
    thread_local scratch_buffer buffers[8];
    if (slot < 0 || slot >= 8) throw error("scratch: slot out of range");
    return buffers[slot];
}

} // namespace sparsetrain
