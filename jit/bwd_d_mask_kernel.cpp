#include "jit/bwd_d_mask_kernel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <list>
#include <sstream>
#include <vector>

#include "jit/kernel_cache.hpp"
#include "jit/lane_sum_tree.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

// Role-named registers (see the header).
const Reg64 reg_tap = rax, reg_tab = rbx, reg_ddrel = rcx, reg_wtap = rdx, reg_dd = rsi, reg_args = rdi;
const Reg64 entry_tap_loop[10] = {rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15};
const Reg64 entry_single_tap[13] = {rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rax, rbx, rcx};
const int n_acc = 26;
const Zmm z_result(26), z_tmp(27), z_line(28), z_zero(29), z_compress(30), z_lanes(31);
const Opmask k_item(1), k_group(2);
// Scratch outside the groups, the stack frame, and rip for constants (named here: inside the
// generator's nested emitter the bare names would be the generator's members).
const Reg64 s0 = Xbyak::util::rax, s1 = Xbyak::util::rcx, s2 = Xbyak::util::rdx, frame = Xbyak::util::rsp;
const RegRip rip_rel = Xbyak::util::rip;
const int n_buckets = 17;
const int cmp_lt_oq = 1; // 0 < src: false for -0, +0, negative and NaN src

// Stack frame (bytes from the 64-aligned rsp).
enum frame_slot : int {
    f_buf = 0, // compressed lane offsets of the current item (64 bytes)
    f_saved_rsp = 64,
    f_items = 72, f_counts = 80, f_cap = 88, f_pix = 96, f_taps = 104, f_src = 112, f_dst = 120, f_dd = 128,
    f_w = 136,
    f_bucket = 144, f_i = 152, f_end = 160, f_act = 168, f_tneg = 176, f_tab_end = 184,
    f_bytes = 192
};

int32_t disp32(int64_t v, const char *what) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw error(std::string("bwd_d_mask_kernel: ") + what + " does not fit a 32-bit displacement");
    return (int32_t)v;
}

} // namespace

int bwd_d_mask_desc::sets(int m) const {
    int s = std::max(1, (8 + m - 1) / m);
    s = std::min(s, occ);
    while (s > 1 && m * s > n_acc) --s;
    return s;
}

std::string bwd_d_mask_desc::key() const {
    std::ostringstream os;
    os << "bwd_d_mask:occ" << occ << ":st" << single_tap << ":dds" << dd_blk_stride << ":ws" << w_blk_stride
       << ":acc" << accumulate << ":g" << max_group << ":full" << full_from;
    return os.str();
}

// Emission state: the constant vectors (emitted after the code) and the per-variant code.
struct bwd_d_mask_kernel::impl {
    bwd_d_mask_kernel &g;
    const bwd_d_mask_desc &d;
    std::list<std::pair<Label, std::array<int32_t, 16>>> consts;

    Address const_vector(const std::array<int32_t, 16> &v) {
        for (auto &c : consts)
            if (c.second == v) return g.ptr[rip_rel + c.first];
        consts.emplace_back();
        consts.back().second = v;
        return g.ptr[rip_rel + consts.back().first];
    }

    Zmm acc(int m, int j, int set) const { return Zmm(set * m + j); }

    // The entries [g0, g0 + m) of the current item (or, full, the 16 lanes at constant
    // displacements) against every tap and block; their sums go to lanes g0.. of z_result.
    void group(int g0, int m, bool full, bool first) {
        const Reg64 *entry = d.single_tap ? entry_single_tap : entry_tap_loop;
        const int sets = full ? 1 : d.sets(m);
        g.mark("group of " + std::to_string(m) + (full ? " lanes (all)" : " entries") + " x " + std::to_string(sets)
                + " sets");
        if (!full)
            for (int j = 0; j < m; ++j) g.mov(entry[j].cvt32(), g.dword[frame + f_buf + 4 * (g0 + j)]);
        for (int s = 0; s < sets; ++s)
            for (int j = 0; j < m; ++j) g.vxorps(acc(m, j, s), acc(m, j, s), acc(m, j, s));
        auto steps = [&](bool with_rel) {
            for (int b = 0; b < d.occ; ++b) {
                const int32_t ddisp = disp32(b * d.dd_blk_stride, "dd_blk_stride");
                g.vmovups(z_line, with_rel ? g.ptr[reg_dd + reg_ddrel + ddisp] : g.ptr[reg_dd + ddisp]);
                const int32_t wdisp = disp32(b * d.w_blk_stride, "w_blk_stride");
                for (int j = 0; j < m; ++j) {
                    const Address w = full ? g.ptr[reg_wtap + wdisp + 64 * j] : g.ptr[reg_wtap + entry[j] + wdisp];
                    g.vfmadd231ps(acc(m, j, b % sets), z_line, w);
                }
            }
        };
        if (d.single_tap) {
            g.mov(reg_wtap, g.ptr[frame + f_w]);
            g.mark("blocks (one tap)");
            steps(false);
        } else {
            Label tap_loop;
            g.mov(reg_tap, g.ptr[frame + f_tneg]);
            g.mov(reg_tab, g.ptr[frame + f_tab_end]);
            g.mark("tap loop");
            g.L(tap_loop);
            g.mov(reg_ddrel, g.ptr[reg_tab + reg_tap * 8]);
            g.mov(reg_wtap, g.ptr[reg_tab + reg_tap * 8 + 8]);
            g.add(reg_wtap, g.ptr[frame + f_w]);
            steps(true);
            g.add(reg_tap, 2);
            g.jnz(tap_loop, g.T_NEAR);
        }
        for (int j = 0; j < m; ++j)
            for (int s = 1; s < sets; ++s) g.vaddps(acc(m, j, 0), acc(m, j, 0), acc(m, j, s));
        std::vector<Zmm> accs;
        std::vector<int> place;
        for (int j = 0; j < m; ++j) {
            accs.push_back(acc(m, j, 0));
            place.push_back(g0 + j);
        }
        const Zmm out = first ? z_result : acc(m, 0, 0);
        emit_lane_sums(g, accs, place, z_tmp, out, [&](const std::array<int32_t, 16> &v) { return const_vector(v); });
        if (!first) {
            const uint32_t lanes = ((1u << m) - 1) << g0;
            g.mov(reg_tap.cvt32(), lanes);
            g.kmovw(k_group, reg_tap.cvt32());
            g.vmovaps(z_result | k_group, out);
        }
    }

    // Groups of the variant for n entries: one, or near-equal groups of at most the entry
    // registers (each re-runs the tap loop), or all 16 lanes.
    std::vector<std::pair<int, int>> groups(int n) const {
        const int cap = d.max_group > 0 ? std::min(d.max_group, d.entry_regs()) : d.entry_regs();
        const int k = (n + cap - 1) / cap;
        std::vector<std::pair<int, int>> r;
        for (int i = 0, g0 = 0; i < k; ++i) {
            const int m = (n - g0) / (k - i);
            r.push_back({g0, m});
            g0 += m;
        }
        return r;
    }

    void bucket(int n) {
        const bool full = n >= d.full_from;
        g.mark("bucket " + std::to_string(n) + (full ? " (all lanes)" : ""));
        Label item_loop, skip;
        g.mov(s0, g.ptr[frame + f_counts]);
        g.movsxd(s1, g.dword[s0 + 4 * n]);
        g.test(s1, s1);
        g.jz(skip, g.T_NEAR);
        g.mov(g.ptr[frame + f_end], s1);
        g.mov(s0, g.ptr[frame + f_cap]);
        g.imul(s0, s0, 4 * n);
        g.add(s0, g.ptr[frame + f_items]);
        g.mov(g.ptr[frame + f_bucket], s0);
        g.mov(g.qword[frame + f_i], 0);
        g.L(item_loop);
        g.mov(s0, g.ptr[frame + f_bucket]);
        g.mov(s1, g.ptr[frame + f_i]);
        g.movsxd(s0, g.dword[s0 + s1 * 4]);
        g.shl(s0, 4);
        g.add(s0, g.ptr[frame + f_pix]);
        g.movsxd(s1, g.dword[s0]);
        g.mov(g.ptr[frame + f_act], s1);
        if (n == 0) {
            g.add(s1, g.ptr[frame + f_dst]);
            g.vmovups(g.ptr[s1], z_zero);
        } else {
            g.add(s1, g.ptr[frame + f_src]);
            g.vcmpps(k_item, z_zero, g.ptr[s1], cmp_lt_oq);
            g.movsxd(reg_dd, g.dword[s0 + 4]);
            g.add(reg_dd, g.ptr[frame + f_dd]);
            if (!d.single_tap) {
                g.movsxd(s1, g.dword[s0 + 8]);  // tap_end
                g.movsxd(s2, g.dword[s0 + 12]); // ntaps
                g.shl(s1, 4);
                g.add(s1, g.ptr[frame + f_taps]);
                g.mov(g.ptr[frame + f_tab_end], s1);
                g.neg(s2);
                g.add(s2, s2);
                g.mov(g.ptr[frame + f_tneg], s2);
            }
            if (!full) {
                g.vpcompressd(z_compress | k_item | g.T_z, z_lanes);
                g.vmovdqu32(g.ptr[frame + f_buf], z_compress);
                const auto gs = groups(n);
                for (size_t i = 0; i < gs.size(); ++i) group(gs[i].first, gs[i].second, false, i == 0);
                g.vexpandps(z_result | k_item | g.T_z, z_result);
            } else {
                group(0, 16, true, true);
                g.vmovaps(z_result | k_item | g.T_z, z_result);
            }
            g.mov(s1, g.ptr[frame + f_act]);
            g.add(s1, g.ptr[frame + f_dst]);
            if (d.accumulate) g.vaddps(z_result, z_result, g.ptr[s1]);
            g.vmovups(g.ptr[s1], z_result);
        }
        g.mov(s1, g.ptr[frame + f_i]);
        g.inc(s1);
        g.mov(g.ptr[frame + f_i], s1);
        g.cmp(s1, g.ptr[frame + f_end]);
        g.jl(item_loop, g.T_NEAR);
        g.L(skip);
    }
};

bwd_d_mask_kernel::bwd_d_mask_kernel(const bwd_d_mask_desc &d)
    : jit_generator("sparse_bwd_d_mask", d.key(), d.problem), d_(d) {
    if (d_.occ < 1) throw error("bwd_d_mask_kernel: occ must be >= 1");
    if (d_.full_from < 1) throw error("bwd_d_mask_kernel: full_from must be >= 1");
    if (d_.max_group < 0) throw error("bwd_d_mask_kernel: max_group must be >= 0");
}

std::shared_ptr<const bwd_d_mask_kernel> bwd_d_mask_kernel::get(const bwd_d_mask_desc &d) {
    return kernel_cache::instance().get<bwd_d_mask_kernel>(d.key(), [&] {
        auto k = std::make_shared<bwd_d_mask_kernel>(d);
        k->create();
        return k;
    });
}

void bwd_d_mask_kernel::generate() {
    impl e {*this, d_, {}};
    preamble();
    mov(rax, rsp);
    sub(rsp, f_bytes + 64);
    and_(rsp, -64);
    mov(ptr[rsp + f_saved_rsp], rax);
    const std::pair<int, size_t> fields[] = {{f_items, offsetof(bwd_d_mask_args, items)},
            {f_counts, offsetof(bwd_d_mask_args, counts)}, {f_cap, offsetof(bwd_d_mask_args, cap)},
            {f_pix, offsetof(bwd_d_mask_args, pix)}, {f_taps, offsetof(bwd_d_mask_args, taps)},
            {f_src, offsetof(bwd_d_mask_args, src)}, {f_dst, offsetof(bwd_d_mask_args, dst)},
            {f_dd, offsetof(bwd_d_mask_args, dd)}, {f_w, offsetof(bwd_d_mask_args, w)}};
    for (const auto &f : fields) {
        mov(rax, ptr[reg_args + f.second]);
        mov(ptr[rsp + f.first], rax);
    }
    vxorps(z_zero, z_zero, z_zero);
    std::array<int32_t, 16> lanes;
    for (int l = 0; l < 16; ++l) lanes[l] = 64 * l;
    vmovdqu32(z_lanes, e.const_vector(lanes));

    for (int n = d_.accumulate ? 1 : 0; n < n_buckets; ++n) e.bucket(n);

    mov(rsp, ptr[rsp + f_saved_rsp]);
    postamble();
    align(64);
    mark_data("constant index vectors");
    for (auto &c : e.consts) {
        L(c.first);
        for (int32_t v : c.second) dd((uint32_t)v);
    }
}

} // namespace jit
} // namespace sparsetrain
