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
    emit_compact_selected(g, r, r.k, v, offsets, disp);
}

void emit_compact_offsets(jit_generator &g, const compact_offsets_regs &r, const Opmask &mask,
        const Zmm &offsets, int32_t disp) {
    g.vpcompressd(r.tmp | mask | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), mask);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

namespace {

// The lanes of v in `val_lanes` onto vals (entries of `val_bytes`), the offsets of the lanes in
// `entries` onto offs, at entry `count`; count += the number of entries. Single lists store
// each selected lane (val_lanes == entries), pair lists both lanes of every pair.
void emit_compact_entries(jit_generator &g, const compact_regs &r, const Opmask &val_lanes, const Opmask &entries,
        int val_bytes, const Zmm &v, const Zmm &offsets, int32_t disp) {
    g.vcompressps(r.tmp | val_lanes | g.T_z, v);
    g.vmovups(g.ptr[r.vals + r.count * val_bytes + disp], r.tmp);
    g.vpcompressd(r.tmp | entries | g.T_z, offsets);
    g.vmovdqu32(g.ptr[r.offs + r.count * 4 + disp], r.tmp);
    g.kmovw(r.scratch.cvt32(), entries);
    g.popcnt(r.scratch.cvt32(), r.scratch.cvt32());
    g.add(r.count, r.scratch);
}

} // namespace

void emit_compact_selected(jit_generator &g, const compact_regs &r, const Opmask &mask, const Zmm &v,
        const Zmm &offsets, int32_t disp) {
    emit_compact_entries(g, r, mask, mask, 4, v, offsets, disp);
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
    // (v[j], v[j + 1]) for every pair start j, in order; one offset per pair.
    emit_compact_entries(g, r, both, first, 8, v, offsets, disp);
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
    list_loop_control c;
    c.idx = r.idx;
    c.end = r.end;
    emit_list_loop_control(g, c, [&](int, const Opmask &) {
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
    });
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

void emit_list_loop_control(jit_generator &g, const list_loop_control &c, const list_entry_emitter &entry) {
    const int u = c.unroll;
    if (u < 1 || (u & (u - 1)) || (c.counter == list_counter::compare_end && u != 1)
            || (c.counter == list_counter::up_to_zero && u > 2))
        throw Xbyak::Error(Xbyak::ERR_BAD_PARAMETER);
    const Opmask k0(0);
    Label loop, done;
    switch (c.counter) {
    case list_counter::compare_end:
        g.cmp(c.idx, c.end);
        g.jge(done, g.T_NEAR);
        if (!c.mark.empty()) g.mark(c.mark);
        g.L(loop);
        entry(0, k0);
        g.inc(c.idx);
        g.cmp(c.idx, c.end);
        g.jl(loop, g.T_NEAR);
        break;
    case list_counter::count_down: {
        auto leftover = [&] {
            g.mov(c.tmp, c.left);
            g.and_(c.tmp, u - 1);
        };
        g.mov(c.left, c.end);
        g.sub(c.left, c.idx);
        for (int s = 0; s < u - 1; ++s) { // step s runs iff s < count mod u
            leftover();
            g.cmp(c.tmp, s);
            g.setg(c.tmp.cvt8());
            g.movzx(c.tmp.cvt32(), c.tmp.cvt8());
            g.neg(c.tmp.cvt32()); // 0 or 0xffffffff
            g.kmovw(c.leftover, c.tmp.cvt32());
            entry(s, c.leftover);
        }
        if (u > 1) {
            leftover();
            g.add(c.idx, c.tmp);
            g.sub(c.left, c.tmp);
        }
        g.test(c.left, c.left);
        g.jz(done, g.T_NEAR);
        if (!c.mark.empty()) g.mark(c.mark);
        g.L(loop);
        for (int s = 0; s < u; ++s) entry(s, k0);
        g.add(c.idx, u);
        g.sub(c.left, u);
        g.jnz(loop, g.T_NEAR);
        break;
    }
    case list_counter::up_to_zero:
        if (u == 2) {
            // An odd count's first entry runs alone, without a branch on the parity (it would
            // mispredict every other list): it always runs, merge-masked by all ones iff the
            // count is odd (idx = -count has the same low bit), then idx skips it iff odd.
            g.mov(c.tmp, c.idx);
            g.and_(c.tmp.cvt32(), 1);
            g.neg(c.tmp.cvt32());
            g.kmovw(c.leftover, c.tmp.cvt32());
            entry(0, c.leftover);
            g.mov(c.tmp, c.idx);
            g.and_(c.tmp.cvt32(), 1);
            g.add(c.idx, c.tmp);
            g.jz(done, g.T_NEAR);
        }
        if (!c.mark.empty()) g.mark(c.mark);
        g.L(loop);
        for (int s = 0; s < u; ++s) entry(s, k0);
        if (u == 1) g.inc(c.idx);
        else g.add(c.idx, u);
        g.jnz(loop, g.T_NEAR);
        break;
    }
    g.L(done);
}

namespace {

void fma(jit_generator &g, const Zmm &acc, const Opmask &m, const Zmm &b, const Address &a) {
    if (m.getIdx() == 0) g.vfmadd231ps(acc, b, a);
    else g.vfmadd231ps(acc | m, b, a);
}

// A list_loop_regs loop: entries [idx, end), `left` and k7 for the unrolled leftovers.
list_loop_control control_of(const list_loop_regs &r, list_counter counter, int unroll, const Reg64 &left) {
    list_loop_control c;
    c.counter = counter;
    c.unroll = unroll;
    c.idx = r.idx;
    c.end = r.end;
    c.left = left;
    c.tmp = r.off; // scratch until an entry loads its offset
    return c;
}

} // namespace

void emit_list_loop(jit_generator &g, const list_loop_regs &r, const std::vector<fma_target> &targets) {
    emit_list_loop_control(g, control_of(r, list_counter::compare_end, 1, r.off), [&](int, const Opmask &) {
        g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4]);
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4]);
        for (const auto &t : targets) g.vfmadd231ps(t.acc, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    });
}


void emit_list_loop(jit_generator &g, const list_loop_regs &r,
        const std::vector<std::vector<fma_target>> &sets, const Reg64 &left) {
    const int u = (int)sets.size();
    if (u <= 1) {
        emit_list_loop(g, r, sets.empty() ? std::vector<fma_target> {} : sets[0]);
        return;
    }
    emit_list_loop_control(g, control_of(r, list_counter::count_down, u, left), [&](int i, const Opmask &m) {
        // Entries past the count are still inside the list's 16-entry slack: unmasked loads.
        g.vbroadcastss(r.bcast, g.ptr[r.vals + r.idx * 4 + 4 * i]);
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + 4 * i]);
        for (const auto &t : sets[i]) fma(g, t.acc, m, r.bcast, g.ptr[r.dense + r.off + t.disp]);
    });
}

void emit_list_loop_indirect(jit_generator &g, const list_loop_regs &r, int dense_scale,
        const std::vector<std::vector<fma_target>> &sets, const Reg64 &left, int src_scale) {
    const int u = std::max<int>(1, (int)sets.size());
    emit_list_loop_control(g, control_of(r, list_counter::count_down, u, left), [&](int i, const Opmask &m) {
        g.movsxd(r.off, g.dword[r.offs + r.idx * 4 + 4 * i]);
        // An offset past the count is stale: its value load must be masked as well.
        if (m.getIdx() == 0) g.vbroadcastss(r.bcast, g.ptr[r.vals + r.off * src_scale]);
        else g.vbroadcastss(r.bcast | m | g.T_z, g.ptr[r.vals + r.off * src_scale]);
        for (const auto &t : sets[i]) fma(g, t.acc, m, r.bcast, g.ptr[r.dense + r.off * dense_scale + t.disp]);
    });
}

} // namespace jit
} // namespace sparsetrain
