#include "jit/zero_skip.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

void emit_append_lanes(jit_generator &g, const Zmm &tmp, const Opmask &k, const Zmm &v, const Reg64 &base,
        const Reg64 &index, int32_t disp) {
    g.vcompressps(tmp | k | g.T_z, v);
    g.vmovups(g.ptr[base + index * 4 + disp], tmp);
}

void emit_compact_vector(jit_generator &g, const compact_regs &r, const Zmm &v, const Zmm &offsets) {
    // _CMP_NEQ_UQ: true for non-zero and for NaN, false for +0.0 and -0.0.
    g.vcmpps(r.k, v, r.zero, 4);
    emit_append_lanes(g, r.tmp, r.k, v, r.vals, r.count, 0);
    emit_append_lanes(g, r.tmp, r.k, offsets, r.offs, r.count, 0);
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
    g.movsxd(r.off, g.ptr[r.offs + r.idx * 4]);
    for (const auto &t : targets)
        g.vfmadd231ps(t.acc, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    g.inc(r.idx);
    g.cmp(r.idx, r.end);
    g.jl(loop, g.T_NEAR);
    g.L(done);
}

} // namespace jit
} // namespace sparsetrain
