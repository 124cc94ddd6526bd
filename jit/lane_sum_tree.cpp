#include "jit/lane_sum_tree.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

namespace {

// What a lane of a register holds: partial sums of one output (slot) over a set of its
// original lanes (bit l = lane l), or garbage (sums of different outputs, or a lane added
// twice). The simulation runs beside the emission and decides where each output lands.
struct lane {
    int slot = -1; // -1 garbage
    uint32_t parts = 0;
};
using vec = std::array<lane, 16>;

lane add(const lane &a, const lane &b) {
    if (a.slot < 0 || a.slot != b.slot || (a.parts & b.parts)) return lane();
    return {a.slot, a.parts | b.parts};
}

// Source of each result lane of a two-source shuffle: (from b?, lane in that source).
using lane_map = std::array<std::pair<int, int>, 16>;

vec permute_lanes(const vec &a, const vec &b, const lane_map &m) {
    vec r;
    for (int l = 0; l < 16; ++l) r[l] = m[l].first ? b[m[l].second] : a[m[l].second];
    return r;
}

// vshuff32x4 dst, s1, s2, imm: quarters 0, 1 from s1, quarters 2, 3 from s2.
lane_map shuf128(int imm) {
    lane_map m;
    for (int q = 0; q < 4; ++q) {
        const int sel = (imm >> (2 * q)) & 3;
        for (int w = 0; w < 4; ++w) m[4 * q + w] = {q >= 2, 4 * sel + w};
    }
    return m;
}
// vunpcklpd / vunpckhpd: per 128-bit quarter, [s1 pair, s2 pair] of the low / high 64 bits.
lane_map unpack64(bool high) {
    lane_map m;
    for (int q = 0; q < 4; ++q)
        for (int w = 0; w < 4; ++w) m[4 * q + w] = {w >= 2, 4 * q + (high ? 2 : 0) + (w & 1)};
    return m;
}
// vshufps dst, s1, s2, imm: per quarter, elements 0, 1 from s1 and 2, 3 from s2.
lane_map shufps(int imm) {
    lane_map m;
    for (int q = 0; q < 4; ++q)
        for (int w = 0; w < 4; ++w) m[4 * q + w] = {w >= 2, 4 * q + ((imm >> (2 * w)) & 3)};
    return m;
}
// vpermilps t, a, imm: per quarter, element w = a[imm bits 2w+1:2w].
lane_map permil(int imm) {
    lane_map m;
    for (int q = 0; q < 4; ++q)
        for (int w = 0; w < 4; ++w) m[4 * q + w] = {0, 4 * q + ((imm >> (2 * w)) & 3)};
    return m;
}

vec sum(const vec &a, const vec &b) {
    vec r;
    for (int l = 0; l < 16; ++l) r[l] = add(a[l], b[l]);
    return r;
}

struct tree {
    jit_generator *g; // null: count only
    Zmm tmp;
    int count = 0;

    // Level 0..3: 256-, 128-, 64-, 32-bit. r (in a's register) = lo(a, b) + hi(a, b).
    vec pair(int level, const Zmm &a, const vec &va, const Zmm &b, const vec &vb) {
        lane_map lo, hi;
        switch (level) {
        case 0: lo = shuf128(0x44), hi = shuf128(0xEE); break;
        case 1: lo = shuf128(0x88), hi = shuf128(0xDD); break;
        case 2: lo = unpack64(false), hi = unpack64(true); break;
        default: lo = shufps(0x88), hi = shufps(0xDD); break;
        }
        count += 3;
        if (g) {
            switch (level) {
            case 0: g->vshuff32x4(tmp, a, b, 0xEE), g->vshuff32x4(a, a, b, 0x44); break;
            case 1: g->vshuff32x4(tmp, a, b, 0xDD), g->vshuff32x4(a, a, b, 0x88); break;
            case 2: g->vunpckhpd(tmp, a, b), g->vunpcklpd(a, a, b); break;
            default: g->vshufps(tmp, a, b, 0xDD), g->vshufps(a, a, b, 0x88); break;
            }
            g->vaddps(a, a, tmp);
        }
        return sum(permute_lanes(va, vb, lo), permute_lanes(va, vb, hi));
    }

    // r = a + permute(a), the partner half of every lane pair at this level.
    vec self(int level, const Zmm &a, const vec &va) {
        const int imm[4] = {0x4E, 0xB1, 0x4E, 0xB1};
        const lane_map m = level < 2 ? shuf128(imm[level]) : permil(imm[level]);
        count += 2;
        if (g) {
            if (level < 2) g->vshuff32x4(tmp, a, a, imm[level]);
            else g->vpermilps(tmp, a, imm[level]);
            g->vaddps(a, a, tmp);
        }
        return sum(va, permute_lanes(va, va, m));
    }

    // One accumulator: narrowing adds, the sum ends in lane 0.
    vec narrow(const Zmm &a, const vec &va) {
        count += 8;
        if (g) {
            const Ymm ya(a.getIdx()), yt(tmp.getIdx());
            const Xmm xa(a.getIdx()), xt(tmp.getIdx());
            g->vextractf64x4(yt, a, 1);
            g->vaddps(ya, ya, yt);
            g->vextractf32x4(xt, ya, 1);
            g->vaddps(xa, xa, xt);
            g->vmovhlps(xt, xa, xa);
            g->vaddps(xa, xa, xt);
            g->vmovshdup(xt, xa);
            g->vaddss(xa, xa, xt);
        }
        vec r;
        uint32_t all = 0;
        for (int l = 0; l < 16; ++l) all |= va[l].parts;
        r[0] = {va[0].slot, all};
        return r;
    }
};

int run(jit_generator *g, const std::vector<Zmm> &accs, const std::vector<int> &place, const Zmm &tmp,
        const Zmm &out, const const_vector_fn *const_vector) {
    const int m = (int)accs.size();
    if (m < 1 || m > 16 || (int)place.size() != m) throw error("emit_lane_sums: 1..16 accumulators, one place each");
    tree t {g, tmp};
    std::vector<Zmm> regs = accs;
    std::vector<vec> vals(m);
    for (int j = 0; j < m; ++j)
        for (int l = 0; l < 16; ++l) vals[j][l] = {j, 1u << l};
    if (m == 1) {
        vals[0] = t.narrow(regs[0], vals[0]);
    } else {
        for (int level = 0; level < 4; ++level) {
            std::vector<Zmm> nr;
            std::vector<vec> nv;
            for (size_t i = 0; i < regs.size(); i += 2) {
                if (i + 1 < regs.size()) nv.push_back(t.pair(level, regs[i], vals[i], regs[i + 1], vals[i + 1]));
                else nv.push_back(t.self(level, regs[i], vals[i]));
                nr.push_back(regs[i]);
            }
            regs = nr;
            vals = nv;
        }
    }
    // Where each output ended up (its complete sum, all 16 original lanes).
    std::array<int32_t, 16> idx {};
    bool identity = true;
    for (int j = 0; j < m; ++j) {
        int at = -1;
        for (int l = 0; l < 16 && at < 0; ++l)
            if (vals[0][l].slot == j && vals[0][l].parts == 0xFFFFu) at = l;
        if (at < 0) throw error("emit_lane_sums: tree lost output " + std::to_string(j));
        if (place[j] < 0 || place[j] > 15) throw error("emit_lane_sums: place out of range");
        idx[place[j]] = at;
        identity = identity && at == place[j];
    }
    const Zmm &res = regs[0];
    if (!identity) {
        t.count += 2;
        if (g) {
            g->vmovups(tmp, (*const_vector)(idx));
            g->vpermps(out, tmp, res);
        }
    } else if (res.getIdx() != out.getIdx()) {
        t.count += 1;
        if (g) g->vmovaps(out, res);
    }
    return t.count;
}

} // namespace

void emit_lane_sums(jit_generator &g, const std::vector<Zmm> &accs, const std::vector<int> &place, const Zmm &tmp,
        const Zmm &out, const const_vector_fn &const_vector) {
    g.mark("lane sums of " + std::to_string(accs.size()) + " accumulators (transpose-add tree)");
    run(&g, accs, place, tmp, out, &const_vector);
}

int lane_sum_instructions(int m) {
    std::vector<Zmm> accs;
    std::vector<int> place;
    for (int j = 0; j < m; ++j) {
        accs.push_back(Zmm(j));
        place.push_back(j);
    }
    return run(nullptr, accs, place, Zmm(30), Zmm(0), nullptr);
}

} // namespace jit
} // namespace sparsetrain
