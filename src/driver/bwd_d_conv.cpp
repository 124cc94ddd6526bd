#include "driver/bwd_d_conv.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <omp.h>

#include "common/env.hpp"
#include "driver/act_rows.hpp"
#include "driver/relu_mask.hpp"
#include "driver/row_pass_conv.hpp"
#include "jit/row_pass_compact.hpp"
#include "jit/row_pass_kernel.hpp"

namespace sparsetrain {

namespace {

class sparse_bwd_d : public row_pass_conv<bwd_d_config> {
public:
    explicit sparse_bwd_d(const bwd_d_config &c);
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override;

private:
    void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t ih0, int64_t ih1, row_pass_variant v) const override;

    const act_layout ddst_ = dst_layout(c_.p, c_.act), dsrc_ = src_layout(c_.p, c_.act);
    // [row_pass_variant][first pass of its rows]; null for a variant the plan does not have.
    std::shared_ptr<const jit::row_pass_kernel> pass_[3][2];
};

sparse_bwd_d::sparse_bwd_d(const bwd_d_config &c) : row_pass_conv(c, c.p.ih) {
    const auto &p = c_.p;
    // Lane o of diff_dst block b of a chunk multiplies the weight line of output channel
    // b*16 + o (16 input channels) from the chunk's origin.
    lists_.init(c_, [&](int64_t lane) { return wei_.o.at(lane); });

    const std::string label = layout_label(p.to_string(), c_.act);
    for_each_planned_variant(c_, [&](int v, bool pair, bool inl) {
        const jit::row_compact_desc cd =
                make_compact_variant(lists_.compact, lists_.layout, label, ddst_, c_.cb, p.ow, 1, 1, pair, inl);

        // A tap feeds every sh-th diff_src row.
        jit::row_pass_desc pd =
                make_pass_desc(label, "bwd_d", c_.sched, c_.n_icb, pair ? c_.pairs.acc_sets : c_.acc_sets, dsrc_, p.sh);
        for (int64_t j = 0; j < c_.n_icb; ++j)
            for (int t = 0; t < pd.sched.taps; ++t) pd.dense_disp.push_back((int32_t)((wei_.i.at(j * 16) + t * wei_.kw) * 4));
        pd.starts_row_stride = p.ow * 4 * (pair ? 3 : 1);
        wire_pass_variant(pd, cd, lists_.layout, pair, inl, dsrc_.img * 4, c_.cb);
        for (int first = 0; first < 2; ++first) {
            pd.init = first ? jit::acc_init::zero : jit::acc_init::load;
            pass_[v][first] = jit::row_pass_kernel::get(pd);
        }
    });
}

std::vector<std::shared_ptr<const jit::jit_generator>> sparse_bwd_d::kernels() const {
    auto ks = lists_.kernels();
    for (const auto &variant : pass_)
        for (const auto &k : variant)
            if (k) ks.push_back(k);
    return ks;
}

// Images [n0, n1) x diff_src rows [ih0, ih1): compact the diff_dst rows they need, then run
// every pass of every diff_src channel group over those rows of every image. A pass whose
// rows no earlier pass touched initialises them (zero); rows that end up untouched (no tap
// feeds them) are zero-filled.
void sparse_bwd_d::run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t ih0, int64_t ih1, row_pass_variant v) const {
    const bool inl = v == row_pass_variant::single_inline;
    const auto &p = c_.p;
    const int64_t num = ih0 + p.ph - (p.kh - 1);
    const int64_t lr0 = num <= 0 ? 0 : (num + p.sh - 1) / p.sh;
    const int64_t lr1 = std::min<int64_t>(p.oh - 1, (ih1 - 1 + p.ph) / p.sh) + 1; // diff_dst rows [lr0, lr1)
    const int64_t nlr = std::max<int64_t>(0, lr1 - lr0);

    thread_local row_pass_unit_lists lists;
    if (nlr > 0) compact_unit(lists, t.diff_dst + ddst_.at(n0, 0, lr0, 0), ddst_, n1 - n0, nlr, p.ow, v);
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
            pa.lane_offsets = lists_.offs_table.get();
            run_pass_on_groups(lists, pa, inl, inline_list, ch, oh_a - lr0,
                    [&](int64_t img) { return t.diff_dst + ddst_.at(n0 + img, ch * c_.cb, oh_a, 0); },
                    [&](int64_t img) { return dsrc_of(n0 + img) + a * dsrc_.row; },
                    [&](row_pass_variant kv) { return pass_[(int)kv][init].get(); });
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
    return make_row_pass_conv<bwd_d_config, bwd_d_plan_hints>(p, o, why_not, "SPARSETRAIN_BWD_D_PLAN", plan_bwd_d,
            make_sparse_bwd_d_from_config);
}

} // namespace sparsetrain
