#include "jit/bwd_d_mask_kernel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <list>
#include <sstream>

#include "jit/lane_sum_tree.hpp"
#include "jit/register_map.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;
namespace xr = Xbyak::util;

namespace {

// Role-named registers: jit/register_map.hpp (regmap::bwd_d_mask). Aliased here with explicit
// names: inside the generator's nested emitter the bare Xbyak names would be its members.
namespace rm = regmap::bwd_d_mask;
const Reg64 reg_dd = rm::dd, reg_wblk = rm::wblk, reg_wbase = rm::wbase, reg_tap = rm::tap, reg_tab = rm::tab;
const Reg64 reg_ddrel = rm::ddrel, reg_wtap = rm::wtap, reg_args = rm::args;
const Reg64 *const entries_unrolled = rm::entries_unrolled, *const entries_generic = rm::entries_generic;
const Reg64 s0 = rm::s0, s1 = rm::s1, s2 = rm::s2, frame = xr::rsp;
const RegRip rip_rel = xr::rip;
const int n_acc = reg_budget::max_acc_mask;
const Zmm z_result(rm::result_idx), z_tmp(rm::tmp_idx), z_line(rm::line_idx), z_zero(rm::zero_idx);
const Opmask k_item = rm::k_item, k_group = rm::k_group;
const int cmp_lt_oq = 1; // 0 < src: false for -0, +0, negatives and NaN

// Stack frame (bytes from the 64-aligned rsp).
enum frame_slot : int {
    f_saved_rsp = 0, f_records = 8, f_starts = 16, f_counts = 24, f_taps = 32, f_src = 40, f_dst = 48, f_dd = 56,
    f_w = 64, f_rec = 72, f_end = 80, f_tneg = 88, f_tab_end = 96, f_bytes = 128
};

int32_t disp32(int64_t v, const char *what) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw error(std::string("bwd_d_mask_kernel: ") + what + " does not fit a 32-bit displacement");
    return (int32_t)v;
}

enum class code_kind { unrolled, block_loop, generic };

} // namespace

namespace {
code_kind kind_of(const bwd_d_mask_desc &d, int cls) {
    if (cls >= (int)d.classes.size()) return code_kind::generic;
    const int taps = (int)d.classes[cls].size();
    return (taps == 1 || taps * d.occ <= 16) ? code_kind::unrolled : code_kind::block_loop;
}
} // namespace

int bwd_d_mask_desc::entry_regs(int cls) const {
    switch (kind_of(*this, cls)) {
    case code_kind::unrolled: return 14;
    case code_kind::block_loop: return 13;
    default: return 10;
    }
}

int bwd_d_mask_desc::sets(int cls, int m) const {
    const code_kind k = kind_of(*this, cls);
    const int taps = cls < (int)classes.size() ? (int)classes[cls].size() : 1;
    const int cap = k == code_kind::unrolled ? taps * occ : k == code_kind::block_loop ? taps : occ;
    int s = std::min(cap, std::max(1, (chains + m - 1) / m));
    while (s > 1 && m * s > n_acc) --s;
    return s;
}

std::string bwd_d_mask_desc::key() const {
    std::ostringstream os;
    os << "bwd_d_mask:occ" << occ << ":dds" << dd_blk_stride << ":ws" << w_blk_stride << ":acc" << accumulate << ":g"
       << max_group << ":full" << full_from << ":ch" << chains << ":gen" << generic;
    for (const auto &c : classes) {
        os << ":c";
        for (const auto &t : c) os << t.first << "/" << t.second << ",";
    }
    return os.str();
}

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

    // The FMAs of one group: every tap and block of the item's class.
    void fma_steps(int cls, int m, int sets, bool full, const Reg64 *entry) {
        const code_kind k = kind_of(d, cls);
        auto fma = [&](int j, int set, const Address &w) { g.vfmadd231ps(acc(m, j, set), z_line, w); };
        if (k == code_kind::unrolled) {
            const tap_list &taps = d.classes[cls];
            g.mark("taps x blocks (unrolled)");
            for (size_t t = 0; t < taps.size(); ++t)
                for (int b = 0; b < d.occ; ++b) {
                    const int s = (int)(t * d.occ + b) % sets;
                    g.vmovups(z_line, g.ptr[reg_dd + disp32(taps[t].first + b * d.dd_blk_stride, "dd offset")]);
                    const int32_t wd = disp32(taps[t].second + b * d.w_blk_stride, "weight offset");
                    for (int j = 0; j < m; ++j) fma(j, s, full ? g.ptr[reg_wbase + wd + 64 * j] : g.ptr[entry[j] + wd]);
                }
        } else if (k == code_kind::block_loop) {
            const tap_list &taps = d.classes[cls];
            Label loop;
            g.xor_(reg_wblk.cvt32(), reg_wblk.cvt32());
            g.mark("block loop (taps unrolled)");
            g.L(loop);
            for (size_t t = 0; t < taps.size(); ++t) {
                const int s = (int)t % sets;
                g.vmovups(z_line, g.ptr[reg_dd + disp32(taps[t].first, "dd offset")]);
                const int32_t wd = disp32(taps[t].second, "weight offset");
                for (int j = 0; j < m; ++j)
                    fma(j, s, full ? g.ptr[reg_wbase + reg_wblk + wd + 64 * j] : g.ptr[entry[j] + reg_wblk + wd]);
            }
            g.add(reg_dd, disp32(d.dd_blk_stride, "dd_blk_stride"));
            g.add(reg_wblk, disp32(d.w_blk_stride, "w_blk_stride"));
            g.cmp(reg_wblk, disp32(d.occ * d.w_blk_stride, "w_blk_stride"));
            g.jne(loop, g.T_NEAR);
        } else {
            Label loop;
            g.mov(reg_tap, g.ptr[frame + f_tneg]);
            g.mov(reg_tab, g.ptr[frame + f_tab_end]);
            g.mark("tap loop (tap table)");
            g.L(loop);
            g.mov(reg_ddrel, g.ptr[reg_tab + reg_tap * 8]);
            g.mov(reg_wtap, g.ptr[reg_tab + reg_tap * 8 + 8]);
            for (int b = 0; b < d.occ; ++b) {
                g.vmovups(z_line, g.ptr[reg_dd + reg_ddrel + disp32(b * d.dd_blk_stride, "dd_blk_stride")]);
                const int32_t wd = disp32(b * d.w_blk_stride, "w_blk_stride");
                for (int j = 0; j < m; ++j)
                    fma(j, b % sets, full ? g.ptr[reg_wtap + wd + 64 * j] : g.ptr[reg_wtap + entry[j] + wd]);
            }
            g.add(reg_tap, 2);
            g.jnz(loop, g.T_NEAR);
        }
    }

    // The entries [g0, g0 + m) of the current item (or, full, its 16 lanes); their sums go to
    // lanes g0.. of z_result.
    void group(int cls, int g0, int m, bool full, bool first) {
        const bool generic = kind_of(d, cls) == code_kind::generic;
        const Reg64 *entry = generic ? entries_generic : entries_unrolled;
        const int sets = full ? 1 : d.sets(cls, m);
        g.mark("group of " + std::to_string(m) + (full ? " lanes (all)" : " entries") + " x " + std::to_string(sets)
                + " sets");
        // The record pointer goes to a register that is written last: the last entry (unrolled
        // code) or the generic code's tap index.
        const Reg64 rec = (full || generic) ? s0 : entry[m - 1];
        g.mov(rec, g.ptr[frame + f_rec]);
        g.movsxd(reg_dd, g.dword[rec + 4]);
        g.add(reg_dd, g.ptr[frame + f_dd]);
        if (full) {
            if (!generic) g.mov(reg_wbase, g.ptr[frame + f_w]);
        } else {
            for (int j = 0; j < m; ++j) { // in order: entry m - 1 (the record pointer) last
                g.movzx(entry[j].cvt32(), g.word[rec + mask_record_offsets + 2 * (g0 + j)]);
                if (!generic) g.add(entry[j], g.ptr[frame + f_w]);
            }
        }
        for (int s = 0; s < sets; ++s)
            for (int j = 0; j < m; ++j) g.vxorps(acc(m, j, s), acc(m, j, s), acc(m, j, s));
        fma_steps(cls, m, sets, full, entry);
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
            g.mov(s0.cvt32(), ((1u << m) - 1) << g0);
            g.kmovw(k_group, s0.cvt32());
            g.vmovaps(z_result | k_group, out);
        }
    }

    // Near-equal groups of at most the class's entry registers (each re-runs the taps).
    std::vector<std::pair<int, int>> groups(int cls, int n) const {
        const int cap = d.max_group > 0 ? std::min(d.max_group, d.entry_regs(cls)) : d.entry_regs(cls);
        const int k = (n + cap - 1) / cap;
        std::vector<std::pair<int, int>> r;
        for (int i = 0, g0 = 0; i < k; ++i) {
            const int m = (n - g0) / (k - i);
            r.push_back({g0, m});
            g0 += m;
        }
        return r;
    }

    void item(int cls, int n) {
        const bool full = n >= d.full_from;
        g.mov(s0, g.ptr[frame + f_rec]);
        if (n == 0) {
            g.movsxd(s1, g.dword[s0]);
            g.add(s1, g.ptr[frame + f_dst]);
            g.vmovups(g.ptr[s1], z_zero);
            return;
        }
        g.kmovw(k_item, g.word[s0 + 16]);
        if (kind_of(d, cls) == code_kind::generic) {
            g.movsxd(s1, g.dword[s0 + 8]);  // tap_end
            g.mov(s2.cvt32(), g.dword[s0 + 12]);
            g.and_(s2.cvt32(), 0xffff);     // ntaps
            g.shl(s1, 4);
            g.add(s1, g.ptr[frame + f_taps]);
            g.mov(g.ptr[frame + f_tab_end], s1);
            g.neg(s2);
            g.add(s2, s2);
            g.mov(g.ptr[frame + f_tneg], s2);
        }
        if (full) {
            group(cls, 0, 16, true, true);
            g.vmovaps(z_result | k_item | g.T_z, z_result);
        } else {
            const auto gs = groups(cls, n);
            for (size_t i = 0; i < gs.size(); ++i) group(cls, gs[i].first, gs[i].second, false, i == 0);
            g.vexpandps(z_result | k_item | g.T_z, z_result);
        }
        g.mov(s0, g.ptr[frame + f_rec]);
        g.movsxd(s1, g.dword[s0]);
        g.add(s1, g.ptr[frame + f_dst]);
        if (d.accumulate) g.vaddps(z_result, z_result, g.ptr[s1]);
        g.vmovups(g.ptr[s1], z_result);
    }

    void bucket(int cls, int n) {
        const int b = cls * mask_counts + n;
        g.mark("bucket: class " + std::to_string(cls) + ", count " + std::to_string(n));
        Label item_loop, skip;
        g.mov(s0, g.ptr[frame + f_counts]);
        g.movsxd(s2, g.dword[s0 + 4 * b]);
        g.test(s2, s2);
        g.jz(skip, g.T_NEAR);
        g.mov(s0, g.ptr[frame + f_starts]);
        g.movsxd(s1, g.dword[s0 + 4 * b]);
        g.shl(s1, 6);
        g.add(s1, g.ptr[frame + f_records]);
        g.mov(g.ptr[frame + f_rec], s1);
        g.shl(s2, 6);
        g.add(s2, s1);
        g.mov(g.ptr[frame + f_end], s2);
        g.align(16);
        g.L(item_loop);
        item(cls, n);
        g.add(g.qword[frame + f_rec], mask_record_bytes);
        g.mov(s0, g.ptr[frame + f_rec]);
        g.cmp(s0, g.ptr[frame + f_end]);
        g.jb(item_loop, g.T_NEAR);
        g.L(skip);
    }
};

bwd_d_mask_kernel::bwd_d_mask_kernel(const bwd_d_mask_desc &d)
    : jit_kernel("sparse_bwd_d_mask", d, d.problem) {
    if (d_.occ < 1) throw error("bwd_d_mask_kernel: occ must be >= 1");
    if (d_.full_from < 1) throw error("bwd_d_mask_kernel: full_from must be >= 1");
    if (d_.max_group < 0) throw error("bwd_d_mask_kernel: max_group must be >= 0");
    if (d_.n_classes() < 1 || d_.n_classes() > 16) throw error("bwd_d_mask_kernel: 1..16 tap classes");
    for (const auto &c : d_.classes)
        if (c.empty()) throw error("bwd_d_mask_kernel: a tap class without taps");
}

void bwd_d_mask_kernel::generate() {
    impl e {*this, d_, {}};
    preamble();
    mov(rax, rsp);
    sub(rsp, f_bytes + 64);
    and_(rsp, -64);
    mov(ptr[rsp + f_saved_rsp], rax);
    const std::pair<int, size_t> fields[] = {{f_records, offsetof(bwd_d_mask_args, records)},
            {f_starts, offsetof(bwd_d_mask_args, starts)}, {f_counts, offsetof(bwd_d_mask_args, counts)},
            {f_taps, offsetof(bwd_d_mask_args, taps)}, {f_src, offsetof(bwd_d_mask_args, src)},
            {f_dst, offsetof(bwd_d_mask_args, dst)}, {f_dd, offsetof(bwd_d_mask_args, dd)},
            {f_w, offsetof(bwd_d_mask_args, w)}};
    for (const auto &f : fields) {
        mov(rax, ptr[reg_args + f.second]);
        mov(ptr[rsp + f.first], rax);
    }
    vxorps(z_zero, z_zero, z_zero);
    for (int cls = 0; cls < d_.n_classes(); ++cls)
        for (int n = d_.accumulate ? 1 : 0; n < mask_counts; ++n) e.bucket(cls, n);
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
