#include "jit/zero_skip.hpp"

#include <algorithm>
#include <map>

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

void emit_compact_vector(jit_generator &g, const compact_regs &r, const Zmm &v, const Zmm &offsets,
        int32_t disp) {
    g.mark("zero check (vcmpps -> mask) + compress non-zeros");
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

void emit_compact_offsets(jit_generator &g, const compact_offsets_regs &r, const Opmask &mask,
        const Zmm &offsets, int32_t disp) {
    g.vpcompressd(r.tmp | mask | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), mask);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

void emit_compact_selected(jit_generator &g, const compact_regs &r, const Opmask &mask, const Zmm &v,
        const Zmm &offsets, int32_t disp) {
    g.vcompressps(r.tmp | mask | g.T_z, v);
    g.vmovups(g.ptr[r.vals + r.count * 4 + disp], r.tmp);
    g.vpcompressd(r.tmp | mask | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), mask);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

void emit_pair_masks(jit_generator &g, const Reg32 &m, const Reg32 &first, const Reg32 &t) {
    const Reg64 m64 = m.cvt64(), first64 = first.cvt64();
    // Runs that start at an even lane pair up from their even lanes, the others from their odd
    // lanes. Adding each even run start to m carries through (clears) exactly that run.
    g.lea(t, g.ptr[m64 + m64]);
    g.andn(t, t, m);      // run starts: m & ~(m << 1)
    g.and_(t, 0x5555);    // ... at even lanes
    g.add(t, m);
    g.andn(t, t, m);      // lanes of runs starting at an even lane
    g.mov(first, m);
    g.xor_(first, t);     // lanes of runs starting at an odd lane
    g.and_(t, 0x5555);
    g.and_(first, 0xAAAA);
    g.or_(first, t);      // lanes at an even distance from their run's start
    g.mov(t, m);
    g.shr(t, 1);
    g.and_(first, t);     // ... whose next lane is non-zero too: pair starts
    g.lea(t, g.ptr[first64 + first64]);
    g.or_(t, first);      // both lanes of every pair
    g.andn(m, t, m);      // singles
}

void emit_compact_pairs(jit_generator &g, const compact_regs &r, const Opmask &first, const Opmask &both,
        const Zmm &v, const Zmm &offsets, int32_t disp) {
    g.vcompressps(r.tmp | both | g.T_z, v); // (v[j], v[j + 1]) for every pair start j, in order
    g.vmovups(g.ptr[r.vals + r.count * 8 + disp], r.tmp);
    g.vpcompressd(r.tmp | first | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), first);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

namespace {

// Pair-loop FMAs grouped by dense displacement: disp -> (accumulator, which value) users.
std::map<int32_t, std::vector<std::pair<Zmm, int>>> pair_users(const std::vector<fma_target> &targets, int32_t step) {
    std::map<int32_t, std::vector<std::pair<Zmm, int>>> users;
    for (const auto &t : targets) {
        users[t.disp].push_back({t.acc, 0});
        users[t.disp + step].push_back({t.acc, 1});
    }
    return users;
}

} // namespace

int pair_shared_loads(const std::vector<int32_t> &disps, int32_t step) {
    std::vector<fma_target> ts;
    for (int32_t d : disps) ts.push_back({Zmm(0), d});
    int n = 0;
    for (const auto &u : pair_users(ts, step)) n += u.second.size() > 1;
    return n;
}

int emit_pair_list_loop(jit_generator &g, const pair_loop_regs &r, int32_t step, const std::vector<fma_target> &targets,
        int32_t list_disp) {
    const auto users = pair_users(targets, step);
    int shared = 0;
    Label loop, done;
    g.cmp(r.idx, r.end);
    g.jge(done, g.T_NEAR);
    g.L(loop);
    g.vbroadcastss(r.bcast0, g.ptr[r.vals + r.idx * 8 + list_disp]);
    g.vbroadcastss(r.bcast1, g.ptr[r.vals + r.idx * 8 + list_disp + 4]);
    g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + list_disp]);
    for (const auto &u : users) {
        const auto addr = g.ptr[r.dense + r.off + u.first];
        if (u.second.size() == 1) {
            g.vfmadd231ps(u.second[0].first, u.second[0].second ? r.bcast1 : r.bcast0, addr);
            continue;
        }
        const Zmm &tmp = shared++ % 2 ? r.tmp1 : r.tmp0;
        g.vmovups(tmp, addr);
        for (const auto &a : u.second) g.vfmadd231ps(a.first, a.second ? r.bcast1 : r.bcast0, tmp);
    }
    g.inc(r.idx);
    g.cmp(r.idx, r.end);
    g.jl(loop, g.T_NEAR);
    g.L(done);
    return shared;
}

namespace {

// The lanes of `src` selected by `k`, compressed to the front, stored (64 bytes) at
// [base + count*4 + disp].
void append_lanes(jit_generator &g, const Zmm &tmp, const Opmask &k, const Zmm &src, const Reg64 &base,
        const Reg64 &count, int32_t disp) {
    g.vpcompressd(tmp | k | g.T_z, src);
    g.vmovdqu32(g.ptr[base + count * 4 + disp], tmp);
}

void advance(jit_generator &g, const Reg64 &count, const Opmask &k, const Reg64 &scratch) {
    g.kmovw(scratch.cvt32(), k);
    g.popcnt(scratch.cvt32(), scratch.cvt32());
    g.add(count, scratch);
}

} // namespace

void emit_compact_pair(jit_generator &g, const compact_pair_regs &r, const compact_pair_layout &l, const Zmm &a,
        const Zmm &b, const Zmm &offsets) {
    g.mark("zero check of two images + AB/A/B compress");
    // _CMP_NEQ_UQ as in emit_compact_vector: non-zero or NaN.
    g.vcmpps(r.ka, a, r.zero, 4);
    g.vcmpps(r.kb, b, r.zero, 4);
    // AB = ka & kb
    g.kandw(r.k, r.ka, r.kb);
    append_lanes(g, r.tmp, r.k, a, r.base, r.count[0], l.vals[0]);
    append_lanes(g, r.tmp, r.k, b, r.base, r.count[0], l.vals_b);
    append_lanes(g, r.tmp, r.k, offsets, r.base, r.count[0], l.offs[0]);
    advance(g, r.count[0], r.k, r.scratch);
    // A = ka & ~kb
    g.kandnw(r.k, r.kb, r.ka);
    append_lanes(g, r.tmp, r.k, a, r.base, r.count[1], l.vals[1]);
    append_lanes(g, r.tmp, r.k, offsets, r.base, r.count[1], l.offs[1]);
    advance(g, r.count[1], r.k, r.scratch);
    // B = kb & ~ka
    g.kandnw(r.k, r.ka, r.kb);
    append_lanes(g, r.tmp, r.k, b, r.base, r.count[2], l.vals[2]);
    append_lanes(g, r.tmp, r.k, offsets, r.base, r.count[2], l.offs[2]);
    advance(g, r.count[2], r.k, r.scratch);
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

namespace {

// Shared body of the unrolled loops: `entry(i, set, mask)` emits the FMAs of entry idx + i into
// `sets[set]`, merge-masked by `mask` unless it is k0 (masked-off memory operands do not
// fault). Leftovers are handled without a branch: the first (count mod u) entries go through
// u - 1 masked steps (step s: mask all-ones iff s < count mod u), so the main loop always runs
// a multiple of u entries and its exit is the list's only data-dependent branch.
template <typename Entry>
void emit_unrolled(jit_generator &g, const list_loop_regs &r, int u, const Reg64 &left, const Opmask &mask,
        Entry entry) {
    const Reg64 tmp = r.off; // scratch until an entry loads its offset
    auto leftover = [&] {
        g.mov(tmp, left);
        g.and_(tmp, u - 1);
    };
    Label main_loop, done;
    g.mov(left, r.end);
    g.sub(left, r.idx);
    for (int s = 0; s < u - 1; ++s) {
        leftover();
        g.cmp(tmp, s);
        g.setg(tmp.cvt8());
        g.movzx(tmp.cvt32(), tmp.cvt8());
        g.neg(tmp.cvt32()); // 0 or 0xffffffff
        g.kmovw(mask, tmp.cvt32());
        entry(s, s, mask);
    }
    if (u > 1) {
        leftover();
        g.add(r.idx, tmp);
        g.sub(left, tmp);
    }
    g.test(left, left);
    g.jz(done, g.T_NEAR);
    g.L(main_loop);
    for (int s = 0; s < u; ++s) entry(s, s, Opmask(0));
    g.add(r.idx, u);
    g.sub(left, u);
    g.jnz(main_loop, g.T_NEAR);
    g.L(done);
}

void fma(jit_generator &g, const Zmm &acc, const Opmask &m, const Zmm &b, const Address &a) {
    if (m.getIdx() == 0) g.vfmadd231ps(acc, b, a);
    else g.vfmadd231ps(acc | m, b, a);
}

} // namespace

void emit_list_loop(jit_generator &g, const list_loop_regs &r,
        const std::vector<std::vector<fma_target>> &sets, const Reg64 &left) {
    const int u = (int)sets.size();
    if (u <= 1) {
        emit_list_loop(g, r, sets.empty() ? std::vector<fma_target> {} : sets[0]);
        return;
    }
    if (u & (u - 1)) throw Xbyak::Error(Xbyak::ERR_BAD_PARAMETER);
    emit_unrolled(g, r, u, left, Opmask(7), [&](int i, int set, const Opmask &m) {
        // Entries past the count are still inside the list's 16-entry slack: unmasked loads.
        g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4 + 4 * i]);
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + 4 * i]);
        for (const auto &t : sets[set]) fma(g, t.acc, m, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    });
}

void emit_list_loop_indirect(jit_generator &g, const list_loop_regs &r, int dense_scale,
        const std::vector<std::vector<fma_target>> &sets, const Reg64 &left, int src_scale) {
    const int u = std::max<int>(1, (int)sets.size());
    if (u & (u - 1)) throw Xbyak::Error(Xbyak::ERR_BAD_PARAMETER);
    emit_unrolled(g, r, u, left, Opmask(7), [&](int i, int set, const Opmask &m) {
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + 4 * i]);
        // An offset past the count is stale: its value load must be masked as well.
        if (m.getIdx() == 0) g.vbroadcastss(r.bcast, g.ptr[r.vals + r.off * src_scale]);
        else g.vbroadcastss(r.bcast | m | g.T_z, g.ptr[r.vals + r.off * src_scale]);
        for (const auto &t : sets[set]) fma(g, t.acc, m, r.bcast, g.ptr[r.dense + r.off * dense_scale + t.disp]);
    });
}

} // namespace jit
} // namespace sparsetrain
