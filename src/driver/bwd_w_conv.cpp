#include "driver/bwd_w_conv.hpp"

#include <algorithm>
#include <cstring>

#include <omp.h>

#include "common/scratch.hpp"
#include "driver/bwd_w_dd_tile.hpp"
#include "jit/kernel_cache.hpp"

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

bwd_w_conv::bwd_w_conv(const bwd_w_plan &plan) : plan_(plan) {
    const auto &q = plan_;
    const auto &p = q.p;
    const std::string prob = p.shape_string();
    auto &cache = jit::kernel_cache::instance();

    jit::bwd_w_build_params bp;
    bp.src_row_step = q.src_row_step();
    bp.src_col_step = q.src_col_step();
    bp.slot_bytes = q.slot_cap * 4;
    bp.off_row = q.off_row;
    bp.off_col = q.off_col;
    bp.prefetch_dist = q.prefetch_tiles * q.tile_h * p.sh * p.iw * 64; // same pixels, next row tile
    bp.offsets_only = q.indirect;
    builder_ = cache.get<jit::bwd_w_list_builder>(bp.key(), [&] {
        auto g = std::make_shared<jit::bwd_w_list_builder>(bp, prob);
        g->create();
        return g;
    });

    const int64_t ocb_disp = q.dd_copy ? 64 : p.oh * p.ow * 64;
    for (const auto &c : q.classes) {
        kernels_.emplace_back();
        for (const auto &g : c.groups) {
            jit::bwd_w_kernel_params kp;
            kp.slot_bytes = q.slot_cap * 4;
            kp.icb_stride = p.kh * p.kw * 1024;
            kp.icb_step = 1; // contiguous channel-block ranges per thread
            kp.nsets = g.nsets;
            kp.indirect = q.indirect;
            kp.dd_scale = q.dd_scale;
            kp.src_icb_stride = p.ih * p.iw * 64;
            for (int ti : g.taps) {
                const auto &tap = c.taps[ti];
                for (int l = 0; l < g.nocb; ++l) {
                    // (indirect: only 1x1, dy = dx = 0)
                    kp.dd_disp.push_back((int32_t)(tap.dy * q.off_row + tap.dx * q.off_col + l * ocb_disp));
                    kp.dw_disp.push_back((int32_t)((l * q.icb * p.kh * p.kw + tap.kh * p.kw + tap.kw) * 1024));
                }
            }
            kernels_.back().push_back(cache.get<jit::bwd_w_kernel>(kp.key(), [&] {
                auto k = std::make_shared<jit::bwd_w_kernel>(kp, prob);
                k->create();
                return k;
            }));
        }
    }
}

std::vector<std::shared_ptr<const jit::jit_generator>> bwd_w_conv::kernels() const {
    std::vector<std::shared_ptr<const jit::jit_generator>> r {builder_};
    for (const auto &ks : kernels_) r.insert(r.end(), ks.begin(), ks.end());
    return r;
}

void bwd_w_conv::execute(const conv_tensors &t) const {
    const auto &q = plan_;
    const auto &p = q.p;
    const int64_t n_cls = (int64_t)q.classes.size(), khw = p.kh * p.kw;
    float *diff_bias = q.with_bias ? t.diff_bias : nullptr;
    const int n_parts = q.n_oc_parts * q.n_c_parts;
    const int64_t dyr = q.dy_max - q.dy_min, dxr = q.dx_max - q.dx_min;

#pragma omp parallel num_threads(q.nthr)
    {
        const int ithr = omp_get_thread_num(), nt = omp_get_num_threads();
        // Parts are dealt round-robin, so a smaller team than planned still covers them all.
        for (int part = ithr; part < n_parts; part += nt) {
            const int pc = part % q.n_c_parts, po = part / q.n_c_parts;
            int64_t og0, og1, ib0, ib1;
            split_range(q.n_ocg, q.n_oc_parts, po, og0, og1);
            split_range(q.icb, q.n_c_parts, pc, ib0, ib1);
            if (og0 >= og1 || ib0 >= ib1) continue;
            const int64_t my_icb = ib1 - ib0, my_c = my_icb * 16;
            const bool bias_owner = diff_bias && pc == 0;

            // Only this part ever writes its diff_w blocks and (for pc 0) its diff_bias range.
            for (int64_t ocb = og0 * q.o; ocb < og1 * q.o; ++ocb)
                std::memset(t.diff_weights + (ocb * q.icb + ib0) * khw * 256, 0, my_icb * khw * 256 * sizeof(float));
            if (bias_owner) std::memset(diff_bias + og0 * q.o * 16, 0, (og1 - og0) * q.o * 16 * sizeof(float));

            // This thread's lists of one tile: slot (class k, channel c) = k * my_c + c.
            const int64_t slots = n_cls * my_c;
            float *vals = thread_local_scratch(lists_slot).get_as<float>(2 * slots * q.slot_cap);
            int32_t *offs = reinterpret_cast<int32_t *>(vals + slots * q.slot_cap);
            int32_t *counts = thread_local_scratch(counts_slot).get_as<int32_t>(slots);
            float *buf = q.dd_copy ? thread_local_scratch(tile_slot).get_as<float>(q.dd_tile_floats()) : nullptr;

            for (int64_t ob = og0; ob < og1; ob += q.ocg_block) {
                const int64_t oe = std::min(ob + q.ocg_block, og1);
                for (int64_t g = 0; g < q.n_tiles; ++g) {
                    const tile_geom tg = tile_at(q, g);
                    // Lists of the tile for this part's channels (rebuilt per ocg block).
                    for (int64_t k = 0; k < n_cls; ++k) {
                        const auto &c = q.classes[k];
                        for (int64_t m = 0; m < my_icb; ++m) {
                            const int64_t icb = ib0 + m, slot = k * my_c + m * 16;
                            jit::bwd_w_build_args a;
                            a.src = t.src + (((tg.n * q.icb + icb) * p.ih + c.a + p.sh * tg.r0) * p.iw + c.b + p.sw * tg.j0) * 16;
                            a.vals = vals + slot * q.slot_cap;
                            a.offs = offs + slot * q.slot_cap;
                            a.cnt = counts + slot;
                            a.rows = class_rows(c, tg);
                            a.cols = class_cols(c, tg);
                            (*builder_)(&a);
                        }
                    }
                    // In-place diff_dst: bring the next tile's rows towards L2 while this one
                    // computes (the copy and the list builder prefetch as they read).
                    if (!q.dd_copy && g + 1 < q.n_tiles) {
                        const tile_geom tn = tile_at(q, g + 1);
                        const bwd_w_dd_view vn {t.diff_dst + tn.n * q.ocb * p.oh * p.ow * 16, p.oh, p.ow, ob * q.o, q.o};
                        bwd_w_prefetch_dd_tile(vn, tn.r0, tn.r1, tn.j0, tn.j1);
                    }
                    for (int64_t ocg = ob; ocg < oe; ++ocg) {
                        const bwd_w_dd_view v {t.diff_dst + tg.n * q.ocb * p.oh * p.ow * 16, p.oh, p.ow, ocg * q.o, q.o};
                        const float *origin;
                        if (q.dd_copy) {
                            bwd_w_copy_dd_tile(v, tg.r0 + q.dy_min, tg.r1 - tg.r0 + dyr, tg.j0 + q.dx_min,
                                    tg.j1 - tg.j0 + dxr, q.buf_pitch, buf, q.tile_h);
                            origin = buf + (-q.dy_min * q.buf_pitch - q.dx_min) * q.o * 16;
                        } else {
                            origin = v.plane(0) + (tg.r0 * p.ow + tg.j0) * 16;
                        }
                        if (bias_owner) bwd_w_sum_dd_tile(v, tg.r0, tg.r1, tg.j0, tg.j1, diff_bias + ocg * q.o * 16);
                        for (int64_t k = 0; k < n_cls; ++k) {
                            const auto &c = q.classes[k];
                            if (class_rows(c, tg) == 0 || class_cols(c, tg) == 0) continue;
                            for (size_t gi = 0; gi < c.groups.size(); ++gi) {
                                const auto &gr = c.groups[gi];
                                jit::bwd_w_kernel_args a;
                                a.vals = q.indirect ? t.src + ((tg.n * q.icb + ib0) * p.ih * p.iw + tg.r0 * p.iw + tg.j0) * 16
                                                    : vals + k * my_c * q.slot_cap;
                                a.offs = offs + k * my_c * q.slot_cap;
                                a.cnt = counts + k * my_c;
                                a.dd = origin + gr.ocb0 * (q.dd_copy ? 16 : p.oh * p.ow * 16);
                                a.dw = t.diff_weights + ((ocg * q.o + gr.ocb0) * q.icb + ib0) * khw * 256;
                                a.n_icb = my_icb;
                                (*kernels_[k][gi])(&a);
                            }
                        }
                    }
                }
            }
        }
    }
}

std::unique_ptr<sparse_conv> make_sparse_bwd_w(const problem_t &p, const sparse_conv_options &o, std::string &why_not) {
    if (o.wei_layout != weights_layout::OIhw16i16o) {
        why_not = std::string("diff_weights layout ") + to_string(o.wei_layout) + " (the sparse bwd_w kernels write OIhw16i16o)";
        return nullptr;
    }
    bwd_w_plan plan;
    if (!plan_bwd_w(p, omp_get_max_threads(), o.with_bias, bwd_w_tuning::from_env(), plan, why_not)) return nullptr;
    return std::make_unique<bwd_w_conv>(plan);
}

} // namespace sparsetrain
