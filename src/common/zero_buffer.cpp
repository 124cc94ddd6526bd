#include "common/zero_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

zero_buffer::zero_buffer(size_t bytes) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    bytes_ = (bytes + page - 1) / page * page;
    if (bytes_ == 0) bytes_ = page;
    void *p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw error("calibration: cannot allocate a zero operand of " + std::to_string(bytes_) + " bytes");
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes_, MADV_HUGEPAGE); // fewer faults where the system allows it
#endif
    // One write per page: the kernel hands out a zeroed private page on each write fault.
    char *c = static_cast<char *>(p);
    const int64_t pages = (int64_t)(bytes_ / page);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < pages; ++i) c[(size_t)i * page] = 0;
    ptr_ = p;
}

zero_buffer::~zero_buffer() {
    if (ptr_) munmap(ptr_, bytes_);
}

} // namespace sparsetrain
