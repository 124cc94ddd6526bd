#include "jit/zero_skip.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

void emit_compact_vector(jit_generator &g, const compact_regs &r, const Zmm &v, const Zmm &offsets,
        int32_t disp) {
    // _CMP_NEQ_UQ: true for non-zero and for NaN, false for +0.0 and -0.0.
    g.vcmpps(r.k, v, r.zero, 4);
    g.vcompressps(r.tmp | r.k | g.T_z, v);
    g.vmovups(g.ptr[r.vals + r.count * 4 + disp], r.tmp);
    g.vpcompressd(r.tmp | r.k | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), r.k);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

void emit_list_loop(jit_generator &g, const list_loop_regs &r, const std::vector<fma_target> &targets) {
    Label loop, done;
    g.cmp(r.idx, r.end);
    g.jge(done, g.T_NEAR);
    g.L(loop);
    g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4]);
    g.movsxd(r.off, g.dword[r.offs + r.idx * 4]);
    for (const auto &t : targets)
        g.vfmadd231ps(t.acc, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    g.inc(r.idx);
    g.cmp(r.idx, r.end);
    g.jl(loop, g.T_NEAR);
    g.L(done);
}

void emit_list_loop(jit_generator &g, const list_loop_regs &r,
        const std::vector<std::vector<fma_target>> &sets, const Reg64 &left) {
    const int u = (int)sets.size();
    if (u <= 1) {
        emit_list_loop(g, r, sets.empty() ? std::vector<fma_target> {} : sets[0]);
        return;
    }
    Label main_loop, tail, tail_loop, done;
    // Main loop: while at least u entries are left, one entry per set.
    g.mov(left, r.end);
    g.sub(left, r.idx);
    g.cmp(left, u);
    g.jl(tail, g.T_NEAR);
    g.L(main_loop);
    for (int s = 0; s < u; ++s) {
        g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4 + 4 * s]);
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + 4 * s]);
        for (const auto &t : sets[s])
            g.vfmadd231ps(t.acc, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    }
    g.add(r.idx, u);
    g.sub(left, u);
    g.cmp(left, u);
    g.jge(main_loop, g.T_NEAR);
    g.L(tail);
    g.cmp(r.idx, r.end);
    g.jge(done, g.T_NEAR);
    g.L(tail_loop);
    g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4]);
    g.movsxd(r.off, g.dword[r.offs + r.idx * 4]);
    for (const auto &t : sets[0])
        g.vfmadd231ps(t.acc, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    g.inc(r.idx);
    g.cmp(r.idx, r.end);
    g.jl(tail_loop, g.T_NEAR);
    g.L(done);
}

} // namespace jit
} // namespace sparsetrain
