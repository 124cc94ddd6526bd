#include "driver/fwd_conv.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

#include <omp.h>

#include "common/env.hpp"
#include "driver/act_rows.hpp"
#include "driver/row_pass_conv.hpp"
#include "jit/row_pass_compact.hpp"
#include "jit/row_pass_kernel.hpp"

namespace sparsetrain {

namespace {

class sparse_fwd : public row_pass_conv<fwd_config> {
public:
    explicit sparse_fwd(const fwd_config &c);
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override;

private:
    void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t oh0, int64_t oh1, fwd_variant v) const override;

    const act_layout src_ = src_layout(c_.p, c_.act), dst_ = dst_layout(c_.p, c_.act);
    // [weight pattern][fwd_variant][first pass][last pass]; null for a variant the plan does not
    // have. Group g runs pattern g % c_.wei_patterns (fwd_config::wei_patterns).
    std::vector<std::array<std::array<std::array<std::shared_ptr<const jit::row_pass_kernel>, 2>, 2>, 3>> pass_;
};

sparse_fwd::sparse_fwd(const fwd_config &c) : row_pass_conv(c, c.p.oh) {
    const auto &p = c_.p;
    // Offsets of the lanes of a chunk: input channel b*16 + i is the weight line of that
    // input channel (for OIhw16i16o: (b*KH*KW*16 + i) * 64 bytes from the chunk's origin).
    lists_.init(c_, [&](int64_t lane) { return wei_.i.at(lane); });

    pass_.resize((size_t)c_.wei_patterns);
    const int64_t span = c_.n_ocb * 16; // output channels of a group
    const std::string label = layout_label(p.to_string(), c_.act);
    for_each_planned_variant(c_, [&](int v, bool pair, bool inl) {
        const jit::row_compact_desc cd = make_compact_variant(lists_.compact, lists_.layout, label, src_, c_.cb, c_.lcols,
                c_.subsample ? p.sw : 1, c_.subsample ? p.sh : 1, pair, inl);

        for (int64_t pat = 0; pat < c_.wei_patterns; ++pat) {
            jit::row_pass_desc pd =
                    make_pass_desc(label, "fwd", c_.sched, c_.n_ocb, pair ? c_.pairs.acc_sets : c_.acc_sets, dst_, 1);
            const int64_t o0 = wei_.o.at(pat * span);
            for (int64_t j = 0; j < c_.n_ocb; ++j)
                for (int t = 0; t < pd.sched.taps; ++t)
                    pd.dense_disp.push_back((int32_t)((wei_.o.at(pat * span + j * 16) - o0 + t * wei_.kw) * 4));
            pd.starts_row_stride = (c_.subsample ? 1 : p.sh) * c_.lcols * 4 * (pair ? 3 : 1);
            wire_pass_variant(pd, cd, lists_.layout, pair, inl, dst_.img * 4, c_.cb);
            for (int first = 0; first < 2; ++first)
                for (int last = 0; last < 2; ++last) {
                    pd.init = !first ? jit::acc_init::load : c_.with_bias ? jit::acc_init::bias : jit::acc_init::zero;
                    pd.relu = last && c_.with_relu;
                    pass_[pat][v][first][last] = jit::row_pass_kernel::get(pd);
                }
        }
    });
}

std::vector<std::shared_ptr<const jit::jit_generator>> sparse_fwd::kernels() const {
    auto ks = lists_.kernels();
    for (const auto &pattern : pass_)
        for (const auto &variant : pattern)
            for (const auto &row : variant)
                for (const auto &k : row)
                    if (k && std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k); // without ReLU, [x][0] == [x][1]
    return ks;
}

// Images [n0, n1) x output rows [oh0, oh1): compact the src rows they need, then run every
// pass of every output-channel group over those rows of every image (pair), so that a pass's
// weight slice is loaded into L1 once per unit.
void sparse_fwd::run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t oh0, int64_t oh1, fwd_variant v) const {
    const bool inl = v == fwd_variant::single_inline;
    const auto &p = c_.p;
    int64_t lr0, nlr; // first list row (in source rows or, subsampled, output rows), count
    if (c_.subsample) {
        lr0 = oh0;
        nlr = oh1 - oh0;
    } else {
        lr0 = std::max<int64_t>(0, oh0 * p.sh - p.ph);
        const int64_t hi = std::min<int64_t>(p.ih - 1, (oh1 - 1) * p.sh - p.ph + p.kh - 1);
        nlr = hi - lr0 + 1;
    }
    thread_local row_pass_unit_lists lists;
    const int64_t src_row0 = c_.subsample ? lr0 * p.sh : lr0;
    compact_unit(lists, t.src + src_.at(n0, 0, src_row0, 0), src_, n1 - n0, nlr, c_.lcols, v);
    float *inline_list = inl ? row_pass_inline_list(c_.cb) : nullptr;

    // Valid output rows [a, b) of tap kh inside the unit, and the list row of row a.
    auto rows_of = [&](int kh, int64_t &a, int64_t &b, int64_t &lrow) {
        if (c_.subsample) {
            a = oh0;
            b = oh1;
            lrow = 0;
            return;
        }
        a = oh0;
        while (a < oh1 && a * p.sh - p.ph + kh < 0) ++a;
        b = oh1;
        while (b > a && (b - 1) * p.sh - p.ph + kh >= p.ih) --b;
        lrow = a * p.sh - p.ph + kh - lr0;
    };

    const size_t n_pass = c_.passes.size();
    int64_t a, b, lrow;
    for (int64_t g = 0; g < c_.n_ocg; ++g) {
        const int64_t ocb0 = g * c_.n_ocb;
        const float *bias = t.bias ? t.bias + ocb0 * 16 : nullptr;
        const float *wei_g = t.weights + wei_.o.at(ocb0 * 16);
        const auto &passes = pass_[(size_t)(g % c_.wei_patterns)];
        auto dst_of = [&](int64_t n) { return t.dst + dst_.at(n, ocb0, 0, 0); };

        // Rows the first pass does not reach start from bias / zero here.
        rows_of(c_.passes[0].first, a, b, lrow);
        for (int64_t n = n0; n < n1; ++n)
            for (int64_t oh = oh0; oh < oh1; ++oh)
                if (oh < a || oh >= b) fill_act_row(t.dst + dst_.at(n, 0, 0, 0), dst_, ocb0, c_.n_ocb, oh, bias);

        for (size_t i = 0; i < n_pass; ++i) {
            const int kh = c_.passes[i].first;
            const int64_t ch = c_.passes[i].second;
            rows_of(kh, a, b, lrow);
            if (a >= b) continue;
            jit::row_pass_args pa {};
            pa.dense = wei_g + wei_.i.at(ch * c_.cb * 16) + kh * wei_.kh;
            pa.bias = bias;
            pa.n_rows = b - a;
            pa.lane_offsets = lists_.offs_table.get();
            // Inline (subsampled 1x1): list row r is src row (lr0 + r) * sh.
            run_pass_on_groups(lists, pa, inl, inline_list, ch, lrow,
                    [&](int64_t img) { return t.src + src_.at(n0 + img, ch * c_.cb, (lr0 + lrow) * p.sh, 0); },
                    [&](int64_t img) { return dst_of(n0 + img) + a * dst_.row; },
                    [&](fwd_variant kv) { return passes[(int)kv][i == 0][i + 1 == n_pass].get(); });
        }

        // Rows the last pass does not reach get their ReLU here (NaN stays NaN).
        if (c_.with_relu) {
            rows_of(c_.passes[n_pass - 1].first, a, b, lrow);
            for (int64_t n = n0; n < n1; ++n)
                for (int64_t oh = oh0; oh < oh1; ++oh)
                    if (oh < a || oh >= b) relu_act_row(t.dst + dst_.at(n, 0, 0, 0), dst_, ocb0, c_.n_ocb, oh);
        }
    }
}

} // namespace

std::unique_ptr<sparse_conv> make_sparse_fwd_from_config(const fwd_config &c) {
    return std::unique_ptr<sparse_conv>(new sparse_fwd(c));
}

std::unique_ptr<sparse_conv> make_sparse_fwd(const problem_t &p, const sparse_conv_options &o, std::string &why_not) {
    // Developer override of the blocking (see fwd_plan_hints).
    return make_row_pass_conv<fwd_config, fwd_plan_hints>(p, o, why_not, "SPARSETRAIN_FWD_PLAN", plan_fwd,
            make_sparse_fwd_from_config);
}

} // namespace sparsetrain
