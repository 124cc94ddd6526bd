// Flush-to-zero (FTZ) and denormals-are-zero (DAZ) for the duration of a scope, on the calling
// thread only. FP arithmetic with a denormal input or result takes a microcode assist (~60x
// slower on this machine's cores, for oneDNN's kernels and ours alike: perf/README.md). With
// denormal_mode::flush the sparse drivers enter this guard in every OpenMP thread around their
// kernels, and the caller's MXCSR is restored on exit, so nothing leaks into user code.
#pragma once

#include <xmmintrin.h>

namespace sparsetrain {

class denormal_guard {
public:
    static constexpr unsigned ftz_daz = 0x8040; // MXCSR bit 15 (FTZ) | bit 6 (DAZ)
    explicit denormal_guard(bool on) : on_(on) {
        if (!on_) return;
        saved_ = _mm_getcsr();
        if ((saved_ & ftz_daz) == ftz_daz) on_ = false; // already set by the caller: nothing to undo
        else _mm_setcsr(saved_ | ftz_daz);
    }
    ~denormal_guard() {
        if (on_) _mm_setcsr(saved_);
    }
    denormal_guard(const denormal_guard &) = delete;
    denormal_guard &operator=(const denormal_guard &) = delete;

private:
    bool on_;
    unsigned saved_ = 0;
};

} // namespace sparsetrain
