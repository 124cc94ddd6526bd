#include "driver/bwd_w_conv.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <omp.h>

#include "common/denormal_guard.hpp"
#include "common/scratch.hpp"
#include "driver/bwd_w_channel_split.hpp"
#include "driver/bwd_w_dd_tile.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

namespace {

// Scratch slots (all per thread): the thread's lists of one tile, their lengths, and the
// diff_dst tile copy.
constexpr int lists_slot = 0, counts_slot = 1, tile_slot = 2;

struct tile_geom {
    int64_t n, r0, r1, j0, j1; // image, centre rows [r0, r1), centre columns [j0, j1)
};

tile_geom tile_at(const bwd_w_plan &q, int64_t g) {
    tile_geom t;
    t.n = g / q.tiles_per_image;
    const int64_t r = g % q.tiles_per_image;
    const int64_t band = r / q.n_row_tiles, rb = r % q.n_row_tiles;
    t.r0 = rb * q.tile_h;
    t.r1 = std::min(t.r0 + q.tile_h, q.gh);
    t.j0 = band * q.band_w;
    t.j1 = std::min(t.j0 + q.band_w, q.gw);
    return t;
}

int64_t class_rows(const bwd_w_class &c, const tile_geom &t) { return std::max<int64_t>(0, std::min(t.r1, c.h) - t.r0); }
int64_t class_cols(const bwd_w_class &c, const tile_geom &t) { return std::max<int64_t>(0, std::min(t.j1, c.w) - t.j0); }

} // namespace

bwd_w_conv::bwd_w_conv(const bwd_w_plan &plan) : planned_sparse_conv(plan) {
    const auto &q = c_;
    const auto &p = q.p;
    const std::string prob = layout_label(p.shape_string(), q.act);

    jit::bwd_w_build_params bp;
    bp.src_row_step = q.src_row_step();
    bp.src_col_step = q.src_col_step();
    bp.slot_bytes = q.slot_floats(bwd_w_variant::single) * 4;
    bp.off_row = q.off_row;
    bp.off_col = q.off_col;
    // In-line prefetch by the builder (same pixels, next row tile) unless the kernels prefetch.
    bp.prefetch_dist = q.kernel_prefetch ? 0 : q.prefetch_tiles * q.tile_h * q.src_row_step();
    bp.offsets_only = q.indirect;
    builders_[(int)bwd_w_variant::single] = jit::bwd_w_list_builder::get(bp, prob);
    // The pair variant's list slots are wider: every class must run pair kernels then.
    for (const auto &c : q.classes)
        if (c.paired != q.pairs) throw error("bwd_w: a pair plan must pair every pixel class");
    if (q.pairs) {
        bp.pairs = true;
        bp.pair_disp = q.slot_cap * 4;
        bp.slot_bytes = q.slot_floats(bwd_w_variant::pairs) * 4;
        builders_[(int)bwd_w_variant::pairs] = jit::bwd_w_list_builder::get(bp, prob);
    }

    const int64_t ocb_disp = q.dd_copy ? 64 : q.dd_l.bytes(q.dd_l.cblk); // tile copy: blocks adjacent
    auto &single = kernels_[(int)bwd_w_variant::single], &paired = kernels_[(int)bwd_w_variant::pairs];
    for (const auto &c : q.classes) {
        single.emplace_back();
        paired.emplace_back();
        for (const auto &g : c.groups) {
            jit::bwd_w_kernel_params kp;
            kp.slot_bytes = q.slot_floats(bwd_w_variant::single) * 4;
            kp.icb_stride = q.dw_l.at(0, 16, 0, 0) * 4;
            kp.icb_step = 1; // contiguous channel-block ranges per thread
            kp.nsets = g.nsets;
            kp.indirect = q.indirect;
            kp.dd_scale = q.dd_scale;
            kp.src_scale = q.src_scale;
            kp.src_icb_stride = q.src_l.cblk * 4;
            for (int ti : g.taps) {
                const auto &tap = c.taps[ti];
                for (int l = 0; l < g.nocb; ++l) {
                    // (indirect: only 1x1, dy = dx = 0)
                    kp.dd_disp.push_back((int32_t)(tap.dy * q.off_row + tap.dx * q.off_col + l * ocb_disp));
                    kp.dw_disp.push_back((int32_t)(q.dw_l.at(l * 16, 0, tap.kh, tap.kw) * 4));
                }
            }
            single.back().push_back(jit::bwd_w_kernel::get(kp, prob));
            if (c.paired) {
                kp.pairs = true;
                kp.pair_disp = q.slot_cap * 4;
                kp.slot_bytes = q.slot_floats(bwd_w_variant::pairs) * 4;
                kp.pair_step = q.off_col; // neighbouring class pixels of a row
                paired.back().push_back(jit::bwd_w_kernel::get(kp, prob));
            }
        }
    }
}

std::vector<std::shared_ptr<const jit::jit_generator>> bwd_w_conv::kernels() const {
    std::vector<std::shared_ptr<const jit::jit_generator>> r;
    for (const auto &b : builders_)
        if (b) r.push_back(b);
    for (const auto &table : kernels_)
        for (const auto &ks : table) r.insert(r.end(), ks.begin(), ks.end());
    return r;
}

namespace {

// One thread's part of an execute: channel blocks [ib0, ib1) (bwd_w_channel_parts) x ocgs
// [og0, og1), with the thread's scratch (lists of one tile for its channels, the diff_dst tile
// copy).
class part_runner {
public:
    using kernel_table = bwd_w_conv::kernel_table;
    // builder / kernels: those of the variant this execute runs.
    part_runner(const bwd_w_plan &q, bwd_w_variant v, const jit::bwd_w_list_builder &builder,
            const kernel_table &kernels, const conv_tensors &t, int pc, int po, int64_t ib0, int64_t ib1)
        : q_(q), p_(q.p), v_(v), builder_(builder), kernels_(kernels), t_(t), ib0_(ib0), ib1_(ib1) {
        split_range(q.n_ocg, q.n_oc_parts, po, og0_, og1_);
        my_c_ = (ib1_ - ib0_) * 16;
        diff_bias_ = q.with_bias && pc == 0 ? t.diff_bias : nullptr;
        n_cls_ = (int64_t)q.classes.size();
    }
    bool empty() const { return og0_ >= og1_ || ib0_ >= ib1_; }

    void run() {
        zero_owned_outputs();
        // Slot (class k, channel c) = k * my_c + c.
        const int64_t slots = n_cls_ * my_c_;
        slot_ = q_.slot_floats(v_);
        vals_ = thread_local_scratch(lists_slot).get_as<float>(2 * slots * slot_);
        offs_ = reinterpret_cast<int32_t *>(vals_ + slots * slot_);
        counts_ = thread_local_scratch(counts_slot).get_as<int32_t>(2 * slots);
        pcounts_ = counts_ + slots;
        buf_ = q_.dd_copy ? thread_local_scratch(tile_slot).get_as<float>(q_.dd_tile_floats()) : nullptr;

        for (int64_t ob = og0_; ob < og1_; ob += q_.ocg_block) {
            const int64_t oe = std::min(ob + q_.ocg_block, og1_);
            for (int64_t g = 0; g < q_.n_tiles; ++g) {
                const tile_geom tg = tile_at(q_, g);
                build_lists(tg); // rebuilt per ocg block: keeps the block's diff_w lines in L2
                // The tile the builder reads next (this pass's next, or the next pass's first).
                const bool has_next = g + 1 < q_.n_tiles || ob + q_.ocg_block < og1_;
                const tile_geom tn = tile_at(q_, (g + 1) % q_.n_tiles);
                if (!q_.dd_copy && g + 1 < q_.n_tiles) prefetch_in_place_tile(tn, ob);
                if (q_.kernel_prefetch && has_next) plan_src_prefetch(tn);
                else pf_lines_ = 0;
                for (int64_t ocg = ob; ocg < oe; ++ocg) {
                    run_kernels(tg, ocg, prepare_dd_tile(tg, ocg));
                    pf_lines_ = 0; // once per tile
                }
            }
        }
    }

private:
    // Only this part ever writes its diff_w blocks and (channel part 0) its diff_bias range.
    void zero_owned_outputs() {
        const wei_layout &dw = q_.dw_l;
        for (int64_t ocb = og0_ * q_.o; ocb < og1_ * q_.o; ++ocb)
            std::memset(t_.diff_weights + dw.at(ocb * 16, ib0_ * 16, 0, 0), 0, dw.at(0, (ib1_ - ib0_) * 16, 0, 0) * sizeof(float));
        if (diff_bias_) std::memset(diff_bias_ + og0_ * q_.o * 16, 0, (og1_ - og0_) * q_.o * 16 * sizeof(float));
    }

    void build_lists(const tile_geom &tg) {
        for (int64_t k = 0; k < n_cls_; ++k) {
            const auto &c = q_.classes[k];
            for (int64_t icb = ib0_; icb < ib1_; ++icb) {
                const int64_t slot = k * my_c_ + (icb - ib0_) * 16;
                jit::bwd_w_build_args a;
                a.src = t_.src + q_.src_l.at(tg.n, icb, c.a + p_.sh * tg.r0, c.b + p_.sw * tg.j0);
                a.vals = vals_ + slot * slot_;
                a.offs = offs_ + slot * slot_;
                a.cnt = counts_ + slot;
                a.rows = class_rows(c, tg);
                a.cols = class_cols(c, tg);
                a.pcnt = pcounts_ + slot;
                builder_(&a);
            }
        }
    }

    bwd_w_dd_view dd_view(const tile_geom &tg, int64_t ocg) const {
        const act_layout &l = q_.dd_l;
        return {t_.diff_dst + l.at(tg.n, 0, 0, 0), p_.oh, p_.ow, ocg * q_.o, q_.o, l.cblk, l.row, l.px};
    }

    // In-place diff_dst: bring the next tile's rows towards L2 while this one computes (the
    // tile copy and the list builder prefetch one tile ahead as they read).
    void prefetch_in_place_tile(const tile_geom &tn, int64_t ocg) const {
        bwd_w_prefetch_dd_tile(dd_view(tn, ocg), tn.r0, tn.r1, tn.j0, tn.j1);
    }

    // The tile's diff_dst for one ocg (copied with its halo, or in place), plus its share of
    // diff_bias; returns the centre origin the lists' offsets are relative to.
    const float *prepare_dd_tile(const tile_geom &tg, int64_t ocg) {
        const bwd_w_dd_view v = dd_view(tg, ocg);
        const float *origin;
        if (q_.dd_copy) {
            const int64_t dyr = q_.dy_max - q_.dy_min, dxr = q_.dx_max - q_.dx_min;
            bwd_w_copy_dd_tile(v, tg.r0 + q_.dy_min, tg.r1 - tg.r0 + dyr, tg.j0 + q_.dx_min, tg.j1 - tg.j0 + dxr,
                    q_.buf_pitch, buf_, q_.tile_h);
            // The tile copy's own packing (bwd_w_dd_tile.hpp: o vectors per pixel), not a tensor layout.
            origin = buf_ + (-q_.dy_min * q_.buf_pitch - q_.dx_min) * q_.o * 16;
        } else {
            origin = v.at(0, tg.r0, tg.j0);
        }
        if (diff_bias_) bwd_w_sum_dd_tile(v, tg.r0, tg.r1, tg.j0, tg.j1, diff_bias_ + ocg * q_.o * 16);
        return origin;
    }

    // The src lines that build_lists(tn) will read, for one channel block (byte offsets from
    // pf_base_, which is 64-byte aligned), in address order; handed to the first kernel call
    // of the current tile, which prefetches a share of them before each channel.
    void plan_src_prefetch(const tile_geom &tn) {
        const act_layout &sl = q_.src_l;
        const char *plane = reinterpret_cast<const char *>(t_.src + sl.at(tn.n, ib0_, 0, 0));
        pf_base_ = reinterpret_cast<const char *>(reinterpret_cast<uintptr_t>(plane) & ~uintptr_t(63));
        const int64_t skew = plane - pf_base_;
        pf_table_.clear();
        // Per src row of the tile's footprint: the pixel columns any class reads there.
        const int sh = (int)p_.sh, sw = (int)p_.sw;
        const int64_t row_lo = sh * tn.r0, row_hi = std::min<int64_t>(p_.ih, sh * tn.r1 + sh);
        for (int64_t y = row_lo; y < row_hi; ++y) {
            int64_t x_lo = INT64_MAX, x_hi = -1; // column range, and which column parities are read
            bool parity[2] = {false, false};
            for (const auto &c : q_.classes) {
                if (y % sh != c.a || (y - c.a) / sh < tn.r0 || (y - c.a) / sh >= std::min(tn.r1, c.h)) continue;
                const int64_t j1 = std::min(tn.j1, c.w);
                if (j1 <= tn.j0) continue;
                x_lo = std::min(x_lo, c.b + sw * tn.j0);
                x_hi = std::max(x_hi, c.b + sw * (j1 - 1));
                parity[c.b] = true;
            }
            int64_t last = -1;
            for (int64_t x = x_lo; x <= x_hi; ++x) {
                if (!parity[x % sw]) continue;
                const int64_t b = skew + sl.at(0, 0, y, x) * 4;
                for (int64_t line = b >> 6; line <= (b + 63) >> 6; ++line)
                    if (line != last) pf_table_.push_back((int32_t)((last = line) << 6));
            }
        }
        // Spread over the 16 channels of a block; the table padded with its last entry.
        pf_lines_ = ((int64_t)pf_table_.size() + 15) / 16;
        if (pf_lines_) pf_table_.resize(16 * pf_lines_, pf_table_.back());
    }

    // One call per (class, group) runs every channel of the part.
    void run_kernels(const tile_geom &tg, int64_t ocg, const float *origin) const {
        for (int64_t k = 0; k < n_cls_; ++k) {
            const auto &c = q_.classes[k];
            if (class_rows(c, tg) == 0 || class_cols(c, tg) == 0) continue;
            for (size_t gi = 0; gi < c.groups.size(); ++gi) {
                const auto &gr = c.groups[gi];
                jit::bwd_w_kernel_args a;
                a.vals = q_.indirect ? t_.src + q_.src_l.at(tg.n, ib0_, tg.r0, tg.j0) : vals_ + k * my_c_ * slot_;
                a.offs = offs_ + k * my_c_ * slot_;
                a.cnt = counts_ + k * my_c_;
                a.dd = origin + gr.ocb0 * (q_.dd_copy ? 16 : q_.dd_l.cblk); // tile copy: blocks adjacent
                a.dw = t_.diff_weights + q_.dw_l.at((ocg * q_.o + gr.ocb0) * 16, ib0_ * 16, 0, 0);
                a.n_icb = ib1_ - ib0_;
                a.pcnt = pcounts_ + k * my_c_;
                if (k == 0 && gi == 0) { // the first call of the tile carries the prefetch
                    a.pf = pf_base_;
                    a.pf_offs = pf_table_.data();
                    a.pf_lines = pf_lines_;
                    a.pf_icb_stride = q_.src_l.cblk * 4;
                }
                (*kernels_[k][gi])(&a);
            }
        }
    }

    const bwd_w_plan &q_;
    const problem_t &p_;
    const bwd_w_variant v_;
    const jit::bwd_w_list_builder &builder_;
    const kernel_table &kernels_;
    const conv_tensors &t_;
    int64_t ib0_ = 0, ib1_ = 0, og0_ = 0, og1_ = 0, my_c_ = 0, n_cls_ = 0;
    int64_t slot_ = 0; // list slot stride (floats) of the variant this execute runs
    float *diff_bias_ = nullptr;
    float *vals_ = nullptr, *buf_ = nullptr;
    int32_t *offs_ = nullptr, *counts_ = nullptr, *pcounts_ = nullptr;
    // Prefetch of the next tile's src by the kernel (kernel_prefetch).
    std::vector<int32_t> pf_table_;
    const char *pf_base_ = nullptr;
    int64_t pf_lines_ = 0;
};

} // namespace

void bwd_w_conv::execute(const conv_tensors &t) const {
    const int n_parts = c_.n_oc_parts * c_.n_c_parts;
    const bwd_w_variant v = c_.choose_variant(t.density_hint);
    const jit::bwd_w_list_builder &builder = *builders_[(int)v];
    const kernel_table &kernels = kernels_[(int)v];
    const std::vector<int64_t> c_bounds = bwd_w_channel_parts(c_, t.src);
#pragma omp parallel num_threads(c_.nthr)
    {
        denormal_guard fp(t.flush_denormals);
        // Parts are dealt round-robin, so a smaller team than planned still covers them all.
        for (int part = omp_get_thread_num(); part < n_parts; part += omp_get_num_threads()) {
            const int pc = part % c_.n_c_parts;
            part_runner r(c_, v, builder, kernels, t, pc, part / c_.n_c_parts,
                    c_bounds[pc], c_bounds[pc + 1]);
            if (!r.empty()) r.run();
        }
    }
}

std::unique_ptr<sparse_conv> make_sparse_bwd_w(const problem_t &p, const sparse_conv_options &o, std::string &why_not) {
    if (o.wei_layout != weights_layout::OIhw16i16o) {
        why_not = std::string("diff_weights layout ") + to_string(o.wei_layout) + " (the sparse bwd_w kernels write OIhw16i16o)";
        return nullptr;
    }
    bwd_w_plan plan;
    if (!plan_bwd_w(p, o, plan, why_not, bwd_w_tuning::from_env(), omp_get_max_threads()))
        return nullptr;
    return std::make_unique<bwd_w_conv>(plan);
}

} // namespace sparsetrain
