#include "driver/bwd_d_mask_conv.hpp"

#include <algorithm>
#include <cstring>

#include <omp.h>

#include "common/env.hpp"
#include "common/scratch.hpp"
#include "driver/row_pass_units.hpp"
#include "jit/bwd_d_mask_kernel.hpp"
#include "jit/mask_bucket_kernel.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

const char *const bwd_d_mask_impl_name = "sparse_jit_mask:avx512_core";

namespace {

// thread_local_scratch slots: the buckets' items and counts (the row-pass drivers use 0..4,
// the API's weight reorder 7).
enum { slot_items = 5, slot_counts = 6 };
const int n_buckets = 17;

class sparse_bwd_d_mask : public sparse_conv {
public:
    explicit sparse_bwd_d_mask(const bwd_d_mask_config &c);
    void execute(const conv_tensors &t) const override;
    std::string name() const override { return bwd_d_mask_impl_name; }
    std::string config_str() const override { return c_.str(); }
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override {
        return {bucket_, pass_[0], pass_[1]};
    }

private:
    void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t r0, int64_t r1) const;

    bwd_d_mask_config c_;
    std::shared_ptr<const jit::mask_bucket_kernel> bucket_;
    std::shared_ptr<const jit::bwd_d_mask_kernel> pass_[2]; // [accumulate]
};

sparse_bwd_d_mask::sparse_bwd_d_mask(const bwd_d_mask_config &c) : c_(c) {
    bucket_ = jit::mask_bucket_kernel::get();
    jit::bwd_d_mask_desc d;
    d.problem = c_.p.to_string();
    d.occ = (int)c_.occ;
    d.single_tap = c_.single_tap();
    d.dd_blk_stride = c_.dd.cblk;
    d.w_blk_stride = c_.w_ocb;
    d.max_group = c_.max_group;
    d.full_from = c_.full_from;
    for (int acc = 0; acc < 2; ++acc) {
        d.accumulate = acc == 1;
        if (acc == 0 || c_.n_chunks > 1) pass_[acc] = jit::bwd_d_mask_kernel::get(d);
    }
    if (!pass_[1]) pass_[1] = pass_[0];
}

void sparse_bwd_d_mask::execute(const conv_tensors &t) const {
    if (!t.mask_src) throw error("masked backward data: the src tensor (mask) is missing");
    for_each_row_pass_unit(c_.p.mb, c_.p.ih, c_.ib, c_.rb, c_.n_hblk, t.flush_denormals,
            [&](int64_t n0, int64_t n1, int64_t r0, int64_t r1) { run_unit(t, n0, n1, r0, r1); });
}

// Images [n0, n1) x diff_src rows [r0, r1): per input-channel block, sort the unit's pixels
// by their count of src lanes > 0, then run every diff_dst chunk over the buckets.
void sparse_bwd_d_mask::run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t r0, int64_t r1) const {
    const auto &p = c_.p;
    const int64_t cap = c_.unit_pixels();
    auto *items = thread_local_scratch(slot_items).get_as<int32_t>((size_t)(n_buckets * cap));
    auto *counts = thread_local_scratch(slot_counts).get_as<int32_t>(n_buckets);
    const auto *src = reinterpret_cast<const char *>(t.mask_src) + n0 * c_.act.image;
    auto *dst = reinterpret_cast<char *>(t.diff_src) + n0 * c_.act.image;
    const auto *dd = reinterpret_cast<const char *>(t.diff_dst) + n0 * c_.dd.image;
    const auto *w = reinterpret_cast<const char *>(t.weights);

    jit::mask_bucket_args ba {};
    ba.items = items;
    ba.cap = cap;
    ba.counts = counts;
    jit::bwd_d_mask_args ka {};
    ka.items = items;
    ka.counts = counts;
    ka.cap = cap;
    ka.pix = c_.pix.data();
    ka.taps = c_.taps.data();
    for (int64_t icb = 0; icb < p.ic / 16; ++icb) {
        std::memset(counts, 0, n_buckets * sizeof(int32_t));
        ba.src = reinterpret_cast<const float *>(src + icb * c_.act.cblk);
        for (int64_t i = 0; i < n1 - n0; ++i) {
            ba.p0 = (i * p.ih + r0) * p.iw;
            ba.n_pix = (r1 - r0) * p.iw;
            ba.pix = c_.pix.data() + 4 * ba.p0;
            (*bucket_)(&ba);
        }
        ka.src = ba.src;
        ka.dst = reinterpret_cast<float *>(dst + icb * c_.act.cblk);
        for (int64_t ch = 0; ch < c_.n_chunks; ++ch) {
            ka.dd = reinterpret_cast<const float *>(dd + ch * c_.occ * c_.dd.cblk);
            ka.w = reinterpret_cast<const float *>(w + ch * c_.occ * c_.w_ocb + icb * c_.w_icb);
            (*pass_[ch > 0])(&ka);
        }
    }
}

} // namespace

std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask_from_config(const bwd_d_mask_config &c) {
    return std::unique_ptr<sparse_conv>(new sparse_bwd_d_mask(c));
}

std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask(const problem_t &p, std::string &why_not) {
    bwd_d_mask_hints h = bwd_d_mask_hints::parse(env::get_string("SPARSETRAIN_BWD_D_MASK_PLAN", ""));
    h.threads = omp_get_max_threads();
    bwd_d_mask_config c;
    if (!plan_bwd_d_mask(p, h, c, why_not)) return nullptr;
    return make_sparse_bwd_d_mask_from_config(c);
}

} // namespace sparsetrain
