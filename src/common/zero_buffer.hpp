// Owned, zero-filled memory for the dispatcher's calibration run of a sparse kernel on an
// all-zero operand. Each page is written once, so it is this process's own physical page, not
// the kernel's shared zero page: a read-only anonymous mapping would map every page to that one
// 4 KB page, which stays in L1/L2, and the zero run would miss all the memory traffic the real
// operand costs (the model's t0 too low, its slope too steep). Allocated for one calibration
// and freed after it; filling it costs about one page fault per 4 KB (or 2 MB with transparent
// huge pages), split over the OpenMP threads.
#pragma once

#include <cstddef>

namespace sparsetrain {

class zero_buffer {
public:
    explicit zero_buffer(size_t bytes);
    ~zero_buffer();
    zero_buffer(const zero_buffer &) = delete;
    zero_buffer &operator=(const zero_buffer &) = delete;

    const float *data() const { return static_cast<const float *>(ptr_); }
    size_t bytes() const { return bytes_; } // rounded up to whole pages

private:
    void *ptr_ = nullptr;
    size_t bytes_ = 0;
};

} // namespace sparsetrain
