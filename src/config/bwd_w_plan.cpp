#include "config/bwd_w_plan.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <sstream>

#include "common/cpu.hpp"
#include "common/env.hpp"
#include "config/conv_scope.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

bwd_w_tuning bwd_w_tuning::from_env() {
    bwd_w_tuning t;
    t.l1_tile_bytes = env::get_int("SPARSETRAIN_BWD_W_L1_BYTES", t.l1_tile_bytes);
    t.ocb_per_group = (int)env::get_int("SPARSETRAIN_BWD_W_OCB", t.ocb_per_group);
    t.p_block_bytes = env::get_int("SPARSETRAIN_BWD_W_P_BYTES", t.p_block_bytes);
    t.dd_mode = (int)env::get_int("SPARSETRAIN_BWD_W_DD", t.dd_mode);
    t.indirect = env::get_int("SPARSETRAIN_BWD_W_INDIRECT", t.indirect ? 1 : 0) != 0;
    t.prefetch_tiles = (int)std::max(0L, env::get_int("SPARSETRAIN_BWD_W_PF_TILES", t.prefetch_tiles));
    t.kernel_prefetch = env::get_int("SPARSETRAIN_BWD_W_PF_KERNEL", t.kernel_prefetch ? 1 : 0) != 0;
    t.max_acc = (int)env::get_int("SPARSETRAIN_BWD_W_MAX_ACC", t.max_acc);
    t.balance_channels = env::get_int("SPARSETRAIN_BWD_W_BALANCE", t.balance_channels ? 1 : 0) != 0;
    t.max_acc = std::min(std::max(t.max_acc, 1), reg_budget::max_acc_bwd_w_tuning);
    const std::string pmd = env::get_string("SPARSETRAIN_BWD_W_PAIR_MIN_DENSITY", "");
    if (!pmd.empty()) {
        char *end = nullptr;
        const double x = std::strtod(pmd.c_str(), &end);
        if (end && *end == '\0') t.pair_min_density = x;
    }
    return t;
}

namespace {

int64_t div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Floor division and modulo for possibly negative numerators.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Taps along one axis that a src index of parity `a` meets: k with (a + pad - k) % s == 0.
std::vector<std::pair<int, int>> axis_taps(int a, int64_t pad, int64_t k, int64_t s) {
    std::vector<std::pair<int, int>> r; // (k, d)
    for (int kk = 0; kk < k; ++kk) {
        const int64_t num = a + pad - kk;
        if (num - floor_div(num, s) * s != 0) continue;
        r.push_back({kk, (int)floor_div(num, s)});
    }
    return r;
}

// The groups of one class: all taps x all o oc blocks when they fit max_acc accumulators,
// else oc blocks split evenly (and taps split if even one oc block does not fit).
std::vector<bwd_w_group> make_groups(int n_taps, int o, int max_acc) {
    std::vector<bwd_w_group> gs;
    const int taps_per = std::min(n_taps, max_acc);
    for (int t0 = 0; t0 < n_taps; t0 += taps_per) {
        const int nt = std::min(taps_per, n_taps - t0);
        const int ocb_fit = std::max(1, max_acc / nt);
        const int n_split = (int)div_up(o, ocb_fit);
        for (int s = 0; s < n_split; ++s) {
            int64_t b0, b1;
            split_range(o, n_split, s, b0, b1);
            bwd_w_group g;
            for (int t = t0; t < t0 + nt; ++t) g.taps.push_back(t);
            g.ocb0 = (int)b0;
            g.nocb = (int)(b1 - b0);
            // Keep >= 8 FMAs per unrolled step in flight (4-cycle latency, 2 FMA ports); a
            // power of two (the unrolled loop's leftover is count mod nsets).
            const int f = nt * g.nocb;
            const int want = std::max(1, std::min((8 + f - 1) / f, max_acc / f));
            g.nsets = 1;
            while (g.nsets * 2 <= want) g.nsets *= 2;
            gs.push_back(g);
        }
    }
    return gs;
}

} // namespace

namespace {

// The bwd_w kernels' own limits beyond the shared scope (config/conv_scope.hpp).
bool check_bwd_w_scope(const problem_t &p, std::string &why_not) {
    try {
        p.validate();
    } catch (const error &e) {
        return decline(why_not, std::string("invalid problem: ") + e.what());
    }
    if (!check_sparse_scope(p, why_not)) return false;
    if (p.kh > 3 || p.kw > 3)
        return decline(why_not, "kernel " + std::to_string(p.kh) + "x" + std::to_string(p.kw)
                        + " (the sparse bwd_w path covers 1x1 .. 3x3)");
    if (p.sh > 2 || p.sw > 2) return decline(why_not, "stride > 2");
    // Negative right/bottom padding (input rows no output uses, e.g. 1x1 stride 2 on an even
    // size) is fine: those pixels meet only zero padding of the diff_dst copy.
    if (p.ph < 0 || p.pw < 0 || p.ph >= p.kh || p.pw >= p.kw || p.ph_r >= p.kh || p.pw_r >= p.kw)
        return decline(why_not, "padding outside [0, kernel - 1]");
    return true;
}

// Pixel classes and their taps, the range of tap offsets (dy, dx); returns the most taps of a class.
int plan_classes(bwd_w_plan &q) {
    const problem_t &p = q.p;
    bool first = true;
    int max_taps = 0;
    for (int a = 0; a < p.sh; ++a) {
        const auto rt = axis_taps(a, p.ph, p.kh, p.sh);
        const int64_t h = p.ih > a ? div_up(p.ih - a, p.sh) : 0;
        for (int b = 0; b < p.sw; ++b) {
            const auto ct = axis_taps(b, p.pw, p.kw, p.sw);
            const int64_t w = p.iw > b ? div_up(p.iw - b, p.sw) : 0;
            if (rt.empty() || ct.empty() || h == 0 || w == 0) continue;
            bwd_w_class c;
            c.a = a;
            c.b = b;
            c.h = h;
            c.w = w;
            for (const auto &r : rt)
                for (const auto &s : ct) {
                    c.taps.push_back({r.first, s.first, r.second, s.second});
                    if (first) {
                        q.dy_min = q.dy_max = r.second;
                        q.dx_min = q.dx_max = s.second;
                        first = false;
                    }
                    q.dy_min = std::min(q.dy_min, r.second);
                    q.dy_max = std::max(q.dy_max, r.second);
                    q.dx_min = std::min(q.dx_min, s.second);
                    q.dx_max = std::max(q.dx_max, s.second);
                }
            max_taps = std::max(max_taps, (int)c.taps.size());
            q.classes.push_back(c);
        }
    }
    return max_taps;
}

// oc blocks per group: a power of two dividing ocb, as many as the accumulators allow (<= 4).
bool plan_oc_groups(bwd_w_plan &q, const bwd_w_tuning &t, int max_taps, std::string &why_not) {
    if (t.ocb_per_group > 0) {
        if (q.ocb % t.ocb_per_group)
            return decline(why_not, "SPARSETRAIN_BWD_W_OCB does not divide oc / 16");
        q.o = t.ocb_per_group;
    } else {
        q.o = 1;
        while (q.o * 2 <= 4 && q.ocb % (q.o * 2) == 0 && q.o * 2 * max_taps <= t.max_acc) q.o *= 2;
    }
    q.n_ocg = q.ocb / q.o;
    for (auto &c : q.classes) c.groups = make_groups((int)c.taps.size(), q.o, t.max_acc);
    return true;
}

// diff_dst copied or in place, and offsets-only lists; returns the unit of the stored offsets
// (offsets-only lists).
int64_t plan_dd_access(bwd_w_plan &q, const bwd_w_tuning &t) {
    const problem_t &p = q.p;
    // diff_dst in place is possible when every tap of every class lands on the centre inside
    // the image; by default it is used only where a tile of it does not alias in L1.
    // nChw16c: the oc-block planes' stride must not be close to a multiple of 4 KB (the o
    // vectors of one pixel would share a cache set). nhwc: a pixel's o vectors are adjacent,
    // but pixels are oc * 4 bytes apart, so a tile covers all 64 sets of L1 only when that
    // stride (in lines) shares at most a factor o with 64 (oc = 64 with o = 4: yes; oc = 256:
    // a quarter of the sets; oc >= 1024: 4 sets).
    bool direct_ok = q.dy_min == 0 && q.dy_max == 0 && q.dx_min == 0 && q.dx_max == 0;
    for (const auto &c : q.classes)
        if (c.h > p.oh || c.w > p.ow) direct_ok = false;
    bool aliasing;
    if (q.act == act_format::nChw16c) {
        const int64_t plane_mod = q.dd_l.bytes(q.dd_l.cblk) % 4096;
        aliasing = plane_mod < 512 || plane_mod > 4096 - 512;
    } else {
        aliasing = std::gcd<int64_t>(q.dd_l.px / 16, 64) > q.o;
    }
    q.dd_copy = !direct_ok || t.dd_mode == 1 || (t.dd_mode == 0 && aliasing);

    // 1x1 stride 1 pad 0: a src pixel and its diff_dst pixel have the same coordinates, so one
    // offset serves both: the pixel index times a unit dividing both pixel strides (the copy
    // then needs full rows). nChw16c: unit 64, src scale 1, diff_dst scale 1 (in place) or o.
    const int64_t src_px = q.src_l.px * 4, dd_px = q.dd_copy ? q.o * 64 : q.dd_l.px * 4;
    const int64_t unit = std::gcd(src_px, dd_px);
    auto scale_ok = [](int64_t s) { return s == 1 || s == 2 || s == 4 || s == 8; };
    q.indirect = t.indirect && p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0
            && p.oh == p.ih && p.ow == p.iw && q.classes.size() == 1 && scale_ok(src_px / unit) && scale_ok(dd_px / unit);
    q.src_scale = q.indirect ? (int)(src_px / unit) : 1;
    q.dd_scale = q.indirect ? (int)(dd_px / unit) : 1;
    return unit;
}

// Tile shape: the largest average tile area times the share of copied pixels that are not
// halo, subject to the diff_dst tile (with halo, o blocks) fitting the L1 budget; then the
// tile counts, the copy buffer and the offsets the lists store.
void plan_tiles(bwd_w_plan &q, const bwd_w_tuning &t, int64_t unit) {
    const problem_t &p = q.p;
    q.gh = p.oh;
    q.gw = p.ow;
    for (const auto &c : q.classes) {
        q.gh = std::max(q.gh, c.h);
        q.gw = std::max(q.gw, c.w);
    }
    const int64_t dyr = q.dd_copy ? q.dy_max - q.dy_min : 0;
    const int64_t dxr = q.dd_copy ? q.dx_max - q.dx_min : 0;
    const int64_t pix = (int64_t)q.o * 64;
    double best = -1;
    std::vector<int64_t> widths {q.gw};
    if (!(q.indirect && q.dd_copy)) // indirect + copy: the copy's row pitch must be the image's
        for (int64_t w = 16; w < q.gw; w += 16) widths.push_back(w);
    for (int64_t bw : widths) {
        for (int64_t th = 1; th <= q.gh; ++th) {
            const int64_t fp = (th + dyr) * (bw + dxr) * pix;
            if (fp > t.l1_tile_bytes && th > 1) break;
            const int64_t nb = div_up(q.gw, bw), nr = div_up(q.gh, th);
            const double area = (double)(q.gh * q.gw) / (double)(nb * nr);
            const double copied = (double)(q.gh + nr * dyr) * (double)(q.gw + nb * dxr);
            const double score = area * (double)(q.gh * q.gw) / copied;
            if (score > best) {
                best = score;
                q.tile_h = th;
                q.band_w = bw;
            }
        }
    }
    q.n_row_tiles = div_up(q.gh, q.tile_h);
    q.n_bands = div_up(q.gw, q.band_w);
    q.tiles_per_image = q.n_row_tiles * q.n_bands;
    q.n_tiles = p.mb * q.tiles_per_image;
    if (q.dd_copy) {
        q.buf_rows = q.tile_h + dyr;
        q.buf_pitch = q.band_w + dxr;
        q.off_col = pix;
        q.off_row = q.buf_pitch * pix;
    }
    if (q.indirect) {
        q.off_col = unit;
        q.off_row = p.iw * unit;
    } else if (!q.dd_copy) {
        q.off_col = q.dd_l.px * 4;
        q.off_row = q.dd_l.row * 4;
    }
    // Lists: 16 entries of slack past each slot (the compaction writes whole vectors).
    q.slot_cap = q.tile_h * q.band_w + 16;
    q.slot_cap = div_up(q.slot_cap, 16) * 16;
}

// The pair variant (value lists only): a class gains when three of its taps in one kernel row
// are consecutive columns (3x3 stride 1: a pair entry loads 24 diff_dst vectors for 36 FMAs).
// With two (the stride-2 classes: 3 loads for 4 FMAs) the saving did not pay for the second
// list and the costlier build (measured).
void plan_pairs(bwd_w_plan &q, const bwd_w_tuning &t) {
    auto has_tap = [](const bwd_w_class &c, int dy, int dx) {
        return std::any_of(c.taps.begin(), c.taps.end(), [&](const bwd_w_tap &x) { return x.dy == dy && x.dx == dx; });
    };
    for (auto &c : q.classes) {
        for (const auto &a : c.taps)
            if (has_tap(c, a.dy, a.dx + 1) && has_tap(c, a.dy, a.dx + 2))
                c.paired = !q.indirect && t.pair_min_density <= 1;
        q.pairs = q.pairs || c.paired;
    }
    // (Column taps depend only on the column parity b, and a class with three consecutive
    // column taps has sw = 1, so either every class is paired or none.)
    if (q.pairs) q.pair_cap = div_up(div_up(q.tile_h * q.band_w, 2) + 16, 16) * 16;
    q.pair_min_density = t.pair_min_density;
}

// Threads: channel-block ranges first (each thread reads only its own src and builds only its
// own lists, in L2, with no barrier; diff_dst tiles are read by every thread), ocg ranges on
// top when there are fewer channel blocks than threads.
void plan_threads(bwd_w_plan &q, const bwd_w_tuning &t) {
    const problem_t &p = q.p;
    q.n_c_parts = (int)std::min<int64_t>(q.nthr, q.icb);
    q.n_oc_parts = (int)std::max<int64_t>(1, std::min<int64_t>(q.nthr / q.n_c_parts, q.n_ocg));
    q.balance_channels = t.balance_channels;
    q.prefetch_tiles = t.prefetch_tiles;
    q.kernel_prefetch = t.kernel_prefetch && t.prefetch_tiles > 0;
    const int64_t c_per_part = div_up(q.icb, q.n_c_parts) * 16;
    const int64_t p_per_ocg = c_per_part * p.kh * p.kw * q.o * 64;
    const int64_t ocg_per_part = div_up(q.n_ocg, q.n_oc_parts);
    q.ocg_block = std::max<int64_t>(1, std::min(ocg_per_part, t.p_block_bytes / p_per_ocg));
    q.ocg_block = div_up(ocg_per_part, div_up(ocg_per_part, q.ocg_block)); // balanced blocks
}

} // namespace

bool plan_bwd_w(const problem_t &p, const sparse_conv_options &o, bwd_w_plan &plan, std::string &why_not,
        const bwd_w_tuning &t, int nthr) {
    // No ISA check here: planning and generation work on any CPU (listings, tests); the
    // dispatch layer refuses to run sparse kernels without AVX-512.
    if (!check_bwd_w_scope(p, why_not)) return false;
    bwd_w_plan q;
    q.p = p;
    q.act = o.act;
    q.src_l = src_layout(p, o.act);
    q.dd_l = dst_layout(p, o.act);
    q.dw_l = make_wei_layout(weights_layout::OIhw16i16o, p);
    q.nthr = std::max(nthr, 1);
    q.icb = q.src_l.blocks();
    q.ocb = q.dd_l.blocks();
    q.with_bias = o.with_bias;
    const int max_taps = plan_classes(q);
    if (q.classes.empty()) return decline(why_not, "no src pixel meets a kernel tap");
    if (!plan_oc_groups(q, t, max_taps, why_not)) return false;
    const int64_t unit = plan_dd_access(q, t);
    plan_tiles(q, t, unit);
    plan_pairs(q, t);
    plan_threads(q, t);
    plan = q;
    return true;
}

std::string bwd_w_plan::str() const {
    std::ostringstream os;
    os << "classes=" << classes.size() << " taps=";
    for (size_t k = 0; k < classes.size(); ++k) os << (k ? "/" : "") << classes[k].taps.size();
    os << " o=" << o << " groups=";
    for (size_t k = 0; k < classes.size(); ++k) {
        os << (k ? "/" : "");
        for (size_t g = 0; g < classes[k].groups.size(); ++g) {
            const auto &gr = classes[k].groups[g];
            os << (g ? "+" : "") << gr.taps.size() << "x" << gr.nocb << (gr.nsets > 1 ? "x" + std::to_string(gr.nsets) : "");
        }
    }
    if (act != act_format::nChw16c) os << " act=" << to_string(act);
    os << " dd=" << (dd_copy ? "copy" : "direct") << (indirect ? " indirect" : "") << " tile=" << tile_h << "x" << band_w
       << " tiles=" << n_tiles << " thr=" << n_c_parts << "c x " << n_oc_parts << "oc"
       << (balance_channels ? "" : " even-split")
       << " ocg_block=" << ocg_block << (kernel_prefetch ? " pf=kernel" : prefetch_tiles ? " pf=builder" : "");
    if (pairs) os << " pairs>=" << pair_min_density;
    return os.str();
}

} // namespace sparsetrain
