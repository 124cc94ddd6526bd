#include "driver/bwd_d_conv.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <omp.h>

#include "common/env.hpp"
#include "driver/act_rows.hpp"
#include "driver/relu_mask.hpp"
#include "driver/row_pass_lists.hpp"
#include "driver/row_pass_units.hpp"
#include "jit/row_pass_compact.hpp"
#include "jit/row_pass_kernel.hpp"

namespace sparsetrain {

namespace {

struct aligned_free {
    void operator()(void *p) const { std::free(p); }
};

class sparse_bwd_d : public sparse_conv {
public:
    explicit sparse_bwd_d(const bwd_d_config &c);
    void execute(const conv_tensors &t) const override;
    std::string config_str() const override { return c_.str(); }
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override;

private:
    void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t ih0, int64_t ih1, row_pass_variant v) const;

    bwd_d_config c_;
    row_pass_compactors compact_;
    row_pass_list_layout layout_;
    // [row_pass_variant][first pass of its rows]; null for a variant the plan does not have.
    std::shared_ptr<const jit::row_pass_kernel> pass_[3][2];
    std::unique_ptr<int32_t, aligned_free> offs_table_;
    act_layout ddst_, dsrc_;
    wei_layout wei_;
};

sparse_bwd_d::sparse_bwd_d(const bwd_d_config &c) : c_(c) {
    const auto &p = c_.p;
    ddst_ = dst_layout(p, c_.act);
    dsrc_ = src_layout(p, c_.act);
    wei_ = make_wei_layout(c_.wei, p);

    // Lane o of diff_dst block b of a chunk multiplies the weight line of output channel
    // b*16 + o (16 input channels) from the chunk's origin.
    offs_table_.reset(static_cast<int32_t *>(std::aligned_alloc(64, (size_t)c_.cb * 64)));
    for (int64_t b = 0; b < c_.cb; ++b)
        for (int o = 0; o < 16; ++o) offs_table_.get()[b * 16 + o] = (int32_t)(wei_.o.at(b * 16 + o) * 4);

    const bool with_pairs = c_.pairs.acc_sets > 0;
    layout_ = row_pass_list_layout(c_.list_cap, with_pairs ? c_.pair_cap : 0);
    compact_.offs_table = offs_table_.get();
    for (int v = 0; v < 3; ++v) {
        const bool pair = v == (int)row_pass_variant::pairs, inl = v == (int)row_pass_variant::single_inline;
        if ((pair && !with_pairs) || (inl && !c_.inline_compact)) continue;
        jit::row_compact_desc cd;
        cd.problem = layout_label(p.to_string(), c_.act);
        cd.n_vec = (int)c_.cb;
        cd.cols = (int)p.ow;
        cd.vec_stride = ddst_.cblk * 4;
        cd.col_stride = ddst_.px * 4;
        cd.row_stride = ddst_.row * 4;
        wire_compact_variant(cd, layout_, pair, ddst_.img * 4);
        if (!inl) (pair ? compact_.pair : compact_.single) = jit::row_compact_kernel::get(cd);

        jit::row_pass_desc pd;
        pd.problem = layout_label(p.to_string(), c_.act);
        pd.direction = "bwd_d";
        pd.sched = jit::bwd_d_row_schedule((int)p.ow, (int)p.iw, (int)p.kw, (int)p.sw, (int)p.pw);
        pd.n_blk = (int)c_.n_icb;
        pd.acc_sets = pair ? c_.pairs.acc_sets : c_.acc_sets;
        for (int64_t j = 0; j < c_.n_icb; ++j)
            for (int t = 0; t < pd.sched.taps; ++t) pd.dense_disp.push_back((int32_t)((wei_.i.at(j * 16) + t * wei_.kw) * 4));
        pd.dst_blk_stride = dsrc_.cblk * 4;
        pd.dst_px_stride = dsrc_.px * 4;
        pd.dst_row_stride = p.sh * dsrc_.row * 4; // a tap feeds every sh-th diff_src row
        pd.starts_row_stride = p.ow * 4 * (pair ? 3 : 1);
        wire_pass_variant(pd, cd, layout_, pair, inl, dsrc_.img * 4, c_.cb);
        for (int first = 0; first < 2; ++first) {
            pd.init = first ? jit::acc_init::zero : jit::acc_init::load;
            pass_[v][first] = jit::row_pass_kernel::get(pd);
        }
    }
}

std::vector<std::shared_ptr<const jit::jit_generator>> sparse_bwd_d::kernels() const {
    std::vector<std::shared_ptr<const jit::jit_generator>> ks {compact_.single};
    if (compact_.pair) ks.push_back(compact_.pair);
    for (const auto &variant : pass_)
        for (const auto &k : variant)
            if (k) ks.push_back(k);
    return ks;
}

void sparse_bwd_d::execute(const conv_tensors &t) const {
    // Each variant has its own work units (pairs: at least two images).
    const row_pass_variant v = c_.choose_variant(t.density_hint);
    const bool pairs = v == row_pass_variant::pairs;
    const int64_t IB = pairs ? c_.pair_ib : c_.ib, RB = pairs ? c_.pair_rb : c_.rb;
    const int64_t n_hblk = pairs ? c_.pair_n_hblk : c_.n_hblk;
    for_each_row_pass_unit(c_.p.mb, c_.p.ih, IB, RB, n_hblk, t.flush_denormals,
            [&](int64_t n0, int64_t n1, int64_t ih0, int64_t ih1) { run_unit(t, n0, n1, ih0, ih1, v); });
}

// Images [n0, n1) x diff_src rows [ih0, ih1): compact the diff_dst rows they need, then run
// every pass of every diff_src channel group over those rows of every image. A pass whose
// rows no earlier pass touched initialises them (zero); rows that end up untouched (no tap
// feeds them) are zero-filled.
void sparse_bwd_d::run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t ih0, int64_t ih1, row_pass_variant v) const {
    const bool pairs = v == row_pass_variant::pairs, inl = v == row_pass_variant::single_inline;
    const auto &p = c_.p;
    const int64_t num = ih0 + p.ph - (p.kh - 1);
    const int64_t lr0 = num <= 0 ? 0 : (num + p.sh - 1) / p.sh;
    const int64_t lr1 = std::min<int64_t>(p.oh - 1, (ih1 - 1 + p.ph) / p.sh) + 1; // diff_dst rows [lr0, lr1)
    const int64_t nlr = std::max<int64_t>(0, lr1 - lr0);

    thread_local row_pass_unit_lists lists;
    if (nlr > 0) {
        row_pass_source src;
        src.base = t.diff_dst + ddst_.at(n0, 0, lr0, 0);
        src.image = ddst_.img;
        src.chunk = c_.cb * ddst_.cblk;
        lists.build(compact_, layout_, src, n1 - n0, c_.n_chunks, nlr, p.ow, pairs, !inl);
    }
    float *inline_list = inl ? row_pass_inline_list(c_.cb) : nullptr;

    const int64_t rows = ih1 - ih0;
    std::vector<char> touched((size_t)rows);
    for (int64_t g = 0; g < c_.n_icg; ++g) {
        auto dsrc_of = [&](int64_t n) { return t.diff_src + dsrc_.at(n, g * c_.n_icb, 0, 0); };
        auto zero_row = [&](int64_t ih) {
            for (int64_t n = n0; n < n1; ++n) fill_act_row(t.diff_src + dsrc_.at(n, 0, 0, 0), dsrc_, g * c_.n_icb, c_.n_icb, ih, nullptr);
        };
        std::fill(touched.begin(), touched.end(), 0);
        for (const auto &pass : c_.passes) {
            const int kh = pass.first;
            const int64_t ch = pass.second;
            int64_t a, nr, oh_a;
            bwd_d_tap_rows(p, kh, ih0, ih1, a, nr, oh_a);
            if (nr == 0 || nlr == 0) continue;
            int64_t n_touched = 0;
            for (int64_t r = 0; r < nr; ++r) n_touched += touched[a + r * p.sh - ih0];
            const bool init = n_touched == 0;
            if (!init && n_touched < nr) // mixed: start the untouched rows from zero
                for (int64_t r = 0; r < nr; ++r)
                    if (!touched[a + r * p.sh - ih0]) zero_row(a + r * p.sh);
            for (int64_t r = 0; r < nr; ++r) touched[a + r * p.sh - ih0] = 1;

            jit::row_pass_args pa {};
            pa.dense = t.weights + wei_.o.at(ch * c_.cb * 16) + wei_.i.at(g * c_.n_icb * 16) + kh * wei_.kh;
            pa.n_rows = nr;
            pa.lane_offsets = offs_table_.get();
            for (const auto &grp : lists.groups()) {
                pa.vals = grp.vals;
                if (inl) {
                    pa.vals = inline_list;
                    pa.starts = reinterpret_cast<const int32_t *>(t.diff_dst + ddst_.at(n0 + grp.image, ch * c_.cb, oh_a, 0));
                } else {
                    pa.starts = lists.starts(grp, ch, oh_a - lr0);
                }
                pa.dst = dsrc_of(n0 + grp.image) + a * dsrc_.row;
                const auto kv = grp.pair ? row_pass_variant::pairs : inl ? row_pass_variant::single_inline : row_pass_variant::single;
                (*pass_[(int)kv][init])(&pa);
            }
        }
        for (int64_t r = 0; r < rows; ++r)
            if (!touched[r]) zero_row(ih0 + r);
    }
    // relu_mask: diff_src * [src > 0] on the unit's rows, while they are in cache.
    if (t.mask_src)
        for (int64_t n = n0; n < n1; ++n) mask_act_rows(t.diff_src, t.mask_src, dsrc_, n, ih0, ih1);
}

} // namespace

std::unique_ptr<sparse_conv> make_sparse_bwd_d_from_config(const bwd_d_config &c) {
    return std::unique_ptr<sparse_conv>(new sparse_bwd_d(c));
}

std::unique_ptr<sparse_conv> make_sparse_bwd_d(const problem_t &p, const sparse_conv_options &o, std::string &why_not) {
    // Developer override of the blocking (see bwd_d_plan_hints).
    bwd_d_plan_hints h = bwd_d_plan_hints::parse(env::get_string("SPARSETRAIN_BWD_D_PLAN", ""));
    h.threads = omp_get_max_threads();
    bwd_d_config c;
    if (!plan_bwd_d(p, o, c, why_not, h)) return nullptr;
    return make_sparse_bwd_d_from_config(c);
}

} // namespace sparsetrain
