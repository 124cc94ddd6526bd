// A small kernel built from the shared zero-skip emitters, for tests of the JIT machinery.
#pragma once

#include <cstdint>

#include "jit/jit_generator.hpp"
#include "jit/zero_skip.hpp"

namespace sparsetrain {
namespace test {

using namespace Xbyak;
using namespace sparsetrain::jit;

// Compacts `nvec` 16-float vectors of `sparse` (with offsets = 64 * lane index, i.e. dense row
// i for lane i) into the list, then runs the list loop with 2 accumulators against `dense`
// (rows of 16 floats, the second accumulator reading 16 rows further), and stores both.
// void f(const float *sparse, const float *dense, float *vals, int32_t *offs, float *out, int64_t nvec)
struct test_kernel : jit_generator {
    test_kernel() : jit_generator("test_zero_skip", "acc=2", "unit-test") {}
    void generate() override {
        preamble();
        const Reg64 sp = rdi, dn = rsi, vals = rdx, offs = rcx, out = r8, nvec = r9;
        const Reg64 count = r10, scratch = r11, i = r12, idx = r13, off = r14;
        const Zmm zero = zmm31, tmp = zmm30, v = zmm29, lane_offs = zmm28, step = zmm27;
        mark("setup");
        vpxord(zero, zero, zero);
        // lane_offs = lane * 64 (0, 64, ..., 960, from a table on the stack); step = 16 * 64.
        sub(rsp, 64);
        for (int l = 0; l < 16; ++l) mov(dword[rsp + l * 4], l * 64);
        vmovdqu32(lane_offs, ptr[rsp]);
        add(rsp, 64);
        mov(eax, 16 * 64);
        vpbroadcastd(step, eax);
        xor_(count, count);
        xor_(i, i);
        Label vec_loop, vec_done;
        mark("zero check + compaction");
        L(vec_loop);
        cmp(i, nvec);
        jge(vec_done, T_NEAR);
        mov(rax, i);
        shl(rax, 6);
        vmovups(v, ptr[sp + rax]);
        emit_compact_vector(*this, {zero, tmp, k1, vals, offs, count, scratch}, v, lane_offs);
        vpaddd(lane_offs, lane_offs, step);
        inc(i);
        jmp(vec_loop, T_NEAR);
        L(vec_done);
        mark("list loop");
        vpxord(zmm0, zmm0, zmm0);
        vpxord(zmm1, zmm1, zmm1);
        xor_(idx, idx);
        emit_list_loop(*this, {vals, offs, idx, count, dn, off, zmm2}, {{zmm0, 0}, {zmm1, 16 * 64}});
        vmovups(ptr[out], zmm0);
        vmovups(ptr[out + 64], zmm1);
        mov(rax, count);
        postamble();
    }
};

using test_fn = int64_t (*)(const float *, const float *, float *, int32_t *, float *, int64_t);


} // namespace test
} // namespace sparsetrain
