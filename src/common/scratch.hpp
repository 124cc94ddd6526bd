// Page-aligned scratch memory for kernels: grows on demand, keeps its pages between calls
// so that repeated executes pay no page faults. One per thread (thread_local_scratch) for
// per-thread lists; plain instances for buffers shared by a team inside one execute.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sparsetrain {

class scratch_buffer {
public:
    scratch_buffer() = default;
    ~scratch_buffer();
    scratch_buffer(const scratch_buffer &) = delete;
    scratch_buffer &operator=(const scratch_buffer &) = delete;
    scratch_buffer(scratch_buffer &&o) noexcept;
    scratch_buffer &operator=(scratch_buffer &&o) noexcept;

    // At least `bytes` bytes, 4096-byte aligned; contents are unspecified after growth.
    void *get(size_t bytes);
    template <typename T>
    T *get_as(size_t count) { return static_cast<T *>(get(count * sizeof(T))); }
    size_t size() const { return size_; }

private:
    void *ptr_ = nullptr;
    size_t size_ = 0;
};

// The calling thread's scratch buffer number `slot` (0..7); lives until the thread exits.
scratch_buffer &thread_local_scratch(int slot);

} // namespace sparsetrain
